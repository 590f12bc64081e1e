//! End-to-end tests against the real `natter-server` binary: REST, origin
//! rules, idempotency, cursors, WebSocket push, isolation, rate limits,
//! restart durability, `--no-websocket`, static files and bad input.

mod common;

use common::*;
use serde_json::{json, Value};

fn demo() -> (TempDir, Server) {
    let dir = TempDir::new();
    let server = Server::start_in(&dir.0, &["--memory"]);
    (dir, server)
}

#[test]
fn prints_listening_line_and_demo_agent_token() {
    let (_dir, server) = demo();
    assert!(server.port > 0);
    assert_eq!(server.stdout_rest, vec![format!("agent token: {AGENT_TOKEN}"), format!("admin token: {ADMIN_TOKEN}")]);
    let r = server.request("GET", "/healthz", &[], None);
    assert_eq!((r.status, r.body.as_str()), (200, "ok"));
}

#[test]
fn handshake_issues_a_30_minute_token_and_finds_the_same_visitor_again() {
    let (_dir, server) = demo();
    let (token, v) = server.handshake("v_alpha");
    assert_eq!(v["available"], true);
    assert_eq!(v["expiresIn"], 1800);
    assert!(v["expiresAt"].as_str().unwrap().ends_with('Z'));
    assert!(v["csVisitorId"].as_str().unwrap().starts_with("cv_"));
    assert!(v.get("conversationId").is_none());
    assert_eq!(v["config"]["available"], true);
    assert_eq!(v["config"]["limits"]["maxTextChars"], 4000);
    assert_eq!(token.split('.').count(), 3);

    let (_, again) = server.handshake("v_alpha");
    assert_eq!(again["csVisitorId"], v["csVisitorId"]);
    let (_, other) = server.handshake("v_beta");
    assert_ne!(other["csVisitorId"], v["csVisitorId"]);

    // The conversation id shows up once a message exists.
    assert_eq!(server.send(&token, "m1", "hi").status, 201);
    let (_, third) = server.handshake("v_alpha");
    assert!(third["conversationId"].as_i64().unwrap() > 0);

    let r = server.visitor("POST", "/api/v1/cs/handshake", None, Some(json!({"appKey": "sk_nope"})));
    assert_eq!((r.status, r.code().as_str()), (404, "unknown_app_key"));
    let r = server.visitor("GET", "/api/v1/cs/config?appKey=sk_demo", None, None);
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["siteName"], "Natter demo");
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));
}

#[test]
fn origin_rules_apply_to_rest_and_websocket() {
    let (_dir, server) = demo();
    let body = json!({"appKey": "sk_demo", "visitorId": "v_1"}).to_string();
    for origin in [Some("https://evil.example"), Some("http://127.0.0.1.evil.example:80"), Some("null"), None] {
        let mut headers = vec![];
        if let Some(o) = origin {
            headers.push(("Origin", o));
        }
        let r = server.request("POST", "/api/v1/cs/handshake", &headers, Some(body.as_bytes()));
        assert_eq!((r.status, r.code().as_str()), (403, "origin_denied"), "{origin:?}");
    }
    let ok =
        server.request("POST", "/api/v1/cs/handshake", &[("Origin", "http://127.0.0.1:9999")], Some(body.as_bytes()));
    assert_eq!(ok.status, 200);

    // A good token from a foreign origin is refused too.
    let (token, _) = server.handshake("v_1");
    let auth = format!("Bearer {token}");
    let r = server.request(
        "GET",
        "/api/v1/cs/conversations/current",
        &[("Origin", "https://evil.example"), ("Authorization", &auth)],
        None,
    );
    assert_eq!((r.status, r.code().as_str()), (403, "origin_denied"));

    // Localized message.
    let r = server.request("POST", "/api/v1/cs/handshake", &[("X-Locale", "zh-CN")], Some(body.as_bytes()));
    assert_eq!(r.code(), "origin_denied");
    assert!(r.json()["error"]["message"].as_str().unwrap().contains("域名"));

    // Preflight.
    let r = server.request(
        "OPTIONS",
        "/api/v1/cs/handshake",
        &[
            ("Origin", ORIGIN),
            ("Access-Control-Request-Method", "POST"),
            ("Access-Control-Request-Headers", "content-type"),
        ],
        None,
    );
    assert_eq!(r.status, 200);
    assert!(r.header("access-control-allow-headers").unwrap().contains("authorization"));
    assert_eq!(r.header("access-control-allow-origin"), Some(ORIGIN));

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let protocols = format!("natter.v1, jwt.{token}");
        assert_eq!(ws_connect(&server.url("/ws"), &protocols, Some("https://evil.example")).await.err(), Some(403));
        assert_eq!(ws_connect(&server.url("/ws"), &protocols, None).await.err(), Some(403));
        assert_eq!(
            ws_connect(&server.url("/ws"), "natter.v1, jwt.bad.token.here", Some(ORIGIN)).await.err(),
            Some(401)
        );
        assert_eq!(ws_connect(&server.url("/ws"), "natter.v1", Some(ORIGIN)).await.err(), Some(401));
        assert_eq!(ws_connect(&server.url("/ws"), &format!("jwt.{token}"), Some(ORIGIN)).await.err(), Some(400));
    });
}

#[test]
fn send_is_idempotent_on_client_msg_id() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_1");
    let first = server.send(&token, "c-1", "Where is my order?");
    assert_eq!(first.status, 201);
    let first = first.json();
    assert_eq!(first["duplicate"], false);
    assert_eq!(first["message"]["from"], "visitor");
    assert_eq!(first["message"]["clientMsgId"], "c-1");
    let retry = server.send(&token, "c-1", "Where is my order?");
    assert_eq!(retry.status, 200);
    let retry = retry.json();
    assert_eq!(retry["duplicate"], true);
    assert_eq!(retry["message"], first["message"]);

    let conflict = server.send(&token, "c-1", "Something else");
    assert_eq!((conflict.status, conflict.code().as_str()), (409, "client_msg_id_conflict"));

    let conv = first["conversation"]["id"].as_i64().unwrap();
    let page = server.visitor("GET", &format!("/api/v1/cs/conversations/{conv}/messages"), Some(&token), None).json();
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);

    let current = server.visitor("GET", "/api/v1/cs/conversations/current", Some(&token), None).json();
    assert_eq!(current["conversation"]["id"], conv);
    assert_eq!(current["conversation"]["status"], "open");
}

#[test]
fn since_cursor_pages_in_ascending_stable_order() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_1");
    let mut ids = vec![];
    let mut conv = 0;
    for i in 0..5 {
        let r = server.send(&token, &format!("m{i}"), &format!("message {i}")).json();
        ids.push(r["message"]["id"].as_i64().unwrap());
        conv = r["conversation"]["id"].as_i64().unwrap();
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    let mut seen = vec![];
    let mut since = 0;
    let mut pages = 0;
    loop {
        let page = server
            .visitor(
                "GET",
                &format!("/api/v1/cs/conversations/{conv}/messages?since={since}&limit=2"),
                Some(&token),
                None,
            )
            .json();
        pages += 1;
        for m in page["messages"].as_array().unwrap() {
            seen.push(m["id"].as_i64().unwrap());
        }
        since = page["nextSince"].as_i64().unwrap();
        if page["hasMore"] == false {
            break;
        }
    }
    assert_eq!(seen, ids);
    assert_eq!(pages, 3);
    let tail = server
        .visitor("GET", &format!("/api/v1/cs/conversations/{conv}/messages?since={}", ids[4]), Some(&token), None)
        .json();
    assert_eq!(tail["messages"], json!([]));
    assert_eq!(tail["nextSince"], ids[4]);
    let mid = server
        .visitor("GET", &format!("/api/v1/cs/conversations/{conv}/messages?since={}", ids[2]), Some(&token), None)
        .json();
    let mid: Vec<i64> = mid["messages"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect();
    assert_eq!(mid, ids[3..].to_vec());
}

#[tokio::test]
async fn agent_reply_is_pushed_to_the_visitor_websocket() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_1");
    let conv = server.send(&token, "m1", "hello?").json()["conversation"]["id"].as_i64().unwrap();

    let mut agent = agent_ws(&server).await;
    let hello = next_frame(&mut agent).await;
    assert_eq!(hello["type"], "hello");

    let mut ws = visitor_ws(&server, &token).await;
    let hello = next_frame(&mut ws).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["conversationId"], conv);
    assert_eq!(hello["agentsOnline"], true);
    assert!(hello["lastMessageId"].as_i64().unwrap() > 0);

    // The agent sees the conversation with its visitor.
    let list = server.agent("GET", "/api/v1/agent/conversations", None).json();
    let item = &list["conversations"][0];
    assert_eq!(item["conversation"]["id"], conv);
    assert_eq!(item["visitor"]["visitorId"], "v_1");
    assert_eq!(item["lastMessage"]["text"], "hello?");

    let r = server.agent("POST", &format!("/api/v1/agent/conversations/{conv}/typing"), Some(json!({"active": true})));
    assert_eq!(r.status, 204);
    let typing = frame_of_type(&mut ws, "typing").await;
    assert_eq!((typing["from"].clone(), typing["active"].clone()), (json!("agent"), json!(true)));

    let r = server.agent(
        "POST",
        &format!("/api/v1/agent/conversations/{conv}/messages"),
        Some(json!({"text": "Hi, I am here"})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    // The first reply joins: its `joined` system message comes first.
    assert_eq!(frame_of_type(&mut ws, "message").await["message"]["event"], "joined");
    let frame = frame_of_type(&mut ws, "message").await;
    assert_eq!(frame["message"]["text"], "Hi, I am here");
    assert_eq!(frame["message"]["from"], "agent");
    assert_eq!(frame["message"]["agentName"], "Demo agent");
    assert_eq!(frame["message"]["conversationId"], conv);

    // The agent socket saw the same messages.
    assert_eq!(frame_of_type(&mut agent, "message").await["message"]["event"], "joined");
    let seen = frame_of_type(&mut agent, "message").await;
    assert_eq!(seen["message"]["text"], "Hi, I am here");

    // A visitor message reaches the agent socket; visitor typing too.
    send_frame(&mut ws, json!({"type": "typing", "active": true})).await;
    let t = frame_of_type(&mut agent, "typing").await;
    assert_eq!((t["from"].clone(), t["conversationId"].clone()), (json!("visitor"), json!(conv)));
    server.send(&token, "m2", "thanks");
    let m = frame_of_type(&mut agent, "message").await;
    assert_eq!(m["message"]["text"], "thanks");

    // App-level ping, unknown frames and bad frames keep the socket open.
    send_frame(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(frame_of_type(&mut ws, "pong").await["type"], "pong");
    send_frame(&mut ws, json!({"type": "dance"})).await;
    let e = frame_of_type(&mut ws, "error").await;
    assert_eq!(e["error"]["code"], "unknown_frame");
    send_frame(&mut ws, json!({"type": "read"})).await;
    assert_eq!(frame_of_type(&mut ws, "error").await["error"]["code"], "bad_request");
    send_frame(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(frame_of_type(&mut ws, "pong").await["type"], "pong");
}

/// Events go to the sockets they are for: a visitor's (every tab of it) and
/// the site's agents; presence to every visitor of the site.
#[tokio::test]
async fn each_socket_gets_only_the_events_addressed_to_it() {
    let (_dir, server) = demo();
    let (alice, _) = server.handshake("v_alice");
    let (bob, _) = server.handshake("v_bob");
    let mut tab1 = visitor_ws(&server, &alice).await;
    let mut tab2 = visitor_ws(&server, &alice).await;
    let mut ws_bob = visitor_ws(&server, &bob).await;
    for ws in [&mut tab1, &mut tab2, &mut ws_bob] {
        assert_eq!(frame_of_type(ws, "hello").await["agentsOnline"], false);
    }

    // The site's first agent: every visitor of the site hears it is online.
    let mut agent = agent_ws(&server).await;
    frame_of_type(&mut agent, "hello").await;
    for ws in [&mut tab1, &mut tab2, &mut ws_bob] {
        assert_eq!(frame_of_type(ws, "presence").await["agentsOnline"], true);
    }

    server.send(&alice, "a1", "alice 1");
    server.send(&bob, "b1", "bob 1");
    server.send(&alice, "a2", "alice 2");
    let texts = |frames: Vec<serde_json::Value>| -> Vec<String> {
        frames.iter().map(|f| f["message"]["text"].as_str().unwrap_or_default().to_string()).collect()
    };
    for ws in [&mut tab1, &mut tab2] {
        let got = vec![frame_of_type(ws, "message").await, frame_of_type(ws, "message").await];
        assert_eq!(texts(got), ["alice 1", "alice 2"]);
    }
    // The agent sees both visitors' messages, in order.
    let got = vec![
        frame_of_type(&mut agent, "message").await,
        frame_of_type(&mut agent, "message").await,
        frame_of_type(&mut agent, "message").await,
    ];
    assert_eq!(texts(got), ["alice 1", "bob 1", "alice 2"]);
    assert_eq!(texts(vec![frame_of_type(&mut ws_bob, "message").await]), ["bob 1"]);

    // A closed tab leaves the other one served.
    drop(tab1);
    server.send(&alice, "a3", "alice 3");
    assert_eq!(texts(vec![frame_of_type(&mut tab2, "message").await]), ["alice 3"]);

    // The last agent leaves: its subscription is gone, visitors hear it.
    drop(agent);
    for ws in [&mut tab2, &mut ws_bob] {
        assert_eq!(frame_of_type(ws, "presence").await["agentsOnline"], false);
    }
    assert_eq!(server.visitor("GET", "/api/v1/cs/config?appKey=sk_demo", None, None).json()["online"], false);
}

/// Client frames up to 16 KiB still pass the (small) socket read buffer;
/// larger ones end the connection.
#[tokio::test]
async fn client_frames_up_to_16_kib_are_read() {
    use futures_util::StreamExt;
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_big");
    let mut ws = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    let big = json!({"type": "auth", "token": "x".repeat(16 * 1024 - 40)});
    assert!(big.to_string().len() <= 16 * 1024);
    send_frame(&mut ws, big).await;
    assert_eq!(frame_of_type(&mut ws, "error").await["error"]["code"], "token_invalid");
    send_frame(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(frame_of_type(&mut ws, "pong").await["type"], "pong");

    send_frame(&mut ws, json!({"type": "auth", "token": "x".repeat(17 * 1024)})).await;
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("socket should end") {
            None | Some(Err(_)) => break,
            Some(Ok(m)) if m.is_close() => break,
            Some(Ok(_)) => continue,
        }
    }
}

#[tokio::test]
async fn echo_bot_answers_over_the_websocket() {
    let dir = TempDir::new();
    let server = Server::start_in(&dir.0, &["--memory", "--bot", "echo", "--bot-delay-ms", "10"]);
    let (token, hs) = server.handshake("v_1");
    assert_eq!(hs["config"]["online"], true);
    let mut ws = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    server.send(&token, "m1", "ping me");
    let own = frame_of_type(&mut ws, "message").await;
    assert_eq!(own["message"]["from"], "visitor");
    assert_eq!(frame_of_type(&mut ws, "message").await["message"]["agentName"], "Echo bot", "joined");
    let echo = frame_of_type(&mut ws, "message").await;
    assert_eq!(echo["message"]["text"], "Echo: ping me");
    assert_eq!(echo["message"]["agentName"], "Echo bot");
}

#[tokio::test]
async fn tokens_are_isolated_between_visitors() {
    let (_dir, server) = demo();
    let (alice, _) = server.handshake("v_alice");
    let (bob, _) = server.handshake("v_bob");
    let conv_a = server.send(&alice, "a1", "alice secret").json()["conversation"]["id"].as_i64().unwrap();

    for (method, path) in [
        ("GET", format!("/api/v1/cs/conversations/{conv_a}/messages")),
        ("POST", format!("/api/v1/cs/conversations/{conv_a}/leave")),
    ] {
        let r = server.visitor(method, &path, Some(&bob), None);
        assert_eq!((r.status, r.code().as_str()), (403, "forbidden"), "{method} {path}");
    }
    let r = server.visitor("GET", "/api/v1/cs/conversations/999999/messages", Some(&bob), None);
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    // Bob's send goes to Bob's own conversation.
    let conv_b = server.send(&bob, "b1", "bob here").json()["conversation"]["id"].as_i64().unwrap();
    assert_ne!(conv_a, conv_b);

    // Bob's socket never carries Alice's traffic: the first message frame
    // it gets after an agent reply to Alice is Bob's own next message.
    let mut ws_bob = visitor_ws(&server, &bob).await;
    frame_of_type(&mut ws_bob, "hello").await;
    server.agent("POST", &format!("/api/v1/agent/conversations/{conv_a}/messages"), Some(json!({"text": "for alice"})));
    server.send(&bob, "b2", "bob again");
    let f = frame_of_type(&mut ws_bob, "message").await;
    assert_eq!(f["message"]["text"], "bob again");

    // Bob cannot switch his socket to Alice's token.
    send_frame(&mut ws_bob, json!({"type": "auth", "token": alice})).await;
    assert_eq!(frame_of_type(&mut ws_bob, "error").await["error"]["code"], "forbidden");
    // ... but can renew with his own fresh token.
    let (bob2, _) = server.handshake("v_bob");
    send_frame(&mut ws_bob, json!({"type": "auth", "token": bob2})).await;
    assert!(frame_of_type(&mut ws_bob, "authOk").await["expiresAt"].is_string());

    // Leaving closes Alice's conversation; her next message opens a new one.
    let left = server.visitor("POST", &format!("/api/v1/cs/conversations/{conv_a}/leave"), Some(&alice), None).json();
    assert_eq!(left["conversation"]["status"], "closed");
    let r =
        server.agent("POST", &format!("/api/v1/agent/conversations/{conv_a}/messages"), Some(json!({"text": "late"})));
    assert_eq!((r.status, r.code().as_str()), (409, "conversation_closed"));
    let next = server.send(&alice, "a2", "new topic").json();
    assert_ne!(next["conversation"]["id"], conv_a);
}

#[test]
fn an_agent_key_reused_in_another_conversation_is_refused_not_dropped() {
    let dir = TempDir::new();
    let server = Server::start_in(&dir.0, &["--memory"]);
    let (alice, _) = server.handshake("v_alice_cmid");
    let (bob, _) = server.handshake("v_bob_cmid");
    let conv_a = server.send(&alice, "a1", "hi").json()["conversation"]["id"].as_i64().unwrap();
    let conv_b = server.send(&bob, "b1", "hi").json()["conversation"]["id"].as_i64().unwrap();
    let reply = |conv: i64| {
        server.agent(
            "POST",
            &format!("/api/v1/agent/conversations/{conv}/messages"),
            Some(json!({"clientMsgId": "r1", "text": "Thanks, looking into it"})),
        )
    };
    assert_eq!(reply(conv_a).status, 201);
    // A retry in the same conversation is the same reply...
    let retry = reply(conv_a);
    assert_eq!((retry.status, retry.json()["duplicate"].clone()), (200, json!(true)));
    // ...the same key for another conversation is a client bug, said so.
    let other = reply(conv_b);
    assert_eq!((other.status, other.code().as_str()), (409, "client_msg_id_conflict"), "{}", other.body);
    let page = server.agent("GET", &format!("/api/v1/agent/conversations/{conv_b}/messages"), None).json();
    assert!(page["messages"].as_array().unwrap().iter().all(|m| m["from"] != "agent"), "{page}");
}

#[test]
fn rate_limits_answer_429_with_retry_after() {
    let (_dir, server) = demo();
    let body = json!({"appKey": "sk_demo", "visitorId": "v_rl"}).to_string();
    let mut statuses = vec![];
    let mut last = None;
    for _ in 0..31 {
        let r = server.request("POST", "/api/v1/cs/handshake", &[("Origin", ORIGIN)], Some(body.as_bytes()));
        statuses.push(r.status);
        last = Some(r);
    }
    assert!(statuses[..30].iter().all(|s| *s == 200), "{statuses:?}");
    let last = last.unwrap();
    assert_eq!((last.status, last.code().as_str()), (429, "rate_limited"));
    let retry: u64 = last.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(last.json()["error"]["retryAfterSec"], retry);
    assert_eq!(last.header("access-control-expose-headers"), Some("retry-after"));
    // Config shares the per-IP entry budget.
    assert_eq!(server.visitor("GET", "/api/v1/cs/config?appKey=sk_demo", None, None).status, 429);
}

#[test]
fn visitor_messages_are_limited_per_visitor() {
    let dir = TempDir::new();
    let server = Server::start_in(&dir.0, &["--memory"]);
    let (token, _) = server.handshake("v_1");
    for i in 0..20 {
        assert_eq!(server.send(&token, &format!("m{i}"), "x").status, 201);
    }
    let r = server.send(&token, "m20", "x");
    assert_eq!((r.status, r.code().as_str()), (429, "rate_limited"));
    assert!(r.header("retry-after").is_some());
    // Another visitor is unaffected.
    let (other, _) = server.handshake("v_2");
    assert_eq!(server.send(&other, "m0", "x").status, 201);
}

#[test]
fn restart_with_the_same_database_keeps_every_message() {
    let dir = TempDir::new();
    let db = dir.0.join("nested/dir/natter.db");
    let db_arg = db.to_str().unwrap().to_string();
    let server = Server::start_in(&dir.0, &["--db", &db_arg]);
    let (token, hs) = server.handshake("v_keep");
    let mut sent = vec![];
    for i in 0..12 {
        sent.push(server.send(&token, &format!("k{i}"), &format!("keep {i}")).json()["message"].clone());
    }
    let conv = sent[0]["conversationId"].as_i64().unwrap();
    sent.push(
        server
            .agent("POST", &format!("/api/v1/agent/conversations/{conv}/messages"), Some(json!({"text": "noted"})))
            .json()["message"]
            .clone(),
    );
    // The reply joined the conversation: its system message is stored too.
    let joined = server.agent("GET", &format!("/api/v1/agent/conversations/{conv}/messages?limit=200"), None).json()
        ["messages"][12]
        .clone();
    assert_eq!(joined["event"], "joined");
    sent.insert(12, joined);
    let status = server.terminate();
    assert!(status.success(), "graceful exit: {status:?}");
    assert!(db.exists());

    let server = Server::start_in(&dir.0, &["--db", &db_arg]);
    // The old token still verifies: the site key lives in the database.
    let page =
        server.visitor("GET", &format!("/api/v1/cs/conversations/{conv}/messages?limit=200"), Some(&token), None);
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.json()["messages"], Value::Array(sent.clone()));
    // The same visitor finds the same conversation.
    let (token2, hs2) = server.handshake("v_keep");
    assert_eq!(hs2["csVisitorId"], hs["csVisitorId"]);
    assert_eq!(hs2["conversationId"], conv);
    // Ids keep increasing and idempotency survives the restart.
    let retry = server.send(&token2, "k0", "keep 0").json();
    assert_eq!(retry["duplicate"], true);
    let next = server.send(&token2, "k-new", "after restart").json();
    assert!(next["message"]["id"].as_i64().unwrap() > sent.last().unwrap()["id"].as_i64().unwrap());
    assert!(server.terminate().success());
}

#[tokio::test]
async fn no_websocket_refuses_upgrades_and_rest_still_works() {
    let dir = TempDir::new();
    let server = Server::start_in(&dir.0, &["--memory", "--no-websocket"]);
    let (token, _) = server.handshake("v_1");
    let refused = ws_connect(&server.url("/ws"), &format!("natter.v1, jwt.{token}"), Some(ORIGIN)).await;
    assert_eq!(refused.err(), Some(404));
    let r = server.request("GET", "/ws", &[("Origin", ORIGIN)], None);
    assert_eq!(r.code(), "websocket_disabled");
    assert_eq!(server.send(&token, "m1", "polling works").status, 201);
}

#[tokio::test]
async fn drop_sockets_hook_closes_websockets_abruptly() {
    let dir = TempDir::new();
    let server = Server::start_in(&dir.0, &["--memory", "--test-hooks"]);
    let (token, _) = server.handshake("v_1");
    let mut ws = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    let r = server.request("POST", "/api/v1/test/drop-sockets", &[], None);
    assert_eq!(r.status, 200);
    use futures_util::StreamExt;
    let end = tokio::time::timeout(WAIT, ws.next()).await.expect("socket should end");
    match end {
        None | Some(Err(_)) => {}
        Some(Ok(m)) => assert!(!m.is_close(), "expected no close frame, got {m:?}"),
    }
    // Without --test-hooks the hook does not exist.
    let (_d, plain) = demo();
    assert_eq!(plain.request("POST", "/api/v1/test/drop-sockets", &[], None).status, 404);
}

#[test]
fn bad_input_gets_clear_errors_and_stores_nothing() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_1");
    let auth = format!("Bearer {token}");
    let post = |path: &str, body: &[u8]| {
        server.request("POST", path, &[("Origin", ORIGIN), ("Authorization", &auth)], Some(body))
    };
    let cases: Vec<(Response, u16, &str)> = vec![
        (post("/api/v1/cs/conversations", b"{not json"), 400, "bad_request"),
        (post("/api/v1/cs/conversations", br#"{"clientMsgId": 5, "text": "x"}"#), 400, "bad_request"),
        (post("/api/v1/cs/conversations", br#"{"text": "x"}"#), 400, "bad_request"),
        (post("/api/v1/cs/conversations", br#"{"clientMsgId": "a b", "text": "x"}"#), 400, "bad_request"),
        (post("/api/v1/cs/conversations", br#"{"clientMsgId": "e1", "text": "   "}"#), 400, "empty_text"),
        (
            post(
                "/api/v1/cs/conversations",
                json!({"clientMsgId": "t1", "text": "é".repeat(4001)}).to_string().as_bytes(),
            ),
            413,
            "text_too_long",
        ),
        (post("/api/v1/cs/conversations", &vec![b' '; 70 * 1024]), 413, "body_too_large"),
        (post("/api/v1/cs/identify", br#"{"nickname": 42}"#), 400, "bad_request"),
        (server.visitor("POST", "/api/v1/cs/handshake", None, Some(json!({"visitorId": "v"}))), 400, "bad_request"),
        (server.visitor("GET", "/api/v1/cs/conversations/current", None, None), 401, "token_missing"),
        (server.visitor("GET", "/api/v1/cs/conversations/current", Some("abc.def.ghi"), None), 401, "token_invalid"),
        (server.visitor("GET", "/api/v1/cs/conversations/current", Some(&forge(&token)), None), 401, "token_invalid"),
        (server.visitor("GET", "/api/v1/cs/conversations/abc/messages", Some(&token), None), 404, "not_found"),
        (server.visitor("GET", "/api/v1/cs/conversations/1/messages?since=x", Some(&token), None), 400, "bad_request"),
        (
            server.request("GET", "/api/v1/agent/conversations", &[("Authorization", "Bearer nope")], None),
            401,
            "token_invalid",
        ),
        (server.request("GET", "/api/v1/agent/conversations", &[], None), 401, "token_missing"),
        (server.agent("GET", "/api/v1/agent/conversations?status=weird", None), 400, "bad_request"),
        (server.request("GET", "/api/v1/nothing", &[], None), 404, "not_found"),
        (server.request("DELETE", "/api/v1/cs/handshake", &[("Origin", ORIGIN)], None), 405, "method_not_allowed"),
    ];
    for (i, (r, status, code)) in cases.iter().enumerate() {
        assert_eq!((r.status, r.code().as_str()), (*status, *code), "case {i}: {}", r.body);
        assert!(r.json()["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Nothing was stored by any of them.
    let current = server.visitor("GET", "/api/v1/cs/conversations/current", Some(&token), None).json();
    assert_eq!(current["conversation"], Value::Null);
    // And the server still works.
    assert_eq!(server.send(&token, "ok", "still fine").status, 201);
}

/// The same claims re-signed with a wrong key.
fn forge(token: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    parts.join(".")
}

#[test]
fn identify_updates_the_profile_and_switches_identity() {
    let (_dir, server) = demo();
    let (token, hs) = server.handshake("v_anon");
    server.send(&token, "m1", "before login");
    let r = server.visitor(
        "POST",
        "/api/v1/cs/identify",
        Some(&token),
        Some(json!({"nickname": "Ann", "extra": {"plan": "pro"}})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let same = r.json();
    assert_eq!(same["identityChanged"], false);
    assert_eq!(same["csVisitorId"], hs["csVisitorId"]);

    // Login: the anonymous record becomes the user's, conversation kept.
    let login =
        server.visitor("POST", "/api/v1/cs/identify", Some(&token), Some(json!({"externalUserId": "u_42"}))).json();
    assert_eq!(login["identityChanged"], true);
    assert_eq!(login["csVisitorId"], hs["csVisitorId"]);
    let list = server.agent("GET", "/api/v1/agent/conversations", None).json();
    let v = &list["conversations"][0]["visitor"];
    assert_eq!(
        (v["externalUserId"].clone(), v["nickname"].clone(), v["extra"]["plan"].clone()),
        (json!("u_42"), json!("Ann"), json!("pro"))
    );

    // Logout with a rotated anonymous id: a different, fresh visitor.
    let user_token = login["token"].as_str().unwrap().to_string();
    let logout = server
        .visitor(
            "POST",
            "/api/v1/cs/identify",
            Some(&user_token),
            Some(json!({"externalUserId": null, "visitorId": "v_rotated"})),
        )
        .json();
    assert_eq!(logout["identityChanged"], true);
    assert_ne!(logout["csVisitorId"], hs["csVisitorId"]);
    assert!(logout.get("conversationId").is_none());
}

#[test]
fn static_dirs_are_searched_in_order_with_cache_headers() {
    let dir = TempDir::new();
    let a = dir.0.join("a");
    let b = dir.0.join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(a.join("only-a.txt"), "from a").unwrap();
    std::fs::write(b.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(b.join("widget.js"), "console.log(1)").unwrap();
    std::fs::write(a.join("widget.js"), "first wins").unwrap();
    std::fs::write(b.join("widget-0123abcd4567.wasm"), b"\0asm").unwrap();
    std::fs::write(b.join("healthz"), "not me").unwrap();
    let (a_s, b_s) = (a.to_str().unwrap().to_string(), b.to_str().unwrap().to_string());
    let server = Server::start_in(&dir.0, &["--memory", "--static", &a_s, "--static", &b_s]);

    let root = server.request("GET", "/", &[], None);
    assert_eq!((root.status, root.body.as_str()), (200, "<h1>demo</h1>"));
    assert!(root.header("content-type").unwrap().starts_with("text/html"));
    let js = server.request("GET", "/widget.js", &[], None);
    assert_eq!(js.body, "first wins");
    assert_eq!(js.header("cache-control"), Some("public, max-age=300"));
    let etag = js.header("etag").unwrap().to_string();
    assert_eq!(server.request("GET", "/widget.js", &[("If-None-Match", &etag)], None).status, 304);
    let wasm = server.request("GET", "/widget-0123abcd4567.wasm", &[], None);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(server.request("GET", "/only-a.txt", &[], None).body, "from a");
    assert_eq!(server.request("GET", "/healthz", &[], None).body, "ok");
    assert_eq!(server.request("GET", "/../Cargo.toml", &[], None).status, 404);
    assert_eq!(server.request("GET", "/missing.js", &[], None).status, 404);

    let console = server.request("GET", "/agent", &[], None);
    assert_eq!(console.status, 200);
    assert!(console.header("content-security-policy").unwrap().starts_with("default-src 'self'"));
    assert!(console.body.contains("/agent/app.js"));
    assert!(!console.body.contains("<script>") && !console.body.contains("style="));
    assert_eq!(
        server.request("GET", "/agent/app.js", &[], None).header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(server.request("GET", "/agent/app.css", &[], None).status, 200);
}

#[test]
fn config_file_sites_switch_off_and_verify_identity() {
    let dir = TempDir::new();
    let cfg = dir.0.join("sites.toml");
    std::fs::write(
        &cfg,
        r##"
[limits]
handshake_per_minute = 100

[[sites]]
app_key = "sk_live"
name = "Shop"
allowed_origins = ["http://localhost:*"]
identity_secret = "s3cret"
[sites.remote]
greeting = "Welcome to the shop"
[sites.remote.appearance]
primaryColor = "#f43f5e"
[[sites.agents]]
name = "Alice"
token = "alice-token-0123456789"

[[sites]]
app_key = "sk_off"
enabled = false
allowed_origins = ["*"]
"##,
    )
    .unwrap();
    let server = Server::start_in(&dir.0, &["--memory", "--config", cfg.to_str().unwrap()]);
    assert!(server.stdout_rest.is_empty(), "no demo token with --config");

    let off = server.visitor("POST", "/api/v1/cs/handshake", None, Some(json!({"appKey": "sk_off"}))).json();
    assert_eq!(off["available"], false);
    assert!(off.get("token").is_none());

    let cfg = server.visitor("GET", "/api/v1/cs/config?appKey=sk_live", None, None).json();
    assert_eq!(cfg["appearance"]["primaryColor"], "#f43f5e");
    assert!(cfg["appearance"].get("panelWidth").is_none());
    assert_eq!(cfg["greeting"], "Welcome to the shop");

    // userHash = hex(HMAC-SHA256("s3cret", "u_1")).
    let good = natter_server::auth::user_hash(b"s3cret", "u_1").unwrap();
    let hs = |body: Value| server.visitor("POST", "/api/v1/cs/handshake", None, Some(body));
    let r = hs(json!({"appKey": "sk_live", "externalUserId": "u_1", "userHash": "00"}));
    assert_eq!((r.status, r.code().as_str()), (403, "identity_rejected"));
    let r = hs(json!({"appKey": "sk_live", "externalUserId": "u_1", "userHash": good}));
    assert_eq!(r.status, 200);
    // Once verified, the same externalUserId without proof is refused.
    let r = hs(json!({"appKey": "sk_live", "externalUserId": "u_1"}));
    assert_eq!((r.status, r.code().as_str()), (403, "identity_unverified"));

    let me =
        server.request("GET", "/api/v1/agent/me", &[("Authorization", "Bearer alice-token-0123456789")], None).json();
    assert_eq!(me["agentName"], "Alice");
    assert_eq!(server.agent("GET", "/api/v1/agent/me", None).status, 401, "demo token is not configured here");
}

#[test]
fn origins_with_signed_ports_or_given_twice_are_refused() {
    let (_dir, server) = demo();
    let body = json!({"appKey": "sk_demo", "visitorId": "v_1"}).to_string();
    let hs = |headers: &[(&str, &str)]| server.request("POST", "/api/v1/cs/handshake", headers, Some(body.as_bytes()));
    assert_eq!(hs(&[("Origin", ORIGIN)]).status, 200);
    // `u16::from_str` reads `+5173` as 5173; browsers never write it.
    let r = hs(&[("Origin", "http://localhost:+5173")]);
    assert_eq!((r.status, r.code().as_str()), (403, "origin_denied"));
    // Two Origin headers: neither is believed, even when both are allowed.
    let r = hs(&[("Origin", ORIGIN), ("Origin", ORIGIN)]);
    assert_eq!((r.status, r.code().as_str()), (403, "origin_denied"));
    let r = hs(&[("Origin", "https://evil.example"), ("Origin", ORIGIN)]);
    assert_eq!((r.status, r.code().as_str()), (403, "origin_denied"));
}

#[test]
fn bodies_must_be_json_objects() {
    let (_dir, server) = demo();
    let hs = |body: &str| server.request("POST", "/api/v1/cs/handshake", &[("Origin", ORIGIN)], Some(body.as_bytes()));
    assert_eq!(hs(r#"{"appKey": "sk_demo"}"#).status, 200);
    for body in [r#"["sk_demo"]"#, r#""sk_demo""#, "null", "42"] {
        let r = hs(body);
        assert_eq!((r.status, r.code().as_str()), (400, "bad_request"), "{body}");
    }
    // An array of the fields in order once signed a link.
    let auth = format!("Bearer {ADMIN_TOKEN}");
    let r = server.request(
        "POST",
        "/api/v1/admin/cs/sites/sk_demo/link-entry/sign",
        &[("Authorization", &auth)],
        Some(br#"["u_42","Alex"]"#),
    );
    assert_eq!((r.status, r.code().as_str()), (400, "bad_request"), "{}", r.body);
    let (token, _) = server.handshake("v_2");
    let r = server.visitor("POST", "/api/v1/cs/conversations", Some(&token), Some(json!(["m1", "hi"])));
    assert_eq!((r.status, r.code().as_str()), (400, "bad_request"));
    let r = server.agent("POST", "/api/v1/agent/conversations/1/typing", Some(json!([true])));
    assert_eq!((r.status, r.code().as_str()), (400, "bad_request"));
}

#[test]
fn agent_and_admin_responses_are_never_cached_or_sniffed() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_1");
    assert_eq!(server.send(&token, "m1", "my e-mail is a@b.example").status, 201);
    let admin = format!("Bearer {ADMIN_TOKEN}");
    let responses = [
        server.agent("GET", "/api/v1/agent/conversations", None),
        server.agent("GET", "/api/v1/agent/conversations/1/messages", None),
        server.agent("GET", "/api/v1/agent/me", None),
        server.request("GET", "/api/v1/agent/conversations", &[], None),
        server.request(
            "POST",
            "/api/v1/admin/cs/sites/sk_demo/link-entry/sign",
            &[("Authorization", &admin)],
            Some(b"{}"),
        ),
        server.request("POST", "/api/v1/admin/cs/sites/sk_demo/link-entry/sign", &[], Some(b"{}")),
        server.visitor("GET", "/api/v1/cs/conversations/current", Some(&token), None),
    ];
    for r in responses {
        assert_eq!(r.header("cache-control"), Some("no-store"), "{r:?}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{r:?}");
    }
}

#[test]
fn a_retry_of_a_stored_message_costs_no_message_budget() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_1");
    for i in 0..20 {
        assert_eq!(server.send(&token, &format!("m{i}"), "x").status, 201);
    }
    // The budget (20 a minute) is spent; retries of stored messages are
    // still answered, as duplicates.
    for i in 0..20 {
        let r = server.send(&token, &format!("m{i}"), "x");
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.json()["duplicate"], true);
    }
    let r = server.send(&token, "m20", "x");
    assert_eq!((r.status, r.code().as_str()), (429, "rate_limited"));
    // A reused clientMsgId with another text is still a conflict, not a pass.
    assert_eq!(server.send(&token, "m0", "other").code(), "client_msg_id_conflict");
}
