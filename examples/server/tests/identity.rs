//! Identity against the real binary (docs/protocol.md sections 3-5): the
//! three-layer resolution and its merge rules, the shared-device safety
//! rules, `userHash` / `identityToken` verification, signed standalone
//! links, the admin signing endpoint, and the site-side snippets of
//! docs/identity.md run in Node, Python and Rust against the server.

mod common;

use common::*;
use serde_json::{json, Value};

#[allow(dead_code)]
mod snippet {
    include!("snippets/identity.rs");
}

const IDENTITY_SECRET: &str = "natter-docs-secret";
const SITE_LINK_SECRET: &str = "natter-link-secret";
/// The agent of `sk_open` in [`configured`].
const OPEN_AGENT_TOKEN: &str = "open-agent-token-0123456";

fn demo() -> (TempDir, Server) {
    let dir = TempDir::new();
    let server = Server::start_in(&dir.0, &["--memory"]);
    (dir, server)
}

/// Sites for verification and links: `sk_strict` requires proofs and
/// signed links, `sk_open` verifies when given and allows unsigned links,
/// `sk_nolink` has links off.
fn configured() -> (TempDir, Server) {
    let dir = TempDir::new();
    let cfg = dir.0.join("sites.toml");
    let text = format!(
        r#"
[limits]
handshake_per_minute = 1000

[[sites]]
app_key = "sk_strict"
allowed_origins = ["http://localhost:*"]
identity_secret = "{IDENTITY_SECRET}"
require_user_hash = true
admin_tokens = ["strict-admin-token-0123"]
[sites.link]
enabled = true
secret = "{SITE_LINK_SECRET}"
[[sites.agents]]
name = "Alice"
token = "{AGENT_TOKEN}"

[[sites]]
app_key = "sk_open"
allowed_origins = ["http://localhost:*"]
identity_secret = "{IDENTITY_SECRET}"
admin_tokens = ["open-admin-token-01234"]
[sites.link]
enabled = true
secret = "{SITE_LINK_SECRET}"
require_signature = false
ttl_secs = 60
[[sites.agents]]
name = "Bob"
token = "{OPEN_AGENT_TOKEN}"

[[sites]]
app_key = "sk_nolink"
allowed_origins = ["http://localhost:*"]
admin_tokens = ["nolink-admin-token-0123"]
"#
    );
    std::fs::write(&cfg, text).unwrap();
    let server = Server::start_in(&dir.0, &["--memory", "--config", cfg.to_str().unwrap()]);
    (dir, server)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn hs(server: &Server, body: Value) -> Response {
    server.visitor("POST", "/api/v1/cs/handshake", None, Some(body))
}

/// A demo handshake that must succeed: (token, answer).
fn hs_ok(server: &Server, mut body: Value) -> (String, Value) {
    body["appKey"] = body.get("appKey").cloned().unwrap_or(json!("sk_demo"));
    let r = hs(server, body);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    (v["token"].as_str().unwrap().to_string(), v)
}

fn identify(server: &Server, token: &str, body: Value) -> Response {
    server.visitor("POST", "/api/v1/cs/identify", Some(token), Some(body))
}

fn identify_ok(server: &Server, token: &str, body: Value) -> (String, Value) {
    let r = identify(server, token, body);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    (v["token"].as_str().unwrap().to_string(), v)
}

fn send_ok(server: &Server, token: &str, cmid: &str, text: &str) {
    let r = server.send(token, cmid, text);
    assert_eq!(r.status, 201, "{}", r.body);
}

/// The texts of the visitor's open conversation, as the widget loads them.
fn history(server: &Server, token: &str) -> Vec<String> {
    let r = server.visitor("GET", "/api/v1/cs/conversations/current", Some(token), None);
    assert_eq!(r.status, 200, "{}", r.body);
    let Some(id) = r.json()["conversation"]["id"].as_i64() else { return Vec::new() };
    let page = server.visitor("GET", &format!("/api/v1/cs/conversations/{id}/messages?limit=200"), Some(token), None);
    assert_eq!(page.status, 200, "{}", page.body);
    page.json()["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_string()).collect()
}

/// Every message text an agent sees for one visitor record.
fn agent_texts_of(server: &Server, cs_visitor_id: &Value) -> Vec<String> {
    let list = server.agent("GET", "/api/v1/agent/conversations", None).json();
    let mut texts = Vec::new();
    for c in list["conversations"].as_array().unwrap() {
        if &c["visitor"]["csVisitorId"] == cs_visitor_id {
            let id = c["conversation"]["id"].as_i64().unwrap();
            let page =
                server.agent("GET", &format!("/api/v1/agent/conversations/{id}/messages?limit=200"), None).json();
            texts.extend(page["messages"].as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap().to_string()));
        }
    }
    texts
}

/// The open conversation id of a token's visitor.
fn v1_conv(server: &Server, token: &str) -> Value {
    server.visitor("GET", "/api/v1/cs/conversations/current", Some(token), None).json()["conversation"]["id"].clone()
}

fn code(r: &Response) -> (u16, String) {
    (r.status, r.code())
}

// ---------------------------------------------------------------------------
// Resolution and merge rules
// ---------------------------------------------------------------------------

#[test]
fn anonymous_chat_then_login_merges_into_the_users_history() {
    let (_dir, server) = demo();
    // The user already chatted from another device.
    let (phone, user) =
        hs_ok(&server, json!({"externalUserId": "u_1", "visitorId": "v_phone", "fingerprint": "fp_phone"}));
    send_ok(&server, &phone, "p1", "from my phone");
    // Anonymous on the laptop, then login through identify.
    let (anon, a) = hs_ok(
        &server,
        json!({"visitorId": "v_laptop", "fingerprint": "fp_laptop", "nickname": "Guest", "email": "g@example.com"}),
    );
    send_ok(&server, &anon, "a1", "anon one");
    send_ok(&server, &anon, "a2", "anon two");
    let (token, login) = identify_ok(&server, &anon, json!({"externalUserId": "u_1", "nickname": "Alex"}));
    assert_eq!(login["identityChanged"], true);
    assert_eq!(login["csVisitorId"], user["csVisitorId"]);
    assert_eq!(history(&server, &token), ["from my phone", "anon one", "anon two"]);
    assert_eq!(history(&server, &phone), ["from my phone", "anon one", "anon two"], "same user, same conversation");
    // The merged record's token is dead; an outbox retry under the new one is a duplicate.
    assert_eq!(
        code(&server.visitor("GET", "/api/v1/cs/conversations/current", Some(&anon), None)),
        (401, "token_invalid".into())
    );
    let retry = server.send(&token, "a1", "anon one");
    assert_eq!((retry.status, retry.json()["duplicate"].clone()), (200, json!(true)));

    // Agents: the user's open conversation holds everything, with all layers;
    // the emptied anonymous conversation is closed with a note, owned by the user.
    let list = server.agent("GET", "/api/v1/agent/conversations", None).json();
    let convs = list["conversations"].as_array().unwrap();
    assert!(convs.iter().all(|c| c["visitor"]["csVisitorId"] == user["csVisitorId"]), "{list}");
    assert!(convs.iter().all(|c| c["visitor"]["csVisitorId"] != a["csVisitorId"]));
    let open = convs.iter().find(|c| c["conversation"]["status"] == "open").unwrap();
    let v = &open["visitor"];
    assert_eq!(
        (v["externalUserId"].clone(), v["nickname"].clone(), v["email"].clone()),
        (json!("u_1"), json!("Alex"), json!("g@example.com"))
    );
    assert_eq!(
        (v["fingerprint"].clone(), v["visitorId"].clone(), v["verified"].clone()),
        (json!("fp_laptop"), json!("v_laptop"), json!(false))
    );
    let closed = convs.iter().find(|c| c["conversation"]["status"] == "closed").unwrap();
    assert!(closed["lastMessage"]["text"].as_str().unwrap().starts_with("Merged into conversation #"), "{closed}");
}

#[test]
fn handshake_login_upgrades_or_merges_the_browsers_anonymous_record() {
    let (_dir, server) = demo();
    // No user record yet: the anonymous record becomes the user's in place.
    let (anon, a) = hs_ok(&server, json!({"visitorId": "v_1", "fingerprint": "fp_1"}));
    send_ok(&server, &anon, "a1", "before login");
    let (user, u) = hs_ok(&server, json!({"externalUserId": "u_new", "visitorId": "v_1", "fingerprint": "fp_1"}));
    assert_eq!(u["csVisitorId"], a["csVisitorId"]);
    assert_eq!(history(&server, &user), ["before login"]);

    // A user record exists: a page load with the L1 merges the L3 record.
    let (old, _) = hs_ok(&server, json!({"externalUserId": "u_old", "visitorId": "v_elsewhere"}));
    send_ok(&server, &old, "o1", "old history");
    let (anon2, _) = hs_ok(&server, json!({"visitorId": "v_2", "fingerprint": "fp_2"}));
    send_ok(&server, &anon2, "b1", "anonymous question");
    let (user2, _) = hs_ok(&server, json!({"externalUserId": "u_old", "visitorId": "v_2", "fingerprint": "fp_2"}));
    assert_eq!(history(&server, &user2), ["old history", "anonymous question"]);
    // A renewal merges nothing more and keeps the conversation.
    let (again, _) = hs_ok(&server, json!({"externalUserId": "u_old", "visitorId": "v_2", "fingerprint": "fp_2"}));
    assert_eq!(history(&server, &again), ["old history", "anonymous question"]);

    // A fingerprint match alone never merges an anonymous record into a user.
    let (stranger, _) = hs_ok(&server, json!({"visitorId": "v_stranger", "fingerprint": "fp_shared"}));
    send_ok(&server, &stranger, "s1", "stranger's words");
    let (user3, _) =
        hs_ok(&server, json!({"externalUserId": "u_3", "visitorId": "v_mine", "fingerprint": "fp_shared"}));
    assert!(history(&server, &user3).is_empty());
}

#[test]
fn logout_then_anonymous_on_the_same_fingerprint_starts_clean() {
    let (_dir, server) = demo();
    let (anon, _) = hs_ok(&server, json!({"visitorId": "v_1", "fingerprint": "fp"}));
    send_ok(&server, &anon, "a1", "anonymous before login");
    let (user, u) = identify_ok(&server, &anon, json!({"externalUserId": "u_1", "fingerprint": "fp"}));
    send_ok(&server, &user, "u1", "private as u_1");

    let (fresh, out) =
        identify_ok(&server, &user, json!({"externalUserId": null, "visitorId": "v_2", "fingerprint": "fp"}));
    assert_eq!(out["identityChanged"], true);
    assert_ne!(out["csVisitorId"], u["csVisitorId"]);
    assert!(out.get("conversationId").is_none());
    assert!(history(&server, &fresh).is_empty());
    // Same browser, any later anonymous handshake: cleared storage (new id),
    // the rotated id, even the pre-login id. None reaches the user or the
    // anonymous record merged into the user.
    for vid in ["v_3", "v_2", "v_1"] {
        let (t, v) = hs_ok(&server, json!({"visitorId": vid, "fingerprint": "fp"}));
        assert_ne!(v["csVisitorId"], u["csVisitorId"], "{vid}");
        assert!(v.get("conversationId").is_none(), "{vid}: {v}");
        assert!(history(&server, &t).is_empty(), "{vid}");
    }
    // Without a visitorId at all, and with a fingerprint only.
    let (t, v) = hs_ok(&server, json!({"fingerprint": "fp"}));
    assert!(v.get("conversationId").is_none());
    assert!(history(&server, &t).is_empty());
    // The user's conversation is not readable with an anonymous token.
    let conv = u["conversationId"]
        .as_i64()
        .or(hs_ok(&server, json!({"externalUserId": "u_1"})).1["conversationId"].as_i64())
        .unwrap();
    let r = server.visitor("GET", &format!("/api/v1/cs/conversations/{conv}/messages"), Some(&t), None);
    assert_eq!(code(&r), (403, "forbidden".into()));
    // The user finds everything again by logging in.
    let (back, _) = identify_ok(&server, &t, json!({"externalUserId": "u_1"}));
    assert_eq!(history(&server, &back), ["anonymous before login", "private as u_1"]);
}

#[test]
fn logout_by_navigation_without_identify_also_starts_clean() {
    let (_dir, server) = demo();
    let (anon, _) = hs_ok(&server, json!({"visitorId": "v_1", "fingerprint": "fp"}));
    send_ok(&server, &anon, "a1", "anonymous before login");
    let (user, u) = hs_ok(&server, json!({"externalUserId": "u_1", "visitorId": "v_1", "fingerprint": "fp"}));
    send_ok(&server, &user, "u1", "private");
    // The next page has no externalUserId and the widget kept v_1.
    let (t, v) = hs_ok(&server, json!({"visitorId": "v_1", "fingerprint": "fp"}));
    assert_ne!(v["csVisitorId"], u["csVisitorId"]);
    assert!(history(&server, &t).is_empty());
}

#[test]
fn cleared_storage_resumes_the_anonymous_conversation_by_fingerprint() {
    let (_dir, server) = demo();
    let (t1, v1) = hs_ok(&server, json!({"visitorId": "v_1", "fingerprint": "fp_a"}));
    send_ok(&server, &t1, "a1", "hello");
    let (t2, v2) = hs_ok(&server, json!({"visitorId": "v_cleared", "fingerprint": "fp_a"}));
    assert_eq!(v2["csVisitorId"], v1["csVisitorId"]);
    assert_eq!(v2["conversationId"], v1_conv(&server, &t1));
    assert_eq!(history(&server, &t2), ["hello"]);
    // The record now answers to the new id too (latest L3 stored).
    let (_, v3) = hs_ok(&server, json!({"visitorId": "v_cleared"}));
    assert_eq!(v3["csVisitorId"], v1["csVisitorId"]);
    // Another fingerprint, or none, is another visitor.
    let (_, other) = hs_ok(&server, json!({"visitorId": "v_x", "fingerprint": "fp_b"}));
    assert_ne!(other["csVisitorId"], v1["csVisitorId"]);
    let (_, none) = hs_ok(&server, json!({"visitorId": "v_y"}));
    assert_ne!(none["csVisitorId"], v1["csVisitorId"]);
    // The newest anonymous record with the fingerprint wins.
    let (t4, v4) = hs_ok(&server, json!({"visitorId": "v_y", "fingerprint": "fp_a"}));
    assert_eq!(v4["csVisitorId"], none["csVisitorId"]);
    assert!(history(&server, &t4).is_empty());
}

#[test]
fn a_user_record_is_never_reached_through_fingerprint_or_visitor_id() {
    let (_dir, server) = demo();
    let (user, u) = hs_ok(&server, json!({"externalUserId": "u_1", "visitorId": "v_u", "fingerprint": "fp_u"}));
    send_ok(&server, &user, "u1", "user's secret");
    for body in [
        json!({"visitorId": "v_u"}),
        json!({"fingerprint": "fp_u"}),
        json!({"visitorId": "v_u", "fingerprint": "fp_u"}),
        json!({"visitorId": "v_new", "fingerprint": "fp_u"}),
        json!({}),
    ] {
        let (t, v) = hs_ok(&server, body.clone());
        assert_ne!(v["csVisitorId"], u["csVisitorId"], "{body}");
        assert!(history(&server, &t).is_empty(), "{body}");
    }
    // identify without externalUserId does not switch into the user either.
    let (anon, _) = hs_ok(&server, json!({"visitorId": "v_z"}));
    let (t, v) = identify_ok(&server, &anon, json!({"visitorId": "v_u", "fingerprint": "fp_u"}));
    assert_eq!(v["identityChanged"], false);
    assert!(history(&server, &t).is_empty());
}

#[test]
fn two_users_on_one_browser_never_see_each_others_messages() {
    let (_dir, server) = demo();
    let browser = |vid: &str| json!({"visitorId": vid, "fingerprint": "fp_shared_pc"});
    let (anon, _) = hs_ok(&server, browser("v_1"));
    let (one, u1) = identify_ok(&server, &anon, json!({"externalUserId": "u_1"}));
    send_ok(&server, &one, "m1", "u_1 private");
    let (anon2, _) =
        identify_ok(&server, &one, json!({"externalUserId": null, "visitorId": "v_2", "fingerprint": "fp_shared_pc"}));
    send_ok(&server, &anon2, "m2", "anonymous after logout");
    let (two, u2) = identify_ok(&server, &anon2, json!({"externalUserId": "u_2"}));
    assert_ne!(u2["csVisitorId"], u1["csVisitorId"]);
    assert_eq!(history(&server, &two), ["anonymous after logout"]);
    send_ok(&server, &two, "m3", "u_2 private");
    // Switching user without a logout merges nothing either way.
    let (back, v) = identify_ok(&server, &two, json!({"externalUserId": "u_1"}));
    assert_eq!(v["csVisitorId"], u1["csVisitorId"]);
    assert_eq!(history(&server, &back), ["u_1 private"]);
    let (again, _) = identify_ok(&server, &back, json!({"externalUserId": "u_2"}));
    assert_eq!(history(&server, &again), ["anonymous after logout", "u_2 private"]);
    assert_eq!(agent_texts_of(&server, &u1["csVisitorId"]), ["u_1 private"]);
}

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

fn token_for(claims: Value) -> String {
    snippet::identity_token(IDENTITY_SECRET, &claims.to_string())
}

#[test]
fn user_hash_and_identity_token_are_verified_when_enforced() {
    let (_dir, server) = configured();
    let strict = |extra: Value| {
        let mut body = json!({"appKey": "sk_strict", "visitorId": "v_1"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        hs(&server, body)
    };
    let hash = snippet::user_hash(IDENTITY_SECRET, "u_1");
    assert_eq!(strict(json!({})).status, 200, "anonymous visitors need no proof");
    assert_eq!(strict(json!({"externalUserId": "u_1", "userHash": hash})).status, 200);
    assert_eq!(strict(json!({"externalUserId": "u_1", "userHash": hash.to_uppercase()})).status, 200);
    assert_eq!(
        code(&strict(json!({"externalUserId": "u_1", "userHash": snippet::user_hash(IDENTITY_SECRET, "u_2")}))),
        (403, "identity_rejected".into())
    );
    assert_eq!(code(&strict(json!({"externalUserId": "u_1", "userHash": "zz"}))), (403, "identity_rejected".into()));
    assert_eq!(code(&strict(json!({"externalUserId": "u_1"}))), (403, "identity_unverified".into()));
    assert_eq!(code(&strict(json!({"externalUserId": "u_1", "userHash": ""}))), (403, "identity_unverified".into()));

    // identityToken: sub names the user, profile claims are taken.
    let now = now() as i64;
    let good = token_for(
        json!({"sub": "u_jwt", "exp": now + 600, "aud": "sk_strict", "nickname": "Jay", "email": "jay@example.com"}),
    );
    let r = strict(json!({"identityToken": good, "nickname": "ignored"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let list = server.agent("GET", "/api/v1/agent/conversations", None);
    assert_eq!(list.status, 200);
    let t = r.json()["token"].as_str().unwrap().to_string();
    send_ok(&server, &t, "j1", "hi");
    let list = server.agent("GET", "/api/v1/agent/conversations", None).json();
    let v = &list["conversations"][0]["visitor"];
    assert_eq!(
        (v["externalUserId"].clone(), v["verified"].clone(), v["nickname"].clone(), v["email"].clone()),
        (json!("u_jwt"), json!(true), json!("Jay"), json!("jay@example.com"))
    );
    assert_eq!(strict(json!({"externalUserId": "u_jwt", "identityToken": good})).status, 200);
    let rejected = |token: String| code(&strict(json!({"identityToken": token})));
    let bad = (403, "identity_rejected".to_string());
    assert_eq!(rejected(token_for(json!({"sub": "u_jwt", "exp": now - 3600}))), bad, "expired");
    assert_eq!(
        rejected(snippet::identity_token("wrong secret", &json!({"sub": "u_jwt"}).to_string())),
        bad,
        "bad signature"
    );
    assert_eq!(code(&strict(json!({"externalUserId": "u_other", "identityToken": good}))), bad, "wrong sub");
    assert_eq!(rejected(token_for(json!({"sub": "u_jwt", "aud": "sk_open"}))), bad, "other site");
    assert_eq!(rejected(token_for(json!({"sub": "u_jwt", "nbf": now + 3600}))), bad, "not yet valid");
    assert_eq!(rejected(token_for(json!({"exp": now + 60}))), bad, "no sub");
    assert_eq!(rejected("not.a.jwt".into()), bad, "garbage");
    let unsigned = format!("eyJhbGciOiJub25lIn0.{}.", good.split('.').nth(1).unwrap());
    assert_eq!(rejected(unsigned), bad, "alg none");
    // Within the 60 s skew an exp just past still passes.
    assert_eq!(strict(json!({"identityToken": token_for(json!({"sub": "u_jwt", "exp": now - 5}))})).status, 200);
}

#[test]
fn a_verified_user_cannot_be_impersonated_and_a_refused_login_stays_anonymous() {
    let (_dir, server) = configured();
    let hash = snippet::user_hash(IDENTITY_SECRET, "u_v");
    let (user, u) = hs_ok(&server, json!({"appKey": "sk_open", "externalUserId": "u_v", "userHash": hash}));
    send_ok(&server, &user, "v1", "verified user's secret");
    // The open site accepts unverified ids, but not for a verified user.
    assert_eq!(
        code(&hs(&server, json!({"appKey": "sk_open", "externalUserId": "u_v"}))),
        (403, "identity_unverified".into())
    );
    assert_eq!(
        code(&hs(&server, json!({"appKey": "sk_open", "externalUserId": "u_v", "userHash": "00"}))),
        (403, "identity_rejected".into())
    );
    let (anon, a) = hs_ok(&server, json!({"appKey": "sk_open", "visitorId": "v_a", "fingerprint": "fp"}));
    send_ok(&server, &anon, "a1", "anonymous");
    assert_eq!(code(&identify(&server, &anon, json!({"externalUserId": "u_v"}))), (403, "identity_unverified".into()));
    assert_eq!(
        code(&identify(&server, &anon, json!({"externalUserId": "u_v", "userHash": "00"}))),
        (403, "identity_rejected".into())
    );
    // Still the anonymous visitor, with its own conversation only.
    assert_eq!(history(&server, &anon), ["anonymous"]);
    let (_, same) = identify_ok(&server, &anon, json!({"nickname": "still me"}));
    assert_eq!(same["csVisitorId"], a["csVisitorId"]);
    // Unverified ids of other users work on the open site; with proof, u_v logs in.
    assert_eq!(hs(&server, json!({"appKey": "sk_open", "externalUserId": "u_unverified"})).status, 200);
    let (t, v) = identify_ok(
        &server,
        &anon,
        json!({"externalUserId": "u_v", "userHash": snippet::user_hash(IDENTITY_SECRET, "u_v")}),
    );
    assert_eq!(v["csVisitorId"], u["csVisitorId"]);
    assert_eq!(history(&server, &t), ["verified user's secret", "anonymous"]);
}

// ---------------------------------------------------------------------------
// Standalone links
// ---------------------------------------------------------------------------

/// A link handshake from a page on a foreign origin.
fn link_hs(server: &Server, app_key: &str, link: Value) -> Response {
    let body = json!({"appKey": app_key, "visitorId": "v_link", "link": link}).to_string();
    server.request(
        "POST",
        "/api/v1/cs/handshake",
        &[("Origin", "https://mail.example.net"), ("X-CS-Entry", "link")],
        Some(body.as_bytes()),
    )
}

fn signed(app_key: &str, t: u64, u: &str, nick: &str) -> Value {
    json!({"u": u, "nick": nick, "t": t, "s": snippet::link_signature(SITE_LINK_SECRET, app_key, t, u, nick)})
}

#[tokio::test]
async fn signed_links_skip_the_allowlist_and_verify_the_user() {
    let (_dir, server) = configured();
    let t = now();
    let r = link_hs(&server, "sk_strict", signed("sk_strict", t, "u_link", "Alex Lee"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("access-control-allow-origin"), Some("https://mail.example.net"));
    let token = r.json()["token"].as_str().unwrap().to_string();
    // The link token works from the foreign origin, without the header, on REST and WS.
    let auth = format!("Bearer {token}");
    let send = json!({"clientMsgId": "l1", "text": "from the link"}).to_string();
    let sent = server.request(
        "POST",
        "/api/v1/cs/conversations",
        &[("Origin", "https://mail.example.net"), ("Authorization", &auth)],
        Some(send.as_bytes()),
    );
    assert_eq!(sent.status, 201, "{}", sent.body);
    let protocols = format!("natter.v1, jwt.{token}");
    let (mut ws, _) = ws_connect(&server.url("/ws"), &protocols, Some("https://mail.example.net"))
        .await
        .expect("link token upgrades");
    assert_eq!(frame_of_type(&mut ws, "hello").await["type"], "hello");
    // Renewal without the link: identify keeps the link session.
    let renew = server.request(
        "POST",
        "/api/v1/cs/identify",
        &[("Origin", "https://mail.example.net"), ("Authorization", &auth)],
        Some(b"{}"),
    );
    assert_eq!(renew.status, 200, "{}", renew.body);
    let list = server.agent("GET", "/api/v1/agent/conversations", None).json();
    let v = &list["conversations"][0]["visitor"];
    assert_eq!(
        (v["externalUserId"].clone(), v["verified"].clone(), v["nickname"].clone()),
        (json!("u_link"), json!(true), json!("Alex Lee"))
    );
    // A digit string t is accepted; the signature covers its decimal value.
    let mut as_string = signed("sk_strict", t, "u_link", "Alex Lee");
    as_string["t"] = json!(t.to_string());
    assert_eq!(link_hs(&server, "sk_strict", as_string).status, 200);

    // Ordinary tokens from the foreign origin stay refused, header or not.
    let (plain, _) = hs_ok(&server, json!({"appKey": "sk_strict", "visitorId": "v_plain"}));
    let plain_auth = format!("Bearer {plain}");
    let r = server.request(
        "GET",
        "/api/v1/cs/conversations/current",
        &[("Origin", "https://mail.example.net"), ("X-CS-Entry", "link"), ("Authorization", &plain_auth)],
        None,
    );
    assert_eq!(code(&r), (403, "origin_denied".into()));
    let r = server.request(
        "POST",
        "/api/v1/cs/handshake",
        &[("Origin", "https://mail.example.net")],
        Some(json!({"appKey": "sk_strict", "link": signed("sk_strict", t, "u_link", "")}).to_string().as_bytes()),
    );
    assert_eq!(code(&r), (403, "origin_denied".into()), "without the header the allowlist applies");
    // Config through the link entry.
    let cfg = server.request(
        "GET",
        "/api/v1/cs/config?appKey=sk_strict",
        &[("Origin", "https://mail.example.net"), ("X-CS-Entry", "link")],
        None,
    );
    assert_eq!(cfg.status, 200);
}

#[test]
fn bad_links_are_refused_with_link_codes() {
    let (_dir, server) = configured();
    let t = now();
    let refused = |app: &str, link: Value| code(&link_hs(&server, app, link));
    let invalid = (403, "link_invalid".to_string());
    assert_eq!(refused("sk_strict", signed("sk_strict", t - 301, "u_1", "")), (403, "link_expired".into()));
    assert_eq!(refused("sk_open", signed("sk_open", t - 61, "u_1", "")), (403, "link_expired".into()), "site TTL 60 s");
    let mut tampered = signed("sk_strict", t, "u_1", "Ann");
    tampered["u"] = json!("u_admin");
    assert_eq!(refused("sk_strict", tampered), invalid, "tampered u");
    let mut renamed = signed("sk_strict", t, "u_1", "Ann");
    renamed["nick"] = json!("Bob");
    assert_eq!(refused("sk_strict", renamed), invalid, "tampered nick");
    assert_eq!(refused("sk_strict", signed("sk_open", t, "u_1", "")), invalid, "signed for another app key");
    assert_eq!(refused("sk_strict", signed("sk_strict", t + 120, "u_1", "")), invalid, "future t");
    assert_eq!(refused("sk_strict", json!({"u": "u_1", "t": t})), invalid, "t without s");
    assert_eq!(refused("sk_strict", json!({"u": "u_1", "s": "ab"})), invalid, "s without t");
    assert_eq!(refused("sk_strict", json!({"u": "u_1"})), invalid, "unsigned on a site requiring signatures");
    assert_eq!(refused("sk_strict", json!({})), invalid, "even without u");
    assert_eq!(code(&link_hs(&server, "sk_strict", json!({"t": "soon", "s": "ab"}))), (400, "bad_request".into()));
    // Within the skew, slightly ahead is fine.
    assert_eq!(link_hs(&server, "sk_strict", signed("sk_strict", t + 30, "u_1", "")).status, 200);
    // A body externalUserId cannot override the link's u.
    let body = json!({"appKey": "sk_strict", "externalUserId": "u_other", "link": signed("sk_strict", t, "u_1", "")})
        .to_string();
    let r = server.request("POST", "/api/v1/cs/handshake", &[("X-CS-Entry", "link")], Some(body.as_bytes()));
    assert_eq!(code(&r), (400, "bad_request".into()));

    // Unsigned links where allowed: the u is an unverified claim.
    let r = link_hs(&server, "sk_open", json!({"u": "u_unsigned", "nick": "Una"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(link_hs(&server, "sk_open", json!({})).status, 200);
    // ...so it cannot reach a user verified by a signed link.
    assert_eq!(link_hs(&server, "sk_open", signed("sk_open", t, "u_signed", "")).status, 200);
    assert_eq!(refused("sk_open", json!({"u": "u_signed"})), (403, "identity_unverified".into()));

    // Links off: 503 on every link request, the allowlist path still works.
    assert_eq!(refused("sk_nolink", json!({})), (503, "unavailable".into()));
    let cfg = server.request("GET", "/api/v1/cs/config?appKey=sk_nolink", &[("X-CS-Entry", "link")], None);
    assert_eq!(code(&cfg), (503, "unavailable".into()));
    assert_eq!(hs(&server, json!({"appKey": "sk_nolink"})).status, 200);
}

#[test]
fn admin_endpoint_signs_links_the_server_accepts() {
    let (_dir, server) = demo();
    let path = "/api/v1/admin/cs/sites/sk_demo/link-entry/sign";
    let body = json!({"externalUserId": "u_42", "nickname": "Alex Lee"}).to_string();
    let post = |path: &str, token: Option<&str>, body: &str| {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        server.request("POST", path, &headers, Some(body.as_bytes()))
    };
    assert_eq!(code(&post(path, None, &body)), (401, "token_missing".into()));
    assert_eq!(code(&post(path, Some("not-the-admin-token-0000"), &body)), (401, "token_invalid".into()));
    assert_eq!(code(&post(path, Some(AGENT_TOKEN), &body)), (401, "token_invalid".into()), "agent tokens do not sign");
    assert_eq!(
        code(&post("/api/v1/admin/cs/sites/sk_nope/link-entry/sign", Some(ADMIN_TOKEN), &body)),
        (404, "unknown_app_key".into())
    );
    assert_eq!(code(&post(path, Some(ADMIN_TOKEN), "[1]")), (400, "bad_request".into()));

    let before = now() as i64;
    let r = post(path, Some(ADMIN_TOKEN), &body);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let t = v["t"].as_i64().unwrap();
    assert!((before..=before + 5).contains(&t));
    assert_eq!((v["appKey"].clone(), v["ttlSec"].clone()), (json!("sk_demo"), json!(300)));
    let s = v["s"].as_str().unwrap();
    assert_eq!(s, snippet::link_signature(LINK_SECRET, "sk_demo", t as u64, "u_42", "Alex Lee"));
    assert!(v["expiresAt"].as_str().unwrap().ends_with('Z'));
    assert_eq!(v["url"], format!("/standalone.html?k=sk_demo&u=u_42&nick=Alex%20Lee&t={t}&s={s}"));
    // The page sends the link back: verified u_42.
    let r = link_hs(&server, "sk_demo", json!({"u": "u_42", "nick": "Alex Lee", "t": t, "s": s}));
    assert_eq!(r.status, 200, "{}", r.body);
    let anon = post(path, Some(ADMIN_TOKEN), "{}").json();
    assert_eq!(anon["url"], format!("/standalone.html?k=sk_demo&t={}&s={}", anon["t"], anon["s"].as_str().unwrap()));
    // The demo site also takes unsigned links (its default).
    assert_eq!(link_hs(&server, "sk_demo", json!({"u": "u_guest"})).status, 200);
}

#[test]
fn admin_tokens_sign_only_for_their_own_site() {
    let (_dir, server) = configured();
    let sign = |site: &str, token: &str| {
        let auth = format!("Bearer {token}");
        server.request(
            "POST",
            &format!("/api/v1/admin/cs/sites/{site}/link-entry/sign"),
            &[("Authorization", &auth)],
            Some(b"{}"),
        )
    };
    assert_eq!(sign("sk_strict", "strict-admin-token-0123").status, 200);
    assert_eq!(code(&sign("sk_open", "strict-admin-token-0123")), (403, "forbidden".into()));
    assert_eq!(code(&sign("sk_nolink", "nolink-admin-token-0123")), (503, "unavailable".into()));
}

// ---------------------------------------------------------------------------
// docs/identity.md: the snippets, run against the server
// ---------------------------------------------------------------------------

#[test]
fn the_snippets_of_docs_identity_md_agree_with_the_server() {
    let doc = doc("identity.md");
    assert!(
        doc.contains(include_str!("snippets/identity.rs").trim_end()),
        "the Rust snippet in docs/identity.md is tests/snippets/identity.rs"
    );
    // The fixed vector printed in the doc.
    let vector_hash = natter_server::auth::user_hash(IDENTITY_SECRET.as_bytes(), "u_42").unwrap();
    let vector_s =
        natter_server::auth::link_signature(SITE_LINK_SECRET.as_bytes(), "sk_demo", 1716268800, "u_42", "Alex Lee")
            .unwrap();
    assert!(doc.contains(&format!("| userHash | `{vector_hash}` |")));
    assert!(doc.contains(&format!("| s | `{vector_s}` |")));

    let t = now();
    let exp = t + 600;
    let node = run_snippet(
        "node",
        &["--input-type=module", "-e"],
        &format!(
            "{}\nconsole.log(JSON.stringify([userHash('{IDENTITY_SECRET}', 'u_42'), linkSignature('{SITE_LINK_SECRET}', 'sk_strict', {t}, 'u_42', 'Alex Lee'), identityToken('{IDENTITY_SECRET}', {{ sub: 'u_node', exp: {exp}, nickname: 'Nod' }})]));",
            block(&doc, "js")
        ),
    );
    let python = run_snippet(
        "python3",
        &["-c"],
        &format!(
            "{}\nprint(json.dumps([user_hash('{IDENTITY_SECRET}', 'u_42'), link_signature('{SITE_LINK_SECRET}', 'sk_strict', {t}, 'u_42', 'Alex Lee'), identity_token('{IDENTITY_SECRET}', {{'sub': 'u_python', 'exp': {exp}}})]))",
            block(&doc, "python")
        ),
    );
    let rust = Some(json!([
        snippet::user_hash(IDENTITY_SECRET, "u_42"),
        snippet::link_signature(SITE_LINK_SECRET, "sk_strict", t, "u_42", "Alex Lee"),
        snippet::identity_token(IDENTITY_SECRET, &json!({"sub": "u_rust", "exp": exp}).to_string()),
    ]));
    let (_dir, server) = configured();
    for (lang, out) in [("node", node), ("python", python), ("rust", rust)] {
        let Some(out) = out else { continue };
        assert_eq!(out[0], json!(vector_hash), "{lang} userHash");
        let strict = |body: Value| hs(&server, body);
        let r = strict(json!({"appKey": "sk_strict", "externalUserId": "u_42", "userHash": out[0]}));
        assert_eq!(r.status, 200, "{lang} userHash against the server: {}", r.body);
        let r = link_hs(&server, "sk_strict", json!({"u": "u_42", "nick": "Alex Lee", "t": t, "s": out[1]}));
        assert_eq!(r.status, 200, "{lang} link against the server: {}", r.body);
        let r = strict(json!({"appKey": "sk_strict", "identityToken": out[2]}));
        assert_eq!(r.status, 200, "{lang} identityToken against the server: {}", r.body);
    }
}

#[tokio::test]
async fn agents_are_told_about_a_login_merge() {
    let (_dir, server) = demo();
    let (user, u) = hs_ok(&server, json!({"externalUserId": "u_1", "visitorId": "v_other"}));
    send_ok(&server, &user, "u1", "earlier");
    let (anon, _) = hs_ok(&server, json!({"visitorId": "v_1", "fingerprint": "fp"}));
    send_ok(&server, &anon, "a1", "anonymous");
    let mut agent = agent_ws(&server).await;
    frame_of_type(&mut agent, "hello").await;
    identify_ok(&server, &anon, json!({"externalUserId": "u_1", "nickname": "Alex"}));
    // One conversation frame per touched conversation (both now the user's), then the visitor.
    let mut seen = Vec::new();
    for _ in 0..2 {
        let f = frame_of_type(&mut agent, "conversation").await;
        assert_eq!(f["visitor"]["csVisitorId"], u["csVisitorId"]);
        assert_eq!(f["visitor"]["externalUserId"], "u_1");
        seen.push(f["conversation"]["status"].as_str().unwrap().to_string());
    }
    seen.sort();
    assert_eq!(seen, ["closed", "open"]);
    let v = frame_of_type(&mut agent, "visitor").await;
    assert_eq!((v["visitor"]["nickname"].clone(), v["visitor"]["visitorId"].clone()), (json!("Alex"), json!("v_1")));
}

// ---------------------------------------------------------------------------
// Forgery and revocation
// ---------------------------------------------------------------------------

#[test]
fn a_signed_link_cannot_be_reshaped_into_another_users_login() {
    let (_dir, server) = configured();
    let admin = |body: Value| {
        server.request(
            "POST",
            "/api/v1/admin/cs/sites/sk_open/link-entry/sign",
            &[("Authorization", "Bearer open-admin-token-01234")],
            Some(body.to_string().as_bytes()),
        )
    };
    // The victim has history as a verified user.
    let (victim, _) = hs_ok(
        &server,
        json!({"appKey": "sk_open", "visitorId": "v_victim", "externalUserId": "victim",
            "userHash": snippet::user_hash(IDENTITY_SECRET, "victim")}),
    );
    send_ok(&server, &victim, "v1", "my secret order");

    // An anonymous link for a visitor "named" `victim\n`: the admin
    // endpoint signs the trimmed name, and the signature does not pass for
    // `u = "\nvictim"` (it did when fields were joined by newlines).
    let r = admin(json!({"nickname": "victim\n"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    let forged = json!({"u": "\nvictim", "nick": "", "t": v["t"], "s": v["s"]});
    let r = link_hs(&server, "sk_open", forged);
    assert_eq!(code(&r), (403, "link_invalid".into()), "{}", r.body);
    assert!(v["url"].as_str().unwrap().contains("&nick=victim&"), "{v}");
    // Control characters inside a field are not signed at all.
    let r = admin(json!({"nickname": "vic\ntim"}));
    assert_eq!(code(&r), (400, "bad_request".into()), "{}", r.body);
    // ...and a site that signs such fields itself gets nothing from the
    // server either: the fields cannot move, and control characters are refused.
    let t = now();
    let s = snippet::link_signature(SITE_LINK_SECRET, "sk_open", t, "", "victim\n");
    for (u, nick) in [("\nvictim", ""), ("", "victim\n")] {
        let r = link_hs(&server, "sk_open", json!({"u": u, "nick": nick, "t": t, "s": s}));
        assert_eq!(code(&r), (403, "link_invalid".into()), "{u:?} {nick:?}: {}", r.body);
    }
    // Blanks are trimmed before the signature is checked, never after: a
    // signature over "victim" verifies " victim ", one over " victim" does not.
    let s = snippet::link_signature(SITE_LINK_SECRET, "sk_open", t, "victim", "");
    let r = link_hs(&server, "sk_open", json!({"u": " victim ", "t": t, "s": s}));
    assert_eq!(r.status, 200, "{}", r.body);
    let s = snippet::link_signature(SITE_LINK_SECRET, "sk_open", t, " victim", "");
    let r = link_hs(&server, "sk_open", json!({"u": " victim", "t": t, "s": s}));
    assert_eq!(code(&r), (403, "link_invalid".into()));
    // The other signed inputs: ids with control characters are refused.
    let r = hs(
        &server,
        json!({"appKey": "sk_open", "externalUserId": "victim\u{0}",
        "userHash": snippet::user_hash(IDENTITY_SECRET, "victim\u{0}")}),
    );
    assert_eq!(code(&r), (400, "bad_request".into()));
    let r = hs(
        &server,
        json!({"appKey": "sk_open",
        "identityToken": token_for(json!({"sub": "victim\n"}))}),
    );
    assert_eq!(code(&r), (403, "identity_rejected".into()));
    let r = hs(&server, json!({"appKey": "sk_open", "identityToken": token_for(json!({"sub": " victim"}))}));
    assert_eq!(code(&r), (403, "identity_rejected".into()));
}

#[tokio::test]
async fn tokens_of_unproven_claims_are_revoked_when_the_user_is_verified() {
    let (_dir, server) = configured();
    // Before the real user's first verified login, someone claims u_x
    // without proof (allowed: sk_open does not require proofs).
    let (claim, _) = hs_ok(
        &server,
        json!({"appKey": "sk_open", "visitorId": "v_claim", "externalUserId": "u_x",
            "nickname": "Support team", "email": "evil@attacker.example"}),
    );
    send_ok(&server, &claim, "c1", "planted");
    let mut socket = visitor_ws(&server, &claim).await;
    assert_eq!(frame_of_type(&mut socket, "hello").await["type"], "hello");

    // The user logs in with a proof.
    let (user, _) = hs_ok(
        &server,
        json!({"appKey": "sk_open", "visitorId": "v_user", "externalUserId": "u_x",
            "userHash": snippet::user_hash(IDENTITY_SECRET, "u_x")}),
    );
    send_ok(&server, &user, "u1", "my address is ...");

    // Every way the claim's token had in is closed: REST, renewal, its socket.
    let current = server.visitor("GET", "/api/v1/cs/conversations/current", Some(&claim), None);
    assert_eq!(code(&current), (401, "token_invalid".into()), "{}", current.body);
    assert_eq!(code(&identify(&server, &claim, json!({}))), (401, "token_invalid".into()));
    let conversation = v1_conv(&server, &user).as_i64().unwrap();
    let page = server.visitor("GET", &format!("/api/v1/cs/conversations/{conversation}/messages"), Some(&claim), None);
    assert_eq!(code(&page), (401, "token_invalid".into()));
    let closed = loop {
        match tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut socket)).await.expect("closed in time") {
            Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame))) => break frame,
            Some(Ok(_)) => continue,
            other => panic!("no close frame: {other:?}"),
        }
    };
    assert_eq!(closed.map(|f| u16::from(f.code)), Some(4001));
    assert!(ws_connect(&server.url("/ws"), &format!("natter.v1, jwt.{claim}"), Some(ORIGIN)).await.is_err());

    // Agents see a verified user without the claim's profile.
    let auth = format!("Bearer {OPEN_AGENT_TOKEN}");
    let list = server.request("GET", "/api/v1/agent/conversations", &[("Authorization", &auth)], None).json();
    let visitor = &list["conversations"][0]["visitor"];
    assert_eq!(visitor["externalUserId"], "u_x");
    assert_eq!(visitor["verified"], true);
    assert!(visitor.get("nickname").is_none_or(Value::is_null), "{visitor}");
    assert!(visitor.get("email").is_none_or(Value::is_null), "{visitor}");

    // The proven token renews, and its renewals keep working.
    let (renewed, _) = identify_ok(&server, &user, json!({}));
    let (renewed, _) = identify_ok(&server, &renewed, json!({"nickname": "Real name"}));
    assert!(history(&server, &renewed).contains(&"my address is ...".to_string()));
    // A new unproven claim is refused outright.
    let r = hs(&server, json!({"appKey": "sk_open", "visitorId": "v_claim2", "externalUserId": "u_x"}));
    assert_eq!(code(&r), (403, "identity_unverified".into()));
}
