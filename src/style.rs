//! The widget's stylesheet. It is adopted by the shadow root as a
//! constructable stylesheet: no `<style>` element and no `style=` attribute,
//! both of which a strict Content-Security-Policy blocks.
//!
//! Values that come from configuration are CSS custom properties set on the
//! host element through CSSOM (`--nt-*`, see `ui::Ui::apply_look`), so this
//! text never contains page input. Hosts restyle through `::part()`.
//!
//! The source, with comments, is src/ui/widget.css.

/// src/ui/widget.css, minified by build.rs.
pub const CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.css"));

#[cfg(test)]
mod tests {
    use super::CSS;

    #[test]
    fn the_stylesheet_is_minified_without_changing_its_meaning() {
        assert!(CSS.starts_with(":host{all:initial!important;display:block!important;"), "{CSS}");
        assert!(!CSS.contains("/*") && !CSS.contains('\n') && !CSS.contains(";}") && !CSS.contains(": "));
        // Spaces that mean something stay: a descendant combinator, values,
        // strings, a media query.
        for kept in [
            ".header :focus-visible{",
            "calc(100vw - 2*var(--nt-ox))",
            r#""Segoe UI",Roboto,"Noto Sans","PingFang SC","Microsoft YaHei""#,
            "calc(var(--nt-bs)/2)",
            "@media (prefers-color-scheme:dark){.root.auto{",
            "}.launcher[aria-expanded=true]{display:none}}@media (prefers-reduced-motion:reduce){",
        ] {
            assert!(CSS.contains(kept), "{kept}");
        }
    }
}
