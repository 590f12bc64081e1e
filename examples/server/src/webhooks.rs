//! Signed webhooks (`docs/webhooks.md`): events of a site's conversations
//! are queued in the database in the same transaction as the change they
//! report, and a worker POSTs each to every webhook of the site that wants
//! it, signed, retrying with exponential backoff for up to a day. Delivery
//! is at least once: receivers deduplicate by the event id.
//!
//! Targets that are (or resolve to) private, loopback or link-local
//! addresses are refused unless the server runs with
//! `--allow-private-webhooks`, so a site's config cannot probe the
//! server's own network. The check is made on the addresses the request
//! then connects to (a resolver of ours), so a name cannot pass the check
//! with one answer and connect with another.

use std::collections::HashMap;
use std::error::Error;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::agent::AgentAuth;
use crate::clock::rfc3339;
use crate::config::{Sites, WebhookConfig};
use crate::error::ApiError;
use crate::http::json;
use crate::store::{self, ConversationRow, Delivery, Outcome};
use crate::{auth, App};

pub const CONVERSATION_STARTED: &str = "conversation.started";
pub const MESSAGE_CREATED: &str = "message.created";
pub const CONVERSATION_ENDED: &str = "conversation.ended";
pub const FORM_SUBMITTED: &str = "form.submitted";
pub const RATING_CREATED: &str = "rating.created";
pub const EVENTS: [&str; 5] =
    [CONVERSATION_STARTED, MESSAGE_CREATED, CONVERSATION_ENDED, FORM_SUBMITTED, RATING_CREATED];

/// The header carrying `t=<unix seconds>,v1=<hex HMAC>`.
pub const SIGNATURE_HEADER: &str = "Natter-Signature";
/// How long one attempt may take, connection included.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long after its event a delivery is retried; then it has failed.
pub const GIVE_UP_MS: i64 = 24 * 60 * 60 * 1000;
/// The first retry comes 15 to 30 s after a failure; each later one waits
/// twice as long, up to 3 to 6 hours.
const FIRST_RETRY_MS: i64 = 30_000;
const LONGEST_RETRY_MS: i64 = 6 * 60 * 60 * 1000;
/// Deliveries attempted at once.
const BATCH: u32 = 16;
/// Longest sleep of the worker: bounds how late a jump of the system clock
/// is noticed.
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// Longest error text kept in the delivery log.
const MAX_ERROR_CHARS: usize = 300;

/// Checks a `[[sites.webhooks]]` table; the error names the bad field.
pub fn check(hook: &WebhookConfig) -> Result<(), String> {
    let url = Url::parse(&hook.url).map_err(|e| format!("url {:?}: {e}", hook.url))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!("url {:?}: must be an http or https URL", hook.url));
    }
    if hook.secret.is_empty() {
        return Err("secret: must not be empty".into());
    }
    if hook.events.is_empty() {
        return Err("events: must name at least one event".into());
    }
    if let Some(bad) = hook.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        return Err(format!("events: unknown event {bad:?} (known: {})", EVENTS.join(", ")));
    }
    Ok(())
}

/// The webhooks of each site, cheap to clone into a store write: events are
/// queued in the transaction that stores what they report.
#[derive(Clone, Default)]
pub struct Outbox(Arc<HashMap<String, Vec<WebhookConfig>>>);

impl Outbox {
    /// Queues event `kind` for every webhook of the conversation's site that
    /// wants it, with `data` = `{conversation}`: the conversation as the
    /// agent API shows it, with its visitor and fields.
    pub fn enqueue(&self, tx: &Connection, kind: &str, row: &ConversationRow, now: i64) -> store::Result<()> {
        self.queue(tx, kind, row, &[], now)
    }

    /// [`Self::enqueue`] with `data.<key>` = `value` too.
    pub fn enqueue_with<T: Serialize>(
        &self,
        tx: &Connection,
        kind: &str,
        row: &ConversationRow,
        (key, value): (&str, &T),
        now: i64,
    ) -> store::Result<()> {
        self.queue(tx, kind, row, &[(key, serde_json::to_value(value).map_err(store::other)?)], now)
    }

    fn queue(
        &self,
        tx: &Connection,
        kind: &str,
        row: &ConversationRow,
        extra: &[(&str, serde_json::Value)],
        now: i64,
    ) -> store::Result<()> {
        let urls: Vec<&str> = self
            .0
            .get(&row.app_key)
            .into_iter()
            .flatten()
            .filter(|h| h.events.iter().any(|e| e == kind))
            .map(|h| h.url.as_str())
            .collect();
        if urls.is_empty() {
            return Ok(());
        }
        let mut data = json!({ "conversation": store::agent_view(tx, row.clone())? });
        for (key, value) in extra {
            data[*key] = value.clone();
        }
        let id = format!("evt_{}", auth::hex(&auth::random_bytes(16).map_err(store::other)?));
        let body = json!({ "id": id, "type": kind, "createdAt": rfc3339(now), "data": data }).to_string();
        for url in urls {
            store::queue_delivery(tx, &id, &row.app_key, url, kind, &body, now)?;
        }
        Ok(())
    }

    /// Queues the events of a stored message: `message.created`, after
    /// `conversation.started` when it opened its conversation, then
    /// `form.submitted` (with `messageId` and `form`) for a submission. A
    /// duplicate queues nothing.
    pub fn message_stored(&self, tx: &Connection, stored: &store::Stored, now: i64) -> store::Result<()> {
        if stored.duplicate {
            return Ok(());
        }
        if stored.new_conversation {
            self.enqueue(tx, CONVERSATION_STARTED, &stored.conversation, now)?;
        }
        self.enqueue_with(tx, MESSAGE_CREATED, &stored.conversation, ("message", &stored.message), now)?;
        if let Some(form) = &stored.message.form {
            let form = serde_json::to_value(form).map_err(store::other)?;
            let extra = [("messageId", stored.message.id.into()), ("form", form)];
            self.queue(tx, FORM_SUBMITTED, &stored.conversation, &extra, now)?;
        }
        Ok(())
    }
}

/// The webhook queue's owner: the outbox, the HTTP client, the worker's wake-up.
pub struct Hooks {
    pub outbox: Outbox,
    client: reqwest::Client,
    allow_private: bool,
    /// Rung after a write queued events.
    wake: Notify,
}

impl Hooks {
    pub fn new(sites: &Sites, allow_private: bool) -> Result<Hooks, String> {
        let hooks = sites.by_key.iter().map(|(key, site)| (key.clone(), site.config.webhooks.clone())).collect();
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            // A redirect could lead anywhere, a private address included.
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Arc::new(PublicOnly { allow_private }))
            .user_agent(concat!("natter-server/", env!("CARGO_PKG_VERSION"), " webhooks"))
            .build()
            .map_err(|e| format!("webhook client: {e}"))?;
        Ok(Hooks { outbox: Outbox(Arc::new(hooks)), client, allow_private, wake: Notify::new() })
    }

    /// Wakes the worker after a write that may have queued events (once it
    /// has committed); a no-op when no site has webhooks.
    pub fn wake(&self) {
        if self.outbox.0.values().any(|hooks| !hooks.is_empty()) {
            self.wake.notify_one();
        }
    }

    /// One attempt: the HTTP status, or why none came.
    async fn post(&self, url: &str, secret: &str, body: &str) -> Result<u16, Failure> {
        let parsed = Url::parse(url).map_err(|e| Failure::Error(e.to_string()))?;
        // Names are checked by the resolver; addresses written as such here.
        let host = parsed.host_str().unwrap_or_default();
        let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
        if let Some(ip) = literal.filter(|ip| !self.allow_private && !is_public(*ip)) {
            return Err(Failure::Refused(format!("{ip} is a private, loopback or link-local address")));
        }
        let signature = auth::webhook_signature(secret.as_bytes(), crate::clock::now_ms() / 1000, body)
            .map_err(|_| Failure::Error("cannot sign".into()))?;
        let sent = self
            .client
            .post(parsed)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .body(body.to_string())
            .send()
            .await;
        match sent {
            Ok(resp) => Ok(resp.status().as_u16()),
            Err(err) => Err(failure(&err)),
        }
    }
}

/// Why an attempt got no status.
#[derive(Debug)]
enum Failure {
    /// The target is a private address: not retried.
    Refused(String),
    /// Connection, timeout or protocol error: retried.
    Error(String),
}

/// The resolver's refusal, found again in the request's error chain.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for Refused {}

fn failure(err: &reqwest::Error) -> Failure {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return Failure::Refused(refused.0.clone());
        }
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    Failure::Error(text)
}

/// Resolves names to their public addresses only (all of them with
/// `--allow-private-webhooks`); a name with none is refused.
struct PublicOnly {
    allow_private: bool,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.into_iter().filter(|a| allow_private || is_public(a.ip())).collect();
            if public.is_empty() {
                let why = format!("{} resolves to private, loopback or link-local addresses only", name.as_str());
                return Err(Box::new(Refused(why)) as Box<dyn Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

/// Whether an address is on the public internet: not private, loopback,
/// link-local, shared (CGNAT), unspecified, broadcast or multicast.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || a == 0
                || (a == 100 && (b & 0xc0) == 64))
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80)
            }
        },
    }
}

/// The wait before retry number `attempt` (1 = first retry): doubling from
/// [`FIRST_RETRY_MS`], capped, with "equal jitter" (half fixed, half random)
/// so that receivers coming back are not hit by every sender at once.
fn backoff(attempt: u32, random: u32) -> i64 {
    let full = FIRST_RETRY_MS.saturating_mul(1 << attempt.saturating_sub(1).min(20)).min(LONGEST_RETRY_MS);
    full / 2 + i64::from(random) % (full / 2)
}

/// What an attempt leads to, at `now`, for a delivery of an event created
/// at `created`, after `attempts` earlier attempts.
fn outcome(result: &Result<u16, Failure>, created: i64, attempts: u32, now: i64) -> Outcome {
    match result {
        Ok(status) if (200..300).contains(status) => Outcome::Delivered,
        Err(Failure::Refused(_)) => Outcome::Failed,
        _ => {
            let next = now + backoff(attempts + 1, getrandom::u32().unwrap_or(0));
            if next > created + GIVE_UP_MS {
                Outcome::Failed
            } else {
                Outcome::Retry(next)
            }
        }
    }
}

/// Attempts one delivery and records the attempt.
async fn attempt(app: App, delivery: Delivery) {
    let secret = app
        .sites
        .by_key
        .get(&delivery.app_key)
        .and_then(|site| site.config.webhooks.iter().find(|h| h.url == delivery.url))
        .map(|h| h.secret.clone());
    let result = match &secret {
        Some(secret) => app.hooks.post(&delivery.url, secret, &delivery.body).await,
        None => Err(Failure::Refused("the webhook is no longer in the site's configuration".into())),
    };
    let now = app.now_ms();
    let outcome = outcome(&result, delivery.created_at, delivery.attempts, now);
    let (status, error) = match result {
        Ok(status) => (Some(status), None),
        Err(Failure::Refused(why)) => {
            tracing::warn!(url = %delivery.url, event = %delivery.event_id, %why, "webhook target refused");
            (None, Some(format!("refused: {why}")))
        }
        Err(Failure::Error(why)) => (None, Some(why)),
    };
    if outcome != Outcome::Delivered {
        tracing::info!(url = %delivery.url, event = %delivery.event_id, ?status, ?error, ?outcome, "webhook attempt failed");
    }
    let error = error.map(|e| e.chars().take(MAX_ERROR_CHARS).collect::<String>());
    let id = delivery.id;
    let recorded = app.store.write(move |c| store::record_attempt(c, id, now, status, error.as_deref(), outcome)).await;
    if let Err(err) = recorded {
        tracing::error!(?err, delivery = id, "webhook attempt not recorded");
    }
}

/// Delivers due events until shutdown: wakes when events are queued, when
/// the next retry is due, and when a test sets the clock.
pub async fn run(app: App) {
    let mut clock = app.clock.watch();
    let mut shutdown = app.shutdown.clone();
    loop {
        clock.borrow_and_update();
        let now = app.now_ms();
        let due = app.store.call(move |c| store::due_deliveries(c, now, BATCH)).await.unwrap_or_else(|err| {
            tracing::error!(?err, "webhook queue unreadable");
            Vec::new()
        });
        let full = due.len() as u32 == BATCH;
        let mut attempts = JoinSet::new();
        for delivery in due {
            attempts.spawn(attempt(app.clone(), delivery));
        }
        // An attempt cut short by shutdown is made again after the restart.
        tokio::select! {
            _ = async { while attempts.join_next().await.is_some() {} } => {}
            _ = crate::stopped(&mut shutdown) => return,
        }
        if full {
            continue;
        }
        let next = app.store.call(store::next_delivery).await.ok().flatten();
        let sleep = next.map_or(MAX_SLEEP, |at| Duration::from_millis((at - now).max(0) as u64).min(MAX_SLEEP));
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = app.hooks.wake.notified() => {}
            changed = clock.changed() => if changed.is_err() { return },
            _ = crate::stopped(&mut shutdown) => return,
        }
    }
}

#[derive(Deserialize)]
pub struct LogQuery {
    limit: Option<u32>,
}

#[derive(Serialize)]
struct DeliveryLog {
    deliveries: Vec<store::DeliveryView>,
}

/// `GET /api/v1/agent/webhooks/deliveries?limit=`: the site's newest
/// deliveries with their last attempts.
pub async fn deliveries(
    State(app): State<App>,
    agent: AgentAuth,
    query: Result<Query<LogQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let limit = crate::visitor::query(query)?.limit.unwrap_or(50).clamp(1, 200);
    let key = agent.site.app_key().to_string();
    let deliveries = app.store.call(move |c| store::deliveries(c, &key, limit)).await?;
    Ok(json(StatusCode::OK, &DeliveryLog { deliveries }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_addresses_are_not_public() {
        for ip in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0"] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "ff02::1"] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "::ffff:8.8.8.8"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        assert_eq!((backoff(1, 0), backoff(1, u32::MAX)), (15_000, 15_000 + (u32::MAX as i64 % 15_000)));
        assert!((30_000..60_000).contains(&backoff(2, 12_345)));
        assert!((LONGEST_RETRY_MS / 2..LONGEST_RETRY_MS).contains(&backoff(40, 7)));
    }

    #[test]
    fn a_failure_near_the_day_gives_up() {
        let error = Err(Failure::Error("down".into()));
        assert!(matches!(outcome(&error, 0, 0, 1_000), Outcome::Retry(at) if at > 1_000 && at <= 31_000));
        assert_eq!(outcome(&error, 0, 0, GIVE_UP_MS), Outcome::Failed);
        assert!(matches!(outcome(&Ok(500), 0, 3, 1_000), Outcome::Retry(_)));
        assert_eq!(outcome(&Ok(204), 0, 3, 1_000), Outcome::Delivered);
        assert_eq!(outcome(&Err(Failure::Refused("x".into())), 0, 0, 0), Outcome::Failed);
    }
}
