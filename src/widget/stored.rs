//! What the browser keeps for the widget in `localStorage`, besides the
//! outboxes (`crate::outbox`): the anonymous visitor id (identity layer 3),
//! the read marker, and the user it last had.

use crate::{ids, storage};

/// `localStorage` key prefix of the read marker: the highest message id seen.
pub const READ_KEY: &str = "natter_read:";
/// `localStorage` key prefix of the external user id this browser last had.
pub const USER_KEY: &str = "natter_user:";
/// `localStorage` key of the anonymous visitor id (identity layer 3).
const VISITOR_KEY: &str = "natter_visitor_id";

/// The anonymous visitor id (identity layer 3), created on first use.
pub fn visitor_id() -> String {
    storage::get(VISITOR_KEY).filter(|id| id.starts_with("v_")).unwrap_or_else(new_visitor_id)
}

/// A new anonymous visitor id, replacing the stored one.
pub fn new_visitor_id() -> String {
    let id = ["v_", &ids::uuid()].concat();
    storage::set(VISITOR_KEY, &id);
    id
}
