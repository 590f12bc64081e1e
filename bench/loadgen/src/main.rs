//! Load generator for `natter-server` capacity benchmarks (run by `npm run bench`).
//!
//! Two modes, both loopback only, bounded in count and time, printing one JSON
//! object on stdout:
//!
//!   idle   --addr 127.0.0.1:PORT --count N [--concurrency C] [--hold-secs S]
//!          N visitors each handshake (REST) and open the visitor WebSocket,
//!          then hold it for S seconds; reports how many are open, the server's
//!          VmRSS before and after (--server-pid) and the connect latencies.
//!   active --addr 127.0.0.1:PORT --count N [--rate R] [--duration-secs S]
//!          N visitors connect as above, then each sends R messages per second
//!          (REST `POST /api/v1/cs/conversations`, keep-alive) for S seconds,
//!          spread evenly over the second; reports acknowledgement latency
//!          (from the scheduled send time, and from the write), errors, and the
//!          echo bot's replies seen on each visitor's socket.
//!
//! The HTTP/1.1 client is a few lines over a TcpStream: requests are tiny and
//! always keep-alive, and it keeps the dependency set to tokio + tungstenite.

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

#[derive(Clone, Debug)]
struct Args {
    mode: String,
    addr: SocketAddr,
    app_key: String,
    count: usize,
    concurrency: usize,
    hold_secs: u64,
    duration_secs: u64,
    rate: f64,
    timeout_secs: u64,
    request_timeout_ms: u64,
    server_pid: Option<u32>,
    run_id: String,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mode = it.next().ok_or("usage: natter-loadgen idle|active --addr 127.0.0.1:PORT [options]")?;
    if mode != "idle" && mode != "active" {
        return Err(format!("unknown mode {mode}"));
    }
    let mut a = Args {
        mode,
        addr: "127.0.0.1:8787".parse().unwrap(),
        app_key: "sk_bench".into(),
        count: 1000,
        concurrency: 64,
        hold_secs: 10,
        duration_secs: 30,
        rate: 1.0,
        timeout_secs: 240,
        request_timeout_ms: 5000,
        server_pid: None,
        run_id: format!(
            "{:x}",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
        ),
    };
    while let Some(flag) = it.next() {
        let mut v = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |s: String| s.parse::<u64>().map_err(|_| format!("not a number: {s}"));
        match flag.as_str() {
            "--addr" => a.addr = v()?.parse().map_err(|e| format!("--addr: {e}"))?,
            "--app-key" => a.app_key = v()?,
            "--count" => a.count = num(v()?)? as usize,
            "--concurrency" => a.concurrency = num(v()?)?.max(1) as usize,
            "--hold-secs" => a.hold_secs = num(v()?)?,
            "--duration-secs" => a.duration_secs = num(v()?)?,
            "--rate" => a.rate = v()?.parse().map_err(|_| "--rate: not a number".to_string())?,
            "--timeout-secs" => a.timeout_secs = num(v()?)?,
            "--request-timeout-ms" => a.request_timeout_ms = num(v()?)?,
            "--server-pid" => a.server_pid = Some(num(v()?)? as u32),
            "--run-id" => a.run_id = v()?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    // Traffic only to this machine.
    if !a.addr.ip().is_loopback() {
        return Err(format!("--addr must be a loopback address, got {}", a.addr));
    }
    if a.count > 20_000
        || a.duration_secs > 300
        || a.hold_secs > 300
        || a.timeout_secs > 900
        || a.rate > 20.0
        || a.rate <= 0.0
    {
        return Err("refusing: count ≤ 20000, durations ≤ 300 s, timeout ≤ 900 s, 0 < rate ≤ 20".into());
    }
    Ok(a)
}

// ---------------------------------------------------------------------------
// A minimal keep-alive HTTP/1.1 client.

struct Http {
    conn: BufReader<TcpStream>,
    host: String,
}

impl Http {
    async fn connect(addr: SocketAddr) -> io::Result<Http> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Http { conn: BufReader::new(stream), host: addr.to_string() })
    }

    /// POSTs a JSON body; returns the status and the body.
    async fn post(&mut self, path: &str, bearer: Option<&str>, body: &str) -> io::Result<(u16, Vec<u8>)> {
        let mut req = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nOrigin: http://{host}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n",
            host = self.host,
            len = body.len()
        );
        if let Some(token) = bearer {
            req.push_str("Authorization: Bearer ");
            req.push_str(token);
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        req.push_str(body);
        self.conn.get_mut().write_all(req.as_bytes()).await?;

        let mut line = String::new();
        if self.conn.read_line(&mut line).await? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed"));
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("bad status line {line:?}")))?;
        let (mut length, mut chunked) = (None, false);
        loop {
            line.clear();
            if self.conn.read_line(&mut line).await? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed in headers"));
            }
            if line == "\r\n" {
                break;
            }
            let lower = line.to_ascii_lowercase();
            if let Some(v) = lower.strip_prefix("content-length:") {
                length = v.trim().parse::<usize>().ok();
            } else if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
                chunked = true;
            }
        }
        let mut out = Vec::new();
        if let Some(n) = length {
            out.resize(n, 0);
            self.conn.read_exact(&mut out).await?;
        } else if chunked {
            loop {
                line.clear();
                self.conn.read_line(&mut line).await?;
                let size = usize::from_str_radix(line.trim(), 16)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
                let mut chunk = vec![0; size + 2];
                self.conn.read_exact(&mut chunk).await?;
                if size == 0 {
                    break;
                }
                out.extend_from_slice(&chunk[..size]);
            }
        }
        Ok((status, out))
    }
}

// ---------------------------------------------------------------------------

/// Error kinds, counted by name.
#[derive(Default)]
struct Errors(Mutex<BTreeMap<String, u64>>);

impl Errors {
    fn add(&self, kind: impl Into<String>) {
        *self.0.lock().unwrap().entry(kind.into()).or_default() += 1;
    }
    fn json(&self) -> Value {
        json!(self.0.lock().unwrap().clone())
    }
    fn total(&self) -> u64 {
        self.0.lock().unwrap().values().sum()
    }
}

fn io_kind(e: &io::Error) -> String {
    format!("io:{:?}", e.kind())
}

/// Handshakes a visitor on `http`; returns its token.
async fn handshake(http: &mut Http, args: &Args, i: usize) -> Result<String, String> {
    let body = json!({"appKey": args.app_key, "visitorId": format!("v_bench-{}-{i}", args.run_id)}).to_string();
    let (status, bytes) =
        http.post("/api/v1/cs/handshake", None, &body).await.map_err(|e| format!("handshake {}", io_kind(&e)))?;
    if status != 200 {
        return Err(format!("handshake http {status}"));
    }
    let v: Value = serde_json::from_slice(&bytes).map_err(|_| "handshake bad json".to_string())?;
    v["token"].as_str().map(str::to_string).ok_or_else(|| "handshake no token".to_string())
}

async fn open_socket(args: &Args, token: &str) -> Result<Ws, String> {
    let mut req = format!("ws://{}/ws", args.addr).into_client_request().map_err(|e| format!("ws request {e}"))?;
    let h = req.headers_mut();
    h.insert("sec-websocket-protocol", HeaderValue::from_str(&format!("natter.v1, jwt.{token}")).unwrap());
    h.insert("origin", HeaderValue::from_str(&format!("http://{}", args.addr)).unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(req).await.map_err(|e| match e {
        tokio_tungstenite::tungstenite::Error::Http(r) => format!("ws upgrade http {}", r.status().as_u16()),
        tokio_tungstenite::tungstenite::Error::Io(e) => format!("ws {}", io_kind(&e)),
        other => format!("ws {}", other.to_string().chars().take(40).collect::<String>()),
    })?;
    Ok(ws)
}

/// Resident memory of a process in KiB (VmRSS in /proc/<pid>/status).
fn vm_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU time of a process, in clock ticks (/proc/<pid>/stat).
fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

fn percentiles(mut us: Vec<u64>) -> Value {
    if us.is_empty() {
        return json!({"n": 0});
    }
    us.sort_unstable();
    let p = |q: f64| us[((us.len() as f64 * q).ceil() as usize).saturating_sub(1).min(us.len() - 1)] as f64 / 1000.0;
    let mean = us.iter().sum::<u64>() as f64 / us.len() as f64 / 1000.0;
    json!({"n": us.len(), "p50Ms": p(0.5), "p90Ms": p(0.9), "p99Ms": p(0.99), "maxMs": p(1.0), "meanMs": (mean * 1000.0).round() / 1000.0})
}

// ---------------------------------------------------------------------------
// Idle: hold N sockets.

async fn idle(args: Args) -> Value {
    let errors = Arc::new(Errors::default());
    let hellos = Arc::new(AtomicU64::new(0));
    let closed = Arc::new(AtomicU64::new(0));
    let connect_us = Arc::new(Mutex::new(Vec::with_capacity(args.count)));
    let rss_before = args.server_pid.and_then(vm_rss_kib);
    let cpu_before = args.server_pid.and_then(|p| cpu_ticks(&p.to_string()));
    let (stop_tx, stop_rx) = watch::channel(false);
    let started = Instant::now();

    let mut workers = Vec::new();
    for w in 0..args.concurrency.min(args.count) {
        let (args, errors, hellos, closed, connect_us, stop_rx) =
            (args.clone(), errors.clone(), hellos.clone(), closed.clone(), connect_us.clone(), stop_rx.clone());
        workers.push(tokio::spawn(async move {
            let mut http: Option<Http> = None;
            let mut i = w;
            while i < args.count {
                let t0 = Instant::now();
                if http.is_none() {
                    match Http::connect(args.addr).await {
                        Ok(h) => http = Some(h),
                        Err(e) => {
                            errors.add(format!("connect {}", io_kind(&e)));
                            i += args.concurrency;
                            continue;
                        }
                    }
                }
                let token = match handshake(http.as_mut().unwrap(), &args, i).await {
                    Ok(t) => t,
                    Err(e) => {
                        errors.add(e);
                        http = None;
                        i += args.concurrency;
                        continue;
                    }
                };
                match open_socket(&args, &token).await {
                    Ok(ws) => {
                        connect_us.lock().unwrap().push(t0.elapsed().as_micros() as u64);
                        let (hellos, closed, mut stop_rx) = (hellos.clone(), closed.clone(), stop_rx.clone());
                        tokio::spawn(async move {
                            let (_sink, mut stream) = ws.split();
                            loop {
                                tokio::select! {
                                    frame = stream.next() => match frame {
                                        Some(Ok(Message::Text(t))) => {
                                            if t.as_str().contains("\"type\":\"hello\"") {
                                                hellos.fetch_add(1, Ordering::Relaxed);
                                            }
                                        }
                                        Some(Ok(_)) => {}
                                        _ => {
                                            closed.fetch_add(1, Ordering::Relaxed);
                                            return;
                                        }
                                    },
                                    _ = stop_rx.changed() => return,
                                }
                            }
                        });
                    }
                    Err(e) => errors.add(e),
                }
                i += args.concurrency;
            }
        }));
    }
    for w in workers {
        let _ = w.await;
    }
    let opened = connect_us.lock().unwrap().len();
    let connect_secs = started.elapsed().as_secs_f64();
    // Let the server settle (hello frames sent, buffers released), then hold.
    let hello_deadline = Instant::now() + Duration::from_secs(10);
    while (hellos.load(Ordering::Relaxed) as usize) < opened - closed.load(Ordering::Relaxed) as usize
        && Instant::now() < hello_deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let rss_open = args.server_pid.and_then(vm_rss_kib);
    tokio::time::sleep(Duration::from_secs(args.hold_secs)).await;
    let rss_held = args.server_pid.and_then(vm_rss_kib);
    let still_open = opened as u64 - closed.load(Ordering::Relaxed);
    let cpu_after = args.server_pid.and_then(|p| cpu_ticks(&p.to_string()));
    let _ = stop_tx.send(true);
    let per_conn = match (rss_before, rss_held) {
        (Some(b), Some(a)) if still_open > 0 => Some(((a as f64 - b as f64) * 1024.0 / still_open as f64).round()),
        _ => None,
    };
    json!({
        "mode": "idle",
        "requested": args.count,
        "opened": opened,
        "stillOpenAfterHold": still_open,
        "helloFrames": hellos.load(Ordering::Relaxed),
        "holdSecs": args.hold_secs,
        "connectAllSecs": (connect_secs * 100.0).round() / 100.0,
        "connectLatency": percentiles(connect_us.lock().unwrap().clone()),
        "errors": errors.json(),
        "serverRssKiB": {"before": rss_before, "allOpen": rss_open, "afterHold": rss_held},
        "serverBytesPerConnection": per_conn,
        "serverCpuSecs": cpu_before.zip(cpu_after).map(|(b, a)| (a - b) as f64 / 100.0),
    })
}

// ---------------------------------------------------------------------------
// Active: N visitors, each R messages per second.

struct Visitor {
    http: Http,
    token: String,
    ws: Ws,
}

async fn active(args: Args) -> Value {
    let errors = Arc::new(Errors::default());
    // Set up every visitor first (handshake + socket), `concurrency` at a time.
    let setup_started = Instant::now();
    let mut visitors: Vec<Option<Visitor>> = Vec::new();
    {
        let slots: Arc<Mutex<Vec<Option<Visitor>>>> = Arc::new(Mutex::new((0..args.count).map(|_| None).collect()));
        let mut workers = Vec::new();
        for w in 0..args.concurrency.min(args.count) {
            let (args, errors, slots) = (args.clone(), errors.clone(), slots.clone());
            workers.push(tokio::spawn(async move {
                let mut i = w;
                while i < args.count {
                    let result = async {
                        let mut http =
                            Http::connect(args.addr).await.map_err(|e| format!("connect {}", io_kind(&e)))?;
                        let token = handshake(&mut http, &args, i).await?;
                        let ws = open_socket(&args, &token).await?;
                        Ok::<_, String>(Visitor { http, token, ws })
                    }
                    .await;
                    match result {
                        Ok(v) => slots.lock().unwrap()[i] = Some(v),
                        Err(e) => errors.add(format!("setup {e}")),
                    }
                    i += args.concurrency;
                }
            }));
        }
        for w in workers {
            let _ = w.await;
        }
        std::mem::swap(&mut visitors, &mut slots.lock().unwrap());
    }
    let setup_secs = setup_started.elapsed().as_secs_f64();
    let connected = visitors.iter().filter(|v| v.is_some()).count();

    let ack_sched = Arc::new(Mutex::new(Vec::new()));
    let ack_write = Arc::new(Mutex::new(Vec::new()));
    let echo_us = Arc::new(Mutex::new(Vec::new()));
    let own_frames = Arc::new(AtomicU64::new(0));
    let acked = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let planned = (args.duration_secs as f64 * args.rate).floor() as u64 * args.count as u64;
    let cpu_pid = args.server_pid.map(|p| p.to_string());
    let cpu_before = cpu_pid.as_deref().and_then(cpu_ticks);
    let self_before = cpu_ticks("self");
    let start = Instant::now() + Duration::from_millis(500);
    let end = start + Duration::from_secs(args.duration_secs);
    let period = Duration::from_secs_f64(1.0 / args.rate);
    let request_timeout = Duration::from_millis(args.request_timeout_ms);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut readers = Vec::new();
    let n = args.count;
    for (i, v) in visitors.into_iter().enumerate() {
        let Some(Visitor { mut http, token, ws }) = v else { continue };
        let sent_at: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
        // Reader: the visitor's own message and the bot's echo arrive as frames.
        {
            let (sent_at, echo_us, own_frames, errors, mut stop_rx) =
                (sent_at.clone(), echo_us.clone(), own_frames.clone(), errors.clone(), stop_rx.clone());
            let (_sink, mut stream) = ws.split();
            readers.push(tokio::spawn(async move {
                let _sink = _sink;
                loop {
                    tokio::select! {
                        frame = stream.next() => match frame {
                            Some(Ok(Message::Text(t))) => {
                                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                                if v["type"] != "message" { continue; }
                                let text = v["message"]["text"].as_str().unwrap_or("");
                                if v["message"]["from"] == "visitor" {
                                    own_frames.fetch_add(1, Ordering::Relaxed);
                                } else if let Some(k) = text.strip_prefix("Echo: load ").and_then(|r| r.rsplit(' ').next()).and_then(|k| k.parse::<u64>().ok()) {
                                    if let Some(t0) = sent_at.lock().unwrap().remove(&k) {
                                        echo_us.lock().unwrap().push(t0.elapsed().as_micros() as u64);
                                    }
                                }
                            }
                            Some(Ok(_)) => {}
                            _ => { errors.add("socket closed during run"); return; }
                        },
                        _ = stop_rx.changed() => return,
                    }
                }
            }));
        }
        let (ack_sched, ack_write, errors, acked, sent) =
            (ack_sched.clone(), ack_write.clone(), errors.clone(), acked.clone(), sent.clone());
        let args = args.clone();
        tasks.push(tokio::spawn(async move {
            let offset = period.mul_f64(i as f64 / n as f64);
            let mut k: u64 = 0;
            let (mut sched_v, mut write_v) = (Vec::new(), Vec::new());
            loop {
                let due = start + offset + period.mul_f64(k as f64);
                // Bounded in time: an overloaded server does not stretch the run;
                // sends that never started are counted as skipped.
                if due >= end || Instant::now() >= end {
                    break;
                }
                tokio::time::sleep_until(due.into()).await;
                let body = json!({"clientMsgId": format!("b{}-{i}-{k}", args.run_id), "text": format!("load {i} {k}")})
                    .to_string();
                let t_write = Instant::now();
                sent_at.lock().unwrap().insert(k, t_write);
                sent.fetch_add(1, Ordering::Relaxed);
                match tokio::time::timeout(request_timeout, http.post("/api/v1/cs/conversations", Some(&token), &body))
                    .await
                {
                    Ok(Ok((status, _))) if status == 200 || status == 201 => {
                        let now = Instant::now();
                        sched_v.push((now - due).as_micros() as u64);
                        write_v.push((now - t_write).as_micros() as u64);
                        acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(Ok((status, _))) => errors.add(format!("send http {status}")),
                    Ok(Err(e)) => {
                        errors.add(format!("send {}", io_kind(&e)));
                        match Http::connect(args.addr).await {
                            Ok(h) => http = h,
                            Err(_) => break,
                        }
                    }
                    Err(_) => {
                        errors.add("send timeout");
                        match Http::connect(args.addr).await {
                            Ok(h) => http = h,
                            Err(_) => break,
                        }
                    }
                }
                k += 1;
            }
            ack_sched.lock().unwrap().extend(sched_v);
            ack_write.lock().unwrap().extend(write_v);
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let sending_secs = (Instant::now() - start).as_secs_f64();
    let cpu_after = cpu_pid.as_deref().and_then(cpu_ticks);
    let self_after = cpu_ticks("self");
    // The last echoes: wait until they are in, at most 5 s.
    let drain = Instant::now() + Duration::from_secs(5);
    while (echo_us.lock().unwrap().len() as u64) < acked.load(Ordering::Relaxed) && Instant::now() < drain {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = stop_tx.send(true);
    for r in readers {
        let _ = r.await;
    }
    let echoes = echo_us.lock().unwrap().clone();
    let errors_total = errors.total();
    json!({
        "mode": "active",
        "visitors": args.count,
        "connected": connected,
        "setupSecs": (setup_secs * 100.0).round() / 100.0,
        "ratePerVisitor": args.rate,
        "durationSecs": args.duration_secs,
        "sendingSecs": (sending_secs * 100.0).round() / 100.0,
        "planned": planned,
        "sent": sent.load(Ordering::Relaxed),
        "skippedOverload": planned.saturating_sub(sent.load(Ordering::Relaxed)),
        "acked": acked.load(Ordering::Relaxed),
        "ackedPerSec": (acked.load(Ordering::Relaxed) as f64 / sending_secs).round(),
        "ackFromSchedule": percentiles(ack_sched.lock().unwrap().clone()),
        "ackFromWrite": percentiles(ack_write.lock().unwrap().clone()),
        "echoReceived": echoes.len(),
        "echoFromWrite": percentiles(echoes),
        "ownMessageFrames": own_frames.load(Ordering::Relaxed),
        "errors": errors.json(),
        "errorsTotal": errors_total,
        "serverCpuPercent": cpu_before.zip(cpu_after).map(|(b, a)| ((a - b) as f64 / sending_secs).round()),
        "loadgenCpuPercent": self_before.zip(self_after).map(|(b, a)| ((a - b) as f64 / sending_secs).round()),
    })
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("natter-loadgen: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let bound = Duration::from_secs(args.timeout_secs);
    let mode = args.mode.clone();
    let result = runtime.block_on(async move {
        let work = async move {
            if mode == "idle" {
                idle(args).await
            } else {
                active(args).await
            }
        };
        match tokio::time::timeout(bound, work).await {
            Ok(v) => v,
            Err(_) => json!({"timedOut": true, "timeoutSecs": bound.as_secs()}),
        }
    });
    println!("{result}");
    // Do not wait for thousands of sockets to close politely.
    runtime.shutdown_timeout(Duration::from_secs(2));
}
