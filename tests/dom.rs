//! DOM tests of the widget runtime, run in headless Chromium by
//! wasm-bindgen-test (`npm test` runs them).
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use web_sys::{Element, ShadowRoot};

wasm_bindgen_test_configure!(run_in_browser);

// The event hub the loader hands to `boot`.
#[wasm_bindgen(module = "/js/hub.js")]
extern "C" {
    #[wasm_bindgen(js_name = createHub)]
    fn create_hub(target: &JsValue) -> natter::Hub;
}

fn boot(queue: Array) {
    natter::boot(None, queue, create_hub(&web_sys::window().expect("window").into()));
}

fn document() -> web_sys::Document {
    web_sys::window().and_then(|w| w.document()).expect("document")
}

fn config(app_key: Option<&str>) -> JsValue {
    let object = Object::new();
    if let Some(key) = app_key {
        Reflect::set(&object, &"appKey".into(), &key.into()).expect("set");
    }
    object.into()
}

fn init_queue(config: JsValue) -> Array {
    Array::of1(&Array::of2(&"init".into(), &config))
}

fn hosts() -> u32 {
    document().query_selector_all("[data-natter-widget]").expect("query").length()
}

fn shadow() -> ShadowRoot {
    document()
        .query_selector("[data-natter-widget]")
        .expect("query")
        .expect("host element")
        .shadow_root()
        .expect("open shadow root")
}

fn part(name: &str) -> Element {
    shadow().query_selector(&format!("[part~={name}]")).expect("query").expect(name)
}

fn call(name: &str) {
    natter::call(name, Array::new());
}

// One test drives the whole life cycle: the runtime is a page singleton.
#[wasm_bindgen_test]
fn life_cycle() {
    // No app key: nothing is rendered.
    boot(init_queue(config(None)));
    assert_eq!(hosts(), 0);

    // Commands queued before init run once it has mounted.
    let queue = Array::of2(&Array::of1(&"open".into()), &Array::of2(&"init".into(), &config(Some("sk_test"))));
    boot(queue);
    assert_eq!(hosts(), 1);
    let launcher = part("launcher");
    assert_eq!(launcher.tag_name(), "BUTTON");
    assert_eq!(launcher.get_attribute("aria-expanded").as_deref(), Some("true"));
    assert!(!part("panel").has_attribute("hidden"));
    assert_eq!(part("panel").get_attribute("role").as_deref(), Some("dialog"));

    // A second init is a no-op: still one host.
    natter::call("init", Array::of1(&config(Some("sk_test"))));
    assert_eq!(hosts(), 1);

    call("close");
    assert!(part("panel").has_attribute("hidden"));
    assert_eq!(launcher.get_attribute("aria-expanded").as_deref(), Some("false"));

    // Clicking the launcher toggles the panel.
    launcher.unchecked_ref::<web_sys::HtmlElement>().click();
    assert!(!part("panel").has_attribute("hidden"));
    part("close").unchecked_ref::<web_sys::HtmlElement>().click();
    assert!(part("panel").has_attribute("hidden"));

    // Styles come from an adopted stylesheet, never a <style> element.
    assert_eq!(shadow().adopted_style_sheets().length(), 1);
    assert!(shadow().query_selector("style").expect("query").is_none());

    // shutdown removes everything; init works again afterwards.
    call("shutdown");
    assert_eq!(hosts(), 0);
    natter::call("init", Array::of1(&config(Some("sk_test"))));
    assert_eq!(hosts(), 1);
    call("toggle");
    assert!(!part("panel").has_attribute("hidden"));
    call("shutdown");
    assert_eq!(hosts(), 0);
}

/// The outbox's storage edge: whatever the stored value is, what can be read
/// is read in order and nothing throws; what is written reads back the same.
#[wasm_bindgen_test]
fn the_outbox_reads_any_stored_value() {
    // Through Reflect: web-sys's Storage binding is not a feature of the crate.
    let storage = Reflect::get(&web_sys::window().expect("window"), &"localStorage".into()).expect("localStorage");
    let method = |name: &str| Reflect::get(&storage, &name.into()).expect(name).unchecked_into::<js_sys::Function>();
    let key = "natter_outbox:sk_dom_test";
    let read = |stored: &str| {
        method("setItem").call2(&storage, &key.into(), &stored.into()).expect("setItem");
        natter::outbox::load(key).entries().iter().map(|e| (e.client_id.clone(), e.text.clone())).collect::<Vec<_>>()
    };
    let pair = |id: &str, text: &str| (id.to_string(), text.to_string());
    for foreign in ["", "null", "{}", "\"text\"", "[", "[[\"c1\",\"a\"]", "[[\"c1\",\"a\"],]", "{\"0\":[\"c1\",\"a\"]}"]
    {
        assert_eq!(read(foreign), [], "{foreign:?}");
    }
    let mixed = r#"[["c1","a\"b\\c\n\u00e9你😀"],["c2"],["c3","x","y"],[4,"d"],["c5",5],{},"c6",["c7",""]]"#;
    assert_eq!(read(mixed), [pair("c1", "a\"b\\c\né你😀"), pair("c7", "")]);

    let texts =
        ["", "plain", "\"quoted\" \\ back\\slash /", "line\nbreak\ttab\r\0\x1f\x7f", "héllo 你好 😀", "\\u0041"];
    natter::outbox::update(key, |outbox| {
        *outbox = Default::default();
        for (i, text) in texts.iter().enumerate() {
            outbox.push(&format!("c{i}"), text);
        }
    });
    let back = natter::outbox::load(key);
    assert_eq!(back.entries().iter().map(|e| e.text.as_str()).collect::<Vec<_>>(), texts);
    natter::outbox::update(key, |outbox| *outbox = Default::default());
    assert_eq!(method("getItem").call1(&storage, &key.into()).expect("getItem"), JsValue::NULL);
}
