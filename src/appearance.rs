//! Appearance values: colors, backgrounds and icon sources, validated so that
//! nothing from configuration can inject CSS or markup, plus the derived
//! values (accent color, readable text color on the brand color).
//!
//! Pure logic, unit-tested natively.

/// A color as `#rgb` or `#rrggbb`, kept as its three channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Parses `#rgb`, `#rrggbb` (case-insensitive) or `rgb(r, g, b)` /
    /// `rgb(r g b)` with whole numbers; anything else is `None`. `s` comes
    /// trimmed (config trims every value), so no second trim here.
    ///
    /// The native tests' reading of a color (see [`stand_in`]): the widget
    /// asks the browser.
    #[cfg(test)]
    pub fn parse(s: &str) -> Option<Self> {
        let mut channels = [0u8; 3];
        if let Some(args) = s.strip_prefix("rgb(").and_then(|rest| rest.strip_suffix(")")) {
            // Channels are runs of digits between commas and whitespace.
            let (mut count, mut in_channel) = (0, false);
            for c in args.chars() {
                if c == ',' || c.is_whitespace() {
                    in_channel = false;
                    continue;
                }
                let digit = c.to_digit(10)?;
                if !in_channel {
                    if count == 3 {
                        return None;
                    }
                    count += 1;
                    in_channel = true;
                }
                let channel = &mut channels[count - 1];
                *channel = u8::try_from(u32::from(*channel) * 10 + digit).ok()?;
            }
            return (count == 3).then_some(Rgb(channels[0], channels[1], channels[2]));
        }
        let hex = s.strip_prefix("#")?.as_bytes();
        let short = hex.len() == 3;
        if !short && hex.len() != 6 {
            return None;
        }
        for (i, &b) in hex.iter().enumerate() {
            let digit = char::from(b).to_digit(16)? as u8;
            // `#abc` is `#aabbcc`: each digit fills both halves of its channel.
            let channel = &mut channels[if short { i } else { i / 2 }];
            *channel = if short { digit * 17 } else { *channel * 16 + digit };
        }
        Some(Rgb(channels[0], channels[1], channels[2]))
    }

    pub fn css(self) -> String {
        let packed = u32::from(self.0) << 16 | u32::from(self.1) << 8 | u32::from(self.2);
        ["#", &crate::digits::padded(packed.into(), 16, 6)].concat()
    }

    /// The same color 12% brighter (channels saturate at 255).
    pub fn brighter(self) -> Self {
        self.scaled(112)
    }

    /// Each channel times `percent`/100, rounded, saturating.
    fn scaled(self, percent: u16) -> Self {
        let up = |c: u8| ((u16::from(c) * percent + 50) / 100).min(255) as u8;
        Rgb(up(self.0), up(self.1), up(self.2))
    }

    /// WCAG relative luminance.
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let s = f64::from(c) / 255.0;
            if s <= 0.039_28 {
                s / 12.92
            } else {
                pow((s + 0.055) / 1.055, 2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// WCAG contrast ratio between two colors (1 to 21).
    pub fn contrast(self, other: Rgb) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        (hi + 0.05) / (lo + 0.05)
    }
}

pub const WHITE: Rgb = Rgb(255, 255, 255);
pub const INK: Rgb = Rgb(17, 24, 39);
/// WCAG AA for normal text.
pub const AA_CONTRAST: f64 = 4.5;

/// The text color for a background made of these color stops (a brand
/// gradient; stops whose channels are unknown are left out): white when it
/// meets AA on every stop, else whichever of white and dark ink reads
/// better. The flag says white failed.
pub fn text_on(stops: &[Option<Rgb>]) -> (Rgb, bool) {
    let worst = |text: Rgb| {
        let mut worst = f64::INFINITY;
        for stop in stops.iter().flatten() {
            worst = worst.min(stop.contrast(text));
        }
        worst
    };
    let white = worst(WHITE);
    if white >= AA_CONTRAST {
        (WHITE, false)
    } else if worst(INK) > white {
        (INK, true)
    } else {
        (WHITE, true)
    }
}

/// The gradient's second stop when only `primaryColor` is given: up to 12 %
/// brighter, but never so bright that white text stops meeting AA on it
/// when it met AA on the primary.
pub fn derived_accent(primary: Rgb) -> Rgb {
    let keeps_white = primary.contrast(WHITE) >= AA_CONTRAST;
    // A plain loop: an iterator chain here costs a monomorphized copy.
    for pct in (0..=12u16).rev() {
        let candidate = primary.scaled(100 + pct);
        if !keeps_white || candidate.contrast(WHITE) >= AA_CONTRAST {
            return candidate;
        }
    }
    primary
}

/// Characters allowed inside a CSS color function or gradient: enough for
/// `rgb(0 0 0 / .5)`, `linear-gradient(135deg, #fff 0%, #000 100%)`, never
/// for `url(`, quotes, braces, semicolons or escapes.
fn is_plain_css(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    // A `matches!`: `[u8]::contains` is a generic search, larger in the wasm.
    s.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b' ' | b'#' | b'%' | b'.' | b',' | b'(' | b')' | b'-' | b'/' | b'+')
    }) && !["url", "image", "element", "var", "attr", "env", "expression"]
        .iter()
        .any(|f| crate::text::find(&lower, f).is_some())
}

/// A call of one of the CSS functions `names` (given with their `(`, any
/// case) with plain arguments.
fn is_css_function(s: &str, names: &[&str]) -> bool {
    matched_prefix(s, names).is_some() && s.ends_with(")") && is_plain_css(s)
}

/// The length of the first of the ASCII `prefixes` that `s` starts with, in
/// any case. (No lowercased copy of `s`, no core pattern machinery.)
pub fn matched_prefix(s: &str, prefixes: &[&str]) -> Option<usize> {
    for prefix in prefixes {
        if s.as_bytes().get(..prefix.len()).is_some_and(|start| start.eq_ignore_ascii_case(prefix.as_bytes())) {
            return Some(prefix.len());
        }
    }
    None
}

/// The browser's reading of a CSS color: its channels (alpha dropped), or
/// `None` when the browser does not take the value as a color. In the
/// widget, `CSS.supports` and a canvas; in native tests, a stand-in.
pub type ResolveColor = fn(&str) -> Option<Rgb>;

/// Values the browser accepts as a color that are no color of their own:
/// the CSS-wide keywords, and `currentColor` (the host page's text color).
const NOT_A_COLOR: &[&str] = &["inherit", "initial", "unset", "revert", "revert-layer", "currentcolor"];

/// A CSS color, with its channels: hex, an `rgb()/rgba()/hsl()/hsla()`
/// function or a color name, that the browser (`resolve`) takes as a
/// color. The shape is checked first, so nothing but one color reaches the
/// browser (no `url()`, `var()` or second value). Hex colors come back as
/// `#rrggbb`, others as they are. `s` is trimmed, as are the arguments of
/// the functions below.
pub fn css_color(s: &str, resolve: ResolveColor) -> Option<(String, Rgb)> {
    let shaped = match s.as_bytes() {
        [b'#', hex @ ..] => hex.iter().all(u8::is_ascii_hexdigit),
        word if word.iter().all(u8::is_ascii_alphabetic) => {
            (3..=20).contains(&s.len()) && !NOT_A_COLOR.iter().any(|k| k.eq_ignore_ascii_case(s))
        }
        _ => is_css_function(s, &["rgb(", "rgba(", "hsl(", "hsla("]),
    };
    let rgb = if shaped { resolve(s)? } else { return None };
    // `#rgb` and `#rrggbb` come back as `#rrggbb` from the browser's
    // channels: the same color, with no parser of our own in the wasm.
    let hex = s.starts_with('#') && matches!(s.len(), 4 | 7);
    Some((if hex { rgb.css() } else { s.to_string() }, rgb))
}

/// `headerBackground`: a color, a gradient, or an image URL. Returns the CSS
/// `background` value.
pub fn header_background(s: &str, resolve: ResolveColor) -> Option<String> {
    if let Some((color, _)) = css_color(s, resolve) {
        return Some(color);
    }
    if is_css_function(s, &["linear-gradient(", "radial-gradient(", "conic-gradient("]) {
        return Some(s.to_string());
    }
    image_url(s).map(|url| ["center/cover no-repeat ", &css_url(&url)].concat())
}

/// An image URL that is safe to load: http(s), or a `data:image/` URL that
/// is not SVG (an SVG data URL can carry script when opened directly).
pub fn image_url(s: &str) -> Option<String> {
    let allowed = match matched_prefix(s, &["https://", "http://", "data:image/"]) {
        // A web URL needs a host: `https://` alone is no image.
        Some(scheme) if scheme < 11 => s.as_bytes().get(scheme).is_some_and(|b| !matches!(b, b'/' | b'?' | b'#')),
        Some(_) => matched_prefix(s, &["data:image/svg"]).is_none(),
        None => false,
    };
    let clean = !s.chars().any(|c| c.is_control() || c == '"' || c == '\\' || c == '\'' || c.is_whitespace());
    (allowed && clean && s.len() <= 4096).then(|| s.to_string())
}

/// `url("...")` for a URL already checked by [`image_url`].
pub fn css_url(url: &str) -> String {
    ["url(\"", url, "\")"].concat()
}

/// `x^y`. In the browser, `Math.pow`: Rust's own `powf` brings about 1.4 KB
/// of libm into the wasm for this one gamma curve.
#[cfg(target_arch = "wasm32")]
fn pow(x: f64, y: f64) -> f64 {
    js_sys::Math::pow(x, y)
}

#[cfg(not(target_arch = "wasm32"))]
fn pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

/// The browser's color resolution for native tests: hex and `rgb()` as the
/// pure parser reads them, and a few names and functions with their
/// channels. Like `CSS.supports`, it takes the CSS-wide keywords.
#[cfg(test)]
pub mod stand_in {
    use super::Rgb;

    pub fn resolve(s: &str) -> Option<Rgb> {
        let named = match s.to_ascii_lowercase().as_str() {
            "white" => Rgb(255, 255, 255),
            "yellow" => Rgb(255, 255, 0),
            "red" => Rgb(255, 0, 0),
            "rebeccapurple" => Rgb(102, 51, 153),
            "navy" => Rgb(0, 0, 128),
            "hsl(60 100% 95%)" => Rgb(255, 255, 230),
            "hsl(350 89% 60%)" => Rgb(244, 63, 94),
            "rgb(0 0 0 / .5)" => Rgb(0, 0, 0),
            "inherit" | "initial" | "unset" | "revert" | "revert-layer" | "currentcolor" => Rgb(0, 0, 0),
            _ => return Rgb::parse(s),
        };
        Some(named)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_colors() {
        assert_eq!(Rgb::parse("#fff"), Some(Rgb(255, 255, 255)));
        assert_eq!(Rgb::parse("#4338CA"), Some(Rgb(0x43, 0x38, 0xca)));
        assert_eq!(Rgb::parse("4338ca"), None);
        assert_eq!(Rgb::parse("#12345"), None);
        assert_eq!(Rgb::parse("#ggg"), None);
        assert_eq!(Rgb::parse("rgb(244, 63, 94)"), Some(Rgb(244, 63, 94)));
        assert_eq!(Rgb::parse("rgb(1 2 3)"), Some(Rgb(1, 2, 3)));
        assert_eq!(Rgb::parse("rgb(1 2 3 4)"), None);
        assert_eq!(Rgb::parse("rgb(300 2 3)"), None);
        assert_eq!(Rgb::parse("rgb(,0255,\u{a0}1 , 2,)"), Some(Rgb(255, 1, 2)));
        assert_eq!(Rgb::parse("rgb(1 2)"), None);
        assert_eq!(Rgb::parse("rgb(1 2 -3)"), None);
        assert_eq!(Rgb::parse("rgb(1 2 3 )x"), None);
        assert_eq!(Rgb::parse("#1234567"), None);
        assert_eq!(Rgb::parse("#+12"), None);
        assert_eq!(Rgb::parse("#"), None);
        assert_eq!(Rgb(0, 5, 0xff).css(), "#0005ff");
        assert_eq!(Rgb(0x43, 0x38, 0xca).css(), "#4338ca");
    }

    #[test]
    fn accent_is_twelve_percent_brighter_and_saturates() {
        assert_eq!(Rgb(100, 0, 250).brighter(), Rgb(112, 0, 255));
        assert_eq!(Rgb::parse("#f43f5e").map(Rgb::brighter).map(Rgb::css).as_deref(), Some("#ff4769"));
    }

    #[test]
    fn contrast_matches_wcag() {
        assert!((WHITE.contrast(Rgb(0, 0, 0)) - 21.0).abs() < 1e-9);
        // The default brand color passes with white text...
        assert_eq!(text_on(&[Some(Rgb(0x43, 0x38, 0xca))]), (WHITE, false));
        // ...a light yellow does not, and gets dark ink instead.
        assert_eq!(text_on(&[Some(Rgb(0xfa, 0xcc, 0x15)), None]), (INK, true));
        // Every stop of a gradient counts.
        assert!(text_on(&[Some(Rgb(0x43, 0x38, 0xca)), Some(Rgb(0xfa, 0xcc, 0x15))]).1);
    }

    #[test]
    fn derived_accent_keeps_white_text_readable() {
        let blue = Rgb::parse("#2563eb").expect("hex");
        let accent = derived_accent(blue);
        assert!(accent.contrast(WHITE) >= AA_CONTRAST, "{}", accent.css());
        assert_ne!(accent, blue, "still brighter than the primary");
        // A dark primary gets the full 12 %.
        let dark = Rgb(0x43, 0x38, 0xca);
        assert_eq!(derived_accent(dark), dark.brighter());
    }

    #[test]
    fn css_colors_and_backgrounds_reject_injection() {
        let named = |s: &str| stand_in::resolve(s).is_some().then(|| s.to_string());
        let color = |s: &str| css_color(s, stand_in::resolve).map(|(c, _)| c);
        assert_eq!(color("rebeccapurple").as_deref(), Some("rebeccapurple"));
        assert_eq!(color("notacolor"), None);
        assert!(color("rgb(0 0 0 / .5)").is_some());
        assert!(color("hsl(350 89% 60%)").is_some());
        assert!(color("red;background:url(x)").is_none());
        assert!(color("rgb(0,0,0) url(x)").is_none());
        assert_eq!(color("RebeccaPurple").as_deref(), Some("RebeccaPurple"));
        assert_eq!(color("rgb(1 2 3").as_deref(), None);
        assert_eq!(color(""), None);
        // The browser (here its stand-in) has the last word on the shape...
        for bad in ["rgb(a)", "rgb()", "hsl(x)", "rgba(1, 2, 3, 4, 5, 6)", "rgb(0,0,0) rgb(1,1,1)", "#ff00", "#ggg"] {
            assert_eq!(color(bad), None, "{bad}");
        }
        // ...but never on what it would take and no color is: CSS-wide
        // keywords and the host's currentColor (the stand-in takes them).
        for keyword in ["inherit", "INITIAL", "unset", "revert", "revert-layer", "currentColor"] {
            assert!(named(keyword).is_some());
            assert_eq!(color(keyword), None, "{keyword}");
        }
        // Channels come from the browser for any valid color.
        assert_eq!(css_color("white", stand_in::resolve), Some(("white".into(), WHITE)));
        assert_eq!(css_color("#FFF", stand_in::resolve), Some(("#ffffff".into(), WHITE)));
        // Hex is written out from those channels; other forms stay as given.
        assert_eq!(color("#0A0b0C").as_deref(), Some("#0a0b0c"));
        assert_eq!(css_color("rgb(1, 2, 3)", stand_in::resolve), Some(("rgb(1, 2, 3)".into(), Rgb(1, 2, 3))));
        assert_eq!(
            header_background("linear-gradient(135deg, #f43f5e, #fb7185)", stand_in::resolve).as_deref(),
            Some("linear-gradient(135deg, #f43f5e, #fb7185)")
        );
        assert_eq!(header_background("linear-gradient(red, blue); x: url(evil)", stand_in::resolve), None);
        // Every character a plain function may hold, and one it may not.
        let all = "radial-gradient(circle at 50% +1.5px, #fff 0 / 2, #000)";
        assert_eq!(header_background(all, stand_in::resolve).as_deref(), Some(all));
        assert_eq!(header_background("linear-gradient(red, blue !important)", stand_in::resolve), None);
        assert_eq!(
            header_background("https://cdn.example.com/h.png", stand_in::resolve).as_deref(),
            Some("center/cover no-repeat url(\"https://cdn.example.com/h.png\")")
        );
        assert_eq!(header_background("javascript:alert(1)", stand_in::resolve), None);
    }

    #[test]
    fn image_urls_are_http_or_raster_data() {
        assert!(image_url("https://example.com/a.png").is_some());
        assert!(image_url("data:image/png;base64,AAAA").is_some());
        assert!(image_url("data:image/svg+xml,<svg onload=alert(1)>").is_none());
        assert!(image_url("javascript:alert(1)").is_none());
        assert!(image_url("https://example.com/a\".png").is_none());
        assert!(image_url("https://example.com/a b.png").is_none());
        assert!(image_url("HTTPS://example.com/a.png").is_some());
        assert!(image_url("DATA:IMAGE/SVG+xml,x").is_none());
        assert!(image_url("https:/").is_none());
        for hostless in ["https://", "http://", "https:///a.png", "https://?x", "https://#x"] {
            assert!(image_url(hostless).is_none(), "{hostless}");
        }
        assert!(image_url("https://a").is_some());
    }
}
