//! Keeps the written spec in step with the code: every error code of
//! `natter::protocol` is documented in `docs/protocol.md` and listed in
//! `docs/openapi.yaml`, with the same HTTP status in the table; and every
//! operation of `docs/openapi.yaml` is called on the real server, each
//! answer's status documented for it and its body valid against the
//! documented schema (the request bodies and query parameters sent are
//! checked against the spec too).

mod common;

use std::collections::BTreeSet;

use common::*;
use natter::protocol::ErrorCode;
use serde_json::{json, Value};

fn doc(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/");
    std::fs::read_to_string(format!("{path}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_error_code_is_documented() {
    let md = doc("protocol.md");
    let openapi = doc("openapi.yaml");
    for code in ErrorCode::ALL {
        let name = code.as_str();
        assert!(openapi.contains(&format!("- {name}\n")), "{name} missing from openapi.yaml");
        let row = md
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("{name} missing from the error table of protocol.md"));
        if code != ErrorCode::UnknownFrame {
            assert!(row.contains(&format!("| {} |", code.status())), "{name}: status differs in protocol.md: {row}");
        }
    }
}

#[test]
fn constants_match_the_spec() {
    let md = doc("protocol.md");
    assert!(md.contains("1800 s (30 minutes)"));
    assert!(md.contains(natter::protocol::WS_SUBPROTOCOL));
    assert!(md.contains(natter::protocol::AGENT_WS_SUBPROTOCOL));
    assert_eq!(natter::protocol::MAX_TEXT_CHARS, 4000);
    assert_eq!(natter::protocol::TOKEN_TTL_SECS, 1800);
}

// ---------------------------------------------------------------------------
// docs/openapi.yaml against the real server
// ---------------------------------------------------------------------------

struct Spec {
    doc: Value,
    /// (METHOD, path template) of each operation called, with a 2xx answer.
    succeeded: BTreeSet<(String, String)>,
}

impl Spec {
    fn load() -> Spec {
        let doc: Value = serde_yaml::from_str(&doc("openapi.yaml")).expect("openapi.yaml parses");
        Spec { doc, succeeded: BTreeSet::new() }
    }

    /// Follows a local `$ref` (`#/components/...`).
    fn resolve<'a>(&'a self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => self.resolve(self.doc.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("no {r}"))),
            None => v,
        }
    }

    /// Checks `instance` against `schema`, whose `$ref`s point into the document.
    fn validate(&self, schema: &Value, instance: &Value, what: &str) {
        let mut root = json!({ "components": self.doc["components"].clone() });
        match schema {
            Value::Object(map) => {
                for (k, v) in map {
                    root[k] = v.clone();
                }
            }
            other => panic!("{what}: schema is not an object: {other}"),
        }
        let validator = jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{what}: bad schema: {e}"));
        let errors: Vec<String> =
            validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path)).collect();
        assert!(errors.is_empty(), "{what}: {instance} does not match the spec: {errors:?}");
    }

    fn operation(&self, method: &str, template: &str) -> &Value {
        let op = &self.doc["paths"][template][method.to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {template} is not in openapi.yaml");
        op
    }

    /// Sends a request and checks it and its answer against the operation.
    fn call(
        &mut self,
        server: &Server,
        method: &str,
        template: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Response {
        let op = self.operation(method, template).clone();
        let what = format!("{method} {path}");
        let r = server.request(method, path, headers, body.map(str::as_bytes));
        let Some(response) = op["responses"].get(r.status.to_string()) else {
            panic!("{what}: status {} is not documented: {}", r.status, r.body)
        };
        let response = self.resolve(response).clone();
        if (200..300).contains(&r.status) {
            self.succeeded.insert((method.to_string(), template.to_string()));
            // What the server took is what the spec allows: the query
            // parameters (typed as integers where they parse) and the body.
            let query = path.split_once('?').map_or("", |(_, q)| q);
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                let param = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| self.resolve(p))
                    .find(|p| p["name"] == name && p["in"] == "query")
                    .unwrap_or_else(|| panic!("{what}: query parameter {name} is not documented"));
                let typed = value.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(value));
                self.validate(&param["schema"], &typed, &format!("{what}: parameter {name}"));
            }
            if let (Some(b), Some(schema)) = (body, op["requestBody"]["content"]["application/json"].get("schema")) {
                let sent: Value = serde_json::from_str(b).expect("request body is JSON");
                self.validate(schema, &sent, &format!("{what}: request body"));
            }
        }
        match response.get("content") {
            None => assert!(r.body.is_empty(), "{what}: {} has no documented body: {}", r.status, r.body),
            Some(content) => {
                let (kind, media) = content.as_object().and_then(|m| m.iter().next()).expect("a media type");
                let got = r.header("content-type").unwrap_or_default();
                assert!(got.starts_with(kind.as_str()), "{what}: content type {got}, documented {kind}");
                let body = if kind == "application/json" { r.json() } else { Value::from(r.body.clone()) };
                self.validate(&media["schema"], &body, &format!("{what}: {} body", r.status));
            }
        }
        r
    }

    /// Every documented operation was called with success at least once.
    fn assert_all_called(&self) {
        for (template, item) in self.doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                let key = (method.to_ascii_uppercase(), template.clone());
                assert!(self.succeeded.contains(&key), "{} {} was never called with success", key.0, key.1);
            }
        }
    }
}

fn refs(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[test]
fn the_server_answers_as_openapi_yaml_documents() {
    let dir = TempDir::new();
    let server = Server::start_in(&dir.0, &["--memory", "--test-hooks"]);
    let mut spec = Spec::load();
    let visitor = |token: Option<&str>| {
        let mut h = vec![("Origin".to_string(), ORIGIN.to_string())];
        if let Some(t) = token {
            h.push(("Authorization".to_string(), format!("Bearer {t}")));
        }
        h
    };
    let agent = [("Authorization".to_string(), format!("Bearer {AGENT_TOKEN}"))];
    let admin = [("Authorization".to_string(), format!("Bearer {ADMIN_TOKEN}"))];
    let evil = [("Origin".to_string(), "https://evil.example".to_string())];
    let none: [(String, String); 0] = [];
    let big = format!("{{\"appKey\":\"sk_demo\",\"nickname\":\"{}\"}}", "x".repeat(70 * 1024));

    // Visitor: handshake, identify, config.
    let hs = "/api/v1/cs/handshake";
    let r = spec.call(&server, "POST", hs, hs, &refs(&visitor(None)), Some(r#"{"appKey":"sk_demo","visitorId":"v_spec","nickname":"Spec","extra":{"plan":"pro"},"page":{"url":"https://shop.example/cart","title":"Cart"}}"#));
    let token = r.json()["token"].as_str().unwrap().to_string();
    let (other, _) = server.handshake("v_other");
    spec.call(&server, "POST", hs, hs, &refs(&visitor(None)), Some(r#"["sk_demo"]"#));
    spec.call(&server, "POST", hs, hs, &refs(&visitor(None)), Some(r#"{"appKey":"sk_nope"}"#));
    spec.call(&server, "POST", hs, hs, &refs(&evil), Some(r#"{"appKey":"sk_demo"}"#));
    spec.call(&server, "POST", hs, hs, &refs(&visitor(None)), Some(&big));
    let link =
        [("Origin".to_string(), "https://mail.example".to_string()), ("X-CS-Entry".to_string(), "link".to_string())];
    spec.call(&server, "POST", hs, hs, &refs(&link), Some(r#"{"appKey":"sk_demo","link":{"u":"u_9","t":1,"s":"00"}}"#));
    spec.call(&server, "POST", hs, hs, &refs(&link), Some(r#"{"appKey":"sk_demo","link":{"u":"u_9"}}"#));

    let id = "/api/v1/cs/identify";
    spec.call(
        &server,
        "POST",
        id,
        id,
        &refs(&visitor(Some(&token))),
        Some(r#"{"nickname":"Spec 2","locale":"en-US"}"#),
    );
    spec.call(&server, "POST", id, id, &refs(&visitor(None)), Some("{}"));
    spec.call(&server, "POST", id, id, &refs(&visitor(Some(&token))), Some(r#"{"externalUserId":"u\u0001"}"#));
    spec.call(&server, "POST", id, id, &refs(&visitor(Some(&token))), Some(&big));
    spec.call(&server, "POST", id, id, &refs(&visitor(Some("x.y.z"))), Some("{}"));

    let cfg = "/api/v1/cs/config";
    spec.call(&server, "GET", cfg, "/api/v1/cs/config?appKey=sk_demo", &refs(&visitor(None)), None);
    spec.call(&server, "GET", cfg, "/api/v1/cs/config", &refs(&visitor(None)), None);
    spec.call(&server, "GET", cfg, "/api/v1/cs/config?appKey=sk_nope", &refs(&visitor(None)), None);
    spec.call(&server, "GET", cfg, "/api/v1/cs/config?appKey=sk_demo", &refs(&evil), None);

    // Visitor: messages and conversations.
    let send = "/api/v1/cs/conversations";
    let me_headers = visitor(Some(&token));
    let me = refs(&me_headers);
    let r = spec.call(&server, "POST", send, send, &me, Some(r#"{"clientMsgId":"c1","text":"hello"}"#));
    let conv = r.json()["conversation"]["id"].as_i64().unwrap();
    spec.call(&server, "POST", send, send, &me, Some(r#"{"clientMsgId":"c1","text":"hello"}"#));
    spec.call(&server, "POST", send, send, &me, Some(r#"{"clientMsgId":"c1","text":"other"}"#));
    spec.call(&server, "POST", send, send, &me, Some(r#"{"clientMsgId":"c2","text":"  "}"#));
    spec.call(
        &server,
        "POST",
        send,
        send,
        &me,
        Some(&format!(r#"{{"clientMsgId":"c3","text":"{}"}}"#, "x".repeat(4001))),
    );
    spec.call(&server, "POST", send, send, &refs(&visitor(None)), Some(r#"{"clientMsgId":"c4","text":"hi"}"#));
    spec.call(&server, "POST", send, send, &refs(&evil), Some(r#"{"clientMsgId":"c4","text":"hi"}"#));
    let (theirs, _) = server.handshake("v_theirs");
    let their_conv = server.send(&theirs, "t1", "mine").json()["conversation"]["id"].as_i64().unwrap();

    let cur = "/api/v1/cs/conversations/current";
    spec.call(&server, "GET", cur, cur, &me, None);
    spec.call(&server, "GET", cur, cur, &refs(&visitor(Some(&other))), None);
    spec.call(&server, "GET", cur, cur, &refs(&visitor(None)), None);

    let fields = "/api/v1/cs/conversations/current/fields";
    spec.call(&server, "PATCH", fields, fields, &me, Some(r#"{"fields":{"plan":"pro","seats":3,"trial":false}}"#));
    spec.call(&server, "PATCH", fields, fields, &me, Some(r#"{"fields":{"trial":null}}"#));
    spec.call(&server, "PATCH", fields, fields, &refs(&visitor(Some(&other))), Some(r#"{"fields":{"next":true}}"#));
    spec.call(&server, "PATCH", fields, fields, &me, Some(r#"{"fields":{"nested":{"a":1}}}"#));
    spec.call(&server, "PATCH", fields, fields, &me, Some(&big));
    spec.call(&server, "PATCH", fields, fields, &refs(&visitor(None)), Some(r#"{"fields":{}}"#));
    spec.call(&server, "PATCH", fields, fields, &refs(&evil), Some(r#"{"fields":{}}"#));

    let msgs = "/api/v1/cs/conversations/{id}/messages";
    spec.call(&server, "GET", msgs, &format!("/api/v1/cs/conversations/{conv}/messages?since=0&limit=1000"), &me, None);
    spec.call(&server, "GET", msgs, &format!("/api/v1/cs/conversations/{conv}/messages?since=x"), &me, None);
    spec.call(&server, "GET", msgs, &format!("/api/v1/cs/conversations/{their_conv}/messages"), &me, None);
    spec.call(&server, "GET", msgs, "/api/v1/cs/conversations/999999/messages", &me, None);
    spec.call(&server, "GET", msgs, "/api/v1/cs/conversations/abc/messages", &me, None);

    // Agent.
    let a = refs(&agent);
    spec.call(&server, "GET", "/api/v1/agent/me", "/api/v1/agent/me", &a, None);
    spec.call(&server, "GET", "/api/v1/agent/me", "/api/v1/agent/me", &refs(&none), None);
    let list = "/api/v1/agent/conversations";
    spec.call(&server, "GET", list, "/api/v1/agent/conversations?status=open&limit=1000", &a, None);
    spec.call(&server, "GET", list, "/api/v1/agent/conversations?status=bogus", &a, None);
    spec.call(&server, "GET", list, list, &refs(&none), None);
    let one = "/api/v1/agent/conversations/{id}";
    spec.call(&server, "GET", one, &format!("/api/v1/agent/conversations/{conv}"), &a, None);
    spec.call(&server, "GET", one, "/api/v1/agent/conversations/999999", &a, None);
    let amsgs = "/api/v1/agent/conversations/{id}/messages";
    spec.call(&server, "GET", amsgs, &format!("/api/v1/agent/conversations/{conv}/messages?since=0&limit=5"), &a, None);
    spec.call(&server, "GET", amsgs, &format!("/api/v1/agent/conversations/{conv}/messages?limit=x"), &a, None);
    spec.call(&server, "GET", amsgs, "/api/v1/agent/conversations/999999/messages", &a, None);
    let reply = format!("/api/v1/agent/conversations/{conv}/messages");
    spec.call(&server, "POST", amsgs, &reply, &a, Some(r#"{"clientMsgId":"r1","text":"hi there"}"#));
    spec.call(&server, "POST", amsgs, &reply, &a, Some(r#"{"clientMsgId":"r1","text":"hi there"}"#));
    spec.call(&server, "POST", amsgs, &reply, &a, Some(r#"{"clientMsgId":"r1","text":"changed"}"#));
    spec.call(&server, "POST", amsgs, &reply, &a, Some(r#"["r2","x"]"#));
    spec.call(&server, "POST", amsgs, &reply, &a, Some(&big));
    spec.call(&server, "POST", amsgs, "/api/v1/agent/conversations/999999/messages", &a, Some(r#"{"text":"x"}"#));
    let typing = "/api/v1/agent/conversations/{id}/typing";
    let typing_here = format!("/api/v1/agent/conversations/{conv}/typing");
    for body in [r#"{"active":true}"#, r#"{"active":"yes"}"#, &big] {
        spec.call(&server, "POST", typing, &typing_here, &a, Some(body));
    }
    spec.call(&server, "POST", typing, "/api/v1/agent/conversations/999999/typing", &a, Some(r#"{"active":true}"#));

    // Joining: explicitly, again, elsewhere.
    let join = "/api/v1/agent/conversations/{id}/join";
    spec.call(&server, "POST", join, &format!("/api/v1/agent/conversations/{their_conv}/join"), &a, None);
    spec.call(&server, "POST", join, &format!("/api/v1/agent/conversations/{their_conv}/join"), &a, None);
    spec.call(&server, "POST", join, "/api/v1/agent/conversations/999999/join", &a, None);
    spec.call(&server, "POST", join, "/api/v1/agent/conversations/999999/join", &refs(&none), None);

    // Rating before the end, then leaving, replying to and rating the closed conversation.
    let rate = "/api/v1/cs/conversations/{id}/rating";
    let rate_here = format!("/api/v1/cs/conversations/{conv}/rating");
    spec.call(&server, "POST", rate, &rate_here, &me, Some(r#"{"scale":"csat","score":5}"#));
    let leave = "/api/v1/cs/conversations/{id}/leave";
    spec.call(&server, "POST", leave, &format!("/api/v1/cs/conversations/{conv}/leave"), &me, None);
    spec.call(&server, "POST", leave, &format!("/api/v1/cs/conversations/{their_conv}/leave"), &me, None);
    spec.call(&server, "POST", leave, "/api/v1/cs/conversations/999999/leave", &me, None);
    spec.call(&server, "POST", amsgs, &reply, &a, Some(r#"{"text":"too late"}"#));
    spec.call(&server, "POST", rate, &rate_here, &me, Some(r#"{"scale":"csat","score":5,"comment":"Quick"}"#));
    spec.call(&server, "POST", rate, &rate_here, &me, Some(r#"{"scale":"csat","score":4}"#));
    spec.call(&server, "POST", rate, &rate_here, &me, Some(r#"{"scale":"nps","score":9}"#));
    spec.call(&server, "POST", rate, &rate_here, &me, Some(r#"{"scale":"csat","score":9}"#));
    spec.call(
        &server,
        "POST",
        rate,
        &rate_here,
        &me,
        Some(&format!(r#"{{"scale":"csat","score":3,"comment":"{}"}}"#, "x".repeat(1001))),
    );
    spec.call(&server, "POST", rate, &rate_here, &refs(&visitor(None)), Some(r#"{"scale":"csat","score":3}"#));
    spec.call(
        &server,
        "POST",
        rate,
        &format!("/api/v1/cs/conversations/{their_conv}/rating"),
        &me,
        Some(r#"{"scale":"csat","score":3}"#),
    );
    spec.call(
        &server,
        "POST",
        rate,
        "/api/v1/cs/conversations/999999/rating",
        &me,
        Some(r#"{"scale":"csat","score":3}"#),
    );
    let ratings = "/api/v1/agent/ratings";
    spec.call(&server, "GET", ratings, "/api/v1/agent/ratings?limit=10", &a, None);
    spec.call(&server, "GET", ratings, "/api/v1/agent/ratings?limit=x", &a, None);
    spec.call(&server, "GET", ratings, ratings, &refs(&none), None);

    let hooks = "/api/v1/agent/webhooks/deliveries";
    spec.call(&server, "GET", hooks, "/api/v1/agent/webhooks/deliveries?limit=10", &a, None);
    spec.call(&server, "GET", hooks, "/api/v1/agent/webhooks/deliveries?limit=x", &a, None);
    spec.call(&server, "GET", hooks, hooks, &refs(&none), None);

    // An agent ends the other visitor's conversation, twice; and the clock hook.
    let close = "/api/v1/agent/conversations/{id}/close";
    spec.call(&server, "POST", close, &format!("/api/v1/agent/conversations/{their_conv}/close"), &a, None);
    spec.call(&server, "POST", close, &format!("/api/v1/agent/conversations/{their_conv}/close"), &a, None);
    spec.call(&server, "POST", close, "/api/v1/agent/conversations/999999/close", &a, None);
    spec.call(&server, "POST", close, "/api/v1/agent/conversations/999999/close", &refs(&none), None);
    let clock = "/api/v1/test/clock";
    spec.call(&server, "POST", clock, clock, &refs(&none), Some(r#"{"nowMs":1772452800000}"#));
    spec.call(&server, "POST", clock, clock, &refs(&none), Some(r#"{"now":1}"#));
    spec.call(&server, "GET", cfg, "/api/v1/cs/config?appKey=sk_demo", &refs(&visitor(None)), None);
    spec.call(&server, "GET", msgs, &format!("/api/v1/cs/conversations/{conv}/messages"), &me, None);

    // Admin.
    let sign = "/api/v1/admin/cs/sites/{appKey}/link-entry/sign";
    let demo_sign = "/api/v1/admin/cs/sites/sk_demo/link-entry/sign";
    spec.call(&server, "POST", sign, demo_sign, &refs(&admin), Some(r#"{"externalUserId":"u_42","nickname":"Alex"}"#));
    spec.call(&server, "POST", sign, demo_sign, &refs(&admin), Some(r#"["u_42","Alex"]"#));
    spec.call(&server, "POST", sign, demo_sign, &refs(&admin), Some(&big));
    spec.call(&server, "POST", sign, demo_sign, &refs(&none), Some("{}"));
    spec.call(&server, "POST", sign, "/api/v1/admin/cs/sites/sk_nope/link-entry/sign", &refs(&admin), Some("{}"));

    // Ops.
    spec.call(&server, "GET", "/healthz", "/healthz", &refs(&none), None);
    spec.call(&server, "POST", "/api/v1/test/drop-sockets", "/api/v1/test/drop-sockets", &refs(&none), None);

    // Rate limits last: the entry budget (30 a minute per IP) runs out.
    let limited = (0..40)
        .map(|_| spec.call(&server, "GET", cfg, "/api/v1/cs/config?appKey=sk_demo", &refs(&visitor(None)), None))
        .any(|r| r.status == 429);
    assert!(limited);
    spec.assert_all_called();
}
