//! Reads configuration from the page: the script tag's `data-*` attributes,
//! its `src` query string, and objects passed to `init()`/`identify()`.

use js_sys::{Function, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::HtmlScriptElement;

use crate::config::{Raw, RawLayer};
use crate::events;
use crate::js::{get, get_string};

/// What the loader's script tag says, read once at boot.
#[derive(Default)]
pub struct ScriptTag {
    /// `data-*` attributes, then the query string: the two layers below
    /// `init()`, highest first.
    pub layers: Vec<RawLayer>,
    /// `data-defer-init`: wait for an explicit `init()`.
    pub defer_init: bool,
    /// Where the script came from: the default API base. Without a script
    /// tag (npm), the page's own origin.
    pub origin: String,
}

impl ScriptTag {
    pub fn read(script: Option<&HtmlScriptElement>) -> Self {
        // Read as properties: one web-sys binding each is an import each.
        let origin = |owner: &JsValue| get_string(owner, "origin");
        let page_origin = crate::js::window().and_then(|w| origin(&w.location())).unwrap_or_default();
        let Some(script) = script else { return Self { origin: page_origin, ..Self::default() } };
        // `dataset` is read like an init object: its values are all strings.
        let mut data = object_layer(&get(script, "dataset")).layer;
        // `data-defer-init` configures loading, not the widget.
        let defer_init = match data.iter().position(|(name, _)| name == "deferInit") {
            Some(i) => {
                data.remove(i);
                true
            }
            None => false,
        };
        let url = web_sys::Url::new(&get_string(script, "src").unwrap_or_default()).ok();
        // The browser's URLSearchParams decodes the query string (percent
        // escapes, `+`, UTF-8); read as an object, like `dataset`.
        let query = url.as_ref().and_then(|u| Object::from_entries(&get(u, "searchParams")).ok());
        let query = query.map_or_else(RawLayer::new, |q| object_layer(&q).layer);
        let origin = url.and_then(|u| origin(&u)).unwrap_or(page_origin);
        Self { layers: vec![data, query], defer_init, origin }
    }
}

/// The object given to `init()`: its fields, and the `onReady`-style
/// callbacks it carries (registered as event handlers).
#[derive(Default)]
pub struct InitObject {
    pub layer: RawLayer,
    pub handlers: Vec<(&'static str, Function)>,
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `Object.keys`, which throws for a Proxy whose traps throw: an error
    /// here, never an exception through the wasm.
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn own_keys(object: &Object) -> Result<js_sys::Array, JsValue>;
}

/// Turns an object from `init()` or `identify()` into a layer. Anything that
/// is not an object yields an empty layer; an object whose properties cannot
/// be listed (a hostile Proxy) too, with a warning.
pub fn object_layer(value: &JsValue) -> InitObject {
    let mut out = InitObject::default();
    if !value.is_object() {
        return out;
    }
    let object: &Object = value.unchecked_ref();
    let Ok(keys) = own_keys(object) else {
        crate::log::warn("ignored an object whose properties cannot be read");
        return out;
    };
    for key in keys.iter() {
        let (Some(name), Ok(value)) = (key.as_string(), Reflect::get(object, &key)) else { continue };
        match handler_event(&name) {
            Some(event) if value.is_function() => out.handlers.push((event, value.unchecked_into())),
            _ => {
                let raw = raw(&name, &value);
                out.layer.push((name, raw));
            }
        }
    }
    out
}

/// `onReady` → `ready`, for every known event.
fn handler_event(name: &str) -> Option<&'static str> {
    let rest = name.strip_prefix("on")?;
    let capitalized = rest.as_bytes().first().is_some_and(u8::is_ascii_uppercase);
    events::NAMES.iter().copied().find(|event| capitalized && rest.eq_ignore_ascii_case(event))
}

fn raw(name: &str, value: &JsValue) -> Raw {
    if value.is_null() {
        Raw::Null
    } else if is_json_field(name) {
        json_object_text(value)
    } else if let Some(s) = value.as_string() {
        Raw::Text(s)
    } else if let Some(n) = value.as_f64() {
        Raw::Number(n)
    } else if let Some(b) = value.as_bool() {
        Raw::Bool(b)
    } else {
        Raw::Other
    }
}

/// `extra` (and a standalone page's `link`) arrive as an object (init) or
/// JSON text (data-extra, query, or a string in init).
fn is_json_field(name: &str) -> bool {
    name == "extra" || name == "link"
}

/// Compact JSON text of `value`, JSON text being parsed first; `Raw::Other`
/// when it cannot be serialized. Config accepts only text that starts with
/// `{`, which JSON of a plain object does and of anything else does not.
/// Lone surrogates become U+FFFD: the server takes only valid Unicode.
fn json_object_text(value: &JsValue) -> Raw {
    let parsed = match value.as_string() {
        Some(text) => JSON::parse(&text),
        None => Ok(value.clone()),
    };
    let json = parsed.and_then(|v| JSON::stringify(&v)).ok().and_then(|s| s.as_string());
    json.map_or(Raw::Other, |json| Raw::Text(crate::text::without_lone_surrogates(&json)))
}
