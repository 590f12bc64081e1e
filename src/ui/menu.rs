//! The header menu: a button (part `menu`) opening a list of items (part
//! `menuitem`), for now End chat, which asks for confirmation in the panel
//! before the widget ends the conversation. The keyboard works as in the
//! ARIA menu button pattern: arrow keys, Home and End move among the items,
//! Escape closes and gives focus back to the button; focus leaving the menu
//! (a click anywhere else, inside the widget or on the page) closes it.

use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlElement};

use super::{closest, Ui, UiAction};
use crate::dom::{find, set_attribute, set_hidden};
use crate::js;

impl Ui {
    pub fn menu_open(&self) -> bool {
        self.more.get_attribute("aria-expanded").as_deref() == Some("true")
    }

    /// Opens the menu with focus on its first item, or closes it (`focus`:
    /// focus goes back to its button).
    pub fn set_menu(&self, open: bool, focus: bool) {
        set_hidden(&self.menu, !open);
        set_attribute(&self.more, "aria-expanded", if open { "true" } else { "false" });
        if open {
            focus_on(&self.end_chat);
        } else if focus {
            focus_on(&self.more);
        }
    }

    /// End chat can be chosen only while a conversation is open.
    pub fn set_can_end(&self, can: bool) {
        set_attribute(&self.end_chat, "aria-disabled", if can { "false" } else { "true" });
    }

    /// Asks "End this chat?" with End and Cancel (focus on Cancel), or
    /// takes the question away.
    pub fn set_confirm(&self, shown: bool) {
        set_hidden(&self.confirm, !shown);
        if let Some(cancel) = find(&self.confirm, ".cancel").filter(|_| shown) {
            focus_on(&cancel);
        }
    }

    pub fn focus_menu(&self) {
        focus_on(&self.more);
    }
}

fn focus_on(el: &Element) {
    let _ = el.unchecked_ref::<HtmlElement>().focus();
}

/// The action of a click on a button of the menu, the confirmation or the
/// rating card: one lookup, told apart by class.
pub(super) fn clicked(event: &Event) -> Option<UiAction> {
    let button = closest(event, ".more, .end-chat, .end, .cancel, .rate-send, .rate-change")?;
    Some(match button.class_name().as_str() {
        "more" => UiAction::Menu,
        "end-chat" => UiAction::EndChat,
        "end" => UiAction::ConfirmEnd(true),
        "cancel" => UiAction::ConfirmEnd(false),
        "rate-send" => UiAction::Rate,
        _ => UiAction::ChangeRating,
    })
}

/// Escape in the menu closes it, in the confirmation cancels it.
pub(super) fn escape(event: &Event) -> Option<UiAction> {
    let at = closest(event, ".menu, .confirm")?;
    Some(if at.class_name() == "menu" { UiAction::CloseMenu(true) } else { UiAction::ConfirmEnd(false) })
}

/// Focus left the open menu and its button for somewhere else. (Focus the
/// widget moves itself after closing it is not that: the menu is hidden
/// by then, and the widget is busy.)
pub(super) fn left(event: &Event) -> Option<UiAction> {
    let inside = |target: &wasm_bindgen::JsValue| {
        target.is_object() && target.unchecked_ref::<Element>().closest(".menu, .more").ok().flatten().is_some()
    };
    let open = find(&closest(event, ".root")?.into(), ".menu[hidden]").is_none();
    (open && inside(&event.target()?.into()) && !inside(&js::get(event, "relatedTarget")))
        .then_some(UiAction::CloseMenu(false))
}

/// Arrow keys, Home and End in the menu move among its items: with its one
/// item, focus stays on it (and the page does not scroll). Returns whether
/// the key was one of those.
pub(super) fn rove(event: &Event, key: &str) -> bool {
    closest(event, ".menu").is_some()
        && matches!(key, "ArrowDown" | "ArrowUp" | "ArrowLeft" | "ArrowRight" | "Home" | "End")
}
