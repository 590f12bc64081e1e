//! Connection-level defences against the real binary, with small limits
//! from a config file so each attack stays bounded and fast: header and
//! body read timeouts, the per-IP connection cap (the server keeps
//! answering `/healthz` to everybody else), and the WebSocket caps per
//! token and per IP (close code 4030).
//!
//! The attacks come from 127.0.0.1 and the bystander from 127.0.0.2: both
//! are loopback on Linux, and the server tells them apart by address.

mod common;

use std::time::Instant;

use common::*;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;

const HEADER_TIMEOUT_MS: u64 = 300;
const PER_IP: usize = 6;

fn server_with_limits() -> (TempDir, Server) {
    let dir = TempDir::new();
    let cfg = dir.0.join("sites.toml");
    let text = format!(
        r#"
[limits]
header_timeout_ms = {HEADER_TIMEOUT_MS}
body_timeout_ms = {HEADER_TIMEOUT_MS}
connections_per_ip = {PER_IP}
max_connections = 64
sockets_per_token = 2
sockets_per_ip = 3

[[sites]]
app_key = "sk_demo"
allowed_origins = ["http://localhost:*"]
"#
    );
    std::fs::write(&cfg, text).unwrap();
    let server = Server::start_in(&dir.0, &["--memory", "--config", cfg.to_str().unwrap()]);
    (dir, server)
}

/// A connection to the server from the loopback address `from`.
async fn connect_from(from: [u8; 4], port: u16) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind((from, 0).into()).unwrap();
    socket.connect(([127, 0, 0, 1], port).into()).await.unwrap()
}

/// Reads until the server closes the connection (EOF or reset); returns
/// what it sent. Panics if it is still open after [`WAIT`].
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout(WAIT, stream.read(&mut buf)).await.expect("the server left the connection open") {
            Ok(0) | Err(_) => return out,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
}

async fn healthz_from(from: [u8; 4], port: u16) -> String {
    let mut s = connect_from(from, port).await;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    String::from_utf8_lossy(&until_closed(&mut s).await).to_string()
}

#[tokio::test]
async fn half_open_requests_are_capped_per_address_and_timed_out() {
    let (_dir, server) = server_with_limits();
    let started = Instant::now();
    // A bounded slowloris: 4x the per-IP cap of connections that each send
    // half a header and then nothing.
    let mut attack = Vec::new();
    for _ in 0..PER_IP * 4 {
        let mut s = connect_from([127, 0, 0, 1], server.port).await;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ").await.unwrap();
        attack.push(s);
    }
    // Everybody else is still served meanwhile.
    let health = healthz_from([127, 0, 0, 2], server.port).await;
    assert!(health.starts_with("HTTP/1.1 200") && health.ends_with("ok"), "{health}");
    // Every attacking connection is closed without an answer: the excess at
    // once, the first PER_IP when their header is late.
    for s in &mut attack {
        let answer = until_closed(s).await;
        assert!(!answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
    }
    assert!(started.elapsed() < WAIT);
    // A connection that sends nothing at all is timed out too.
    let mut idle = connect_from([127, 0, 0, 1], server.port).await;
    assert!(until_closed(&mut idle).await.is_empty());
    // The attacker's slots were given back with the connections.
    let health = healthz_from([127, 0, 0, 1], server.port).await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_refused() {
    let (_dir, server) = server_with_limits();
    let mut s = connect_from([127, 0, 0, 1], server.port).await;
    let head = "POST /api/v1/cs/handshake HTTP/1.1\r\nHost: x\r\nOrigin: http://localhost:5173\r\n\
                Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"appKey\":";
    s.write_all(head.as_bytes()).await.unwrap();
    let answer = String::from_utf8_lossy(&until_closed(&mut s).await).to_string();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("bad_request"), "{answer}");
}

/// Opens a visitor socket and returns its first message: `hello` (open) or
/// a close frame.
async fn open_socket(server: &Server, token: &str) -> (Ws, Message) {
    let mut ws = visitor_ws(server, token).await;
    let first = tokio::time::timeout(WAIT, ws.next()).await.expect("a first message").expect("open").expect("ok");
    (ws, first)
}

fn close_code(msg: &Message) -> Option<(u16, String)> {
    match msg {
        Message::Close(Some(f)) => Some((u16::from(f.code), f.reason.to_string())),
        _ => None,
    }
}

#[tokio::test]
async fn sockets_are_capped_per_token_and_per_address() {
    let (_dir, server) = server_with_limits();
    let (a, _) = server.handshake("v_a");
    let (a1, first) = open_socket(&server, &a).await;
    assert!(first.to_text().unwrap().contains("hello"));
    let (_a2, first) = open_socket(&server, &a).await;
    assert!(first.to_text().unwrap().contains("hello"));
    // A third socket on the same token is closed with 4030 and a reason.
    let (_, first) = open_socket(&server, &a).await;
    let (code, reason) = close_code(&first).expect("closed");
    assert_eq!(code, natter::protocol::CLOSE_TOO_MANY_SOCKETS);
    assert!(reason.contains("too many sockets"), "{reason}");
    // Another token from the same address gets the last place of the address.
    let (b, _) = server.handshake("v_b");
    let (_b1, first) = open_socket(&server, &b).await;
    assert!(first.to_text().unwrap().contains("hello"));
    let (c, _) = server.handshake("v_c");
    let (_, first) = open_socket(&server, &c).await;
    assert_eq!(close_code(&first).map(|c| c.0), Some(4030));
    // Places come back when sockets close.
    drop(a1);
    let deadline = Instant::now() + WAIT;
    loop {
        let (_c1, first) = open_socket(&server, &c).await;
        if first.to_text().is_ok_and(|t| t.contains("hello")) {
            break;
        }
        assert!(Instant::now() < deadline, "the closed socket's place never came back");
    }
    // Refused sockets still count nothing: REST works for every token.
    assert_eq!(server.send(&c, "m1", "hi").status, 201);
}
