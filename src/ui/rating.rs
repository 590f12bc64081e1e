//! The rating card (part `rating`), below the messages once a conversation
//! has ended: its question labels a group of native radio buttons (so the
//! browser gives them their keyboard: one tab stop, arrow keys choose),
//! CSAT 1 to 5 or NPS 0 to 10, an optional comment and a submit button;
//! after a stored rating, thanks with the score and Change while it may
//! still change. The markup is constant (src/ui/widget.html): this shows
//! its states. What the visitor chose lives in the card until it is
//! stored: a failure says why and keeps it.

use super::Ui;
use crate::digits::int;
use crate::dom::{child, find, set_attribute, set_hidden, set_text, show_text};
use crate::js;
use crate::protocol::{RatingScale, MAX_RATING_COMMENT_CHARS};

impl Ui {
    /// Asks for a rating on `scale`, with `chosen` checked and `comment` written.
    pub fn ask_rating(&self, scale: RatingScale, chosen: Option<u8>, comment: &str) {
        let s = self.strings;
        self.rating_state(if scale == RatingScale::Csat { s.rate_csat } else { s.rate_nps }, true, false);
        let (low, high) = scale.range();
        let scores = find(&self.rating, ".scores");
        for score in 0..=10 {
            let Some(label) = scores.as_ref().and_then(|scores| child(scores, score.into())) else { break };
            set_hidden(&label, !(low..=high).contains(&score));
            if let Some(input) = child(&label, 0) {
                js::set(&input, "checked", &(chosen == Some(score)).into());
            }
        }
        if let Some(input) = find(&self.rating, ".comment input") {
            set_attribute(&input, "maxlength", &int(MAX_RATING_COMMENT_CHARS as i64));
            js::set(&input, "value", &comment.into());
        }
    }

    /// Thanks for the stored `score`, with Change while it may change.
    pub fn thank_rating(&self, scale: RatingScale, score: u8, can_change: bool) {
        let thanks = [self.strings.thanks, " ", &int(score.into()), " / ", &int(scale.range().1.into())].concat();
        self.rating_state(&thanks, false, can_change);
    }

    pub fn hide_rating(&self) {
        set_hidden(&self.rating, true);
    }

    /// The score checked and the comment written, as the card holds them.
    pub fn rating_choice(&self) -> (Option<u8>, String) {
        let value = |selector| find(&self.rating, selector).and_then(|el| js::get_string(&el, "value"));
        let score = value(":checked").and_then(|score| crate::digits::parse::<u8>(&score, 10));
        (score, value(".comment input").unwrap_or_default())
    }

    /// The rating was not stored: says why; the choice stays.
    pub fn rating_failed(&self, reason: &str) {
        if let Some(error) = find(&self.rating, ".rate-error") {
            show_text(&error, Some(&[self.strings.rating_failed, " ", reason].concat()));
        }
    }

    /// Shows the card with `question`, asking or not, with Change or not.
    fn rating_state(&self, question: &str, asking: bool, change: bool) {
        for (selector, shown) in [(".ask", asking), (".rate-change", change), (".rate-error", false)] {
            if let Some(el) = find(&self.rating, selector) {
                set_hidden(&el, !shown);
            }
        }
        if let Some(heading) = find(&self.rating, ".rate-q") {
            set_text(&heading, question);
        }
        set_hidden(&self.rating, false);
    }
}
