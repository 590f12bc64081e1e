//! Widget configuration: the fields, how raw values from each layer are
//! validated, and how layers merge.
//!
//! Pure logic: compiles natively and is unit-tested with `cargo test`. The
//! browser side only turns `init({...})`, `data-*` attributes and the script's
//! query string into [`RawLayer`]s.

/// A value as it arrives from one layer, before validation. Attributes and
/// query strings only ever give text; `init({...})` may give real types.
#[derive(Clone, Debug, PartialEq)]
pub enum Raw {
    Text(String),
    Number(f64),
    Bool(bool),
    /// Anything else (an object, a function): never valid for a field yet.
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
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "br" => Self::BottomRight,
            "bl" => Self::BottomLeft,
            "tr" => Self::TopRight,
            "tl" => Self::TopLeft,
            _ => return None,
        })
    }

    /// The short code, used as a CSS class on the shadow root's container.
    pub fn code(self) -> &'static str {
        match self {
            Self::BottomRight => "br",
            Self::BottomLeft => "bl",
            Self::TopRight => "tr",
            Self::TopLeft => "tl",
        }
    }
}

/// The validated configuration of one widget instance.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub app_key: String,
    /// Backend base URL; `None` means the script's own origin.
    pub api_base: Option<String>,
    pub position: Position,
    pub default_open: bool,
    pub z_index: i64,
    pub mock: bool,
}

pub const DEFAULT_Z_INDEX: i64 = 2_147_483_000;

/// What went wrong with the configuration. Problems are reported to the
/// console with the `[Natter]` prefix; only a missing app key is fatal.
#[derive(Clone, Debug, PartialEq)]
pub enum Problem {
    MissingAppKey,
    /// A field was given a value it cannot take; the value is ignored.
    Invalid { field: String, reason: &'static str },
    /// A field Natter does not know; it is ignored.
    Unknown { field: String },
}

impl Problem {
    pub fn message(&self) -> String {
        match self {
            Self::MissingAppKey => {
                "missing app key: add data-app-key=\"...\" to the script tag or pass appKey to init()"
                    .to_string()
            }
            Self::Invalid { field, reason } => format!("ignored {field}: {reason}"),
            Self::Unknown { field } => format!("ignored unknown config field {field}"),
        }
    }
}

/// Every field name `Config` reads. Names that are not here are reported as
/// unknown.
const FIELDS: &[&str] = &["appKey", "apiBase", "position", "defaultOpen", "zIndex", "mock"];

/// Merges layers, highest priority first, into a validated config. Returns
/// the config (when an app key is present) and every problem found.
pub fn merge(layers: &[RawLayer]) -> (Option<Config>, Vec<Problem>) {
    let mut problems = Vec::new();
    for layer in layers {
        for (name, _) in layer {
            if !FIELDS.contains(&name.as_str()) {
                problems.push(Problem::Unknown { field: name.clone() });
            }
        }
    }
    let app_key = pick(layers, "appKey", &mut problems, |r| {
        text(r).filter(|s| !s.is_empty()).map(str::to_string).ok_or("expected a non-empty string")
    });
    let api_base = pick(layers, "apiBase", &mut problems, |r| {
        text(r)
            .filter(|s| is_http_url(s))
            .map(|s| s.trim_end_matches('/').to_string())
            .ok_or("expected an http(s) URL")
    });
    let position = pick(layers, "position", &mut problems, |r| {
        text(r).and_then(Position::parse).ok_or("expected br, bl, tr or tl")
    })
    .unwrap_or(Position::BottomRight);
    let default_open =
        pick(layers, "defaultOpen", &mut problems, |r| boolean(r).ok_or(EXPECTED_BOOL)).unwrap_or(false);
    let mock = pick(layers, "mock", &mut problems, |r| boolean(r).ok_or(EXPECTED_BOOL)).unwrap_or(false);
    let z_index = pick(layers, "zIndex", &mut problems, |r| {
        number(r).map(|n| n.clamp(0.0, 2_147_483_647.0) as i64).ok_or("expected an integer")
    })
    .unwrap_or(DEFAULT_Z_INDEX);

    let config = match app_key {
        Some(app_key) => Some(Config { app_key, api_base, position, default_open, z_index, mock }),
        None => {
            problems.push(Problem::MissingAppKey);
            None
        }
    };
    (config, problems)
}

const EXPECTED_BOOL: &str = "expected true or false";

/// The value of `field` from the highest layer where it is valid, so a bad
/// value in init() does not hide a good one from data-*. Every invalid value
/// met on the way is reported.
fn pick<T>(
    layers: &[RawLayer],
    field: &str,
    problems: &mut Vec<Problem>,
    parse: impl Fn(&Raw) -> Result<T, &'static str>,
) -> Option<T> {
    for (_, raw) in layers.iter().flatten().filter(|(name, _)| name == field) {
        match parse(raw) {
            Ok(value) => return Some(value),
            Err(reason) => problems.push(Problem::Invalid { field: field.to_string(), reason }),
        }
    }
    None
}

fn text(raw: &Raw) -> Option<&str> {
    match raw {
        Raw::Text(s) => Some(s.trim()),
        _ => None,
    }
}

/// Booleans: real ones from init(); from attributes, a present-but-empty
/// attribute (`data-default-open`) means true, as in HTML.
fn boolean(raw: &Raw) -> Option<bool> {
    match raw {
        Raw::Bool(b) => Some(*b),
        Raw::Text(s) => match s.trim() {
            "" | "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        Raw::Number(_) | Raw::Other => None,
    }
}

/// Numeric fields are whole pixels or indices. Text is parsed as an integer
/// on purpose: float parsing would add about 13 KB of tables to the wasm.
fn number(raw: &Raw) -> Option<f64> {
    match raw {
        Raw::Number(n) => n.is_finite().then_some(*n),
        Raw::Text(s) => s.trim().parse::<i64>().ok().map(|n| n as f64),
        Raw::Bool(_) | Raw::Other => None,
    }
}

fn is_http_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")) && s.len() > "http://".len()
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

/// Fields from a script URL's query string (`widget.js?appKey=...&locale=en-US`),
/// percent-decoded, `+` as space. Pairs that are not valid UTF-8 are skipped.
pub fn query_layer(url: &str) -> RawLayer {
    let query = match url.split_once('?') {
        Some((_, rest)) => rest.split('#').next().unwrap_or(""),
        None => return Vec::new(),
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Some((percent_decode(key)?, Raw::Text(percent_decode(value)?)))
        })
        .collect()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `data-*` fields on the script tag that configure loading rather than the
/// widget (as `dataset` keys), so they are not reported as unknown fields.
pub const LOADER_FIELDS: &[&str] = &["deferInit"];

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(pairs: &[(&str, Raw)]) -> RawLayer {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }
    fn t(s: &str) -> Raw {
        Raw::Text(s.to_string())
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
        assert_eq!(problems, vec![Problem::Invalid { field: "position".into(), reason: "expected br, bl, tr or tl" }]);
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
    fn query_string_is_decoded() {
        let layer = query_layer("https://cdn.example.com/widget.js?appKey=sk_1&apiBase=https%3A%2F%2Fapi.example.com&nick=A+B#x");
        assert_eq!(
            layer,
            vec![
                ("appKey".to_string(), t("sk_1")),
                ("apiBase".to_string(), t("https://api.example.com")),
                ("nick".to_string(), t("A B")),
            ]
        );
        assert!(query_layer("https://cdn.example.com/widget.js").is_empty());
        // A truncated escape stays literal, as in URLSearchParams; invalid
        // UTF-8 drops only that pair.
        assert_eq!(
            query_layer("/w.js?a=%E4&b=%2&c=1"),
            vec![("b".to_string(), t("%2")), ("c".to_string(), t("1"))]
        );
    }

    #[test]
    fn attribute_names_round_trip() {
        for field in ["appKey", "apiBase", "zIndex", "defaultOpen", "externalUserId", "mock"] {
            assert_eq!(field_name(&attribute_name(field)), field);
        }
        assert_eq!(attribute_name("externalUserId"), "external-user-id");
    }
}
