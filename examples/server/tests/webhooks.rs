//! Signed webhooks against the real binary and a receiver on loopback in
//! this test: every event once per id with a valid signature, retries driven
//! by the test clock (never by sleeping), a queue that survives a restart
//! while the receiver is down, private targets refused without
//! `--allow-private-webhooks`, bad configs refused at start, and the
//! verification snippets of `docs/webhooks.md` run against a real delivery.

mod common;

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use common::*;
use serde_json::{json, Value};
use tokio::sync::mpsc;

mod snippet {
    include!("snippets/webhooks.rs");
}

const SECRET: &str = "whsec_test_0123456789";
const HOUR_MS: i64 = 3_600_000;
/// A fixed "now" for the server's clock: 2026-05-21T00:00:00Z.
const T0: i64 = 1_779_321_600_000;

/// One delivery as the receiver got it.
#[derive(Debug)]
struct Hit {
    signature: String,
    body: String,
}

impl Hit {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A receiver on an ephemeral loopback port: answers with the statuses of
/// its script in turn (200 once it is used up) and hands every request to
/// the test. Stopped when the test's runtime ends.
struct Receiver {
    port: u16,
    hits: mpsc::UnboundedReceiver<Hit>,
}

#[derive(Clone)]
struct Script {
    statuses: Arc<Mutex<VecDeque<u16>>>,
    hits: mpsc::UnboundedSender<Hit>,
}

async fn receive(State(script): State<Script>, headers: HeaderMap, body: String) -> StatusCode {
    let signature = headers.get("natter-signature").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let _ = script.hits.send(Hit { signature, body });
    let status = script.statuses.lock().unwrap().pop_front().unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    async fn start(script: &[u16]) -> Receiver {
        Receiver::on(tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(), script)
    }

    fn on(listener: tokio::net::TcpListener, script: &[u16]) -> Receiver {
        let port = listener.local_addr().unwrap().port();
        let (tx, hits) = mpsc::unbounded_channel();
        let state = Script { statuses: Arc::new(Mutex::new(script.iter().copied().collect())), hits: tx };
        let app = axum::Router::new().route("/hook", post(receive)).with_state(state);
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { port, hits }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hook", self.port)
    }

    async fn next(&mut self) -> Hit {
        tokio::time::timeout(WAIT, self.hits.recv()).await.expect("a delivery in time").expect("receiver running")
    }

    /// The deliveries received and not yet taken.
    fn rest(&mut self) -> Vec<Hit> {
        std::iter::from_fn(|| self.hits.try_recv().ok()).collect()
    }
}

/// The config of `sk_demo` (with a ticket form `refund`) with the given
/// webhooks (`(url, events)`).
fn config(dir: &TempDir, hooks: &[(&str, &[&str])]) -> String {
    let mut text = format!(
        "[limits]\nhandshake_per_minute = 1000\n\n[[sites]]\napp_key = \"sk_demo\"\nallowed_origins = [\"{ORIGIN}\"]\n\
         [[sites.agents]]\nname = \"Ada\"\ntoken = \"{AGENT_TOKEN}\"\n\
         [sites.forms.tickets.refund]\ntitle = {{ en-US = \"Refund\" }}\n[[sites.forms.tickets.refund.fields]]\n\
         name = \"order\"\ntype = \"text\"\nlabel = {{ en-US = \"Order\" }}\nrequired = true\n"
    );
    for (url, events) in hooks {
        text += &format!("[[sites.webhooks]]\nurl = \"{url}\"\nsecret = \"{SECRET}\"\nevents = {events:?}\n");
    }
    let path = dir.0.join("sites.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn start(dir: &TempDir, cfg: &str, extra: &[&str]) -> Server {
    let mut args = vec!["--test-hooks", "--config", cfg];
    args.extend_from_slice(extra);
    Server::start_in(&dir.0, &args)
}

fn deliveries(server: &Server) -> Vec<Value> {
    let r = server.agent("GET", "/api/v1/agent/webhooks/deliveries", None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["deliveries"].as_array().unwrap().clone()
}

/// Waits until the delivery log satisfies `done` (the worker records each
/// attempt after it is made), and returns it.
fn log_until(server: &Server, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + WAIT;
    loop {
        let log = deliveries(server);
        if done(&log) {
            return log;
        }
        assert!(Instant::now() < deadline, "the delivery log never showed {what}: {log:#?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn assert_signed(hit: &Hit) {
    assert!(
        snippet::verify(SECRET, &hit.signature, hit.body.as_bytes(), now_secs(), 300),
        "bad signature {} on {}",
        hit.signature,
        hit.body
    );
}

fn conversation_id(r: &Response) -> i64 {
    assert!(r.status == 200 || r.status == 201, "{}", r.body);
    r.json()["conversation"]["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_event_reaches_the_receiver_once_signed() {
    let mut receiver = Receiver::start(&[]).await;
    let dir = TempDir::new();
    let all = ["conversation.started", "message.created", "conversation.ended", "form.submitted", "rating.created"];
    let cfg = config(&dir, &[(&receiver.url(), &all)]);
    let server = start(&dir, &cfg, &["--memory", "--allow-private-webhooks"]);
    set_clock(&server, T0);

    let (token, _) = server.handshake("v_hooked");
    let r = server.visitor(
        "PATCH",
        "/api/v1/cs/conversations/current/fields",
        Some(&token),
        Some(json!({ "fields": { "plan": "pro" } })),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let id = conversation_id(&server.send(&token, "m1", "hello"));
    let r = server.send(&token, "m1", "hello");
    assert_eq!(r.status, 200, "a duplicate: no second event");
    conversation_id(&server.agent(
        "POST",
        &format!("/api/v1/agent/conversations/{id}/messages"),
        Some(json!({ "text": "hi!" })),
    ));
    let form = json!({ "clientMsgId": "f1", "form": { "name": "refund", "values": { "order": "A-17" } } });
    let sent = server.visitor("POST", "/api/v1/cs/conversations", Some(&token), Some(form.clone()));
    assert_eq!(sent.status, 201, "{}", sent.body);
    let again = server.visitor("POST", "/api/v1/cs/conversations", Some(&token), Some(form));
    assert_eq!(again.status, 200, "a duplicate submission: no second event");
    let form_message = sent.json()["message"].clone();
    conversation_id(&server.agent("POST", &format!("/api/v1/agent/conversations/{id}/close"), None));
    let rating = json!({ "scale": "csat", "score": 5 });
    let r = server.visitor("POST", &format!("/api/v1/cs/conversations/{id}/rating"), Some(&token), Some(rating));
    assert_eq!(r.status, 200, "{}", r.body);

    let mut hits = Vec::new();
    for _ in 0..7 {
        hits.push(receiver.next().await);
    }
    let log =
        log_until(&server, "seven deliveries", |log| log.len() == 7 && log.iter().all(|d| d["status"] == "delivered"));
    assert!(receiver.rest().is_empty(), "each event once");
    for d in &log {
        assert_eq!((d["attemptCount"].clone(), d["attempts"][0]["status"].clone()), (json!(1), json!(200)), "{d}");
    }

    let events: Vec<Value> = hits.iter().map(Hit::json).collect();
    let ids: HashSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 7, "one id per event");
    let mut types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    types.sort();
    assert_eq!(
        types,
        [
            "conversation.ended",
            "conversation.started",
            "form.submitted",
            "message.created",
            "message.created",
            "message.created",
            "rating.created"
        ]
    );
    for (hit, event) in hits.iter().zip(&events) {
        assert_signed(hit);
        assert_eq!(event["createdAt"], "2026-05-21T00:00:00.000Z", "the app clock's time");
        assert_eq!(event["data"]["conversation"]["conversation"]["id"], json!(id), "{event}");
        assert_eq!(event["data"]["conversation"]["fields"], json!({ "plan": "pro" }), "{event}");
        let logged = log.iter().find(|d| d["eventId"] == event["id"]).expect("in the log");
        assert_eq!(logged["type"], event["type"]);
        match event["type"].as_str().unwrap() {
            "conversation.started" => assert_eq!(event["data"]["conversation"]["visitor"]["visitorId"], "v_hooked"),
            "message.created" => {
                assert!(["hello", "hi!", "Refund\nOrder: A-17"]
                    .contains(&event["data"]["message"]["text"].as_str().unwrap()))
            }
            "form.submitted" => {
                assert_eq!(event["data"]["messageId"], form_message["id"]);
                assert_eq!(event["data"]["form"], form_message["form"]);
                assert_eq!(
                    event["data"]["form"]["fields"][0],
                    json!({ "name": "order", "label": "Order", "value": "A-17" })
                );
                assert_eq!(event["data"]["conversation"]["visitor"]["visitorId"], "v_hooked");
            }
            "conversation.ended" => assert_eq!(event["data"]["conversation"]["conversation"]["endedBy"], "agent"),
            "rating.created" => assert_eq!(event["data"]["rating"]["score"], 5),
            other => panic!("unexpected {other}"),
        }
    }
    // A signature over another body, or with another secret, is refused.
    let hit = &hits[0];
    assert!(!snippet::verify(SECRET, &hit.signature, format!("{} ", hit.body).as_bytes(), now_secs(), 300));
    assert!(!snippet::verify("another secret", &hit.signature, hit.body.as_bytes(), now_secs(), 300));
    assert!(!snippet::verify(SECRET, &hit.signature, hit.body.as_bytes(), now_secs() + 3600, 300), "too old");
    docs_snippets_verify(hit);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_delivery_is_retried_when_the_clock_reaches_its_retry_and_given_up_after_a_day() {
    let mut receiver = Receiver::start(&[500]).await;
    let dir = TempDir::new();
    let cfg = config(&dir, &[(&receiver.url(), &["conversation.started"])]);
    let server = start(&dir, &cfg, &["--memory", "--allow-private-webhooks"]);
    set_clock(&server, T0);

    let (token, _) = server.handshake("v_retry");
    server.send(&token, "m1", "hello");
    let first = receiver.next().await;
    let log = log_until(&server, "the failed attempt", |log| log.first().is_some_and(|d| d["attemptCount"] == 1));
    let retry_at = log[0]["nextAttemptAt"].as_str().expect("a retry scheduled").to_string();
    assert_eq!((log[0]["status"].clone(), log[0]["attempts"][0]["status"].clone()), (json!("pending"), json!(500)));
    assert!(
        ("2026-05-21T00:00:15.000Z".."2026-05-21T00:00:30.000Z").contains(&retry_at.as_str()),
        "the first retry comes 15 to 30 s later: {retry_at}"
    );
    assert!(receiver.rest().is_empty(), "no retry before its time");

    set_clock(&server, T0 + 60_000);
    let second = receiver.next().await;
    assert_eq!(second.body, first.body, "the same event, id and all");
    assert_signed(&second);
    let log = log_until(&server, "the delivery", |log| log[0]["status"] == "delivered");
    let statuses: Vec<Value> = log[0]["attempts"].as_array().unwrap().iter().map(|a| a["status"].clone()).collect();
    assert_eq!(statuses, [json!(200), json!(500)], "newest first");

    // A receiver that keeps failing is given up on a day after the event.
    let mut down = Receiver::start(&[500, 500, 500]).await;
    let dir = TempDir::new();
    let cfg = config(&dir, &[(&down.url(), &["conversation.started"])]);
    let server = start(&dir, &cfg, &["--memory", "--allow-private-webhooks"]);
    set_clock(&server, T0);
    let (token, _) = server.handshake("v_down");
    server.send(&token, "m1", "hello");
    down.next().await;
    log_until(&server, "the failed attempt", |log| log.first().is_some_and(|d| d["attemptCount"] == 1));
    set_clock(&server, T0 + 2 * HOUR_MS);
    down.next().await;
    log_until(&server, "the second attempt", |log| log[0]["attemptCount"] == 2);
    set_clock(&server, T0 + 24 * HOUR_MS);
    down.next().await;
    let log = log_until(&server, "the give-up", |log| log[0]["status"] == "failed");
    assert_eq!((log[0]["attemptCount"].clone(), log[0]["nextAttemptAt"].clone()), (json!(3), Value::Null));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_event_queued_while_the_receiver_is_down_survives_a_restart() {
    // The receiver's port, closed until the second server runs.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let dir = TempDir::new();
    let cfg = config(&dir, &[(&url, &["message.created"])]);
    let db = dir.0.join("natter.db");
    let args = ["--db", db.to_str().unwrap(), "--allow-private-webhooks"];

    let server = start(&dir, &cfg, &args);
    let (token, _) = server.handshake("v_restart");
    server.send(&token, "m1", "while you were out");
    let log = log_until(&server, "the refused connection", |log| log.first().is_some_and(|d| d["attemptCount"] == 1));
    assert!(log[0]["attempts"][0]["error"].is_string(), "{}", log[0]);
    let event_id = log[0]["eventId"].clone();
    assert!(server.terminate().success());

    let mut receiver = Receiver::on(tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap(), &[]);
    let server = start(&dir, &cfg, &args);
    // The retry is due within a minute of the first attempt.
    set_clock(&server, now_secs() as i64 * 1000 + HOUR_MS);
    let hit = receiver.next().await;
    assert_signed(&hit);
    assert_eq!(hit.json()["id"], event_id);
    assert_eq!(hit.json()["data"]["message"]["text"], "while you were out");
    log_until(&server, "the delivery", |log| log[0]["status"] == "delivered" && log[0]["attemptCount"] == 2);
    assert!(receiver.rest().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn private_targets_are_refused_without_the_flag() {
    let mut receiver = Receiver::start(&[]).await;
    let by_name = format!("http://localhost:{}/hook", receiver.port);
    let dir = TempDir::new();
    let cfg = config(&dir, &[(&receiver.url(), &["message.created"]), (&by_name, &["message.created"])]);
    let server = start(&dir, &cfg, &["--memory"]);
    let (token, _) = server.handshake("v_private");
    server.send(&token, "m1", "hello");
    let log = log_until(&server, "two refusals", |log| log.len() == 2 && log.iter().all(|d| d["status"] == "failed"));
    for d in &log {
        let error = d["attempts"][0]["error"].as_str().unwrap_or_default();
        assert!(error.starts_with("refused: "), "{d}");
        assert_eq!((d["attemptCount"].clone(), d["nextAttemptAt"].clone()), (json!(1), Value::Null), "not retried");
    }
    assert!(log.iter().any(|d| d["attempts"][0]["error"].as_str().unwrap().contains("localhost resolves to")));
    assert!(receiver.rest().is_empty(), "nothing reached the receiver");
}

#[test]
fn bad_webhook_configs_are_refused_at_start_naming_site_and_field() {
    let dir = TempDir::new();
    let created = r#"["message.created"]"#;
    let cases = [
        ("http://example.com/h", "s", r#"["message.sent"]"#, r#"webhooks[0].events: unknown event "message.sent""#),
        ("ftp://example.com/h", "s", created, r#"webhooks[0].url "ftp://example.com/h": must be an http or https URL"#),
        ("not a url", "s", created, r#"webhooks[0].url "not a url""#),
        ("https://example.com/h", "", created, "webhooks[0].secret: must not be empty"),
        ("https://example.com/h", "s", "[]", "webhooks[0].events: must name at least one event"),
    ];
    for (url, secret, events, says) in cases {
        let hook = format!("url = {url:?}\nsecret = {secret:?}\nevents = {events}");
        let cfg = dir.0.join("bad.toml");
        std::fs::write(&cfg, format!("[[sites]]\napp_key = \"sk_demo\"\n[[sites.webhooks]]\n{hook}\n")).unwrap();
        let (refused, stderr) = refused_config(&cfg);
        let says = format!("site sk_demo: {says}");
        assert!(refused && stderr.contains(&says), "{hook}: {stderr}");
    }
}

// ---------------------------------------------------------------------------
// docs/webhooks.md: the snippets, run against a real delivery
// ---------------------------------------------------------------------------

fn docs_snippets_verify(hit: &Hit) {
    let doc = doc("webhooks.md");
    assert!(
        doc.contains(include_str!("snippets/webhooks.rs").trim_end()),
        "the Rust snippet in docs/webhooks.md is tests/snippets/webhooks.rs"
    );
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    let (body, tampered, sig) = (b64(&hit.body), b64(&format!("{} ", hit.body)), &hit.signature);
    let node = run_snippet(
        "node",
        &["--input-type=module", "-e"],
        &format!(
            "{}\nconst b = (s) => Buffer.from(s, 'base64');\nconsole.log(JSON.stringify([verifyNatterSignature('{SECRET}', '{sig}', b('{body}')), verifyNatterSignature('{SECRET}', '{sig}', b('{tampered}'))]));",
            block(&doc, "js")
        ),
    );
    let python = run_snippet(
        "python3",
        &["-c"],
        &format!(
            "{}\nimport base64, json\nb = base64.b64decode\nprint(json.dumps([verify_natter_signature('{SECRET}', '{sig}', b('{body}')), verify_natter_signature('{SECRET}', '{sig}', b('{tampered}'))]))",
            block(&doc, "python")
        ),
    );
    for (lang, out) in [("node", node), ("python", python)] {
        let Some(out) = out else { continue };
        assert_eq!(out, json!([true, false]), "{lang}: the genuine delivery passes, a tampered one fails");
    }
}
