//! Open tabs of the same site share read state through a BroadcastChannel:
//! a message read in one tab stops counting as unread in the others.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

/// The channel, closed and detached when dropped.
pub struct Tabs {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Tabs {
    /// Joins the site's channel; `on_read(id)` hears "read up to `id`" from
    /// other tabs. `None` where BroadcastChannel is missing.
    pub fn join(app_key: &str, on_read: fn(i64)) -> Option<Self> {
        let channel = BroadcastChannel::new(&["natter:", app_key].concat()).ok()?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Some(id) = crate::js::get_int(&event.data(), "readUpto") {
                on_read(id);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Some(Self { channel, _on_message: on_message })
    }

    pub fn announce_read(&self, id: i64) {
        let _ = self.channel.post_message(&crate::js::object(&[("readUpto", JsValue::from_f64(id as f64))]));
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}
