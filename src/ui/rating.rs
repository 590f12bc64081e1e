//! The rating card (part `rating`), below the messages once a conversation
//! has ended: a question labelling a radio group of score buttons (CSAT 1 to
//! 5, NPS 0 to 10), an optional comment and a submit button; after a stored
//! rating, thanks with the score and Change while it may still change.
//! Built from DOM nodes with text set as text. What the visitor chose lives
//! in the card until it is stored: a failure says why and keeps it.

use web_sys::{Element, Event};

use super::{closest, Ui, UiAction};
use crate::digits::int;
use crate::dom::{child_element, find, set_attribute, set_hidden, set_text, show_text};
use crate::protocol::{RatingScale, MAX_RATING_COMMENT_CHARS};

impl Ui {
    /// Asks for a rating on `scale`, with `chosen` checked and `comment` written.
    pub fn ask_rating(&self, scale: RatingScale, chosen: Option<u8>, comment: &str) {
        let Some((doc, card)) =
            self.rating_card(if scale == RatingScale::Csat { self.strings.rate_csat } else { self.strings.rate_nps })
        else {
            return;
        };
        let scores = child_element(
            &doc,
            &card,
            "div",
            &[("class", "scores"), ("role", "radiogroup"), ("aria-labelledby", "natter-rate")],
        );
        let (low, high) = scale.range();
        for score in low..=high {
            let checked = chosen == Some(score);
            // Only one button of the group is in the tab order (the checked
            // one, else the first): arrow keys move within it.
            let tab = if checked || (chosen.is_none() && score == low) { "0" } else { "-1" };
            let button = child_element(
                &doc,
                &scores,
                "button",
                &[
                    ("type", "button"),
                    ("class", "score"),
                    ("role", "radio"),
                    ("aria-checked", if checked { "true" } else { "false" }),
                    ("tabindex", tab),
                ],
            );
            set_text(&button, &int(score.into()));
        }
        let label = child_element(&doc, &card, "label", &[("class", "comment")]);
        set_text(&child_element(&doc, &label, "span", &[]), self.strings.comment);
        let max = int(MAX_RATING_COMMENT_CHARS as i64);
        let input = child_element(&doc, &label, "textarea", &[("rows", "2"), ("maxlength", &max)]);
        set_text(&input, comment);
        child_element(&doc, &card, "p", &[("class", "rate-error"), ("role", "alert"), ("hidden", "")]);
        let send = child_element(&doc, &card, "button", &[("type", "button"), ("class", "rate-send")]);
        set_text(&send, self.strings.send_rating);
    }

    /// Thanks for the stored `score`, with Change while it may change.
    pub fn thank_rating(&self, scale: RatingScale, score: u8, can_change: bool) {
        let thanks = [self.strings.thanks, " ", &int(score.into()), " / ", &int(scale.range().1.into())].concat();
        let Some((doc, card)) = self.rating_card(&thanks) else { return };
        if can_change {
            let change = child_element(&doc, &card, "button", &[("type", "button"), ("class", "rate-change")]);
            set_text(&change, self.strings.change);
        }
    }

    pub fn hide_rating(&self) {
        set_hidden(&self.rating, true);
    }

    /// The score checked and the comment written, as the card holds them.
    pub fn rating_choice(&self) -> (Option<u8>, String) {
        let score = find(&self.rating, "[aria-checked=true]")
            .and_then(|button| button.text_content())
            .and_then(|text| crate::digits::parse::<u8>(&text, 10));
        let comment = find(&self.rating, "textarea").and_then(|el| crate::js::get_string(&el, "value"));
        (score, comment.unwrap_or_default())
    }

    /// The rating was not stored: says why; the choice stays.
    pub fn rating_failed(&self, reason: &str) {
        if let Some(error) = find(&self.rating, ".rate-error") {
            show_text(&error, Some(&[self.strings.rating_failed, " ", reason].concat()));
        }
    }

    /// Empties the card and shows it with its question (`natter-rate`, which
    /// labels it); `None` without a document.
    fn rating_card(&self, question: &str) -> Option<(web_sys::Document, Element)> {
        let doc = self.host.owner_document()?;
        let card = self.rating.clone();
        set_text(&card, "");
        let heading = child_element(&doc, &card, "p", &[("id", "natter-rate"), ("class", "rate-q")]);
        set_text(&heading, question);
        set_hidden(&card, false);
        Some((doc, card))
    }
}

/// A click in the card: a score is checked in place (the card is its
/// record); submit and Change go to the widget.
pub(super) fn clicked(event: &Event) -> Option<UiAction> {
    if let Some(score) = closest(event, ".score") {
        let group = score.parent_element()?;
        let mut at = 0;
        while let Some(button) = crate::dom::child(&group, at) {
            let checked = button == score;
            set_attribute(&button, "aria-checked", if checked { "true" } else { "false" });
            set_attribute(&button, "tabindex", if checked { "0" } else { "-1" });
            at += 1;
        }
        return None;
    }
    if closest(event, ".rate-send").is_some() {
        Some(UiAction::Rate)
    } else {
        closest(event, ".rate-change").map(|_| UiAction::ChangeRating)
    }
}
