//! Small helpers for plain JS values: reading fields of parsed JSON and
//! building payload objects.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

// `web_sys::window()` probes four globals for the global object, then checks
// `instanceof Window`: a function and four imports for what one line says.
#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    fn page_window() -> Option<web_sys::Window>;
    /// The IANA time zone name (`Europe/Paris`), or `undefined` where `Intl`
    /// does not know it. A short script: `js_sys::Intl` reads it through
    /// three bindings.
    pub fn time_zone() -> JsValue;
}

/// The page's `window`; `None` off the main thread of a page.
pub fn window() -> Option<web_sys::Window> {
    page_window()
}

/// `object[key]`, or `undefined`.
pub fn get(object: &JsValue, key: &str) -> JsValue {
    if object.is_object() {
        Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    } else {
        JsValue::UNDEFINED
    }
}

pub fn get_string(object: &JsValue, key: &str) -> Option<String> {
    get(object, key).as_string()
}

/// Integers on the wire are JSON numbers below 2^53.
pub fn get_int(object: &JsValue, key: &str) -> Option<i64> {
    get(object, key).as_f64().filter(|n| n.fract() == 0.0).map(|n| n as i64)
}

/// `object[key] = value`, ignoring a throwing setter.
pub fn set(object: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// `object.method(...args)`, or `undefined` when it is not a function or
/// throws.
pub fn call(object: &JsValue, method: &str, args: &[JsValue]) -> JsValue {
    let args: Array = args.iter().collect();
    Reflect::apply(get(object, method).unchecked_ref::<js_sys::Function>(), object, &args).unwrap_or(JsValue::UNDEFINED)
}

/// `value` as a string, or `absent` when there is none (`undefined` is
/// left out of an [`object`], `null` is kept).
pub fn string_or(value: &Option<String>, absent: JsValue) -> JsValue {
    value.as_deref().map_or(absent, JsValue::from_str)
}

/// `value` as a number, or `undefined`.
pub fn number_or_undefined(value: Option<i64>) -> JsValue {
    value.map_or(JsValue::UNDEFINED, |n| JsValue::from_f64(n as f64))
}

/// A plain object from name/value pairs; `undefined` values are left out.
pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in fields {
        if !value.is_undefined() {
            set(&object, name, value);
        }
    }
    object.into()
}
