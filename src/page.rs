//! Reads configuration from the page: the script tag's `data-*` attributes,
//! its `src` query string, and objects passed to `init()`.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, HtmlScriptElement};

use crate::config::{query_layer, Raw, RawLayer, LOADER_FIELDS};

/// What the loader's script tag says, read once at boot.
#[derive(Default)]
pub struct ScriptTag {
    /// `data-*` attributes, then the query string: the two layers below
    /// `init()`, highest first.
    pub layers: Vec<RawLayer>,
    /// `data-defer-init`: wait for an explicit `init()`.
    pub defer_init: bool,
}

impl ScriptTag {
    pub fn read(script: Option<&HtmlScriptElement>) -> Self {
        let Some(script) = script else { return Self::default() };
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
        Self { layers: vec![data, query_layer(&script.src())], defer_init }
    }
}

/// Turns the object given to `init()` into a layer. Anything that is not an
/// object yields an empty layer.
pub fn object_layer(value: &JsValue) -> RawLayer {
    if !value.is_object() {
        return RawLayer::new();
    }
    let object: &Object = value.unchecked_ref();
    Object::keys(object)
        .iter()
        .filter_map(|key| {
            let name = key.as_string()?;
            let value = Reflect::get(object, &key).ok()?;
            Some((name, raw(&value)))
        })
        .collect()
}

fn raw(value: &JsValue) -> Raw {
    if let Some(s) = value.as_string() {
        Raw::Text(s)
    } else if let Some(n) = value.as_f64() {
        Raw::Number(n)
    } else if let Some(b) = value.as_bool() {
        Raw::Bool(b)
    } else {
        Raw::Other
    }
}
