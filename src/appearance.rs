//! Appearance values: colors, backgrounds and icon sources, validated so that
//! nothing from configuration can inject CSS or markup, plus the derived
//! values (accent color, readable text color on the brand color).
//!
//! Pure logic, unit-tested natively.

/// A color as `#rgb` or `#rrggbb`, kept as its three channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Parses `#rgb` or `#rrggbb` (case-insensitive); anything else is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        let hex = s.trim().strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize, len: usize| u8::from_str_radix(&hex[i..i + len], 16).ok();
        match hex.len() {
            3 => Some(Rgb(channel(0, 1)? * 17, channel(1, 1)? * 17, channel(2, 1)? * 17)),
            6 => Some(Rgb(channel(0, 2)?, channel(2, 2)?, channel(4, 2)?)),
            _ => None,
        }
    }

    pub fn css(self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(7);
        out.push('#');
        for c in [self.0, self.1, self.2] {
            out.push(HEX[usize::from(c >> 4)] as char);
            out.push(HEX[usize::from(c & 15)] as char);
        }
        out
    }

    /// The same color 12% brighter: the default second stop of the brand
    /// gradient when only `primaryColor` is given.
    pub fn brighter(self) -> Self {
        let up = |c: u8| ((u16::from(c) * 112 + 50) / 100).min(255) as u8;
        Rgb(up(self.0), up(self.1), up(self.2))
    }

    /// WCAG relative luminance.
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let s = f64::from(c) / 255.0;
            if s <= 0.039_28 {
                s / 12.92
            } else {
                ((s + 0.055) / 1.055).powf(2.4)
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

/// The text color to use on `background`: white when it meets AA, else the
/// darker ink. The flag says whether white failed.
pub fn text_on(background: Rgb) -> (Rgb, bool) {
    if background.contrast(WHITE) >= AA_CONTRAST {
        (WHITE, false)
    } else {
        (INK, true)
    }
}

/// Characters allowed inside a CSS color function or gradient: enough for
/// `rgb(0 0 0 / .5)`, `linear-gradient(135deg, #fff 0%, #000 100%)`, never
/// for `url(`, quotes, braces, semicolons or escapes.
fn is_plain_css(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    s.bytes().all(|b| b.is_ascii_alphanumeric() || b" #%.,()-/+".contains(&b))
        && !["url", "image", "element", "var", "attr", "env", "expression"].iter().any(|f| lower.contains(f))
}

/// A CSS color for header backgrounds: hex, a named color, or an
/// `rgb()/rgba()/hsl()/hsla()` function.
pub fn is_css_color(s: &str) -> bool {
    let s = s.trim();
    if Rgb::parse(s).is_some() {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    if lower.bytes().all(|b| b.is_ascii_lowercase()) && (3..=20).contains(&lower.len()) {
        return true;
    }
    ["rgb(", "rgba(", "hsl(", "hsla("].iter().any(|f| lower.starts_with(f)) && lower.ends_with(')') && is_plain_css(s)
}

/// `headerBackground`: a color, a gradient, or an image URL. Returns the CSS
/// `background` value.
pub fn header_background(s: &str) -> Option<String> {
    let s = s.trim();
    if is_css_color(s) {
        return Some(s.to_string());
    }
    let lower = s.to_ascii_lowercase();
    if ["linear-gradient(", "radial-gradient(", "conic-gradient("].iter().any(|f| lower.starts_with(f))
        && lower.ends_with(')')
        && is_plain_css(s)
    {
        return Some(s.to_string());
    }
    image_url(s).map(|url| format!("center/cover no-repeat {}", css_url(&url)))
}

/// An image URL that is safe to load: http(s), or a `data:image/` URL that
/// is not SVG (an SVG data URL can carry script when opened directly).
pub fn image_url(s: &str) -> Option<String> {
    let s = s.trim();
    let lower = s.to_ascii_lowercase();
    let allowed = lower.starts_with("https://")
        || lower.starts_with("http://")
        || (lower.starts_with("data:image/") && !lower.starts_with("data:image/svg"));
    let clean = !s.chars().any(|c| c.is_control() || c == '"' || c == '\\' || c == '\'' || c.is_whitespace());
    (allowed && clean && s.len() <= 4096).then(|| s.to_string())
}

/// `url("...")` for a URL already checked by [`image_url`].
pub fn css_url(url: &str) -> String {
    format!("url(\"{url}\")")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_colors() {
        assert_eq!(Rgb::parse("#fff"), Some(Rgb(255, 255, 255)));
        assert_eq!(Rgb::parse(" #4338CA "), Some(Rgb(0x43, 0x38, 0xca)));
        assert_eq!(Rgb::parse("4338ca"), None);
        assert_eq!(Rgb::parse("#12345"), None);
        assert_eq!(Rgb::parse("#ggg"), None);
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
        assert_eq!(text_on(Rgb(0x43, 0x38, 0xca)), (WHITE, false));
        // ...a light yellow does not, and gets dark ink instead.
        assert_eq!(text_on(Rgb(0xfa, 0xcc, 0x15)), (INK, true));
    }

    #[test]
    fn css_colors_and_backgrounds_reject_injection() {
        assert!(is_css_color("rebeccapurple"));
        assert!(is_css_color("rgb(0 0 0 / .5)"));
        assert!(!is_css_color("red;background:url(x)"));
        assert!(!is_css_color("rgb(0,0,0) url(x)"));
        assert_eq!(
            header_background("linear-gradient(135deg, #f43f5e, #fb7185)").as_deref(),
            Some("linear-gradient(135deg, #f43f5e, #fb7185)")
        );
        assert_eq!(header_background("linear-gradient(red, blue); x: url(evil)"), None);
        assert_eq!(
            header_background("https://cdn.example.com/h.png").as_deref(),
            Some("center/cover no-repeat url(\"https://cdn.example.com/h.png\")")
        );
        assert_eq!(header_background("javascript:alert(1)"), None);
    }

    #[test]
    fn image_urls_are_http_or_raster_data() {
        assert!(image_url("https://example.com/a.png").is_some());
        assert!(image_url("data:image/png;base64,AAAA").is_some());
        assert!(image_url("data:image/svg+xml,<svg onload=alert(1)>").is_none());
        assert!(image_url("javascript:alert(1)").is_none());
        assert!(image_url("https://example.com/a\".png").is_none());
        assert!(image_url("https://example.com/a b.png").is_none());
    }
}
