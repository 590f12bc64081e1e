//! The launcher's visibility, the header's mute toggle and the preview
//! bubble beside the closed launcher.

use wasm_bindgen::JsValue;

use super::Ui;
use crate::dom::{set_attribute, set_hidden, set_text};
use crate::js;

impl Ui {
    /// Shows or hides the launcher (and with it the preview beside it).
    pub fn show_launcher(&self, shown: bool) {
        set_hidden(&self.launcher, !shown);
    }

    /// The mute toggle's state, or `None` to hide it (`sound` is off).
    pub fn set_muted(&self, muted: Option<bool>) {
        set_hidden(&self.mute, muted.is_none());
        set_attribute(&self.mute, "aria-pressed", if muted == Some(true) { "true" } else { "false" });
    }

    /// The preview bubble with this message's text, or none. It is not a
    /// live region: it copies the newest message into a second place on
    /// screen, and a screen reader would hear it again each time the
    /// bubble comes back (after the panel closes); the unread count is in
    /// the launcher's name and the message in the panel's log.
    pub fn show_preview(&self, text: Option<&str>) {
        set_hidden(&self.preview, text.is_none());
        set_text(&self.peek, text.unwrap_or_default());
    }

    /// Whether focus is in the composer (the shadow root's active element).
    pub fn composer_focused(&self) -> bool {
        // Read as properties: the ShadowRoot bindings are imports each.
        let input: &JsValue = &self.input;
        js::get(&js::get(&self.host, "shadowRoot"), "activeElement") == *input
    }
}
