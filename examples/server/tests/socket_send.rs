//! Sending over the visitor socket: the `message` frame is stored through
//! the same path as `POST /api/v1/cs/conversations` (checks, message budget,
//! exactly once by `clientMsgId`, push), and each answer names its
//! `clientMsgId`.

mod common;

use common::*;
use serde_json::{json, Value};

fn demo() -> (TempDir, Server) {
    let dir = TempDir::new();
    let server = Server::start_in(&dir.0, &["--memory"]);
    (dir, server)
}

fn message(id: &str, text: &str) -> Value {
    json!({"type": "message", "clientMsgId": id, "text": text})
}

/// Sends a frame and returns the first `ack` or `error` after it.
async fn answer(ws: &mut Ws, frame: Value) -> Value {
    send_frame(ws, frame).await;
    loop {
        let f = next_frame(ws).await;
        if f["type"] == "ack" || f["type"] == "error" {
            return f;
        }
    }
}

fn visitor_messages(server: &Server, token: &str, conversation: i64) -> Vec<Value> {
    let path = format!("/api/v1/cs/conversations/{conversation}/messages");
    let page = server.visitor("GET", &path, Some(token), None).json();
    page["messages"].as_array().expect("messages").clone()
}

#[tokio::test]
async fn a_message_frame_is_stored_once_whichever_transport_comes_first() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_1");
    let mut ws = visitor_ws(&server, &token).await;
    let mut tab = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    frame_of_type(&mut tab, "hello").await;

    // Socket first: acknowledged like a 201, then the POST of the same id
    // is a duplicate (200) of the same message.
    let ack = answer(&mut ws, message("s1", "over the socket")).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["clientMsgId"], "s1");
    assert_eq!(ack["duplicate"], false);
    assert_eq!(ack["message"]["text"], "over the socket");
    assert_eq!(ack["message"]["from"], "visitor");
    let conversation = ack["conversation"]["id"].as_i64().expect("conversation");
    assert_eq!(ack["message"]["conversationId"], conversation);
    let post = server.send(&token, "s1", "over the socket");
    assert_eq!(post.status, 200, "{}", post.body);
    assert_eq!(post.json()["message"]["id"], ack["message"]["id"]);
    // Sent again over the socket (a retry after a lost ack): a duplicate too.
    let again = answer(&mut ws, message("s1", "over the socket")).await;
    assert_eq!((again["duplicate"].as_bool(), &again["message"]["id"]), (Some(true), &ack["message"]["id"]));

    // POST first, then the socket: one message, the socket's ack is a duplicate.
    let post = server.send(&token, "p1", "by HTTP");
    assert_eq!(post.status, 201, "{}", post.body);
    let ack = answer(&mut ws, message("p1", "by HTTP")).await;
    assert_eq!((ack["type"].as_str(), ack["duplicate"].as_bool()), (Some("ack"), Some(true)), "{ack}");
    assert_eq!(ack["message"]["id"], post.json()["message"]["id"]);

    let stored = visitor_messages(&server, &token, conversation);
    let ids: Vec<&str> = stored.iter().map(|m| m["clientMsgId"].as_str().unwrap_or_default()).collect();
    assert_eq!(ids, ["s1", "p1"]);
    // The other tab saw each message pushed once, as for a POST.
    assert_eq!(frame_of_type(&mut tab, "message").await["message"]["clientMsgId"], "s1");
    assert_eq!(frame_of_type(&mut tab, "message").await["message"]["clientMsgId"], "p1");
    send_frame(&mut tab, json!({"type": "ping"})).await;
    assert_eq!(next_frame(&mut tab).await["type"], "pong", "no second push of either message");
}

#[tokio::test]
async fn refusals_name_the_message_with_the_status_of_its_post() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_1");
    let mut ws = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    let error = |f: &Value| {
        assert_eq!(f["type"], "error", "{f}");
        (
            f["clientMsgId"].as_str().map(str::to_string),
            f["status"].as_u64(),
            f["error"]["code"].as_str().map(str::to_string),
        )
    };
    let some = |id: &str, status: u64, code: &str| (Some(id.to_string()), Some(status), Some(code.to_string()));

    let f = answer(&mut ws, message("e1", " \n ")).await;
    assert_eq!(error(&f), some("e1", 400, "empty_text"));
    let f = answer(&mut ws, message("e2", &"x".repeat(4001))).await;
    assert_eq!(error(&f), some("e2", 413, "text_too_long"));
    let f = answer(&mut ws, message("bad id", "hi")).await;
    assert_eq!(error(&f), some("bad id", 400, "bad_request"));
    let f = answer(&mut ws, json!({"type": "message", "clientMsgId": "e3"})).await;
    // Neither text nor form: as its POST (`text` may be left out for a form).
    assert_eq!(error(&f), some("e3", 400, "empty_text"), "no text");
    let f = answer(&mut ws, json!({"type": "message", "text": "no id"})).await;
    assert_eq!(error(&f), (None, Some(400), Some("bad_request".to_string())));
    assert_eq!(answer(&mut ws, message("c1", "first")).await["type"], "ack");
    let f = answer(&mut ws, message("c1", "another text")).await;
    assert_eq!(error(&f), some("c1", 409, "client_msg_id_conflict"));

    // The message budget is the POST's: 20 a minute for the visitor, over
    // both transports; the retry of a stored message costs nothing.
    for i in 1..19 {
        assert_eq!(server.send(&token, &format!("m{i}"), "x").status, 201);
    }
    assert_eq!(answer(&mut ws, message("m19", "x")).await["type"], "ack");
    let f = answer(&mut ws, message("m20", "x")).await;
    assert_eq!(error(&f), some("m20", 429, "rate_limited"));
    let retry = f["error"]["retryAfterSec"].as_u64().expect("retryAfterSec");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(server.send(&token, "m21", "x").status, 429, "the POST shares the budget");
    assert_eq!(answer(&mut ws, message("m19", "x")).await["duplicate"], true);

    // Nothing refused was stored; the socket is still open.
    let conversation = server.visitor("GET", "/api/v1/cs/conversations/current", Some(&token), None).json()
        ["conversation"]["id"]
        .as_i64()
        .expect("conversation");
    let stored = visitor_messages(&server, &token, conversation);
    assert_eq!(stored.len(), 20);
    assert!(stored.iter().all(|m| !["e1", "e2", "e3", "m20"].contains(&m["clientMsgId"].as_str().unwrap_or("e1"))));
    send_frame(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(frame_of_type(&mut ws, "pong").await["type"], "pong");
}

#[tokio::test]
async fn a_visitor_cannot_send_into_another_visitors_conversation() {
    let (_dir, server) = demo();
    let (alice, _) = server.handshake("v_alice");
    let (bob, _) = server.handshake("v_bob");
    let post = server.send(&alice, "a1", "alice's");
    let alices = post.json()["conversation"]["id"].as_i64().expect("conversation");
    let mut ws = visitor_ws(&server, &bob).await;
    frame_of_type(&mut ws, "hello").await;

    let frame = json!({"type": "message", "clientMsgId": "b1", "text": "bob's", "conversationId": alices});
    let f = answer(&mut ws, frame).await;
    assert_eq!((f["clientMsgId"].as_str(), f["status"].as_u64()), (Some("b1"), Some(403)), "{f}");
    assert_eq!(f["error"]["code"], "forbidden");
    let frame = json!({"type": "message", "clientMsgId": "b2", "text": "bob's", "conversationId": 999_999});
    assert_eq!(answer(&mut ws, frame).await["error"]["code"], "not_found");
    let texts: Vec<Value> = visitor_messages(&server, &alice, alices).iter().map(|m| m["text"].clone()).collect();
    assert_eq!(texts, [json!("alice's")]);

    // Naming its own open conversation is allowed; a closed one is not.
    let ack = answer(&mut ws, message("b3", "bob's own")).await;
    let own = ack["conversation"]["id"].as_i64().expect("conversation");
    let frame = json!({"type": "message", "clientMsgId": "b4", "text": "again", "conversationId": own});
    assert_eq!(answer(&mut ws, frame).await["type"], "ack");
    let left = server.visitor("POST", &format!("/api/v1/cs/conversations/{own}/leave"), Some(&bob), None);
    assert_eq!(left.status, 200, "{}", left.body);
    let frame = json!({"type": "message", "clientMsgId": "b5", "text": "closed", "conversationId": own});
    let f = answer(&mut ws, frame).await;
    assert_eq!((f["status"].as_u64(), f["error"]["code"].as_str()), (Some(409), Some("conversation_closed")));
}

#[tokio::test]
async fn an_agent_replies_with_a_message_frame_as_with_its_reply_endpoint() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_1");
    let conversation = server.send(&token, "v1", "hello?").json()["conversation"]["id"].as_i64().expect("conversation");
    let mut visitor = visitor_ws(&server, &token).await;
    frame_of_type(&mut visitor, "hello").await;
    let mut agent = agent_ws(&server).await;
    frame_of_type(&mut agent, "hello").await;

    let reply = json!({"type": "message", "clientMsgId": "r1", "text": "on my way", "conversationId": conversation});
    let ack = answer(&mut agent, reply.clone()).await;
    assert_eq!((ack["type"].as_str(), ack["clientMsgId"].as_str()), (Some("ack"), Some("r1")), "{ack}");
    assert_eq!((ack["message"]["from"].as_str(), ack["duplicate"].as_bool()), (Some("agent"), Some(false)));
    assert_eq!(frame_of_type(&mut visitor, "message").await["message"]["event"], "joined", "a first reply joins");
    let pushed = frame_of_type(&mut visitor, "message").await;
    assert_eq!(pushed["message"]["text"], "on my way");
    assert_eq!(answer(&mut agent, reply).await["duplicate"], true, "stored once");
    // Without a client id it is stored each time, as by the endpoint.
    let ack = answer(&mut agent, json!({"type": "message", "text": "again", "conversationId": conversation})).await;
    assert_eq!(ack["type"], "ack");
    assert!(ack.get("clientMsgId").is_none(), "{ack}");
    let texts: Vec<Value> = visitor_messages(&server, &token, conversation).iter().map(|m| m["text"].clone()).collect();
    assert_eq!(
        texts,
        [json!("hello?"), json!("Demo agent joined the conversation."), json!("on my way"), json!("again")]
    );

    let f = answer(&mut agent, message("r2", "where to?")).await;
    assert_eq!(
        (f["clientMsgId"].as_str(), f["status"].as_u64()),
        (Some("r2"), Some(400)),
        "conversationId is required"
    );
    let frame = json!({"type": "message", "clientMsgId": "r3", "text": "x", "conversationId": 999_999});
    assert_eq!(answer(&mut agent, frame).await["error"]["code"], "not_found");
    let frame = json!({"type": "message", "clientMsgId": "r4", "text": " ", "conversationId": conversation});
    assert_eq!(answer(&mut agent, frame).await["error"]["code"], "empty_text");
}

#[tokio::test]
async fn a_message_over_the_socket_frame_budget_is_named_with_its_retry_after() {
    let (_dir, server) = demo();
    let (token, _) = server.handshake("v_1");
    let mut ws = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    // 120 frames a minute per socket: pings use them up.
    for _ in 0..120 {
        send_frame(&mut ws, json!({"type": "ping"})).await;
    }
    let f = answer(&mut ws, message("late", "hi")).await;
    assert_eq!((f["clientMsgId"].as_str(), f["status"].as_u64()), (Some("late"), Some(429)), "{f}");
    assert_eq!(f["error"]["code"], "rate_limited");
    assert!(f["error"]["retryAfterSec"].as_u64().is_some_and(|s| s >= 1), "{f}");
}

/// An ack is written right after the push of the message before it: with
/// Nagle's algorithm on, it waited for the client's delayed ACK (40 ms).
#[tokio::test]
async fn acks_on_a_busy_socket_are_not_held_back() {
    // Enough message budget for a run of sends past the kernel's first quick ACKs.
    let dir = TempDir::new();
    let cfg = dir.0.join("sites.toml");
    let site = "[limits]\nmessages_per_minute = 1000\n\n[[sites]]\napp_key = \"sk_demo\"\nname = \"Demo\"\nallowed_origins = [\"http://localhost:*\"]\n";
    std::fs::write(&cfg, site).expect("config");
    let server = Server::start_in(&dir.0, &["--memory", "--config", cfg.to_str().expect("path")]);
    let (token, _) = server.handshake("v_1");
    let mut ws = visitor_ws(&server, &token).await;
    frame_of_type(&mut ws, "hello").await;
    let mut round_trips = Vec::new();
    for i in 0..60 {
        let sent = std::time::Instant::now();
        assert_eq!(answer(&mut ws, message(&format!("m{i}"), "x")).await["type"], "ack");
        round_trips.push(sent.elapsed());
    }
    round_trips.sort();
    let median = round_trips[round_trips.len() / 2];
    assert!(median < std::time::Duration::from_millis(30), "median ack round trip {median:?}: {round_trips:?}");
}
