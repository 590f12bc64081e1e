//! The echo bot (`--bot echo`): answers each visitor message with
//! `Echo: <text>` after a delay, as agent "Echo bot", so one person can see
//! the whole loop work. Its replies are idempotent (`clientMsgId`
//! `echo-<message id>`), so a repeated trigger never doubles an answer.

use natter::protocol::{Message, MAX_TEXT_CHARS};

use crate::agent::{agent_typing, post_reply};
use crate::store;
use crate::App;

pub const BOT_NAME: &str = "Echo bot";

/// Schedules the echo of a visitor message, if the bot is on.
pub fn answer(app: &App, message: &Message) {
    let Some(delay) = app.bot else { return };
    let app = app.clone();
    let message = message.clone();
    tokio::spawn(async move {
        let id = message.conversation_id;
        let Ok(Some(row)) = app.store.call(move |c| store::conversation(c, id)).await else { return };
        let Some(site) = app.sites.get(&row.app_key).cloned() else { return };
        agent_typing(&app, &row, BOT_NAME, true);
        let mut shutdown = app.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            // On shutdown the echo is skipped: it was never accepted.
            _ = crate::stopped(&mut shutdown) => return,
        }
        agent_typing(&app, &row, BOT_NAME, false);
        let text: String = format!("Echo: {}", message.text).chars().take(MAX_TEXT_CHARS).collect();
        let cmid = format!("echo-{}", message.id);
        if let Err(err) = post_reply(&app, &site, BOT_NAME, id, Some(cmid), text).await {
            // A conversation closed in the meantime is expected; log the rest.
            tracing::debug!(?err, conversation = id, "echo bot did not answer");
        }
    });
}
