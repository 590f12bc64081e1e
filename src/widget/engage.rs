//! Bringing the visitor back to the chat: when the launcher shows
//! (`launcher`, `showLauncher()`, `hideLauncher()`), the panel and draft kept
//! across the pages of a tab (`keepOpen`), the chime (`sound`), the
//! flashing title (`titleFlash`) and the preview bubble (`preview`). What to
//! do is decided in `crate::notify`; this module does it.

use wasm_bindgen::prelude::*;

use super::{document, tab_visible, with_widget, Widget};
use crate::config::Launcher;
use crate::notify::{alert_title, preview, ChimeCheck, TitleFlash};
use crate::timer::Timer;
use crate::ui::UiAction;
use crate::{js, storage};

/// `localStorage` key of the visitor's mute toggle.
const MUTED_KEY: &str = "natter_muted";
/// `sessionStorage` key prefix of the panel state and draft kept for the
/// tab's next page.
const KEPT_KEY: &str = "natter_kept:";
/// The flashing title changes this often.
const FLASH_MS: u32 = 1000;

#[wasm_bindgen(module = "/src/host.js")]
extern "C" {
    /// Plays the chime on `audio`, an AudioContext created when it is
    /// `undefined`; returns the context (`undefined` without Web Audio).
    fn chime(audio: &JsValue) -> JsValue;
    fn close_audio(audio: &JsValue);
    /// Returns a `sessionStorage` item and puts `value` in its place (`None`
    /// removes it); `None` where storage throws.
    fn session_swap(key: &str, value: Option<String>) -> Option<String>;
}

/// The engagement state of the widget instance.
pub(super) struct Engagement {
    /// `showLauncher()`/`hideLauncher()`: wins over the config until shutdown.
    forced: Option<bool>,
    launcher_shown: bool,
    /// The page's focused element when the panel opened: focus goes back
    /// there when the panel closes and there is no launcher to take it.
    return_focus: JsValue,
    /// A click or key in the widget: only then may a chime play.
    interacted: bool,
    muted: bool,
    audio: Audio,
    flash: Option<Flash>,
    flash_handler: JsValue,
    /// The server id of the message whose preview was dismissed.
    dismissed: i64,
}

impl Engagement {
    pub(super) fn new() -> Self {
        let flash_handler = Closure::<dyn FnMut()>::new(|| with_widget(Widget::flash)).into_js_value();
        Self {
            forced: None,
            launcher_shown: true,
            return_focus: JsValue::UNDEFINED,
            interacted: false,
            muted: storage::get(MUTED_KEY).is_some(),
            audio: Audio(JsValue::UNDEFINED),
            flash: None,
            flash_handler,
            dismissed: 0,
        }
    }
}

/// The chime's AudioContext, from the first chime on; closed when dropped.
struct Audio(JsValue);

impl Drop for Audio {
    fn drop(&mut self) {
        if self.0.is_object() {
            close_audio(&self.0);
        }
    }
}

/// The title flashing, with the timer of its next change; the page's own
/// title is put back when dropped.
struct Flash {
    title: TitleFlash,
    _next: Timer,
}

impl Drop for Flash {
    fn drop(&mut self) {
        if let Some(title) = self.title.restore(&page_title()) {
            set_page_title(title);
        }
    }
}

fn page_title() -> String {
    document().and_then(|d| js::get_string(&d, "title")).unwrap_or_default()
}

fn set_page_title(title: &str) {
    if let Some(d) = document() {
        js::set(&d, "title", &title.into());
    }
}

impl Widget {
    /// Brings every engagement feature in line with the config and the
    /// chat: after mount, the remote config, new messages and read changes.
    pub(super) fn engage(&mut self) {
        let engage = &self.config.engage;
        let has_conversation =
            !self.chat.entries().is_empty() || self.session.as_ref().is_some_and(|s| s.conversation_id().is_some());
        let shown = self.engagement.forced.unwrap_or(match engage.launcher {
            Launcher::Visible => true,
            Launcher::Hidden => false,
            Launcher::WhenConversation => has_conversation,
        });
        if shown != self.engagement.launcher_shown {
            self.engagement.launcher_shown = shown;
            self.ui.show_launcher(shown);
        }
        self.ui.set_muted(engage.sound.then_some(self.engagement.muted));
        let previewed =
            (engage.preview && shown && !self.open).then(|| preview(&self.chat, self.engagement.dismissed)).flatten();
        self.ui.show_preview(previewed.map(|entry| entry.text.as_str()));
        let flashing = engage.title_flash && self.chat.unread() > 0 && !tab_visible();
        if flashing != self.engagement.flash.is_some() {
            self.engagement.flash = flashing.then(|| Flash {
                title: TitleFlash::new(page_title()),
                _next: Timer::new(&self.engagement.flash_handler, 0),
            });
        }
    }

    /// `showLauncher()` (`true`) and `hideLauncher()`.
    pub(super) fn force_launcher(&mut self, shown: bool) {
        self.engagement.forced = Some(shown);
        self.engage();
    }

    /// The next change of the flashing title.
    fn flash(&mut self) {
        let alert = alert_title(self.ui.strings(), self.chat.unread());
        if let Some(flash) = &mut self.engagement.flash {
            set_page_title(flash.title.next(&page_title(), &alert));
            flash._next = Timer::new(&self.engagement.flash_handler, FLASH_MS);
        }
    }

    /// New agent messages arrived: a chime, if the visitor may want one.
    pub(super) fn agent_arrived(&mut self) {
        let check = ChimeCheck {
            sound: self.config.engage.sound,
            muted: self.engagement.muted,
            interacted: self.engagement.interacted,
            watching: self.open && tab_visible(),
        };
        if check.due() {
            self.engagement.audio.0 = chime(&self.engagement.audio.0);
        }
    }

    /// What the mute toggle and the preview bubble say.
    pub(super) fn on_engage_action(&mut self, action: UiAction) {
        match action {
            UiAction::Interacted => self.engagement.interacted = true,
            UiAction::Mute => {
                let muted = !self.engagement.muted;
                self.engagement.muted = muted;
                if muted {
                    storage::set(MUTED_KEY, "1");
                } else {
                    storage::remove(MUTED_KEY);
                }
                self.engage();
            }
            UiAction::Dismiss => {
                let shown = preview(&self.chat, self.engagement.dismissed).and_then(|entry| entry.id);
                self.engagement.dismissed = shown.unwrap_or(self.engagement.dismissed);
                self.engage();
                // The button is gone: focus goes to the launcher beside it.
                self.ui.focus_launcher();
            }
            _ => {}
        }
    }

    /// The panel opens: remembers where focus was on the page (the host
    /// element when it was in the widget: focusing that does nothing).
    pub(super) fn remember_focus(&mut self) {
        self.engagement.return_focus = document().map_or(JsValue::UNDEFINED, |d| js::get(&d, "activeElement"));
    }

    /// The visitor closed the panel: focus goes to the launcher, or without
    /// one back to where it was on the page.
    pub(super) fn return_focus(&self) {
        if self.engagement.launcher_shown {
            self.ui.focus_launcher();
        } else {
            js::call(&self.engagement.return_focus, "focus", &[]);
        }
    }

    fn kept_key(&self) -> String {
        [KEPT_KEY, &self.config.app_key].concat()
    }

    /// The tab was shown or hidden. Leaving the page hides it (before
    /// `pagehide`), as does switching tabs or apps, after which a mobile
    /// browser may drop the page unannounced: each hide keeps the panel's
    /// open state, whether the composer has focus and the draft, for the
    /// tab's next page.
    pub(super) fn visibility_changed(&mut self) {
        self.read_if_visible();
        self.engage();
        if !tab_visible() {
            self.keep();
        }
    }

    /// Nothing is kept for a closed panel with an empty composer.
    fn keep(&mut self) {
        let draft = self.ui.composer_text();
        let bit = |on: bool| if on { "1" } else { "0" };
        let kept = (self.config.engage.keep_open && (self.open || !draft.trim().is_empty()))
            .then(|| [bit(self.open), bit(self.ui.composer_focused()), &draft].concat());
        session_swap(&self.kept_key(), kept);
    }

    /// At mount: what the tab's previous page kept (read once).
    pub(super) fn restore_kept(&mut self) {
        let Some(kept) = session_swap(&self.kept_key(), None) else { return };
        if !self.config.engage.keep_open {
            return;
        }
        // Two ASCII flags, then the draft. Bytes, not `starts_with`: core's
        // char pattern machinery is larger in the wasm.
        let draft = kept.get(2..).unwrap_or_default();
        if !draft.is_empty() {
            self.ui.set_composer_text(draft);
        }
        if kept.as_bytes().first() == Some(&b'1') {
            self.set_open(true, kept.as_bytes().get(1) == Some(&b'1'));
        }
    }
}
