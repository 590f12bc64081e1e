//! SQLite persistence: visitors, conversations, messages, generated site keys.
//!
//! One connection behind a mutex, used from `spawn_blocking`. One writer is
//! what SQLite allows anyway, and serializing reads with writes gives the
//! cursor guarantee for free: message ids come from `AUTOINCREMENT` and are
//! committed in id order, so a reader that sees id N already sees every
//! smaller id. Durability: WAL with `synchronous=FULL`, so a message whose
//! send was answered survives a crash or a restart.
//!
//! Message sends go through [`Store::write`]: a writer thread runs every
//! send queued meanwhile in one transaction and answers each after that
//! transaction's commit (group commit), so concurrent sends share one fsync
//! instead of queueing for one each. The rarer writes (identity, leave) use
//! [`Store::call`] with their own transaction.

use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};

use natter::protocol::{
    AgentConversation, Conversation, ConversationEvent, ConversationStatus, JsonValue, Message, PageInfo, Profile,
    Rating, RatingScale, Sender, SubmittedForm, VisitorInfo,
};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use crate::auth;
use crate::clock::rfc3339;

/// Ordered schema migrations; `PRAGMA user_version` counts those applied.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE site_keys (
    app_key     TEXT PRIMARY KEY,
    jwt_secret  BLOB NOT NULL
);
CREATE TABLE visitors (
    id               TEXT PRIMARY KEY,          -- cv_<hex>, the csVisitorId
    app_key          TEXT NOT NULL,
    external_user_id TEXT,                      -- identity layer 1
    fingerprint      TEXT,                      -- identity layer 2
    anon_id          TEXT,                      -- identity layer 3 (widget visitorId)
    verified         INTEGER NOT NULL DEFAULT 0,
    nickname TEXT, avatar TEXT, email TEXT, phone TEXT, extra TEXT,
    locale TEXT, timezone TEXT,
    page_url TEXT, page_referrer TEXT, page_title TEXT,
    user_agent TEXT, ip TEXT,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX visitors_external ON visitors(app_key, external_user_id)
    WHERE external_user_id IS NOT NULL;
CREATE INDEX visitors_anon ON visitors(app_key, anon_id);
CREATE INDEX visitors_fingerprint ON visitors(app_key, fingerprint);
CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    app_key     TEXT NOT NULL,
    visitor_id  TEXT NOT NULL REFERENCES visitors(id),
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX conversations_one_open ON conversations(visitor_id) WHERE status = 'open';
CREATE INDEX conversations_site ON conversations(app_key, updated_at);
CREATE TABLE messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id),
    sender          TEXT NOT NULL,
    text            TEXT NOT NULL,
    agent_name      TEXT,
    client_msg_id   TEXT,
    author          TEXT NOT NULL,              -- scope of client_msg_id
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX messages_idempotency ON messages(author, client_msg_id)
    WHERE client_msg_id IS NOT NULL;
CREATE INDEX messages_conversation ON messages(conversation_id, id);
"#,
    r#"
-- Identity resolution v2 (docs/protocol.md section 5).
ALTER TABLE visitors ADD COLUMN merged_into TEXT;         -- anonymous record merged into a user's
ALTER TABLE visitors ADD COLUMN fingerprint_retired INTEGER NOT NULL DEFAULT 0; -- not reachable through L2
CREATE INDEX visitors_conversations ON conversations(visitor_id);
"#,
    r#"
-- Conversation life cycle (docs/protocol.md, "Conversation life cycle").
ALTER TABLE conversations ADD COLUMN ended_by TEXT;       -- visitor | agent | system, once closed
ALTER TABLE conversations ADD COLUMN agent_name TEXT;     -- the first agent who joined
ALTER TABLE messages ADD COLUMN event TEXT;               -- a system message's ConversationEvent
CREATE INDEX conversations_open ON conversations(app_key, status, updated_at); -- idle close
CREATE TABLE ratings (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id),
    scale       TEXT NOT NULL,                  -- csat | nps
    score       INTEGER NOT NULL,
    comment     TEXT,
    created_at  INTEGER NOT NULL,               -- first given: starts the change window
    updated_at  INTEGER NOT NULL
);
CREATE INDEX ratings_updated ON ratings(updated_at);
"#,
    r#"
-- Conversation fields and webhooks (docs/webhooks.md).
ALTER TABLE conversations ADD COLUMN fields TEXT;         -- JSON object set by the visitor's page
ALTER TABLE visitors ADD COLUMN next_fields TEXT;         -- fields kept for the next conversation
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL,              -- evt_<hex>: the same on every attempt
    app_key         TEXT NOT NULL,
    url             TEXT NOT NULL,
    type            TEXT NOT NULL,
    body            TEXT NOT NULL,              -- the exact JSON every attempt sends
    created_at      INTEGER NOT NULL,
    status          TEXT NOT NULL,              -- pending | delivered | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER                     -- while pending
);
CREATE UNIQUE INDEX webhook_deliveries_target ON webhook_deliveries(event_id, url);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_site ON webhook_deliveries(app_key, id);
CREATE TABLE webhook_attempts (
    delivery_id     INTEGER NOT NULL REFERENCES webhook_deliveries(id),
    at              INTEGER NOT NULL,
    status          INTEGER,                    -- the HTTP status, when one came
    error           TEXT,                       -- else what went wrong
    next_attempt_at INTEGER                     -- the retry it scheduled, if any
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, at);
"#,
    r#"
-- Forms (docs/protocol.md section 16).
ALTER TABLE messages ADD COLUMN form TEXT;                -- a submission's SubmittedForm, as JSON
"#,
];

#[derive(Debug)]
pub enum StoreError {
    Sql(rusqlite::Error),
    NotFound,
    Closed,
    /// `clientMsgId` reused with another text.
    Conflict,
    /// The first message of a new conversation is not the pre-chat form
    /// (or the offline form) the site requires.
    FormRequired,
    /// A verified identity claimed without proof.
    IdentityUnverified,
    /// The blocking task died (panic or runtime shutdown).
    Join,
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::Sql(e)
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// Cheap to clone handle on the single connection and on its writer.
#[derive(Clone)]
pub struct Store {
    conn: Arc<Mutex<Connection>>,
    writer: Arc<Writer>,
}

impl Store {
    /// Opens (creating the parent directory) and migrates. `None` = in memory.
    pub fn open(path: Option<&Path>) -> Result<Store> {
        let conn = Arc::new(Mutex::new(connect(path)?));
        let writer = Writer::start(conn.clone())?;
        Ok(Store { conn, writer: Arc::new(writer) })
    }

    /// Runs `f` on the connection off the async runtime.
    pub async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            // A panic while holding the lock leaves SQLite consistent (an
            // open transaction rolls back on drop), so poisoning is ignored.
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|_| StoreError::Join)?
    }

    /// Runs the write `f` in the writer's next transaction (group commit)
    /// and answers once that transaction is committed, so an answered write
    /// is durable. `f` runs inside a savepoint: an `Err` rolls back its own
    /// changes only, and is answered as it is.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.writer.submit(Box::new(WriteJob { f, reply }))?;
        answer.await.map_err(|_| StoreError::Join)?
    }
}

/// Opens and migrates a connection. `None` = in memory.
fn connect(path: Option<&Path>) -> Result<Connection> {
    let mut conn = match path {
        Some(p) => {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io_error)?;
            }
            let c = Connection::open(p)?;
            c.pragma_update(None, "journal_mode", "WAL")?;
            c.pragma_update(None, "synchronous", "FULL")?;
            c
        }
        None => Connection::open_in_memory()?,
    };
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    migrate(&mut conn)?;
    Ok(conn)
}

/// Any other failure inside a store call, as an error of the store.
pub fn other(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> StoreError {
    StoreError::Sql(rusqlite::Error::ToSqlConversionFailure(e.into()))
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::Sql(rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied schema migration");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Group commit
// ---------------------------------------------------------------------------

/// Most writes in one transaction; more wait for the next one.
const MAX_BATCH: usize = 256;

/// A queued write: run it inside the batch, or fail it unrun.
trait Job: Send {
    fn run(self: Box<Self>, conn: &Connection) -> Ran;
    fn fail(self: Box<Self>, err: &rusqlite::Error);
}

/// A write that ran; its answer waits for the commit of its batch.
struct Ran {
    ok: bool,
    /// Answers with the result, or with the commit's error if the batch
    /// failed and the result was a success.
    answer: Answer,
}

type Answer = Box<dyn FnOnce(Option<&rusqlite::Error>) + Send>;

struct WriteJob<F, T> {
    f: F,
    reply: oneshot::Sender<Result<T>>,
}

impl<F, T> Job for WriteJob<F, T>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T> + Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> Ran {
        let WriteJob { f, reply } = *self;
        let result = f(conn);
        Ran {
            ok: result.is_ok(),
            answer: Box::new(move |failed| {
                let result = match (result, failed) {
                    (Ok(_), Some(err)) => Err(StoreError::Sql(copy_error(err))),
                    (result, _) => result,
                };
                // The caller may have gone; the write stands either way.
                let _ = reply.send(result);
            }),
        }
    }

    fn fail(self: Box<Self>, err: &rusqlite::Error) {
        let _ = self.reply.send(Err(StoreError::Sql(copy_error(err))));
    }
}

/// One batch's error, for each of its writes (`rusqlite::Error` is not `Clone`).
fn copy_error(err: &rusqlite::Error) -> rusqlite::Error {
    match err {
        rusqlite::Error::SqliteFailure(code, msg) => rusqlite::Error::SqliteFailure(*code, msg.clone()),
        other => rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
            Some(other.to_string()),
        ),
    }
}

/// The writer thread: takes every write queued so far, runs them in one
/// transaction (one savepoint each) and commits once. With
/// `synchronous=FULL` each commit is an fsync; one per write capped a file
/// database at the disk's fsync rate, one per batch does not.
struct Writer {
    queue: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(conn: Arc<Mutex<Connection>>) -> Result<Writer> {
        let (queue, jobs) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("natter-db-writer".into())
            .spawn(move || write_loop(&conn, &jobs))
            .map_err(io_error)?;
        Ok(Writer { queue: Some(queue), thread: Some(thread) })
    }

    fn submit(&self, job: Box<dyn Job>) -> Result<()> {
        self.queue.as_ref().and_then(|q| q.send(job).ok()).ok_or(StoreError::Join)
    }
}

impl Drop for Writer {
    /// With the last handle: closes the queue, lets the thread finish what
    /// is queued, and waits for it, so the database is closed on return.
    fn drop(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn write_loop(conn: &Mutex<Connection>, jobs: &mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = jobs.recv() {
        let mut batch = vec![first];
        batch.extend(jobs.try_iter().take(MAX_BATCH - 1));
        let (ran, failed) = {
            let mut guard = conn.lock().unwrap_or_else(|p| p.into_inner());
            run_batch(&mut guard, batch)
        };
        // Answered after the lock is released: waking callers needs no lock.
        for r in ran {
            (r.answer)(failed.as_ref());
        }
    }
}

/// Runs a batch in one transaction; returns the writes that ran and the
/// error that rolled the whole batch back, if any (writes that did not run
/// are failed with it here).
fn run_batch(conn: &mut Connection, batch: Vec<Box<dyn Job>>) -> (Vec<Ran>, Option<rusqlite::Error>) {
    let mut ran = Vec::with_capacity(batch.len());
    let mut jobs = batch.into_iter();
    let result = (|| {
        let mut tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        for job in jobs.by_ref() {
            let sp = tx.savepoint()?;
            // A panicking write drops its reply (the caller gets `Join`)
            // and is rolled back like a failed one.
            let Ok(r) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(&sp))) else { continue };
            let ok = r.ok;
            ran.push(r);
            if ok {
                sp.commit()?;
            } // else: dropping the savepoint rolls back to it
        }
        tx.commit()
    })();
    let failed = result.err();
    if let Some(err) = &failed {
        tracing::error!(%err, "write batch rolled back");
        for job in jobs {
            job.fail(err);
        }
    }
    (ran, failed)
}

// ---------------------------------------------------------------------------
// Site keys
// ---------------------------------------------------------------------------

/// The stored JWT key of a site, generated on first use.
pub fn site_key(conn: &mut Connection, app_key: &str) -> Result<Vec<u8>> {
    if let Some(k) =
        conn.query_row("SELECT jwt_secret FROM site_keys WHERE app_key = ?1", [app_key], |r| r.get(0)).optional()?
    {
        return Ok(k);
    }
    let key = auth::random_bytes(32).map_err(|e| StoreError::Sql(rusqlite::Error::InvalidParameterName(e)))?;
    conn.execute("INSERT INTO site_keys (app_key, jwt_secret) VALUES (?1, ?2)", params![app_key, key])?;
    Ok(key)
}

// ---------------------------------------------------------------------------
// Visitors
// ---------------------------------------------------------------------------

/// The identity layers of a handshake or identify call.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    pub external_user_id: Option<String>,
    pub fingerprint: Option<String>,
    pub anon_id: Option<String>,
    /// `externalUserId` came with a valid proof (userHash, identityToken,
    /// signed link).
    pub verified: bool,
    /// Identify: the caller's current record (the token's visitor).
    pub claim: Option<String>,
    /// Identify with `externalUserId: null` from a signed-in record.
    pub logout: bool,
}

/// Everything else a handshake says about the visitor.
#[derive(Clone, Debug, Default)]
pub struct Details {
    pub profile: Profile,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    pub page: Option<PageInfo>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// The outcome of [`resolve_visitor`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resolved {
    pub visitor: String,
    /// The anonymous record merged into `visitor` by this call, if any.
    pub merged_from: Option<String>,
    /// Conversations whose owner or messages changed by the merge.
    pub touched: Vec<i64>,
    /// A record made by unproven claims of the user was just proven: its
    /// tokens minted without proof are revoked (see [`Access`]).
    pub newly_verified: bool,
}

fn new_visitor_id() -> Result<String> {
    let bytes = auth::random_bytes(12).map_err(|e| StoreError::Sql(rusqlite::Error::InvalidParameterName(e)))?;
    Ok(format!("cv_{}", auth::hex(&bytes)))
}

/// A live anonymous record: no layer 1 and not merged into a user.
const ANONYMOUS: &str = "external_user_id IS NULL AND merged_into IS NULL";

fn anonymous_by(tx: &Transaction<'_>, app_key: &str, column: &str, value: Option<&str>) -> Result<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    let retired = if column == "fingerprint" { "AND fingerprint_retired = 0" } else { "" };
    Ok(tx
        .query_row(
            &format!(
                "SELECT id FROM visitors WHERE app_key = ?1 AND {column} = ?2 AND {ANONYMOUS} {retired} \
                 ORDER BY last_seen_at DESC, rowid DESC LIMIT 1"
            ),
            params![app_key, value],
            |r| r.get(0),
        )
        .optional()?)
}

/// No anonymous record with this fingerprint is reachable through L2 any
/// more: a login or logout happened in a browser with it.
fn retire_fingerprint(tx: &Transaction<'_>, app_key: &str, fingerprint: Option<&str>) -> Result<()> {
    if let Some(fp) = fingerprint {
        tx.execute(
            &format!(
                "UPDATE visitors SET fingerprint_retired = 1 WHERE app_key = ?1 AND fingerprint = ?2 AND {ANONYMOUS}"
            ),
            params![app_key, fp],
        )?;
    }
    Ok(())
}

/// Finds or creates the visitor for these identity layers; see
/// docs/protocol.md section 5 for the rules:
///
/// - L1 given: the record with that L1 (a verified one only with proof).
///   The browser's anonymous record (the identify caller's, else the live
///   anonymous record with this L3) is merged into it, or upgraded in place
///   when the user has no record yet. Never an anonymous record found by L2.
/// - L1 absent: the live anonymous record with this L3, else (not on
///   logout) the newest live anonymous record with this L2 whose
///   fingerprint was not retired, else a new record.
/// - A login or logout retires the browser's fingerprint: earlier
///   anonymous records with it are no longer reachable through L2.
/// - A record with an L1, or merged into one, is never reached via L2/L3.
pub fn resolve_visitor(conn: &mut Connection, app_key: &str, id: &Identity, d: &Details, now: i64) -> Result<Resolved> {
    let tx = conn.transaction()?;
    let claim = match &id.claim {
        Some(c) => tx
            .query_row(
                "SELECT external_user_id IS NULL AND merged_into IS NULL, fingerprint FROM visitors WHERE id = ?1 AND app_key = ?2",
                params![c, app_key],
                |r| Ok((c.clone(), r.get::<_, bool>(0)?, r.get::<_, Option<String>>(1)?)),
            )
            .optional()?,
        None => None,
    };
    if id.external_user_id.is_some() || id.logout {
        retire_fingerprint(&tx, app_key, id.fingerprint.as_deref())?;
        if let Some((_, _, fp)) = &claim {
            retire_fingerprint(&tx, app_key, fp.as_deref())?;
        }
    }
    let mut resolved = Resolved::default();
    let existing = match &id.external_user_id {
        Some(ext) => {
            let user: Option<(String, bool)> = tx
                .query_row(
                    "SELECT id, verified FROM visitors WHERE app_key = ?1 AND external_user_id = ?2",
                    params![app_key, ext],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            match &user {
                Some((_, true)) if !id.verified => return Err(StoreError::IdentityUnverified),
                Some((record, false)) if id.verified => {
                    // Until now only unproven claims spoke for this user:
                    // nothing they said about the profile is vouched for.
                    tx.execute(
                        "UPDATE visitors SET nickname = NULL, avatar = NULL, email = NULL, phone = NULL, extra = NULL
                         WHERE id = ?1",
                        [record],
                    )?;
                    resolved.newly_verified = true;
                }
                _ => {}
            }
            let source = match claim {
                Some((c, true, _)) => Some(c),
                Some(_) => None,
                None => anonymous_by(&tx, app_key, "anon_id", id.anon_id.as_deref())?,
            };
            match (user, source) {
                (Some((user, _)), Some(anon)) => {
                    resolved.touched = merge_into(&tx, &anon, &user, now)?;
                    resolved.merged_from = Some(anon);
                    Some(user)
                }
                (Some((user, _)), None) => Some(user),
                (None, anon) => anon,
            }
        }
        None => match anonymous_by(&tx, app_key, "anon_id", id.anon_id.as_deref())? {
            Some(found) => Some(found),
            None if id.logout => None,
            None => anonymous_by(&tx, app_key, "fingerprint", id.fingerprint.as_deref())?,
        },
    };
    let visitor = match existing {
        Some(v) => v,
        None => {
            let v = new_visitor_id()?;
            tx.execute(
                "INSERT INTO visitors (id, app_key, first_seen_at, last_seen_at) VALUES (?1, ?2, ?3, ?3)",
                params![v, app_key, now],
            )?;
            v
        }
    };
    tx.execute(
        "UPDATE visitors SET
            external_user_id = COALESCE(?2, external_user_id),
            fingerprint = COALESCE(?3, fingerprint),
            anon_id = COALESCE(?4, anon_id),
            verified = MAX(verified, ?5)
         WHERE id = ?1",
        params![visitor, id.external_user_id, id.fingerprint, id.anon_id, id.verified as i64],
    )?;
    update_details(&tx, &visitor, d, now)?;
    tx.commit()?;
    resolved.visitor = visitor;
    Ok(resolved)
}

/// Merges the anonymous record `from` into the user record `into`: every
/// conversation of `from` changes owner; when both have an open one, the
/// anonymous one's messages move into the user's (ids are global, so the
/// history stays in order) and the emptied conversation is closed with a
/// system note for agents. Idempotency keys follow the messages; empty
/// profile fields of `into` are filled from `from`, and `into` shows the
/// browser's layers 2 and 3 (the request's, when given, win afterwards).
/// Returns the touched conversation ids.
fn merge_into(tx: &Transaction<'_>, from: &str, into: &str, now: i64) -> Result<Vec<i64>> {
    let mut touched = Vec::new();
    if let (Some(a), Some(u)) = (open_conversation(tx, from)?, open_conversation(tx, into)?) {
        let (a, u) = (a.conversation.id, u.conversation.id);
        tx.execute("UPDATE messages SET conversation_id = ?2 WHERE conversation_id = ?1", params![a, u])?;
        tx.execute("UPDATE conversations SET updated_at = ?2 WHERE id = ?1", params![u, now])?;
        tx.execute(
            "UPDATE conversations SET status = 'closed', ended_by = 'system', updated_at = ?2 WHERE id = ?1",
            params![a, now],
        )?;
        let note = format!("Merged into conversation #{u} when the visitor signed in.");
        let m = NewMessage { text: &note, ..NewMessage::system(None) };
        insert_message(tx, a, m, now)?;
    }
    let mut stmt = tx.prepare_cached("SELECT id FROM conversations WHERE visitor_id = ?1")?;
    touched.extend(stmt.query_map([from], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<_>>>()?);
    tx.execute("UPDATE conversations SET visitor_id = ?2 WHERE visitor_id = ?1", params![from, into])?;
    if let Some(u) = open_conversation(tx, into)? {
        touched.push(u.conversation.id);
    }
    touched.sort_unstable();
    touched.dedup();
    tx.execute(
        "UPDATE OR IGNORE messages SET author = ?2 WHERE author = ?1",
        params![Author::Visitor(from).key(), Author::Visitor(into).key()],
    )?;
    tx.execute(
        "UPDATE visitors SET
            nickname = COALESCE(nickname, (SELECT nickname FROM visitors WHERE id = ?1)),
            avatar   = COALESCE(avatar,   (SELECT avatar   FROM visitors WHERE id = ?1)),
            email    = COALESCE(email,    (SELECT email    FROM visitors WHERE id = ?1)),
            phone    = COALESCE(phone,    (SELECT phone    FROM visitors WHERE id = ?1)),
            extra    = COALESCE(extra,    (SELECT extra    FROM visitors WHERE id = ?1)),
            first_seen_at = MIN(first_seen_at, (SELECT first_seen_at FROM visitors WHERE id = ?1)),
            fingerprint = COALESCE((SELECT fingerprint FROM visitors WHERE id = ?1), fingerprint),
            anon_id     = COALESCE((SELECT anon_id     FROM visitors WHERE id = ?1), anon_id)
         WHERE id = ?2",
        params![from, into],
    )?;
    tx.execute("UPDATE visitors SET merged_into = ?2, fingerprint_retired = 1 WHERE id = ?1", params![from, into])?;
    Ok(touched)
}

/// Applies profile and context fields: absent keeps, `""` clears.
pub fn update_details(tx: &Transaction<'_>, visitor: &str, d: &Details, now: i64) -> Result<()> {
    let p = &d.profile;
    let extra = p.extra.as_ref().map(|v| match v {
        JsonValue::Null => String::new(),
        other => serde_json::to_string(other).unwrap_or_default(),
    });
    let page = d.page.as_ref();
    let page_set = page.is_some() as i64;
    tx.execute(
        "UPDATE visitors SET
            nickname = CASE WHEN ?2 IS NULL THEN nickname ELSE NULLIF(?2, '') END,
            avatar   = CASE WHEN ?3 IS NULL THEN avatar   ELSE NULLIF(?3, '') END,
            email    = CASE WHEN ?4 IS NULL THEN email    ELSE NULLIF(?4, '') END,
            phone    = CASE WHEN ?5 IS NULL THEN phone    ELSE NULLIF(?5, '') END,
            extra    = CASE WHEN ?6 IS NULL THEN extra    ELSE NULLIF(?6, '') END,
            locale   = COALESCE(?7, locale),
            timezone = COALESCE(?8, timezone),
            page_url      = CASE WHEN ?9 = 1 THEN ?10 ELSE page_url END,
            page_referrer = CASE WHEN ?9 = 1 THEN ?11 ELSE page_referrer END,
            page_title    = CASE WHEN ?9 = 1 THEN ?12 ELSE page_title END,
            user_agent = COALESCE(?13, user_agent),
            ip = COALESCE(?14, ip),
            last_seen_at = ?15
         WHERE id = ?1",
        params![
            visitor,
            p.nickname,
            p.avatar,
            p.email,
            p.phone,
            extra,
            d.locale,
            d.timezone,
            page_set,
            page.and_then(|p| p.url.clone()),
            page.and_then(|p| p.referrer.clone()),
            page.and_then(|p| p.title.clone()),
            d.user_agent,
            d.ip,
            now
        ],
    )?;
    Ok(())
}

/// Updates only the details of a known visitor (identify without identity change).
pub fn touch_visitor(conn: &mut Connection, visitor: &str, d: &Details, now: i64) -> Result<()> {
    let tx = conn.transaction()?;
    update_details(&tx, visitor, d, now)?;
    tx.commit()?;
    Ok(())
}

const VISITOR_COLUMNS: &str = "id, external_user_id, fingerprint, anon_id, verified, nickname, avatar, email, \
    phone, extra, locale, timezone, page_url, page_referrer, page_title, user_agent, ip, first_seen_at, last_seen_at";

fn visitor_from_row(r: &Row<'_>) -> rusqlite::Result<VisitorInfo> {
    let extra: Option<String> = r.get(9)?;
    Ok(VisitorInfo {
        cs_visitor_id: r.get(0)?,
        external_user_id: r.get(1)?,
        fingerprint: r.get(2)?,
        visitor_id: r.get(3)?,
        verified: r.get::<_, i64>(4)? != 0,
        profile: Profile {
            nickname: r.get(5)?,
            avatar: r.get(6)?,
            email: r.get(7)?,
            phone: r.get(8)?,
            extra: extra.and_then(|e| serde_json::from_str(&e).ok()),
        },
        locale: r.get(10)?,
        timezone: r.get(11)?,
        page: PageInfo { url: r.get(12)?, referrer: r.get(13)?, title: r.get(14)? },
        user_agent: r.get(15)?,
        ip: r.get(16)?,
        first_seen_at: rfc3339(r.get(17)?),
        last_seen_at: rfc3339(r.get(18)?),
    })
}

pub fn visitor(conn: &Connection, visitor: &str) -> Result<Option<VisitorInfo>> {
    Ok(conn
        .query_row(&format!("SELECT {VISITOR_COLUMNS} FROM visitors WHERE id = ?1"), [visitor], visitor_from_row)
        .optional()?)
}

/// Who may act for a visitor record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No such record, or it was merged into another: nobody.
    Gone,
    /// Any token of the record.
    Open,
    /// The user's identity was proven: only tokens minted on a proof.
    ProvenOnly,
}

pub fn visitor_access(conn: &Connection, visitor: &str) -> Result<Access> {
    let row: Option<(bool, bool)> = conn
        .query_row("SELECT merged_into IS NULL, verified FROM visitors WHERE id = ?1", [visitor], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    Ok(match row {
        Some((true, true)) => Access::ProvenOnly,
        Some((true, false)) => Access::Open,
        _ => Access::Gone,
    })
}

/// The external user id a visitor record is bound to.
pub fn visitor_external_id(conn: &Connection, visitor: &str) -> Result<Option<String>> {
    conn.query_row("SELECT external_user_id FROM visitors WHERE id = ?1", [visitor], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)
}

// ---------------------------------------------------------------------------
// Conversations and messages
// ---------------------------------------------------------------------------

const CONVERSATION_COLUMNS: &str = "c.id, c.status, c.created_at, c.updated_at, \
    (SELECT MAX(m.id) FROM messages m WHERE m.conversation_id = c.id), c.app_key, c.visitor_id, \
    c.ended_by, c.agent_name, r.scale, r.score, r.comment, r.created_at, r.updated_at";
/// Every conversation read comes with its rating.
const CONVERSATION_FROM: &str = "conversations c LEFT JOIN ratings r ON r.conversation_id = c.id";

/// A conversation with its owner, as stored.
#[derive(Clone, Debug)]
pub struct ConversationRow {
    pub conversation: Conversation,
    pub app_key: String,
    pub visitor_id: String,
}

fn conversation_from_row(r: &Row<'_>) -> rusqlite::Result<ConversationRow> {
    let status: String = r.get(1)?;
    Ok(ConversationRow {
        conversation: Conversation {
            id: r.get(0)?,
            status: if status == "open" { ConversationStatus::Open } else { ConversationStatus::Closed },
            created_at: rfc3339(r.get(2)?),
            updated_at: rfc3339(r.get(3)?),
            last_message_id: r.get(4)?,
            ended_by: r.get::<_, Option<String>>(7)?.as_deref().and_then(Sender::parse),
            agent_name: r.get(8)?,
            rating: rating_at(r, r.get(0)?, 9)?,
        },
        app_key: r.get(5)?,
        visitor_id: r.get(6)?,
    })
}

pub fn conversation(conn: &Connection, id: i64) -> Result<Option<ConversationRow>> {
    Ok(conn
        .query_row(
            &format!("SELECT {CONVERSATION_COLUMNS} FROM {CONVERSATION_FROM} WHERE c.id = ?1"),
            [id],
            conversation_from_row,
        )
        .optional()?)
}

pub fn open_conversation(conn: &Connection, visitor: &str) -> Result<Option<ConversationRow>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {CONVERSATION_COLUMNS} FROM {CONVERSATION_FROM} WHERE c.visitor_id = ?1 AND c.status = 'open'"
            ),
            [visitor],
            conversation_from_row,
        )
        .optional()?)
}

const MESSAGE_COLUMNS: &str = "id, conversation_id, sender, text, agent_name, client_msg_id, created_at, event, form";

fn message_from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let sender: String = r.get(2)?;
    Ok(Message {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        from: Sender::parse(&sender).unwrap_or(Sender::System),
        text: r.get(3)?,
        agent_name: r.get(4)?,
        client_msg_id: r.get(5)?,
        created_at: rfc3339(r.get(6)?),
        event: r.get::<_, Option<String>>(7)?.as_deref().and_then(ConversationEvent::parse),
        form: r.get::<_, Option<String>>(8)?.and_then(|json| serde_json::from_str(&json).ok()),
    })
}

/// The rating in the `scale, score, comment, created_at, updated_at`
/// columns from `first` on, if any.
fn rating_at(r: &Row<'_>, conversation_id: i64, first: usize) -> rusqlite::Result<Option<Rating>> {
    let Some(scale) = r.get::<_, Option<String>>(first)?.as_deref().and_then(RatingScale::parse) else {
        return Ok(None);
    };
    Ok(Some(Rating {
        conversation_id,
        scale,
        score: r.get(first + 1)?,
        comment: r.get(first + 2)?,
        created_at: rfc3339(r.get(first + 3)?),
        updated_at: rfc3339(r.get(first + 4)?),
    }))
}

fn message_by_id(conn: &Connection, id: i64) -> Result<Message> {
    conn.query_row(&format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?1"), [id], message_from_row)
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Messages of a conversation with id > `since`, ascending; `true` when more follow.
pub fn messages(conn: &Connection, conversation: i64, since: i64, limit: u32) -> Result<(Vec<Message>, bool)> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
    ))?;
    let mut rows: Vec<Message> = stmt
        .query_map(params![conversation, since, i64::from(limit) + 1], message_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// Result of storing a message.
#[derive(Clone, Debug)]
pub struct Stored {
    pub message: Message,
    pub conversation: ConversationRow,
    /// The `clientMsgId` was already stored: `message` is the original.
    pub duplicate: bool,
    /// The message opened a new conversation.
    pub new_conversation: bool,
    /// An agent's first reply joined the conversation: the `joined` system
    /// message stored just before the reply.
    pub joined: Option<Message>,
}

/// Who is writing, for idempotency scoping and the stored columns.
pub enum Author<'a> {
    Visitor(&'a str),
    Agent { app_key: &'a str, name: &'a str },
}

impl Author<'_> {
    fn key(&self) -> String {
        match self {
            Author::Visitor(v) => format!("v:{v}"),
            Author::Agent { app_key, name } => format!("a:{app_key}:{name}"),
        }
    }
}

/// The message stored under `client_msg_id` by `author`, if any;
/// `Conflict` when it differs from the one sent again: another text, or
/// another form (compared by name and values).
fn find_duplicate(
    tx: &Connection,
    author: &str,
    client_msg_id: Option<&str>,
    text: &str,
    form: Option<&SubmittedForm>,
) -> Result<Option<Message>> {
    let Some(cmid) = client_msg_id else { return Ok(None) };
    let found = tx
        .query_row(
            &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE author = ?1 AND client_msg_id = ?2"),
            params![author, cmid],
            message_from_row,
        )
        .optional()?;
    let same = |m: &Message| match (&m.form, form) {
        (Some(stored), Some(sent)) => crate::forms::same_submission(stored, sent),
        (None, None) => m.text == text,
        _ => false,
    };
    match found {
        Some(m) if !same(&m) => Err(StoreError::Conflict),
        other => Ok(other),
    }
}

/// The columns of a message to insert.
struct NewMessage<'a> {
    sender: Sender,
    text: &'a str,
    agent_name: Option<&'a str>,
    client_msg_id: Option<&'a str>,
    author: &'a str,
    event: Option<ConversationEvent>,
    /// A submission's form, as JSON.
    form: Option<String>,
}

impl<'a> NewMessage<'a> {
    /// A system message (its text to be set), with its agent if one acted.
    fn system(agent_name: Option<&'a str>) -> NewMessage<'a> {
        NewMessage {
            sender: Sender::System,
            text: "",
            agent_name,
            client_msg_id: None,
            author: "system",
            event: None,
            form: None,
        }
    }
}

fn insert_message(tx: &Connection, conversation: i64, m: NewMessage<'_>, now: i64) -> Result<i64> {
    tx.execute(
        "INSERT INTO messages (conversation_id, sender, text, agent_name, client_msg_id, author, created_at, event, form)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            conversation,
            m.sender.as_str(),
            m.text,
            m.agent_name,
            m.client_msg_id,
            m.author,
            now,
            m.event.map(ConversationEvent::as_str),
            m.form
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute("UPDATE conversations SET updated_at = ?2 WHERE id = ?1", params![conversation, now])?;
    Ok(id)
}

/// A visitor's message to store: a text, or a form submission with its
/// plain-text rendering.
#[derive(Clone, Debug)]
pub struct VisitorMessage {
    pub client_msg_id: String,
    pub text: String,
    pub form: Option<SubmittedForm>,
    /// The site's pre-chat form still waits for the visitor: a new
    /// conversation may only open with a pre-chat or offline submission.
    pub pre_chat_pending: bool,
}

impl VisitorMessage {
    pub fn text(client_msg_id: &str, text: &str) -> VisitorMessage {
        VisitorMessage { client_msg_id: client_msg_id.into(), text: text.into(), form: None, pre_chat_pending: false }
    }
}

/// The visitor's message already stored under its `clientMsgId`, as a
/// duplicate answer (`Conflict` when it had another text or form).
pub fn visitor_duplicate(conn: &Connection, visitor: &str, m: &VisitorMessage) -> Result<Option<Stored>> {
    let author = Author::Visitor(visitor).key();
    let Some(message) = find_duplicate(conn, &author, Some(&m.client_msg_id), &m.text, m.form.as_ref())? else {
        return Ok(None);
    };
    let conversation = conversation(conn, message.conversation_id)?.ok_or(StoreError::NotFound)?;
    Ok(Some(Stored { message, conversation, duplicate: true, new_conversation: false, joined: None }))
}

/// Stores a visitor message in the visitor's open conversation, opening one
/// if needed. Idempotent on `client_msg_id`. Runs inside a transaction:
/// [`Store::write`]'s.
pub fn send_visitor(tx: &Connection, app_key: &str, visitor: &str, m: &VisitorMessage, now: i64) -> Result<Stored> {
    if let Some(stored) = visitor_duplicate(tx, visitor, m)? {
        return Ok(stored);
    }
    let author = Author::Visitor(visitor).key();
    let (conv_id, new_conversation) = match open_conversation(tx, visitor)? {
        Some(c) => (c.conversation.id, false),
        None => {
            let opens = m.form.as_ref().is_some_and(|f| crate::forms::opens_conversation(&f.name));
            if m.pre_chat_pending && !opens {
                return Err(StoreError::FormRequired);
            }
            // The fields set while no conversation was open are its first.
            tx.execute(
                "INSERT INTO conversations (app_key, visitor_id, status, created_at, updated_at, fields)
                 SELECT ?1, ?2, 'open', ?3, ?3, next_fields FROM visitors WHERE id = ?2",
                params![app_key, visitor, now],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute("UPDATE visitors SET next_fields = NULL WHERE id = ?1", [visitor])?;
            (id, true)
        }
    };
    let id = insert_message(
        tx,
        conv_id,
        NewMessage {
            sender: Sender::Visitor,
            text: &m.text,
            agent_name: None,
            client_msg_id: Some(&m.client_msg_id),
            author: &author,
            event: None,
            form: m.form.as_ref().map(serde_json::to_string).transpose().map_err(other)?,
        },
        now,
    )?;
    let message = message_by_id(tx, id)?;
    let conversation = conversation(tx, conv_id)?.ok_or(StoreError::NotFound)?;
    Ok(Stored { message, conversation, duplicate: false, new_conversation, joined: None })
}

/// Stores an agent reply in an open conversation of the agent's site. Runs
/// inside a transaction: [`Store::write`]'s.
pub fn send_agent(
    tx: &Connection,
    app_key: &str,
    agent_name: &str,
    conversation_id: i64,
    client_msg_id: Option<&str>,
    text: &str,
    now: i64,
) -> Result<Stored> {
    let author = Author::Agent { app_key, name: agent_name }.key();
    let conv = conversation(tx, conversation_id)?.filter(|c| c.app_key == app_key).ok_or(StoreError::NotFound)?;
    if let Some(message) = find_duplicate(tx, &author, client_msg_id, text, None)? {
        // The key is the agent's across conversations: reused for a reply
        // to another conversation it is refused, never answered with the
        // old reply while the new one is dropped.
        if message.conversation_id != conversation_id {
            return Err(StoreError::Conflict);
        }
        return Ok(Stored { message, conversation: conv, duplicate: true, new_conversation: false, joined: None });
    }
    if conv.conversation.status != ConversationStatus::Open {
        return Err(StoreError::Closed);
    }
    // A first reply joins: the `joined` message comes before the reply.
    let (_, joined) = join(tx, conversation_id, agent_name, now)?;
    let id = insert_message(
        tx,
        conversation_id,
        NewMessage {
            sender: Sender::Agent,
            text,
            agent_name: Some(agent_name),
            client_msg_id,
            author: &author,
            event: None,
            form: None,
        },
        now,
    )?;
    let message = message_by_id(tx, id)?;
    let conversation = conversation(tx, conversation_id)?.ok_or(StoreError::NotFound)?;
    Ok(Stored { message, conversation, duplicate: false, new_conversation: false, joined })
}

/// Who ends a conversation.
#[derive(Clone, Debug)]
pub enum Ender {
    Visitor,
    Agent(String),
    /// The server, for a conversation idle longer than its site allows.
    System,
}

impl Ender {
    fn event(&self) -> ConversationEvent {
        match self {
            Ender::Visitor => ConversationEvent::EndedByVisitor,
            Ender::Agent(_) => ConversationEvent::EndedByAgent,
            Ender::System => ConversationEvent::EndedBySystem,
        }
    }
}

/// A step of a conversation's life: the conversation after it, and the
/// system message recording it (`None` when the step had already happened).
pub type Step = (ConversationRow, Option<Message>);

/// Stores the system message of a life-cycle step.
fn insert_event(
    tx: &Connection,
    conversation: i64,
    event: ConversationEvent,
    agent: Option<&str>,
    now: i64,
) -> Result<Message> {
    let text = match (event, agent) {
        (ConversationEvent::Joined, Some(name)) => format!("{name} joined the conversation."),
        (ConversationEvent::EndedByAgent, Some(name)) => format!("{name} ended the conversation."),
        (ConversationEvent::EndedByVisitor, _) => "The visitor ended the conversation.".into(),
        _ => "The conversation was closed.".into(),
    };
    let m = NewMessage { text: &text, event: Some(event), ..NewMessage::system(agent) };
    let id = insert_message(tx, conversation, m, now)?;
    message_by_id(tx, id)
}

/// Ends a conversation with a system message; a no-op when already ended.
/// Runs inside a transaction: [`Store::write`]'s.
pub fn end_conversation(tx: &Connection, conversation_id: i64, by: &Ender, now: i64) -> Result<Step> {
    let conv = conversation(tx, conversation_id)?.ok_or(StoreError::NotFound)?;
    if conv.conversation.status == ConversationStatus::Closed {
        return Ok((conv, None));
    }
    let event = by.event();
    let ended_by = event.ended_by().map(Sender::as_str);
    tx.execute(
        "UPDATE conversations SET status = 'closed', ended_by = ?2 WHERE id = ?1",
        params![conversation_id, ended_by],
    )?;
    let agent = match by {
        Ender::Agent(name) => Some(name.as_str()),
        _ => None,
    };
    let message = insert_event(tx, conversation_id, event, agent, now)?;
    Ok((conversation(tx, conversation_id)?.ok_or(StoreError::NotFound)?, Some(message)))
}

/// An agent joins an open conversation of its site; a no-op once any agent
/// has joined (`agentName` stays the first). `Closed` when it has ended.
/// Runs inside a transaction: [`Store::write`]'s.
pub fn join(tx: &Connection, conversation_id: i64, agent_name: &str, now: i64) -> Result<Step> {
    let conv = conversation(tx, conversation_id)?.ok_or(StoreError::NotFound)?;
    if conv.conversation.agent_name.is_some() {
        return Ok((conv, None));
    }
    if conv.conversation.status != ConversationStatus::Open {
        return Err(StoreError::Closed);
    }
    tx.execute("UPDATE conversations SET agent_name = ?2 WHERE id = ?1", params![conversation_id, agent_name])?;
    let message = insert_event(tx, conversation_id, ConversationEvent::Joined, Some(agent_name), now)?;
    Ok((conversation(tx, conversation_id)?.ok_or(StoreError::NotFound)?, Some(message)))
}

/// Open conversations of a site with no message since `before` (ms).
pub fn idle_conversations(conn: &Connection, app_key: &str, before: i64) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM conversations WHERE app_key = ?1 AND status = 'open' AND updated_at <= ?2 ORDER BY id",
    )?;
    let ids = stmt.query_map(params![app_key, before], |r| r.get(0))?;
    Ok(ids.collect::<rusqlite::Result<_>>()?)
}

/// The time of the oldest last activity among a site's open conversations.
pub fn oldest_open_activity(conn: &Connection, app_key: &str) -> Result<Option<i64>> {
    Ok(conn.query_row(
        "SELECT MIN(updated_at) FROM conversations WHERE app_key = ?1 AND status = 'open'",
        [app_key],
        |r| r.get(0),
    )?)
}

// ---------------------------------------------------------------------------
// Ratings
// ---------------------------------------------------------------------------

/// The outcome of [`rate`].
#[derive(Clone, Debug)]
pub enum Rated {
    /// Stored now (first given or changed): agents are told.
    Changed(ConversationRow),
    /// The same rating was already stored.
    Same(Rating),
    /// A different rating given more than `window_ms` after the first.
    Locked,
}

/// Stores the visitor's rating of conversation `id` (ended, checked by the
/// caller): given once, changed within `window_ms` of the first, the same
/// rating again is a no-op. Runs inside a transaction: [`Store::write`]'s.
pub fn rate(
    tx: &Connection,
    id: i64,
    scale: RatingScale,
    score: u8,
    comment: Option<&str>,
    now: i64,
    window_ms: i64,
) -> Result<Rated> {
    let conv = conversation(tx, id)?.ok_or(StoreError::NotFound)?;
    if let Some(old) = &conv.conversation.rating {
        if old.scale == scale && old.score == score && old.comment.as_deref() == comment {
            return Ok(Rated::Same(old.clone()));
        }
        let first: i64 =
            tx.query_row("SELECT created_at FROM ratings WHERE conversation_id = ?1", [id], |r| r.get(0))?;
        if now - first > window_ms {
            return Ok(Rated::Locked);
        }
    }
    tx.execute(
        "INSERT INTO ratings (conversation_id, scale, score, comment, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (conversation_id) DO UPDATE SET
            scale = excluded.scale, score = excluded.score, comment = excluded.comment, updated_at = excluded.updated_at",
        params![id, scale.as_str(), score, comment, now],
    )?;
    Ok(Rated::Changed(conversation(tx, id)?.ok_or(StoreError::NotFound)?))
}

/// The newest `limit` ratings of a site's conversations (last given or changed first).
pub fn ratings(conn: &Connection, app_key: &str, limit: u32) -> Result<Vec<Rating>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.conversation_id, r.scale, r.score, r.comment, r.created_at, r.updated_at
         FROM ratings r JOIN conversations c ON c.id = r.conversation_id
         WHERE c.app_key = ?1 ORDER BY r.updated_at DESC, r.conversation_id DESC LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![app_key, limit], |r| rating_at(r, r.get(0)?, 1))?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?.into_iter().flatten().collect())
}

/// Per scale: how many ratings, how many at each score.
pub fn rating_counts(conn: &Connection, app_key: &str) -> Result<Vec<(RatingScale, u8, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.scale, r.score, COUNT(*) FROM ratings r JOIN conversations c ON c.id = r.conversation_id
         WHERE c.app_key = ?1 GROUP BY r.scale, r.score",
    )?;
    let rows = stmt.query_map([app_key], |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, i64>(2)?)))?;
    Ok(rows
        .collect::<rusqlite::Result<Vec<_>>>()?
        .into_iter()
        .filter_map(|(scale, score, n)| Some((RatingScale::parse(&scale)?, score, n.max(0) as u64)))
        .collect())
}

/// Conversations of a site, most recently active first, with visitor and
/// newest message.
pub fn list_conversations(
    conn: &Connection,
    app_key: &str,
    status: Option<ConversationStatus>,
    limit: u32,
) -> Result<Vec<AgentView>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONVERSATION_COLUMNS} FROM {CONVERSATION_FROM}
         WHERE c.app_key = ?1 AND (?2 IS NULL OR c.status = ?2)
         ORDER BY c.updated_at DESC, c.id DESC LIMIT ?3"
    ))?;
    let rows: Vec<ConversationRow> = stmt
        .query_map(params![app_key, status.map(|s| s.as_str()), limit], conversation_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    rows.into_iter().map(|row| agent_view(conn, row)).collect()
}

/// A conversation as agents (and webhooks) see it: [`AgentConversation`]
/// and, for one that a form submission opened, that form's name
/// (`startForm`; `offline` marks a ticket).
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentView {
    #[serde(flatten)]
    pub conversation: AgentConversation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_form: Option<String>,
}

/// The form the first message of a conversation submitted, if it was one.
fn start_form(conn: &Connection, conversation: i64) -> Result<Option<String>> {
    let form: Option<Option<String>> = conn
        .query_row("SELECT form FROM messages WHERE conversation_id = ?1 ORDER BY id LIMIT 1", [conversation], |r| {
            r.get(0)
        })
        .optional()?;
    let form = form.flatten().and_then(|json| serde_json::from_str::<SubmittedForm>(&json).ok());
    Ok(form.map(|f| f.name))
}

/// A conversation as agents see it.
pub fn agent_view(conn: &Connection, row: ConversationRow) -> Result<AgentView> {
    let visitor = visitor(conn, &row.visitor_id)?.ok_or(StoreError::NotFound)?;
    let last_message = match row.conversation.last_message_id {
        Some(id) => Some(message_by_id(conn, id)?),
        None => None,
    };
    let fields = conversation_fields(conn, row.conversation.id)?;
    let fields: JsonValue = serde_json::from_value(serde_json::Value::Object(fields)).map_err(other)?;
    let start_form = start_form(conn, row.conversation.id)?;
    Ok(AgentView {
        conversation: AgentConversation { conversation: row.conversation, visitor, last_message, fields },
        start_form,
    })
}

// ---------------------------------------------------------------------------
// Conversation fields
// ---------------------------------------------------------------------------

pub type Fields = serde_json::Map<String, serde_json::Value>;

fn parse_fields(text: Option<String>) -> Fields {
    text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default()
}

/// A conversation's fields (empty when none were set).
pub fn conversation_fields(conn: &Connection, id: i64) -> Result<Fields> {
    let text = conn.query_row("SELECT fields FROM conversations WHERE id = ?1", [id], |r| r.get(0)).optional()?;
    Ok(parse_fields(text.flatten()))
}

/// The outcome of [`merge_fields`].
pub enum FieldsMerged {
    /// Stored: the fields now, and the id of the open conversation they
    /// belong to (`None`: kept for the visitor's next conversation).
    Stored(Fields, Option<i64>),
    /// The merged fields would be larger than allowed: nothing was stored.
    TooLarge,
}

/// Merges `changes` into the visitor's open conversation's fields, or into
/// those kept for the next one; a `null` value removes its key. Refuses a
/// result of more than `max_bytes` of JSON. Runs inside a transaction:
/// [`Store::write`]'s.
pub fn merge_fields(tx: &Connection, visitor: &str, changes: Fields, max_bytes: usize) -> Result<FieldsMerged> {
    let open = open_conversation(tx, visitor)?;
    let mut fields = match &open {
        Some(row) => conversation_fields(tx, row.conversation.id)?,
        None => parse_fields(tx.query_row("SELECT next_fields FROM visitors WHERE id = ?1", [visitor], |r| r.get(0))?),
    };
    for (key, value) in changes {
        if value.is_null() {
            fields.remove(&key);
        } else {
            fields.insert(key, value);
        }
    }
    let text = serde_json::to_string(&fields).map_err(other)?;
    if text.len() > max_bytes {
        return Ok(FieldsMerged::TooLarge);
    }
    match &open {
        Some(row) => {
            tx.execute("UPDATE conversations SET fields = ?2 WHERE id = ?1", params![row.conversation.id, text])?
        }
        None => tx.execute("UPDATE visitors SET next_fields = ?2 WHERE id = ?1", params![visitor, text])?,
    };
    Ok(FieldsMerged::Stored(fields, open.map(|row| row.conversation.id)))
}

/// Newest message id of a visitor's conversations (0 when none).
pub fn last_message_id_of_visitor(conn: &Connection, visitor: &str) -> Result<i64> {
    last_message_id(conn, "visitor_id", visitor)
}

/// Newest message id of a site (0 when none).
pub fn last_message_id_of_site(conn: &Connection, app_key: &str) -> Result<i64> {
    last_message_id(conn, "app_key", app_key)
}

fn last_message_id(conn: &Connection, column: &str, value: &str) -> Result<i64> {
    Ok(conn.query_row(
        &format!(
            "SELECT COALESCE(MAX(m.id), 0) FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE c.{column} = ?1"
        ),
        [value],
        |r| r.get(0),
    )?)
}

// ---------------------------------------------------------------------------
// Webhook deliveries
// ---------------------------------------------------------------------------

/// Queues one event for one webhook, due at once.
pub fn queue_delivery(
    tx: &Connection,
    event_id: &str,
    app_key: &str,
    url: &str,
    kind: &str,
    body: &str,
    now: i64,
) -> Result<()> {
    tx.execute(
        "INSERT INTO webhook_deliveries (event_id, app_key, url, type, body, created_at, status, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?6)",
        params![event_id, app_key, url, kind, body, now],
    )?;
    Ok(())
}

/// A delivery to attempt.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub id: i64,
    pub event_id: String,
    pub app_key: String,
    pub url: String,
    pub body: String,
    pub created_at: i64,
    /// Attempts made so far.
    pub attempts: u32,
}

/// The pending deliveries due at `now`, oldest first.
pub fn due_deliveries(conn: &mut Connection, now: i64, limit: u32) -> Result<Vec<Delivery>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, event_id, app_key, url, body, created_at, attempts FROM webhook_deliveries
         WHERE status = 'pending' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![now, limit], |r| {
        Ok(Delivery {
            id: r.get(0)?,
            event_id: r.get(1)?,
            app_key: r.get(2)?,
            url: r.get(3)?,
            body: r.get(4)?,
            created_at: r.get(5)?,
            attempts: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the next pending delivery is due, if any.
pub fn next_delivery(conn: &mut Connection) -> Result<Option<i64>> {
    Ok(conn
        .query_row("SELECT MIN(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'", [], |r| r.get(0))?)
}

/// What an attempt leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Delivered,
    /// Again at this time (ms).
    Retry(i64),
    /// Given up.
    Failed,
}

/// Records an attempt (`status` when an HTTP answer came, else `error`)
/// and its outcome. Runs inside a transaction: [`Store::write`]'s.
pub fn record_attempt(
    tx: &Connection,
    id: i64,
    at: i64,
    status: Option<u16>,
    error: Option<&str>,
    outcome: Outcome,
) -> Result<()> {
    let (state, next) = match outcome {
        Outcome::Delivered => ("delivered", None),
        Outcome::Retry(at) => ("pending", Some(at)),
        Outcome::Failed => ("failed", None),
    };
    tx.execute(
        "INSERT INTO webhook_attempts (delivery_id, at, status, error, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![id, at, status, error, next],
    )?;
    tx.execute(
        "UPDATE webhook_deliveries SET status = ?2, next_attempt_at = ?3, attempts = attempts + 1 WHERE id = ?1",
        params![id, state, next],
    )?;
    Ok(())
}

/// Attempts shown per delivery in the log.
const LOGGED_ATTEMPTS: u32 = 5;

/// A delivery as the log shows it.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryView {
    pub id: i64,
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub created_at: String,
    pub attempt_count: u32,
    pub next_attempt_at: Option<String>,
    /// The last attempts, newest first.
    pub attempts: Vec<AttemptView>,
}

#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AttemptView {
    pub at: String,
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// Else what went wrong (`refused: ...` for a private target).
    pub error: Option<String>,
    pub next_attempt_at: Option<String>,
}

/// A site's newest `limit` deliveries, each with its last attempts.
pub fn deliveries(conn: &mut Connection, app_key: &str, limit: u32) -> Result<Vec<DeliveryView>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, event_id, type, url, status, created_at, attempts, next_attempt_at FROM webhook_deliveries
         WHERE app_key = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let mut views = stmt
        .query_map(params![app_key, limit], |r| {
            Ok(DeliveryView {
                id: r.get(0)?,
                event_id: r.get(1)?,
                kind: r.get(2)?,
                url: r.get(3)?,
                status: r.get(4)?,
                created_at: rfc3339(r.get(5)?),
                attempt_count: r.get(6)?,
                next_attempt_at: r.get::<_, Option<i64>>(7)?.map(rfc3339),
                attempts: Vec::new(),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut attempts = conn.prepare_cached(
        "SELECT at, status, error, next_attempt_at FROM webhook_attempts WHERE delivery_id = ?1
         ORDER BY at DESC, rowid DESC LIMIT ?2",
    )?;
    for view in &mut views {
        view.attempts = attempts
            .query_map(params![view.id, LOGGED_ATTEMPTS], |r| {
                Ok(AttemptView {
                    at: rfc3339(r.get(0)?),
                    status: r.get(1)?,
                    error: r.get(2)?,
                    next_attempt_at: r.get::<_, Option<i64>>(3)?.map(rfc3339),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
    }
    Ok(views)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One identity call against an in-memory store.
    struct Db(Connection);

    impl Db {
        fn new() -> Db {
            Db(connect(None).unwrap())
        }

        fn resolve(
            &mut self,
            ext: Option<&str>,
            fp: Option<&str>,
            vid: Option<&str>,
            claim: Option<&str>,
            logout: bool,
        ) -> Resolved {
            let id = Identity {
                external_user_id: ext.map(String::from),
                fingerprint: fp.map(String::from),
                anon_id: vid.map(String::from),
                verified: false,
                claim: claim.map(String::from),
                logout,
            };
            resolve_visitor(&mut self.0, "sk", &id, &Details::default(), 0).unwrap()
        }

        fn anon(&mut self, fp: &str, vid: &str) -> String {
            self.resolve(None, Some(fp), Some(vid), None, false).visitor
        }

        fn say(&mut self, visitor: &str, text: &str) {
            let tx = self.0.transaction().unwrap();
            send_visitor(&tx, "sk", visitor, &VisitorMessage::text(text, text), 0).unwrap();
            tx.commit().unwrap();
        }

        fn texts(&self, visitor: &str) -> Vec<String> {
            let Some(open) = open_conversation(&self.0, visitor).unwrap() else { return Vec::new() };
            messages(&self.0, open.conversation.id, 0, 200).unwrap().0.into_iter().map(|m| m.text).collect()
        }
    }

    #[test]
    fn merge_rules() {
        let mut db = Db::new();
        let user = db.resolve(Some("u1"), None, Some("v_phone"), None, false).visitor;
        db.say(&user, "phone");
        let anon = db.anon("fp", "v1");
        db.say(&anon, "anon");
        // Login from the anonymous record: merged, both histories in id order.
        let login = db.resolve(Some("u1"), Some("fp"), Some("v1"), Some(&anon), false);
        assert_eq!((login.visitor.as_str(), login.merged_from.as_deref()), (user.as_str(), Some(anon.as_str())));
        assert_eq!(login.touched.len(), 2);
        assert_eq!(db.texts(&user), ["phone", "anon"]);
        assert_eq!(visitor_access(&db.0, &anon).unwrap(), Access::Gone);
        // Neither the merged record nor the user answers to L2/L3 any more.
        for (fp, vid) in [("fp", "v1"), ("fp", "v_new"), ("fp", "v_phone")] {
            let v = db.anon(fp, vid);
            assert!(v != user && v != anon, "{fp} {vid}");
            assert!(db.texts(&v).is_empty());
        }
        // Logout: fresh even when a later anonymous record has the fingerprint.
        let out = db.resolve(None, Some("fp"), Some("v2"), Some(&user), true).visitor;
        assert!(out != user && db.texts(&out).is_empty());
        // Cleared storage after logout finds the post-logout record, nothing older.
        assert_eq!(db.anon("fp", "v3"), out);
        // A second user's login merges only the browser's anonymous record.
        db.say(&out, "after logout");
        let u2 = db.resolve(Some("u2"), Some("fp"), Some("v3"), Some(&out), false);
        assert_eq!(u2.visitor, out, "no u2 record yet: upgraded in place");
        assert_eq!(db.texts(&u2.visitor), ["after logout"]);
        // Switching users merges nothing.
        let back = db.resolve(Some("u1"), Some("fp"), Some("v3"), Some(&u2.visitor), false);
        assert_eq!((back.visitor.as_str(), back.merged_from), (user.as_str(), None));
        assert_eq!(db.texts(&user), ["phone", "anon"]);
        // Outbox retries after a merge are duplicates, not new messages.
        let dup = send_visitor(&db.0, "sk", &user, &VisitorMessage::text("anon", "anon"), 0).unwrap();
        assert!(dup.duplicate);
    }

    #[test]
    fn fingerprint_resume_and_verified_users() {
        let mut db = Db::new();
        let a = db.anon("fp", "v1");
        assert_eq!(db.anon("fp", "v_cleared"), a, "L2 resumes the anonymous record");
        assert_eq!(db.anon("other", "v_cleared"), a, "L3 first");
        let id = Identity { external_user_id: Some("u".into()), verified: true, ..Identity::default() };
        resolve_visitor(&mut db.0, "sk", &id, &Details::default(), 0).unwrap();
        let claim = Identity { external_user_id: Some("u".into()), ..Identity::default() };
        assert!(matches!(
            resolve_visitor(&mut db.0, "sk", &claim, &Details::default(), 0),
            Err(StoreError::IdentityUnverified)
        ));
        // Another site never shares records.
        let other = Identity { fingerprint: Some("fp".into()), ..Identity::default() };
        assert_ne!(resolve_visitor(&mut db.0, "sk_other", &other, &Details::default(), 0).unwrap().visitor, a);
    }

    /// A unique database file, removed on drop.
    struct TempDb(std::path::PathBuf);

    impl TempDb {
        fn new() -> TempDb {
            let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
            TempDb(std::env::temp_dir().join(format!("natter-store-{}-{nanos}", std::process::id())))
        }
    }

    impl Drop for TempDb {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn group_commit_keeps_each_write_atomic_and_durable() {
        let dir = TempDb::new();
        let path = dir.0.join("natter.db");
        let store = Store::open(Some(&path)).unwrap();
        let anon = Identity { anon_id: Some("v1".into()), ..Identity::default() };
        let v = store.call(move |c| resolve_visitor(c, "sk", &anon, &Details::default(), 0)).await.unwrap().visitor;
        let w = v.clone();
        store.write(move |c| send_visitor(c, "sk", &w, &VisitorMessage::text("first", "first"), 0)).await.unwrap();

        // Concurrent writes share batches; failures in a batch stay their own.
        let mut tasks = Vec::new();
        for i in 0..200 {
            let (store, v) = (store.clone(), v.clone());
            tasks.push(tokio::spawn(async move {
                store
                    .write(move |c| {
                        send_visitor(c, "sk", &v, &VisitorMessage::text(&format!("m{i}"), &format!("text {i}")), 0)
                    })
                    .await
                    .map(|s| s.message.id)
            }));
        }
        let (s1, s2, s3, w1, w2) = (store.clone(), store.clone(), store.clone(), v.clone(), v.clone());
        let conflict = tokio::spawn(async move {
            s1.write(move |c| send_visitor(c, "sk", &w1, &VisitorMessage::text("first", "other text"), 0)).await
        });
        // A write that fails after writing: its savepoint is rolled back.
        let undone = tokio::spawn(async move {
            s2.write(move |c| {
                send_visitor(c, "sk", &w2, &VisitorMessage::text("undone", "undone"), 0)?;
                Err::<(), _>(StoreError::NotFound)
            })
            .await
        });
        let panicked = tokio::spawn(async move { s3.write(|_| -> Result<()> { panic!("a write that panics") }).await });
        let mut ids = Vec::new();
        for t in tasks {
            ids.push(t.await.unwrap().unwrap());
        }
        assert!(matches!(conflict.await.unwrap(), Err(StoreError::Conflict)));
        assert!(matches!(undone.await.unwrap(), Err(StoreError::NotFound)));
        assert!(matches!(panicked.await.unwrap(), Err(StoreError::Join)));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 200);

        // Everything answered is on disk after a reopen, and nothing else.
        drop(store);
        let store = Store::open(Some(&path)).unwrap();
        let texts = store
            .call(move |c| {
                let open = open_conversation(c, &v)?.ok_or(StoreError::NotFound)?;
                Ok(messages(c, open.conversation.id, 0, 500)?.0.into_iter().map(|m| m.text).collect::<Vec<_>>())
            })
            .await
            .unwrap();
        assert_eq!(texts.len(), 201);
        assert_eq!(texts[0], "first");
        assert!(!texts.iter().any(|t| t == "undone" || t == "other text"));
    }
}
