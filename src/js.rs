//! Small helpers for plain JS values: reading fields of parsed JSON and
//! building payload objects.

use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

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

/// A plain object from name/value pairs; `undefined` values are left out.
pub fn object(fields: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (name, value) in fields {
        if !value.is_undefined() {
            let _ = Reflect::set(&object, &JsValue::from_str(name), value);
        }
    }
    object.into()
}
