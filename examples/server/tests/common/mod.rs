//! Test harness: starts the real `natter-server` binary on an ephemeral port
//! in a temporary directory, a tiny HTTP/1.1 client over `TcpStream`, and a
//! WebSocket client (tokio-tungstenite). Every process started here is
//! stopped by its PID when its [`Server`] is dropped.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

pub const AGENT_TOKEN: &str = "test-agent-token-0123456789";
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
/// The demo site's standalone-link secret in tests.
pub const LINK_SECRET: &str = "test-link-secret";
pub const ORIGIN: &str = "http://localhost:5173";
/// Longest wait for any single expected event.
pub const WAIT: Duration = Duration::from_secs(10);

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "natter-test-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct Server {
    child: Child,
    pub port: u16,
    /// Lines the server printed on stdout after the listening line.
    pub stdout_rest: Vec<String>,
}

impl Server {
    /// Starts the binary in `cwd` with `--listen 127.0.0.1:0` plus `args`,
    /// and waits for its `listening on` line.
    pub fn start_in(cwd: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_natter-server"))
            .args(["--listen", "127.0.0.1:0", "--agent-token", AGENT_TOKEN, "--admin-token", ADMIN_TOKEN])
            .args(["--link-secret", LINK_SECRET])
            .args(args)
            .current_dir(cwd)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn natter-server");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => {
                        if tx.send(l).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        let first = match rx.recv_timeout(WAIT) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!("natter-server printed nothing");
            }
        };
        let addr = first
            .strip_prefix("natter-server listening on http://")
            .unwrap_or_else(|| panic!("bad first line: {first}"));
        let port: u16 = addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port");
        // The demo site prints its agent and admin tokens; a config file, nothing.
        let expected = if args.contains(&"--config") { 0 } else { 2 };
        let stdout_rest: Vec<String> = (0..expected).filter_map(|_| rx.recv_timeout(WAIT).ok()).collect();
        Server { child, port, stdout_rest }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGTERM by PID, then waits for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Response {
        http(self.port, method, path, headers, body)
    }

    /// A visitor request from the allowed origin, with an optional token.
    pub fn visitor(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Response {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("Origin", ORIGIN)];
        if let Some(a) = &auth {
            headers.push(("Authorization", a));
        }
        let body = body.map(|b| b.to_string());
        self.request(method, path, &headers, body.as_deref().map(str::as_bytes))
    }

    pub fn agent(&self, method: &str, path: &str, body: Option<Value>) -> Response {
        let auth = format!("Bearer {AGENT_TOKEN}");
        let body = body.map(|b| b.to_string());
        self.request(method, path, &[("Authorization", &auth)], body.as_deref().map(str::as_bytes))
    }

    /// Handshakes as the anonymous visitor `visitor_id`: returns (token, response JSON).
    pub fn handshake(&self, visitor_id: &str) -> (String, Value) {
        let r = self.visitor(
            "POST",
            "/api/v1/cs/handshake",
            None,
            Some(json!({"appKey": "sk_demo", "visitorId": visitor_id})),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let v = r.json();
        (v["token"].as_str().expect("token").to_string(), v)
    }

    /// Sends a visitor message; returns the response.
    pub fn send(&self, token: &str, client_msg_id: &str, text: &str) -> Response {
        self.visitor(
            "POST",
            "/api/v1/cs/conversations",
            Some(token),
            Some(json!({"clientMsgId": client_msg_id, "text": text})),
        )
    }
}

/// Starts the binary with the config file `cfg` and tells whether it
/// refused to start (exited with an error), with what it printed on
/// stderr. A server that accepted the config keeps running: it is stopped
/// by its PID after [`WAIT`].
pub fn refused_config(cfg: &Path) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_natter-server"))
        .args(["--memory", "--listen", "127.0.0.1:0", "--config"])
        .arg(cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn natter-server");
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill").args(["-KILL", &child.id().to_string()]).status();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut stderr));
    (status.is_some_and(|s| !s.success()), stderr)
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill").args(["-KILL", &self.child.id().to_string()]).status();
            let _ = self.child.wait();
        }
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// The `error.code` of an error envelope.
    pub fn code(&self) -> String {
        self.json()["error"]["code"].as_str().unwrap_or_default().to_string()
    }
}

/// Minimal HTTP/1.1 client: one request per connection.
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(WAIT)).expect("timeout");
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        req.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", b.len()));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).expect("write");
    if let Some(b) = body {
        // The server may answer (413) before reading a large body.
        let _ = stream.write_all(b);
    }
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("no header end");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).expect("status");
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_string(), v.trim().to_string())).collect();
    if headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked")) {
        body = dechunk(&body);
    }
    Response { status, headers, body: String::from_utf8_lossy(&body).to_string() }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(pos) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..pos]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[pos + 2..pos + 2 + size]);
        data = &data[pos + 4 + size..];
    }
    out
}

pub type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a WebSocket with these subprotocols and origin; `Err(status)` when
/// the upgrade is refused.
pub async fn ws_connect(url: &str, protocols: &str, origin: Option<&str>) -> Result<(Ws, Option<String>), u16> {
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_str(protocols).expect("header"));
    if let Some(o) = origin {
        req.headers_mut().insert("Origin", HeaderValue::from_str(o).expect("header"));
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, resp)) => {
            let selected = resp.headers().get("sec-websocket-protocol").and_then(|v| v.to_str().ok()).map(String::from);
            Ok((ws, selected))
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("websocket error: {e}"),
    }
}

pub async fn visitor_ws(server: &Server, token: &str) -> Ws {
    let (ws, selected) =
        ws_connect(&server.url("/ws"), &format!("natter.v1, jwt.{token}"), Some(ORIGIN)).await.expect("upgrade");
    assert_eq!(selected.as_deref(), Some("natter.v1"));
    ws
}

pub async fn agent_ws(server: &Server) -> Ws {
    let (ws, selected) =
        ws_connect(&server.url("/api/v1/agent/ws"), &format!("natter.agent.v1, bearer.{AGENT_TOKEN}"), None)
            .await
            .expect("upgrade");
    assert_eq!(selected.as_deref(), Some("natter.agent.v1"));
    ws
}

/// Next JSON text frame (protocol pings are skipped); panics after [`WAIT`].
pub async fn next_frame(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("no frame in time")
            .expect("socket ended")
            .expect("socket error");
        match msg {
            Message::Text(t) => return serde_json::from_str(t.as_str()).expect("frame is JSON"),
            Message::Ping(_) | Message::Pong(_) => continue,
            other => panic!("unexpected frame: {other:?}"),
        }
    }
}

/// Skips frames until one with this `type` arrives.
pub async fn frame_of_type(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let f = next_frame(ws).await;
        if f["type"] == kind {
            return f;
        }
    }
}

pub async fn send_frame(ws: &mut Ws, frame: Value) {
    ws.send(Message::Text(frame.to_string().into())).await.expect("send frame");
}

/// Sets the server's clock (`--test-hooks`); answers once it has acted on it.
pub fn set_clock(server: &Server, now_ms: i64) {
    let body = json!({ "nowMs": now_ms }).to_string();
    let r = server.request("POST", "/api/v1/test/clock", &[], Some(body.as_bytes()));
    assert_eq!(r.status, 200, "{}", r.body);
}

/// The text of `docs/<name>`.
pub fn doc(name: &str) -> String {
    let path = format!("{}/../../docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The first fenced block of `lang` in a doc.
pub fn block(doc: &str, lang: &str) -> String {
    let start = doc.find(&format!("```{lang}\n")).unwrap_or_else(|| panic!("no {lang} block")) + lang.len() + 4;
    let len = doc[start..].find("```").expect("closed block");
    doc[start..start + len].to_string()
}

/// Runs a doc's snippet plus a driver (`code`) that prints JSON, and
/// returns it; `None`, with a loud notice, when the interpreter is missing.
pub fn run_snippet(program: &str, args: &[&str], code: &str) -> Option<Value> {
    let out = match Command::new(program).args(args).arg(code).output() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("\n*** SKIPPING the {program} snippet: {e} ***\n");
            return None;
        }
    };
    assert!(out.status.success(), "{program}: {}", String::from_utf8_lossy(&out.stderr));
    Some(serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{program} printed no JSON: {e}")))
}
