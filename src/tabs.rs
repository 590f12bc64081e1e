//! Open tabs of the same site share read state through a BroadcastChannel:
//! a message read in one tab stops counting as unread in the others.

use wasm_bindgen::JsValue;
use web_sys::BroadcastChannel;

use crate::dom::Listener;

/// The channel, closed when dropped (after its listener is removed).
pub struct Tabs {
    channel: BroadcastChannel,
    /// A `message` listener: the same closure type as every other listener
    /// of the widget, so no glue of its own.
    _on_message: Listener,
}

impl Tabs {
    /// Joins the site's channel; `on_read(id)` hears "read up to `id`" from
    /// other tabs. `None` where BroadcastChannel is missing.
    pub fn join(app_key: &str, on_read: fn(i64)) -> Option<Self> {
        let channel = BroadcastChannel::new(&["natter:", app_key].concat()).ok()?;
        let on_message = Listener::new(&channel, "message", move |event| {
            if let Some(id) = crate::js::get_int(&crate::js::get(&event, "data"), "readUpto") {
                on_read(id);
            }
        });
        Some(Self { channel, _on_message: on_message })
    }

    pub fn announce_read(&self, id: i64) {
        let _ = self.channel.post_message(&crate::js::object(&[("readUpto", JsValue::from_f64(id as f64))]));
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.channel.close();
    }
}
