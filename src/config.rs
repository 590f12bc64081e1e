//! Widget configuration: the fields, how raw values from each layer are
//! validated, and how layers merge.
//!
//! Pure logic: compiles natively and is unit-tested with `cargo test`. The
//! browser side only turns `init({...})`, `data-*` attributes and the script's
//! query string into [`RawLayer`]s.

use crate::appearance::{
    css_color, derived_accent, header_background, image_url, matched_prefix, text_on, ResolveColor, Rgb, INK, WHITE,
};
use crate::i18n::Locale;
use crate::protocol::{MAX_EXTRA_BYTES, MAX_FIELD_CHARS, MAX_URL_CHARS};
use crate::text::char_count;

/// A value as it arrives from one layer, before validation. Attributes and
/// query strings only ever give text; `init({...})` may give real types.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    Text(String),
    Number(f64),
    Bool(bool),
    /// `null` from `init()`/`identify()`: the same as not giving the field
    /// (except `identify({externalUserId: null})`, which means logout).
    Null,
    /// Anything else (an object, a function): never valid for a field.
    Other,
}

/// One configuration layer: field name (camelCase, as in `init`) and value.
pub type RawLayer = Vec<(String, Raw)>;

/// Where the launcher sits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    BottomRight,
    BottomLeft,
    TopRight,
    TopLeft,
}

impl Position {
    /// Codes as configured, in the order of [`Position::ALL`].
    const CODES: [&'static str; 4] = ["br", "bl", "tr", "tl"];
    const ALL: [Self; 4] = [Self::BottomRight, Self::BottomLeft, Self::TopRight, Self::TopLeft];

    /// The short code, used as a CSS class on the shadow root's container.
    pub fn code(self) -> &'static str {
        Self::CODES[self as usize]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Theme {
    Light,
    Dark,
    /// Follows `prefers-color-scheme`.
    Auto,
}

impl Theme {
    const CODES: [&'static str; 3] = ["light", "dark", "auto"];
    const ALL: [Self; 3] = [Self::Light, Self::Dark, Self::Auto];

    pub fn code(self) -> &'static str {
        Self::CODES[self as usize]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ButtonShape {
    Circle,
    /// Rounded rectangle with the label beside the icon.
    Pill,
}

impl ButtonShape {
    const CODES: [&'static str; 2] = ["circle", "pill"];
    const ALL: [Self; 2] = [Self::Circle, Self::Pill];
}

/// When the launcher shows (`showLauncher()`/`hideLauncher()` override it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Launcher {
    Visible,
    Hidden,
    /// Only once this visitor has a conversation.
    WhenConversation,
}

impl Launcher {
    const CODES: [&'static str; 3] = ["visible", "hidden", "whenConversation"];
    const ALL: [Self; 3] = [Self::Visible, Self::Hidden, Self::WhenConversation];
}

/// What the widget does to bring the visitor back to the chat.
#[derive(Clone, Debug, PartialEq)]
pub struct Engage {
    pub launcher: Launcher,
    /// The panel's open state and the draft come back on the next page of
    /// the tab.
    pub keep_open: bool,
    /// A chime for an agent message the visitor is not looking at.
    pub sound: bool,
    /// The tab's title counts unread messages while the tab is hidden.
    pub title_flash: bool,
    /// The latest unread agent message beside the closed launcher.
    pub preview: bool,
}

/// A custom launcher icon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Icon {
    /// Inline SVG markup; the UI parses it and keeps only safe elements.
    Svg(String),
    /// An image URL (http, https or a raster `data:image/`).
    Image(String),
}

/// The visitor's display fields, passed to the server and shown to agents.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Profile {
    pub nickname: Option<String>,
    pub avatar: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Compact JSON text of an object (the browser side validates it).
    pub extra: Option<String>,
}

/// How the widget looks. Every value here is already validated, so the UI
/// can put it into CSS custom properties as it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Look {
    /// CSS colors of the brand gradient.
    pub primary: String,
    pub accent: String,
    /// Text color on the brand color: white, or dark ink when white would
    /// fail WCAG AA.
    pub on_primary: Rgb,
    /// Keyboard focus ring on the light panel: the brand color when it has
    /// 3:1 against white, else dark ink (dark themes use a fixed light ring).
    pub ring: String,
    pub offset_x: i64,
    pub offset_y: i64,
    pub panel_width: i64,
    pub panel_height: i64,
    pub panel_radius: i64,
    pub button_size: i64,
    pub button_shape: ButtonShape,
    pub button_label: Option<String>,
    pub button_icon: Option<Icon>,
    pub header_title: Option<String>,
    pub header_subtitle: Option<String>,
    /// A CSS `background` value.
    pub header_background: Option<String>,
    /// An image URL.
    pub background_image: Option<String>,
}

/// The validated configuration of one widget instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub app_key: String,
    /// Backend base URL; `None` means the script's own origin.
    pub api_base: Option<String>,
    /// WebSocket base URL; `None` means derived from the API base.
    pub ws_base: Option<String>,
    pub external_user_id: Option<String>,
    /// HMAC of the external user id, for sites that verify identity.
    pub user_hash: Option<String>,
    /// A JWT from the site's backend proving the external user id.
    pub identity_token: Option<String>,
    /// A standalone link's `{u, nick, t, s}` as JSON text: the session uses
    /// the link entry (`X-CS-Entry: link`) instead of the origin allowlist.
    pub link: Option<String>,
    pub profile: Profile,
    /// From `init`, `data-locale` or the query string; the rest of the
    /// locale chain is resolved at mount (see `i18n::resolve`).
    pub locale: Option<Locale>,
    pub theme: Theme,
    pub position: Position,
    pub default_open: bool,
    pub z_index: i64,
    pub mock: bool,
    /// Whether the browser fingerprint identity layer may be computed.
    pub fingerprint: bool,
    pub look: Look,
    pub engage: Engage,
}

pub const DEFAULT_Z_INDEX: i64 = 2_147_483_000;
pub const DEFAULT_PRIMARY: &str = "#4338ca";

/// What went wrong with the configuration. Problems are reported to the
/// console with the `[Natter]` prefix; only a missing app key is fatal.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    MissingAppKey,
    /// A field was given a value it cannot take; the value is ignored.
    Invalid {
        field: &'static str,
        reason: &'static str,
    },
    /// A field Natter does not know; it is ignored.
    Unknown {
        field: String,
    },
    /// White text on the brand color fails WCAG AA; dark text is used.
    LowContrast {
        color: String,
    },
}

impl Problem {
    pub fn message(&self) -> String {
        match self {
            Self::MissingAppKey => {
                "missing app key: add data-app-key=\"...\" to the script tag or pass appKey to init()".to_string()
            }
            Self::Invalid { field, reason } => ["ignored ", field, ": ", reason].concat(),
            Self::Unknown { field } => ["ignored unknown config field ", field].concat(),
            Self::LowContrast { color } => {
                ["primaryColor ", color, ": white text on the brand gradient fails WCAG AA contrast; pick a darker color (or set primaryColorAccent)"].concat()
            }
        }
    }
}

/// Every field name `Config` reads. Names that are not here are reported as
/// unknown. (`onReady`-style callbacks are taken out by the browser side.)
const FIELDS: &[&str] = &[
    "appKey",
    "apiBase",
    "wsBase",
    "externalUserId",
    "userHash",
    "identityToken",
    "link",
    "nickname",
    "avatar",
    "email",
    "phone",
    "extra",
    "locale",
    "theme",
    "position",
    "defaultOpen",
    "zIndex",
    "mock",
    "fingerprint",
    "primaryColor",
    "primaryColorAccent",
    "offsetX",
    "offsetY",
    "panelWidth",
    "panelHeight",
    "panelRadius",
    "buttonSize",
    "buttonShape",
    "buttonLabel",
    "buttonIcon",
    "headerTitle",
    "headerSubtitle",
    "headerBackground",
    "backgroundImage",
    "launcher",
    "keepOpen",
    "sound",
    "titleFlash",
    "preview",
];

/// Merges layers, highest priority first, then `lowest`, into a validated
/// config. Returns the config (when an app key is present) and every problem
/// found. `lowest` is borrowed apart so callers need not clone the layers to
/// add one (the remote appearance, the app key of a probe).
///
/// `resolve_color` is the browser's reading of a color (the pure code keeps
/// no list of 148 names, nor an `hsl()` converter).
pub fn merge(
    layers: &[RawLayer],
    lowest: &[(String, Raw)],
    resolve_color: ResolveColor,
) -> (Option<Config>, Vec<Problem>) {
    let mut f = Fields::new(layers, lowest, FIELDS, resolve_color);

    let app_key = f.text("appKey", &Kind::Text(128));
    let api_base = f.text("apiBase", &Kind::Url(&["https://", "http://"], "expected an http(s) URL"));
    let ws_base = f.text("wsBase", &Kind::Url(&["wss://", "ws://"], "expected a ws:// or wss:// URL"));
    let external_user_id = f.text("externalUserId", &Kind::Text(MAX_FIELD_CHARS));
    let user_hash = f.text("userHash", &Kind::UserHash);
    let identity_token = f.text("identityToken", &Kind::Jwt);
    let link = f.text("link", &Kind::Json);
    let profile = f.profile();
    let locale = f.int("locale", &Kind::Locale).map(|i| Locale::ALL[i]);
    let theme = Theme::ALL[f.choice("theme", &Kind::Choice(&Theme::CODES, "expected light, dark or auto"))];
    let position = Position::ALL[f.choice("position", &Kind::Choice(&Position::CODES, "expected br, bl, tr or tl"))];
    let default_open = f.flag("defaultOpen", false);
    let mock = f.flag("mock", false);
    let fingerprint = f.flag("fingerprint", true);
    let z_index = f.number("zIndex", 0, 2_147_483_647, DEFAULT_Z_INDEX);

    let primary = f.text("primaryColor", &Kind::Color).unwrap_or_else(|| DEFAULT_PRIMARY.to_string());
    // Every color that passed has channels, so any can be brightened and
    // checked.
    let primary_rgb = resolve_color(&primary);
    let accent = f
        .text("primaryColorAccent", &Kind::Color)
        .unwrap_or_else(|| primary_rgb.map_or_else(|| primary.clone(), |rgb| derived_accent(rgb).css()));
    let (on_primary, low_contrast) = text_on(&[primary_rgb, resolve_color(&accent)]);
    if low_contrast {
        f.problems.push(Problem::LowContrast { color: primary.clone() });
    }
    let ring = match primary_rgb {
        Some(rgb) if rgb.contrast(WHITE) >= 3.0 => primary.clone(),
        _ => INK.css(),
    };
    let look = Look {
        primary,
        accent,
        on_primary,
        ring,
        offset_x: f.number("offsetX", 0, 200, 24),
        offset_y: f.number("offsetY", 0, 200, 24),
        panel_width: f.number("panelWidth", 280, 720, 380),
        panel_height: f.number("panelHeight", 360, 900, 580),
        panel_radius: f.number("panelRadius", 0, 32, 16),
        button_size: f.number("buttonSize", 40, 96, 56),
        button_shape: ButtonShape::ALL
            [f.choice("buttonShape", &Kind::Choice(&ButtonShape::CODES, "expected circle or pill"))],
        button_label: f.text("buttonLabel", &Kind::Text(40)),
        button_icon: f.text("buttonIcon", &Kind::Icon).map(|s| {
            if s.starts_with("<svg") {
                Icon::Svg(s)
            } else {
                Icon::Image(s)
            }
        }),
        header_title: f.text("headerTitle", &Kind::Text(80)),
        header_subtitle: f.text("headerSubtitle", &Kind::Text(160)),
        header_background: f.text("headerBackground", &Kind::Background),
        background_image: f.text("backgroundImage", &Kind::Image),
    };

    let engage = Engage {
        launcher: Launcher::ALL
            [f.choice("launcher", &Kind::Choice(&Launcher::CODES, "expected visible, hidden or whenConversation"))],
        keep_open: f.flag("keepOpen", true),
        sound: f.flag("sound", true),
        title_flash: f.flag("titleFlash", true),
        preview: f.flag("preview", true),
    };

    let mut problems = f.problems;
    let config = match app_key {
        Some(app_key) => Some(Config {
            app_key,
            api_base,
            ws_base,
            external_user_id,
            user_hash,
            identity_token,
            link,
            profile,
            locale,
            theme,
            position,
            default_open,
            z_index,
            mock,
            fingerprint,
            look,
            engage,
        }),
        None => {
            problems.push(Problem::MissingAppKey);
            None
        }
    };
    (config, problems)
}

const EXPECTED_IMAGE: &str = "expected an http(s) or data:image URL";
const EXPECTED_ICON: &str = "expected inline <svg> markup or an image URL";

/// How a field's value is checked. One `match` over these in [`Kind::check`]
/// is much smaller in the wasm than a closure per field.
enum Kind {
    /// Non-empty text of at most this many characters.
    Text(usize),
    /// A URL with one of these schemes (any case); trailing slashes dropped.
    Url(&'static [&'static str], &'static str),
    /// 64 hex digits, lowercased.
    UserHash,
    Jwt,
    /// JSON text of an object (the browser side compacts it), at most
    /// [`MAX_EXTRA_BYTES`]: `extra`, and a link, which is much smaller.
    Json,
    Email,
    Phone,
    /// An image URL (see [`image_url`]).
    Image,
    /// An image URL of at most [`MAX_URL_CHARS`], the server's limit.
    Avatar,
    /// A CSS color (see [`css_color`]).
    Color,
    /// A CSS `background` (see [`header_background`]).
    Background,
    /// Inline SVG markup or an image URL.
    Icon,
    /// A [`Locale`], as its index in `Locale::ALL`.
    Locale,
    /// One of these codes, as its index.
    Choice(&'static [&'static str], &'static str),
    /// See [`boolean`]: 1 or 0.
    Flag,
    /// A whole number clamped into `min..=max`.
    Number(i32, i32),
}

/// A valid value: text, or a number (an index for codes, 0/1 for flags).
enum Value {
    Text(String),
    Int(usize),
}

impl Kind {
    fn check(&self, raw: &Raw, resolve_color: ResolveColor) -> Result<Value, &'static str> {
        // Every text check below fails on "" with the same reason as on a
        // value that is not text, so the two need no separate arms.
        let s = match raw {
            Raw::Text(s) => s.trim(),
            _ => "",
        };
        let keep = |valid: bool| valid.then(|| s.to_string());
        let (text, reason) = match *self {
            Kind::Text(max) => {
                if !s.is_empty() && char_count(s) > max {
                    return Err("too long");
                }
                (keep(!s.is_empty()), "expected a non-empty string")
            }
            Kind::Url(schemes, reason) => {
                let valid = matched_prefix(s, schemes).is_some_and(|scheme| s.len() > scheme);
                (valid.then(|| trim_end_slashes(s).to_string()), reason)
            }
            Kind::UserHash => {
                let valid = s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
                (valid.then(|| s.to_ascii_lowercase()), "expected 64 hex digits")
            }
            Kind::Jwt => {
                let dots = s.bytes().filter(|&b| b == b'.').count();
                (keep(s.len() <= 4096 && dots == 2 && !has_whitespace(s)), "expected a JWT")
            }
            Kind::Json => {
                (keep(s.starts_with("{") && s.len() <= MAX_EXTRA_BYTES), "expected a JSON object of at most 8 KB")
            }
            Kind::Email => {
                let valid = s.bytes().any(|b| b == b'@') && char_count(s) <= MAX_FIELD_CHARS && !has_whitespace(s);
                (keep(valid), "expected an email address")
            }
            Kind::Phone => {
                // ASCII only: bytes are characters.
                let valid = s.len() <= MAX_FIELD_CHARS
                    && s.bytes().any(|b| b.is_ascii_digit())
                    // A `matches!`: `[u8]::contains` is a 367-byte generic search.
                    && s.bytes().all(|b| b.is_ascii_digit() || matches!(b, b' ' | b'+' | b'-' | b'(' | b')' | b'.'));
                (keep(valid), "expected a phone number")
            }
            Kind::Avatar if char_count(s) > MAX_URL_CHARS => return Err("too long"),
            Kind::Image | Kind::Avatar => (image_url(s), EXPECTED_IMAGE),
            Kind::Color => (css_color(s, resolve_color).map(|(color, _)| color), "expected a CSS color"),
            Kind::Background => (header_background(s, resolve_color), "expected a color, a gradient or an image URL"),
            Kind::Icon if s.starts_with("<svg") => {
                if s.len() > 16 * 1024 {
                    return Err("inline SVG over 16 KB");
                }
                (keep(true), EXPECTED_ICON)
            }
            Kind::Icon => (image_url(s), EXPECTED_ICON),
            Kind::Locale => return Locale::parse(s).map(|l| Value::Int(l as usize)).ok_or("expected zh-CN or en-US"),
            Kind::Choice(codes, reason) => return codes.iter().position(|c| *c == s).map(Value::Int).ok_or(reason),
            // Booleans: real ones from init(); from attributes, a
            // present-but-empty attribute (`data-default-open`) means true,
            // as in HTML.
            Kind::Flag => {
                let flag = match (raw, s) {
                    (Raw::Bool(b), _) => *b,
                    (Raw::Text(_), "" | "true" | "1") => true,
                    (Raw::Text(_), "false" | "0") => false,
                    _ => return Err("expected true or false"),
                };
                return Ok(Value::Int(flag.into()));
            }
            // Numbers are whole pixels or indices (so never negative once
            // clamped). Text is rounded and clamped like a number (see
            // `digits::parse_number`).
            Kind::Number(min, max) => {
                let n = match raw {
                    Raw::Number(n) if n.is_finite() => n.round() as i64,
                    Raw::Text(_) => crate::digits::parse_number(s).ok_or("expected a number")?,
                    _ => return Err("expected a number"),
                };
                return Ok(Value::Int(n.clamp(min.into(), max.into()) as usize));
            }
        };
        text.map(Value::Text).ok_or(reason)
    }
}

/// Reads fields from the layers, collecting problems.
struct Fields<'a> {
    layers: &'a [RawLayer],
    lowest: &'a [(String, Raw)],
    problems: Vec<Problem>,
    resolve_color: ResolveColor,
}

impl<'a> Fields<'a> {
    /// Starts with a problem for every field name not in `known`.
    fn new(layers: &'a [RawLayer], lowest: &'a [(String, Raw)], known: &[&str], resolve_color: ResolveColor) -> Self {
        let mut f = Self { layers, lowest, problems: Vec::new(), resolve_color };
        for (name, _) in f.pairs() {
            if !known.contains(&name.as_str()) {
                f.problems.push(Problem::Unknown { field: name.clone() });
            }
        }
        f
    }

    /// Every (field, value) pair, highest priority first.
    fn pairs(&self) -> impl Iterator<Item = &'a (String, Raw)> {
        self.layers.iter().flatten().chain(self.lowest)
    }

    /// The value of `field` from the highest layer where it is valid, so a
    /// bad value in init() does not hide a good one from data-*. Every
    /// invalid value met on the way is reported.
    fn value(&mut self, field: &'static str, kind: &Kind) -> Option<Value> {
        for (name, raw) in self.pairs() {
            if name != field || *raw == Raw::Null {
                continue;
            }
            match kind.check(raw, self.resolve_color) {
                Ok(value) => return Some(value),
                Err(reason) => self.problems.push(Problem::Invalid { field, reason }),
            }
        }
        None
    }

    fn text(&mut self, field: &'static str, kind: &Kind) -> Option<String> {
        match self.value(field, kind)? {
            Value::Text(s) => Some(s),
            Value::Int(_) => None,
        }
    }

    fn int(&mut self, field: &'static str, kind: &Kind) -> Option<usize> {
        match self.value(field, kind)? {
            Value::Int(n) => Some(n),
            Value::Text(_) => None,
        }
    }

    /// The index of the given code; the first code is the default.
    fn choice(&mut self, field: &'static str, kind: &Kind) -> usize {
        self.int(field, kind).unwrap_or(0)
    }

    fn flag(&mut self, field: &'static str, default: bool) -> bool {
        self.int(field, &Kind::Flag).map_or(default, |n| n != 0)
    }

    fn number(&mut self, field: &'static str, min: i32, max: i32, default: i64) -> i64 {
        self.int(field, &Kind::Number(min, max)).map_or(default, |n| n as i64)
    }

    fn profile(&mut self) -> Profile {
        Profile {
            nickname: self.text("nickname", &Kind::Text(MAX_FIELD_CHARS)),
            avatar: self.text("avatar", &Kind::Avatar),
            email: self.text("email", &Kind::Email),
            phone: self.text("phone", &Kind::Phone),
            extra: self.text("extra", &Kind::Json),
        }
    }
}

/// What `identify()` changes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IdentityUpdate {
    /// `None`: not given; `Some(None)`: logout (`externalUserId: null`);
    /// `Some(Some(id))`: this user is signed in.
    pub external_user_id: Option<Option<String>>,
    pub user_hash: Option<String>,
    pub identity_token: Option<String>,
    /// Only the fields given are `Some`.
    pub profile: Profile,
}

const IDENTIFY_FIELDS: &[&str] =
    &["externalUserId", "userHash", "identityToken", "nickname", "avatar", "email", "phone", "extra"];

/// Validates the object given to `identify()`.
pub fn identity(layer: &RawLayer) -> (IdentityUpdate, Vec<Problem>) {
    let logout = layer.iter().any(|(name, raw)| name == "externalUserId" && *raw == Raw::Null);
    // No color fields here, so no colors either.
    let mut f = Fields::new(&[], layer, IDENTIFY_FIELDS, |_| None);
    // A null id is skipped like any null, so logout reads nothing here.
    let external_user_id = f.text("externalUserId", &Kind::Text(MAX_FIELD_CHARS));
    let update = IdentityUpdate {
        external_user_id: if logout { Some(None) } else { external_user_id.map(Some) },
        user_hash: f.text("userHash", &Kind::UserHash),
        identity_token: f.text("identityToken", &Kind::Jwt),
        profile: f.profile(),
    };
    (update, f.problems)
}

/// `s` without trailing `/`. A byte loop: `trim_end_matches('/')` pulls in
/// core's char pattern machinery.
fn trim_end_slashes(s: &str) -> &str {
    let mut end = s.len();
    while end > 0 && s.as_bytes()[end - 1] == b'/' {
        end -= 1;
    }
    // `/` is ASCII, so `end` is always a char boundary.
    s.get(..end).unwrap_or(s)
}

fn has_whitespace(s: &str) -> bool {
    s.chars().any(char::is_whitespace)
}

/// `data-*` attribute name for a camelCase field: `zIndex` → `z-index`.
pub fn attribute_name(field: &str) -> String {
    let mut out = String::with_capacity(field.len() + 4);
    for c in field.chars() {
        if c.is_ascii_uppercase() {
            out.push('-');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// camelCase field for a `data-*` attribute name without its prefix:
/// `z-index` → `zIndex`.
pub fn field_name(attribute: &str) -> String {
    let mut out = String::with_capacity(attribute.len());
    let mut upper = false;
    for c in attribute.chars() {
        if c == '-' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(pairs: &[(&str, Raw)]) -> RawLayer {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }
    fn t(s: &str) -> Raw {
        Raw::Text(s.to_string())
    }
    fn merge(layers: &[RawLayer]) -> (Option<Config>, Vec<Problem>) {
        super::merge(layers, &[], crate::appearance::stand_in::resolve)
    }

    #[test]
    fn missing_app_key_is_the_only_fatal_problem() {
        let (config, problems) = merge(&[layer(&[("position", t("bl"))])]);
        assert_eq!(config, None);
        assert_eq!(problems, vec![Problem::MissingAppKey]);
        assert!(problems[0].message().contains("data-app-key"));
    }

    #[test]
    fn empty_app_key_counts_as_missing() {
        let (config, problems) = merge(&[layer(&[("appKey", t("  "))])]);
        assert_eq!(config, None);
        assert!(problems.contains(&Problem::MissingAppKey));
    }

    #[test]
    fn defaults_apply() {
        let (config, problems) = merge(&[layer(&[("appKey", t("sk_demo"))])]);
        assert!(problems.is_empty());
        let config = config.expect("config");
        assert_eq!(config.position, Position::BottomRight);
        assert_eq!(config.z_index, DEFAULT_Z_INDEX);
        assert!(!config.default_open);
        assert_eq!(config.api_base, None);
    }

    #[test]
    fn higher_layer_wins() {
        let init = layer(&[("position", t("tl")), ("defaultOpen", Raw::Bool(false))]);
        let data = layer(&[("appKey", t("sk_a")), ("position", t("bl")), ("defaultOpen", t(""))]);
        let (config, _) = merge(&[init, data]);
        let config = config.expect("config");
        assert_eq!(config.app_key, "sk_a");
        assert_eq!(config.position, Position::TopLeft);
        assert!(!config.default_open);
    }

    #[test]
    fn invalid_value_falls_through_to_lower_layer_with_a_warning() {
        let init = layer(&[("position", t("middle"))]);
        let data = layer(&[("appKey", t("k")), ("position", t("tr"))]);
        let (config, problems) = merge(&[init, data]);
        assert_eq!(config.expect("config").position, Position::TopRight);
        assert_eq!(problems, vec![Problem::Invalid { field: "position", reason: "expected br, bl, tr or tl" }]);
    }

    #[test]
    fn unknown_fields_are_reported() {
        let (_, problems) = merge(&[layer(&[("appKey", t("k")), ("colour", t("red"))])]);
        assert_eq!(problems, vec![Problem::Unknown { field: "colour".into() }]);
    }

    #[test]
    fn api_base_must_be_http_and_loses_trailing_slash() {
        let (config, problems) = merge(&[layer(&[("appKey", t("k")), ("apiBase", t("javascript:alert(1)"))])]);
        assert_eq!(config.expect("config").api_base, None);
        assert_eq!(problems.len(), 1);
        let (config, _) = merge(&[layer(&[("appKey", t("k")), ("apiBase", t("https://api.example.com/"))])]);
        assert_eq!(config.expect("config").api_base.as_deref(), Some("https://api.example.com"));
    }

    #[test]
    fn z_index_is_clamped_and_parsed_from_text() {
        let (config, _) = merge(&[layer(&[("appKey", t("k")), ("zIndex", t("99999999999"))])]);
        assert_eq!(config.expect("config").z_index, 2_147_483_647);
        let (config, _) = merge(&[layer(&[("appKey", t("k")), ("zIndex", Raw::Number(-5.0))])]);
        assert_eq!(config.expect("config").z_index, 0);
        let (config, problems) = merge(&[layer(&[("appKey", t("k")), ("zIndex", t("high"))])]);
        assert_eq!(config.expect("config").z_index, DEFAULT_Z_INDEX);
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn appearance_numbers_are_clamped() {
        let (config, problems) = merge(&[layer(&[
            ("appKey", t("k")),
            ("panelWidth", Raw::Number(5000.0)),
            ("panelHeight", t("100")),
            ("buttonSize", Raw::Number(60.4)),
            ("offsetX", t("-3")),
        ])]);
        let look = config.expect("config").look;
        assert_eq!((look.panel_width, look.panel_height, look.button_size, look.offset_x), (720, 360, 60, 0));
        assert_eq!((look.offset_y, look.panel_radius), (24, 16));
        assert!(problems.is_empty());
    }

    #[test]
    fn accent_is_derived_and_light_brand_colors_get_dark_text() {
        let (config, problems) = merge(&[layer(&[("appKey", t("k")), ("primaryColor", t("#facc15"))])]);
        let look = config.expect("config").look;
        assert_eq!(look.accent, Rgb::parse("#facc15").map(Rgb::brighter).map(Rgb::css).expect("rgb"));
        assert_eq!(look.on_primary, crate::appearance::INK);
        assert_eq!(look.ring, INK.css());
        assert_eq!(problems, vec![Problem::LowContrast { color: "#facc15".into() }]);
        // Named and functional colors are kept as they are, their accent
        // and contrast come from the browser's channels.
        let (config, problems) = merge(&[layer(&[("appKey", t("k")), ("primaryColor", t("rebeccapurple"))])]);
        let look = config.expect("config").look;
        assert_eq!(look.primary, "rebeccapurple");
        assert_eq!(look.accent, derived_accent(Rgb(102, 51, 153)).css());
        assert!(problems.is_empty());
        for light in ["white", "yellow", "hsl(60 100% 95%)"] {
            let (config, problems) = merge(&[layer(&[("appKey", t("k")), ("primaryColor", t(light))])]);
            assert_eq!(config.expect("config").look.on_primary, INK, "{light}");
            assert_eq!(problems, vec![Problem::LowContrast { color: light.into() }]);
        }
        for invalid in ["rgb(a)", "inherit", "unset"] {
            let (config, problems) = merge(&[layer(&[("appKey", t("k")), ("primaryColor", t(invalid))])]);
            assert_eq!(config.expect("config").look.primary, DEFAULT_PRIMARY, "{invalid}");
            assert_eq!(problems, vec![Problem::Invalid { field: "primaryColor", reason: "expected a CSS color" }]);
        }
        let (config, problems) = merge(&[layer(&[("appKey", t("k")), ("primaryColor", t("notacolor"))])]);
        assert_eq!(config.expect("config").look.primary, DEFAULT_PRIMARY);
        assert_eq!(problems.len(), 1);
    }

    #[test]
    fn hostile_values_are_ignored_with_a_warning_naming_the_field() {
        let (config, problems) = merge(&[layer(&[
            ("appKey", t("k")),
            ("buttonIcon", t("javascript:alert(1)")),
            ("backgroundImage", t("javascript:alert(1)")),
            ("headerBackground", t("red;}*{display:none")),
            ("avatar", t("data:image/svg+xml,<svg onload=alert(1)>")),
        ])]);
        let look = config.expect("config").look;
        assert_eq!((look.button_icon, look.background_image, look.header_background), (None, None, None));
        let fields: Vec<_> = problems
            .iter()
            .map(|p| match p {
                Problem::Invalid { field, .. } => *field,
                _ => "?",
            })
            .collect();
        assert_eq!(fields, vec!["avatar", "buttonIcon", "headerBackground", "backgroundImage"]);
    }

    #[test]
    fn icons_labels_and_enums() {
        let (config, _) = merge(&[layer(&[
            ("appKey", t("k")),
            ("buttonIcon", t("<svg viewBox=\"0 0 1 1\"></svg>")),
            ("buttonShape", t("pill")),
            ("buttonLabel", t("Chat with us")),
            ("theme", t("auto")),
            ("locale", t("zh-CN")),
        ])]);
        let config = config.expect("config");
        assert!(matches!(config.look.button_icon, Some(Icon::Svg(_))));
        assert_eq!(config.look.button_shape, ButtonShape::Pill);
        assert_eq!(config.theme, Theme::Auto);
        assert_eq!(config.locale, Some(Locale::ZhCn));
        let (_, problems) = merge(&[layer(&[("appKey", t("k")), ("buttonLabel", t(&"x".repeat(41)))])]);
        assert_eq!(problems, vec![Problem::Invalid { field: "buttonLabel", reason: "too long" }]);
    }

    #[test]
    fn identify_login_logout_and_bad_fields() {
        let (update, problems) = identity(&layer(&[("externalUserId", t("u_42")), ("nickname", t("Alex"))]));
        assert_eq!(update.external_user_id, Some(Some("u_42".into())));
        assert_eq!(update.profile.nickname.as_deref(), Some("Alex"));
        assert!(problems.is_empty());
        let (update, _) = identity(&layer(&[("externalUserId", Raw::Null)]));
        assert_eq!(update.external_user_id, Some(None));
        let (update, problems) = identity(&layer(&[("email", t("not an email")), ("position", t("bl"))]));
        assert_eq!(update, IdentityUpdate::default());
        assert_eq!(problems.len(), 2);
        // null in init() is the same as leaving the field out
        let (config, problems) = merge(&[layer(&[("appKey", t("k")), ("externalUserId", Raw::Null)])]);
        assert_eq!(config.expect("config").external_user_id, None);
        assert!(problems.is_empty());
    }

    /// Every profile limit is the server's (`protocol`), in the same unit:
    /// the largest value passes, one character (or byte) more is refused.
    #[test]
    fn profile_limits_are_the_servers_at_the_boundary() {
        let passes = |field: &str, value: String| {
            let (update, problems) = identity(&layer(&[(field, t(&value))]));
            assert_eq!(update == IdentityUpdate::default(), !problems.is_empty(), "{field}");
            problems.is_empty()
        };
        // Characters, not bytes: `é` is two bytes.
        let chars = |n: usize| "\u{e9}".repeat(n);
        for field in ["externalUserId", "nickname"] {
            assert!(passes(field, chars(MAX_FIELD_CHARS)), "{field}");
            assert!(!passes(field, chars(MAX_FIELD_CHARS + 1)), "{field}");
        }
        let email = |n: usize| [&chars(n - 2), "@x"].concat();
        assert!(passes("email", email(MAX_FIELD_CHARS)));
        assert!(!passes("email", email(MAX_FIELD_CHARS + 1)));
        let phone = |n: usize| "1".repeat(n);
        assert!(passes("phone", phone(MAX_FIELD_CHARS)));
        assert!(!passes("phone", phone(MAX_FIELD_CHARS + 1)));
        let avatar = |n: usize| ["https://a.example/", &"a".repeat(n - 18)].concat();
        assert!(passes("avatar", avatar(MAX_URL_CHARS)));
        for n in [MAX_URL_CHARS + 1, 4096] {
            assert!(!passes("avatar", avatar(n)), "{n}");
        }
        // `extra` counts bytes of its compact JSON, as the server does.
        let extra = |n: usize| [r#"{"a":""#, &"x".repeat(n - 8), r#""}"#].concat();
        assert!(passes("extra", extra(MAX_EXTRA_BYTES)));
        assert!(!passes("extra", extra(MAX_EXTRA_BYTES + 1)));
    }

    /// A link's `{u, nick, t, s}` is far smaller than `extra`'s limit, which
    /// bounds it too.
    #[test]
    fn a_link_is_a_json_object_of_at_most_8_kb() {
        let link = |n: usize| [r#"{"u":""#, &"x".repeat(n - 8), r#""}"#].concat();
        let merged = |n: usize| merge(&[layer(&[("appKey", t("k")), ("link", t(&link(n)))])]);
        let (config, problems) = merged(MAX_EXTRA_BYTES);
        assert_eq!((config.expect("config").link, problems), (Some(link(MAX_EXTRA_BYTES)), vec![]));
        let (config, problems) = merged(MAX_EXTRA_BYTES + 1);
        assert_eq!(config.expect("config").link, None);
        assert!(matches!(problems[..], [Problem::Invalid { field: "link", .. }]), "{problems:?}");
    }

    #[test]
    fn engagement_fields_default_on_and_take_every_layer() {
        let (config, problems) = merge(&[layer(&[("appKey", t("k"))])]);
        let engage = config.expect("config").engage;
        assert_eq!(
            engage,
            Engage { launcher: Launcher::Visible, keep_open: true, sound: true, title_flash: true, preview: true }
        );
        assert!(problems.is_empty());
        // init() booleans, data-* text (an empty attribute is true), remote
        // appearance lowest.
        let init = layer(&[("launcher", t("whenConversation")), ("sound", Raw::Bool(false))]);
        let data = layer(&[("appKey", t("k")), ("keepOpen", t("false")), ("titleFlash", t("0")), ("preview", t(""))]);
        let remote = layer(&[("launcher", t("hidden")), ("preview", Raw::Bool(false))]);
        let (config, problems) = super::merge(&[init, data], &remote, crate::appearance::stand_in::resolve);
        let engage = config.expect("config").engage;
        assert_eq!(
            engage,
            Engage {
                launcher: Launcher::WhenConversation,
                keep_open: false,
                sound: false,
                title_flash: false,
                preview: true
            }
        );
        assert!(problems.is_empty());
    }

    #[test]
    fn bad_engagement_values_are_warned_once_each() {
        let (config, problems) = merge(&[layer(&[
            ("appKey", t("k")),
            ("launcher", t("sometimes")),
            ("keepOpen", t("yes")),
            ("sound", Raw::Number(1.0)),
            ("titleFlash", Raw::Other),
            ("preview", t("no")),
        ])]);
        assert_eq!(config.expect("config").engage.launcher, Launcher::Visible);
        let expected = |field| Problem::Invalid { field, reason: "expected true or false" };
        assert_eq!(
            problems,
            vec![
                Problem::Invalid { field: "launcher", reason: "expected visible, hidden or whenConversation" },
                expected("keepOpen"),
                expected("sound"),
                expected("titleFlash"),
                expected("preview"),
            ]
        );
    }

    #[test]
    fn trailing_slashes_are_trimmed_as_std_does() {
        for s in ["", "/", "///", "https://a.example/", "https://a.example//", "https://a.example/x", "é/"] {
            assert_eq!(trim_end_slashes(s), s.trim_end_matches('/'));
        }
    }

    #[test]
    fn attribute_names_round_trip() {
        for field in ["appKey", "apiBase", "zIndex", "defaultOpen", "externalUserId", "mock"] {
            assert_eq!(field_name(&attribute_name(field)), field);
        }
        assert_eq!(attribute_name("externalUserId"), "external-user-id");
    }
}
