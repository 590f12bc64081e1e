//! The conversation life cycle against the real binary: joining and ending
//! (by the visitor, an agent, the server), the system messages recording
//! each step, ratings, availability and hours, all driven by the test clock
//! (`POST /api/v1/test/clock`), never by sleeping.

mod common;

use common::*;
use serde_json::{json, Value};

/// The other site's agent token.
const OTHER_AGENT: &str = "other-site-agent-token-0123";

/// Two sites: `sk_demo` (agent "Ada", with `demo` appended to its table)
/// and `sk_other` (agent "Zed"), with the test hooks on.
fn sites(demo: &str, args: &[&str]) -> (TempDir, Server) {
    sites_with("", demo, args)
}

/// [`sites`] with more `[limits]`.
fn sites_with(limits: &str, demo: &str, args: &[&str]) -> (TempDir, Server) {
    let dir = TempDir::new();
    let cfg = dir.0.join("sites.toml");
    let text = format!(
        r#"
[limits]
handshake_per_minute = 1000
{limits}

[[sites]]
app_key = "sk_other"
allowed_origins = ["http://localhost:*"]
[[sites.agents]]
name = "Zed"
token = "{OTHER_AGENT}"

[[sites]]
app_key = "sk_demo"
allowed_origins = ["http://localhost:*"]
{demo}
[[sites.agents]]
name = "Ada"
token = "{AGENT_TOKEN}"
"#
    );
    std::fs::write(&cfg, text).unwrap();
    let mut all = vec!["--memory", "--test-hooks", "--config", cfg.to_str().unwrap()];
    all.extend_from_slice(args);
    let server = Server::start_in(&dir.0, &all);
    (dir, server)
}

fn other_agent(server: &Server, method: &str, path: &str) -> Response {
    let auth = format!("Bearer {OTHER_AGENT}");
    server.request(method, path, &[("Authorization", &auth)], None)
}

/// A visitor with an open conversation: (token, conversation id).
fn chatting(server: &Server, visitor: &str) -> (String, i64) {
    let (token, _) = server.handshake(visitor);
    let sent = server.send(&token, &format!("{visitor}-1"), "hello");
    assert_eq!(sent.status, 201, "{}", sent.body);
    (token, sent.json()["conversation"]["id"].as_i64().unwrap())
}

fn page(server: &Server, token: &str, conv: i64) -> Value {
    let r = server.visitor("GET", &format!("/api/v1/cs/conversations/{conv}/messages"), Some(token), None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// The system messages of a page as (event, agentName, text).
fn events(page: &Value) -> Vec<(String, Value, String)> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["from"] == "system")
        .map(|m| {
            (m["event"].as_str().unwrap_or("").to_string(), m["agentName"].clone(), m["text"].as_str().unwrap().into())
        })
        .collect()
}

fn agent_post(server: &Server, conv: i64, action: &str) -> Response {
    server.agent("POST", &format!("/api/v1/agent/conversations/{conv}/{action}"), None)
}

#[tokio::test]
async fn an_agent_joins_and_ends_a_conversation_and_the_visitor_hears_each_step() {
    let (_dir, server) = sites("", &[]);
    let (token, conv) = chatting(&server, "v_join");
    let mut ws = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    let mut agents = agent_ws(&server).await;
    frame_of_type(&mut agents, "hello").await;

    let joined = agent_post(&server, conv, "join");
    assert_eq!(joined.status, 200, "{}", joined.body);
    assert_eq!(joined.json()["conversation"]["agentName"], "Ada");
    for socket in [&mut ws, &mut agents] {
        let c = frame_of_type(socket, "conversation").await;
        assert_eq!((c["conversation"]["id"].as_i64(), &c["conversation"]["agentName"]), (Some(conv), &json!("Ada")));
        let m = frame_of_type(socket, "message").await["message"].clone();
        assert_eq!(
            (&m["event"], &m["agentName"], &m["text"]),
            (&json!("joined"), &json!("Ada"), &json!("Ada joined the conversation."))
        );
    }
    // Joining again changes nothing and stores nothing.
    let again = agent_post(&server, conv, "join");
    assert_eq!(again.status, 200);
    assert_eq!(events(&page(&server, &token, conv)).len(), 1);

    let closed = agent_post(&server, conv, "close");
    assert_eq!(closed.status, 200, "{}", closed.body);
    let c = closed.json()["conversation"].clone();
    assert_eq!((&c["status"], &c["endedBy"], &c["agentName"]), (&json!("closed"), &json!("agent"), &json!("Ada")));
    let frame = frame_of_type(&mut ws, "conversation").await;
    assert_eq!(frame["conversation"]["endedBy"], "agent");
    let m = frame_of_type(&mut ws, "message").await["message"].clone();
    assert_eq!(
        (&m["event"], &m["agentName"], &m["text"]),
        (&json!("endedByAgent"), &json!("Ada"), &json!("Ada ended the conversation."))
    );
    // Closing again: 200, no second message.
    assert_eq!(agent_post(&server, conv, "close").status, 200);
    let p = page(&server, &token, conv);
    assert_eq!(
        events(&p),
        vec![
            ("joined".into(), json!("Ada"), "Ada joined the conversation.".into()),
            ("endedByAgent".into(), json!("Ada"), "Ada ended the conversation.".into()),
        ]
    );
    // Polling clients see the conversation as it is now.
    assert_eq!((&p["conversation"]["status"], &p["conversation"]["endedBy"]), (&json!("closed"), &json!("agent")));
    // An ended conversation cannot be joined by anyone new... (it was joined)
    assert_eq!(agent_post(&server, conv, "join").status, 200);
    // ...and the visitor's next message starts a new one.
    let next = server.send(&token, "v_join-2", "one more thing").json();
    assert_ne!(next["conversation"]["id"].as_i64(), Some(conv));
    assert_eq!(next["conversation"]["status"], "open");
    assert!(next["conversation"].get("agentName").is_none());
}

#[tokio::test]
async fn a_first_reply_joins_before_it_is_stored_and_the_visitor_leaving_is_recorded() {
    let (_dir, server) = sites("", &[]);
    let (token, conv) = chatting(&server, "v_reply");
    let mut ws = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    let reply = |cmid: &str| {
        server.agent(
            "POST",
            &format!("/api/v1/agent/conversations/{conv}/messages"),
            Some(json!({"clientMsgId": cmid, "text": "On it"})),
        )
    };
    let r = reply("r1");
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["conversation"]["agentName"], "Ada");
    assert_eq!(frame_of_type(&mut ws, "conversation").await["conversation"]["agentName"], "Ada");
    assert_eq!(frame_of_type(&mut ws, "message").await["message"]["event"], "joined");
    assert_eq!(frame_of_type(&mut ws, "message").await["message"]["text"], "On it");
    // A second reply and a retry join nobody again.
    assert_eq!(reply("r2").status, 201);
    assert_eq!(reply("r1").status, 200);
    let p = page(&server, &token, conv);
    let order: Vec<&str> = p["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(order, ["hello", "Ada joined the conversation.", "On it", "On it"]);

    let left = server.visitor("POST", &format!("/api/v1/cs/conversations/{conv}/leave"), Some(&token), None);
    assert_eq!(left.status, 200);
    assert_eq!(left.json()["conversation"]["endedBy"], "visitor");
    assert_eq!(frame_of_type(&mut ws, "conversation").await["conversation"]["endedBy"], "visitor");
    let m = frame_of_type(&mut ws, "message").await["message"].clone();
    assert_eq!((&m["event"], &m["text"]), (&json!("endedByVisitor"), &json!("The visitor ended the conversation.")));
    assert!(m.get("agentName").is_none());
    // Leaving again is 200 with nothing new.
    let again = server.visitor("POST", &format!("/api/v1/cs/conversations/{conv}/leave"), Some(&token), None);
    assert_eq!(again.status, 200);
    assert_eq!(events(&page(&server, &token, conv)).len(), 2);
}

#[test]
fn only_the_sites_agents_may_join_or_close_and_a_closed_conversation_takes_no_new_agent() {
    let (_dir, server) = sites("", &[]);
    let (_token, conv) = chatting(&server, "v_guarded");
    for action in ["join", "close"] {
        let path = format!("/api/v1/agent/conversations/{conv}/{action}");
        let r = other_agent(&server, "POST", &path);
        assert_eq!((r.status, r.code().as_str()), (404, "not_found"), "{action}");
        let r = server.request("POST", &path, &[], None);
        assert_eq!((r.status, r.code().as_str()), (401, "token_missing"), "{action}");
        let r = server.request("POST", &path, &[("Authorization", "Bearer nope-nope-nope-nope")], None);
        assert_eq!((r.status, r.code().as_str()), (401, "token_invalid"), "{action}");
        let r = agent_post(&server, 999_999, action);
        assert_eq!((r.status, r.code().as_str()), (404, "not_found"), "{action}");
        let r = server.agent("POST", &format!("/api/v1/agent/conversations/x/{action}"), None);
        assert_eq!(r.status, 404, "{action}");
        let r = server.agent("GET", &path, None);
        assert_eq!((r.status, r.code().as_str()), (405, "method_not_allowed"), "{action}");
    }
    // Nobody joined before it ended: too late to join now.
    assert_eq!(agent_post(&server, conv, "close").status, 200);
    let r = agent_post(&server, conv, "join");
    assert_eq!((r.status, r.code().as_str()), (409, "conversation_closed"));
    // Another visitor may not end this visitor's conversation.
    let (intruder, _) = server.handshake("v_intruder");
    let (_, open) = chatting(&server, "v_owner");
    let r = server.visitor("POST", &format!("/api/v1/cs/conversations/{open}/leave"), Some(&intruder), None);
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
}

#[tokio::test]
async fn the_echo_bot_joins_as_an_agent_under_its_name() {
    let (_dir, server) = sites("", &["--bot", "echo", "--bot-delay-ms", "0"]);
    let (token, _) = server.handshake("v_bot");
    let mut ws = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    let conv = server.send(&token, "b1", "hello").json()["conversation"]["id"].as_i64().unwrap();
    loop {
        let m = frame_of_type(&mut ws, "message").await["message"].clone();
        if m["from"] == "agent" {
            break;
        }
    }
    let p = page(&server, &token, conv);
    assert_eq!(events(&p), vec![("joined".into(), json!("Echo bot"), "Echo bot joined the conversation.".into())]);
    assert_eq!(p["conversation"]["agentName"], "Echo bot");
}

/// Sets the server's clock (`--test-hooks`).
const HOUR_MS: i64 = 3_600_000;
/// 2026-03-02T12:00:00Z, a Monday.
const MONDAY_NOON: i64 = 1_772_452_800_000;

fn rate(server: &Server, token: &str, conv: i64, body: Value) -> Response {
    server.visitor("POST", &format!("/api/v1/cs/conversations/{conv}/rating"), Some(token), Some(body))
}

/// A visitor whose conversation has ended: (token, conversation id).
fn ended(server: &Server, visitor: &str) -> (String, i64) {
    let (token, conv) = chatting(server, visitor);
    assert_eq!(
        server.visitor("POST", &format!("/api/v1/cs/conversations/{conv}/leave"), Some(&token), None).status,
        200
    );
    (token, conv)
}

#[tokio::test]
async fn a_rating_is_stored_once_changed_within_a_day_and_then_locked() {
    let (_dir, server) = sites("", &[]);
    set_clock(&server, MONDAY_NOON);
    let (token, hs) = server.handshake("v_rater");
    assert_eq!(hs["config"]["rating"], "csat", "the default scale");
    let conv = server.send(&token, "r-1", "hello").json()["conversation"]["id"].as_i64().unwrap();
    let csat = |score: u8, comment: &str| json!({"scale": "csat", "score": score, "comment": comment});

    let r = rate(&server, &token, conv, csat(4, "nice"));
    assert_eq!((r.status, r.code().as_str()), (409, "conversation_open"));
    assert_eq!(
        server.visitor("POST", &format!("/api/v1/cs/conversations/{conv}/leave"), Some(&token), None).status,
        200
    );

    let mut agents = agent_ws(&server).await;
    frame_of_type(&mut agents, "hello").await;
    let first = rate(&server, &token, conv, csat(4, "  Quick and kind "));
    assert_eq!(first.status, 200, "{}", first.body);
    let rating = first.json()["rating"].clone();
    assert_eq!(
        rating,
        json!({"conversationId": conv, "scale": "csat", "score": 4, "comment": "Quick and kind",
               "createdAt": "2026-03-02T12:00:00.000Z", "updatedAt": "2026-03-02T12:00:00.000Z"})
    );
    let frame = frame_of_type(&mut agents, "conversation").await;
    assert_eq!(frame["conversation"]["rating"], rating, "agents see the rating arrive");

    // The same rating again: the stored one, unchanged, even after the window.
    set_clock(&server, MONDAY_NOON + 30 * HOUR_MS);
    let same = rate(&server, &token, conv, csat(4, "Quick and kind"));
    assert_eq!((same.status, &same.json()["rating"]), (200, &rating));
    // A change at 23 h replaces it; at 25 h it is locked.
    set_clock(&server, MONDAY_NOON + 23 * HOUR_MS);
    let changed = rate(&server, &token, conv, json!({"scale": "csat", "score": 5, "comment": " "}));
    assert_eq!(changed.status, 200, "{}", changed.body);
    let changed = changed.json()["rating"].clone();
    assert_eq!((&changed["score"], changed.get("comment")), (&json!(5), None), "a blank comment is none");
    assert_eq!(
        (&changed["createdAt"], &changed["updatedAt"]),
        (&json!("2026-03-02T12:00:00.000Z"), &json!("2026-03-03T11:00:00.000Z"))
    );
    assert_eq!(frame_of_type(&mut agents, "conversation").await["conversation"]["rating"]["score"], 5);
    set_clock(&server, MONDAY_NOON + 25 * HOUR_MS);
    let late = rate(&server, &token, conv, csat(3, ""));
    assert_eq!((late.status, late.code().as_str()), (409, "rating_locked"));

    // The rating is on the conversation wherever it is read.
    assert_eq!(page(&server, &token, conv)["conversation"]["rating"], changed);
    let listed = server.agent("GET", "/api/v1/agent/conversations?status=closed", None).json();
    assert_eq!(listed["conversations"][0]["conversation"]["rating"], changed);
    let one = server.agent("GET", &format!("/api/v1/agent/conversations/{conv}"), None).json();
    assert_eq!(one["conversation"]["rating"], changed);
}

#[test]
fn ratings_are_checked_before_anything_is_stored() {
    let (_dir, server) = sites("", &[]);
    let (token, conv) = ended(&server, "v_checked");
    let cases = [
        (json!({"scale": "nps", "score": 9}), 403, "rating_disabled"),
        (json!({"scale": "csat", "score": 0}), 400, "bad_request"),
        (json!({"scale": "csat", "score": 6}), 400, "bad_request"),
        (json!({"scale": "csat", "score": 300}), 400, "bad_request"),
        (json!({"scale": "csat", "score": -1}), 400, "bad_request"),
        (json!({"scale": "stars", "score": 3}), 400, "bad_request"),
        (json!({"scale": "csat"}), 400, "bad_request"),
        (json!({"scale": "csat", "score": 3, "extra": 1}), 400, "bad_request"),
        (json!({"scale": "csat", "score": 3, "comment": "x".repeat(1001)}), 413, "text_too_long"),
    ];
    for (body, status, code) in cases {
        let r = rate(&server, &token, conv, body.clone());
        assert_eq!((r.status, r.code().as_str()), (status, code), "{body}");
    }
    let r = rate(&server, &token, conv, json!({"scale": "csat", "score": 3, "comment": "é".repeat(1000)}));
    assert_eq!(r.status, 200, "1000 characters is the limit, not bytes: {}", r.body);
    // Someone else's conversation, a missing one, no token.
    let (other, _) = server.handshake("v_nosy");
    let r = rate(&server, &other, conv, json!({"scale": "csat", "score": 1}));
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden"));
    let r = rate(&server, &other, 999_999, json!({"scale": "csat", "score": 1}));
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    let r = server.visitor("POST", &format!("/api/v1/cs/conversations/{conv}/rating"), None, Some(json!({})));
    assert_eq!((r.status, r.code().as_str()), (401, "token_missing"));
    let stored = page(&server, &token, conv)["conversation"]["rating"]["score"].clone();
    assert_eq!(stored, 3, "no refused rating was stored");
}

#[test]
fn a_site_chooses_its_scale_or_none_and_ratings_are_budgeted() {
    let (_dir, server) = sites_with("messages_per_minute = 3", "rating = \"nps\"", &[]);
    let (token, conv) = ended(&server, "v_nps");
    assert_eq!(server.visitor("GET", "/api/v1/cs/config?appKey=sk_demo", None, None).json()["rating"], "nps");
    let r = rate(&server, &token, conv, json!({"scale": "csat", "score": 5}));
    assert_eq!((r.status, r.code().as_str()), (403, "rating_disabled"));
    assert_eq!(rate(&server, &token, conv, json!({"scale": "nps", "score": 0})).status, 200);
    assert_eq!(rate(&server, &token, conv, json!({"scale": "nps", "score": 10})).status, 200);
    assert_eq!(rate(&server, &token, conv, json!({"scale": "nps", "score": 10})).status, 200);
    let r = rate(&server, &token, conv, json!({"scale": "nps", "score": 7}));
    assert_eq!((r.status, r.code().as_str()), (429, "rate_limited"), "{}", r.body);
    drop(server);

    let (_dir, server) = sites("rating = \"off\"", &[]);
    let (token, conv) = ended(&server, "v_off");
    let (_, hs) = server.handshake("v_off");
    assert_eq!(hs["config"]["rating"], Value::Null);
    for scale in ["csat", "nps"] {
        let r = rate(&server, &token, conv, json!({"scale": scale, "score": 5}));
        assert_eq!((r.status, r.code().as_str()), (403, "rating_disabled"));
    }
}

#[test]
fn agents_list_their_sites_ratings_newest_first_with_a_summary() {
    let (_dir, server) = sites("", &[]);
    set_clock(&server, MONDAY_NOON);
    let mut convs = Vec::new();
    for (i, score) in [5, 2, 4].into_iter().enumerate() {
        let (token, conv) = ended(&server, &format!("v_list_{i}"));
        set_clock(&server, MONDAY_NOON + i as i64 * HOUR_MS);
        assert_eq!(rate(&server, &token, conv, json!({"scale": "csat", "score": score})).status, 200);
        convs.push(conv);
    }
    let (_, unrated) = ended(&server, "v_unrated");
    let all = server.agent("GET", "/api/v1/agent/ratings", None);
    assert_eq!(all.status, 200, "{}", all.body);
    let all = all.json();
    let order: Vec<i64> =
        all["ratings"].as_array().unwrap().iter().map(|r| r["conversationId"].as_i64().unwrap()).collect();
    assert_eq!(order, [convs[2], convs[1], convs[0]]);
    assert!(!order.contains(&unrated));
    assert_eq!(all["summary"]["csat"], json!({"count": 3, "average": 11.0 / 3.0}));
    assert_eq!(
        all["summary"]["nps"],
        json!({"count": 0, "promoters": 0, "passives": 0, "detractors": 0, "score": null})
    );
    let one = server.agent("GET", "/api/v1/agent/ratings?limit=1", None).json();
    assert_eq!(one["ratings"].as_array().unwrap().len(), 1);
    assert_eq!(one["summary"]["csat"]["count"], 3, "the summary covers every rating");
    let r = server.agent("GET", "/api/v1/agent/ratings?limit=lots", None);
    assert_eq!((r.status, r.code().as_str()), (400, "bad_request"));
    // Another site's agent sees none of them.
    let theirs = other_agent(&server, "GET", "/api/v1/agent/ratings").json();
    assert_eq!(theirs["ratings"], json!([]));
    assert_eq!(theirs["summary"]["csat"]["count"], 0);
    assert_eq!(server.request("GET", "/api/v1/agent/ratings", &[], None).status, 401);
}

/// Paris office hours: Monday 09:00-12:00 and 13:00-17:30, Tuesday
/// 09:00-17:00, with Monday 2026-03-23 a holiday.
const PARIS: &str = r#"
[sites.hours]
time_zone = "Europe/Paris"
mon = ["09:00-12:00", "13:00-17:30"]
tue = ["09:00-17:00"]
holidays = ["2026-03-23"]
"#;

/// 2026-03-16, a Monday in winter (Paris is UTC+1).
const MONDAY_0830_PARIS: i64 = 1_773_646_200_000;

fn availability(server: &Server) -> Value {
    let r = server.visitor("GET", "/api/v1/cs/config?appKey=sk_demo", None, None);
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["availability"].clone()
}

#[test]
fn availability_follows_the_hours_holidays_and_dst() {
    let (_dir, server) = sites(PARIS, &[]);
    let at = |rfc: &str| {
        let ms = rfc_ms(rfc);
        set_clock(&server, ms);
        availability(&server)
    };
    assert_eq!(at("2026-03-16T07:30:00Z"), json!({"state": "offline", "nextOpenAt": "2026-03-16T08:00:00.000Z"}));
    assert_eq!(at("2026-03-16T08:00:00Z"), json!({"state": "away"}), "inside hours, nobody connected");
    assert_eq!(at("2026-03-16T11:15:00Z"), json!({"state": "offline", "nextOpenAt": "2026-03-16T12:00:00.000Z"}));
    // Tuesday evening: the next Monday is a holiday, Tuesday opens.
    assert_eq!(at("2026-03-17T17:00:00Z"), json!({"state": "offline", "nextOpenAt": "2026-03-24T08:00:00.000Z"}));
    assert_eq!(at("2026-03-23T09:00:00Z"), json!({"state": "offline", "nextOpenAt": "2026-03-24T08:00:00.000Z"}));
    // Across the change to summer time (29 March): 09:00 CEST is 07:00Z.
    assert_eq!(at("2026-03-28T12:00:00Z"), json!({"state": "offline", "nextOpenAt": "2026-03-30T07:00:00.000Z"}));
    assert_eq!(at("2026-03-30T06:59:59Z")["state"], "offline");
    assert_eq!(at("2026-03-30T07:00:00Z")["state"], "away");
    // The handshake's config says the same; `online` stays agent presence.
    let (_, hs) = server.handshake("v_hours");
    assert_eq!((&hs["config"]["availability"], &hs["config"]["online"]), (&json!({"state": "away"}), &json!(false)));
}

fn rfc_ms(rfc: &str) -> i64 {
    // Whole seconds, UTC: enough for these tests without a date crate.
    let (date, time) = rfc.trim_end_matches('Z').split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let t: Vec<i64> = time.split(':').map(|p| p.parse().unwrap()).collect();
    let (y, m) = if d[1] <= 2 { (d[0] - 1, d[1] + 9) } else { (d[0], d[1] - 3) };
    let days = 365 * y + y / 4 - y / 100 + y / 400 + (153 * m + 2) / 5 + d[2] - 1 - 719_468;
    (days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]) * 1000
}

#[tokio::test]
async fn visitors_hear_availability_change_with_agents_and_hours() {
    let (_dir, server) = sites(PARIS, &[]);
    set_clock(&server, MONDAY_0830_PARIS);
    let (token, _) = server.handshake("v_watch");
    let mut ws = visitor_ws(&server, &token).await;
    let hello = frame_of_type(&mut ws, "hello").await;
    assert_eq!(hello["availability"], json!({"state": "offline", "nextOpenAt": "2026-03-16T08:00:00.000Z"}));

    // 09:00 in Paris: the hours begin.
    set_clock(&server, MONDAY_0830_PARIS + 30 * 60_000);
    assert_eq!(frame_of_type(&mut ws, "availability").await, json!({"type": "availability", "state": "away"}));
    // The first agent connects: online; a second one changes nothing.
    let mut agent = agent_ws(&server).await;
    assert_eq!(frame_of_type(&mut agent, "hello").await["availability"], json!({"state": "online"}));
    assert_eq!(frame_of_type(&mut ws, "availability").await["state"], "online");
    assert_eq!(frame_of_type(&mut agent, "availability").await["state"], "online");
    let second = agent_ws(&server).await;
    drop(second);
    // 12:00: lunch, offline until 13:00; agents hear it too.
    set_clock(&server, MONDAY_0830_PARIS + 210 * 60_000);
    let lunch = json!({"type": "availability", "state": "offline", "nextOpenAt": "2026-03-16T12:00:00.000Z"});
    assert_eq!(frame_of_type(&mut ws, "availability").await, lunch);
    assert_eq!(frame_of_type(&mut agent, "availability").await, lunch);
    // 13:00 with the agent still there: online again; the agent leaves: away.
    set_clock(&server, MONDAY_0830_PARIS + 270 * 60_000);
    assert_eq!(frame_of_type(&mut ws, "availability").await["state"], "online");
    drop(agent);
    assert_eq!(frame_of_type(&mut ws, "availability").await, json!({"type": "availability", "state": "away"}));
}

#[test]
fn bad_hours_stop_the_server_at_start_naming_the_site_and_field() {
    for (hours, field) in [
        ("[sites.hours]\ntime_zone = \"Mars/Olympus\"\n", "hours.time_zone"),
        ("[sites.hours]\ntime_zone = \"UTC\"\nwed = [\"9-17\"]\n", "hours.wed"),
        ("[sites.hours]\ntime_zone = \"UTC\"\nholidays = [\"25/12/2026\"]\n", "hours.holidays"),
        ("[sites.hours]\ntime_zone = \"UTC\"\nfriday = [\"09:00-17:00\"]\n", "friday"),
        ("rating = \"stars\"\n", "rating"),
    ] {
        let dir = TempDir::new();
        let cfg = dir.0.join("sites.toml");
        std::fs::write(&cfg, format!("[[sites]]\napp_key = \"sk_bad\"\n{hours}")).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_natter-server"))
            .args(["--memory", "--listen", "127.0.0.1:0", "--config", cfg.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{hours}");
        assert!(err.contains(field), "{field}: {err}");
        if field.starts_with("hours.") {
            assert!(err.contains("site sk_bad"), "{err}");
        }
    }
}

#[tokio::test]
async fn the_server_ends_conversations_idle_for_longer_than_the_site_allows() {
    let (_dir, server) = sites("idle_close_mins = 30", &[]);
    let minute = 60_000;
    set_clock(&server, MONDAY_NOON);
    let (active, active_conv) = chatting(&server, "v_active");
    let (quiet, quiet_conv) = chatting(&server, "v_quiet");
    let mut active_ws = visitor_ws(&server, &active).await;
    frame_of_type(&mut active_ws, "hello").await;
    let mut quiet_ws = visitor_ws(&server, &quiet).await;
    frame_of_type(&mut quiet_ws, "hello").await;
    set_clock(&server, MONDAY_NOON + 20 * minute);
    assert_eq!(server.send(&active, "v_active-2", "still here").status, 201);
    frame_of_type(&mut active_ws, "message").await;

    // 31 minutes: the quiet one is due (30), the active one is not (50).
    set_clock(&server, MONDAY_NOON + 31 * minute);
    let c = frame_of_type(&mut quiet_ws, "conversation").await["conversation"].clone();
    assert_eq!((c["id"].as_i64(), &c["status"], &c["endedBy"]), (Some(quiet_conv), &json!("closed"), &json!("system")));
    let m = frame_of_type(&mut quiet_ws, "message").await["message"].clone();
    assert_eq!(
        (&m["event"], &m["text"], &m["createdAt"]),
        (&json!("endedBySystem"), &json!("The conversation was closed."), &json!("2026-03-02T12:31:00.000Z"))
    );
    assert_eq!(page(&server, &active, active_conv)["conversation"]["status"], "open");
    // The quiet visitor's next message starts a new conversation.
    let next = server.send(&quiet, "v_quiet-2", "back").json();
    assert_ne!(next["conversation"]["id"].as_i64(), Some(quiet_conv));

    set_clock(&server, MONDAY_NOON + 50 * minute);
    let c = frame_of_type(&mut active_ws, "conversation").await["conversation"].clone();
    assert_eq!((c["id"].as_i64(), &c["endedBy"]), (Some(active_conv), &json!("system")));
    assert_eq!(frame_of_type(&mut active_ws, "message").await["message"]["createdAt"], "2026-03-02T12:50:00.000Z");
}

#[test]
fn the_demo_site_asks_for_csat_and_is_inside_hours_at_any_time() {
    let dir = TempDir::new();
    let server = Server::start_in(&dir.0, &["--memory", "--test-hooks", "--bot", "echo"]);
    for at in ["2026-03-01T03:00:00Z", "2026-12-25T23:59:59Z", "2027-01-01T00:00:00Z"] {
        set_clock(&server, rfc_ms(at));
        let config = server.visitor("GET", "/api/v1/cs/config?appKey=sk_demo", None, None).json();
        assert_eq!((&config["availability"], &config["rating"]), (&json!({"state": "online"}), &json!("csat")), "{at}");
    }
    drop(server);
    let server = Server::start_in(&dir.0, &["--memory"]);
    assert_eq!(availability(&server), json!({"state": "away"}), "no bot, no agent");
}
