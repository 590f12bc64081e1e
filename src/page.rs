//! Reads configuration from the page: the script tag's `data-*` attributes,
//! its `src` query string, and objects passed to `init()`/`identify()`.

use js_sys::{Function, Object, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, HtmlScriptElement};

use crate::config::{query_layer, Raw, RawLayer, LOADER_FIELDS};
use crate::events;

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
        let page_origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
        let Some(script) = script else { return Self { origin: page_origin, ..Self::default() } };
        let dataset = script.unchecked_ref::<HtmlElement>().dataset();
        let mut data = RawLayer::new();
        let mut defer_init = false;
        for key in Object::keys(dataset.unchecked_ref::<Object>()).iter().filter_map(|k| k.as_string()) {
            if key == "deferInit" {
                defer_init = true;
            } else if !LOADER_FIELDS.contains(&key.as_str()) {
                let value = dataset.get(&key).unwrap_or_default();
                data.push((key, Raw::Text(value)));
            }
        }
        let mut layers = vec![data, query_layer(&script.src())];
        for layer in &mut layers {
            normalize_extra(layer);
        }
        let origin = web_sys::Url::new(&script.src()).map(|u| u.origin()).unwrap_or(page_origin);
        Self { layers, defer_init, origin }
    }
}

/// The object given to `init()`: its fields, and the `onReady`-style
/// callbacks it carries (registered as event handlers).
#[derive(Default)]
pub struct InitObject {
    pub layer: RawLayer,
    pub handlers: Vec<(String, Function)>,
}

/// Turns an object from `init()` or `identify()` into a layer. Anything that
/// is not an object yields an empty layer.
pub fn object_layer(value: &JsValue) -> InitObject {
    let mut out = InitObject::default();
    if !value.is_object() {
        return out;
    }
    let object: &Object = value.unchecked_ref();
    for key in Object::keys(object).iter() {
        let (Some(name), Ok(value)) = (key.as_string(), Reflect::get(object, &key)) else { continue };
        match (handler_event(&name), events::as_function(&value)) {
            (Some(event), Some(callback)) => out.handlers.push((event, callback)),
            _ => {
                let raw = raw(&name, &value);
                out.layer.push((name, raw));
            }
        }
    }
    normalize_extra(&mut out.layer);
    out
}

/// `onReady` → `ready`, for every known event.
fn handler_event(name: &str) -> Option<String> {
    let rest = name.strip_prefix("on")?;
    let event = rest.to_ascii_lowercase();
    (rest.starts_with(|c: char| c.is_ascii_uppercase()) && events::NAMES.contains(&event.as_str())).then_some(event)
}

fn raw(name: &str, value: &JsValue) -> Raw {
    if let Some(s) = value.as_string() {
        Raw::Text(s)
    } else if let Some(n) = value.as_f64() {
        Raw::Number(n)
    } else if let Some(b) = value.as_bool() {
        Raw::Bool(b)
    } else if value.is_null() {
        Raw::Null
    } else if (name == "extra" || name == "link") && value.is_object() {
        // normalize_extra checks it is a plain object.
        JSON::stringify(value).ok().and_then(|s| s.as_string()).map(Raw::Text).unwrap_or(Raw::Other)
    } else {
        Raw::Other
    }
}

/// `extra` (and a standalone page's `link`) arrive as an object (init) or
/// JSON text (data-extra, query): either way they become compact JSON text
/// of a plain object, or `Raw::Other` when not one (reported as invalid).
fn normalize_extra(layer: &mut RawLayer) {
    for (_, value) in layer.iter_mut().filter(|(name, _)| name == "extra" || name == "link") {
        let Raw::Text(json) = value else { continue };
        let parsed = JSON::parse(json).ok().filter(|v| v.is_object() && !js_sys::Array::is_array(v));
        *value = match parsed.and_then(|v| JSON::stringify(&v).ok()).and_then(|s| s.as_string()) {
            Some(compact) => Raw::Text(compact),
            None => Raw::Other,
        };
    }
}
