//! The transport as a state machine without I/O: it is fed what happened
//! ([`Input`]) with the current time, says what to do ([`Output`]) and when
//! it next wants to be woken ([`Machine::next_deadline`]). The browser layer
//! (`session::Session`) performs the outputs with `fetch`, `WebSocket` and
//! one timer; tests drive it with a fake clock.
//!
//! What it guarantees:
//! - one handshake at a time, renewed at about 80 % of the token's life;
//!   a 401 causes one re-handshake and one retry, never a loop;
//! - the WebSocket reconnects with capped full-jitter backoff (reset only
//!   after it stayed up), waits while the browser is offline, and is
//!   declared dead when silent past the ping interval plus a grace period;
//! - when the socket cannot open, polling every 8 s takes over (and right
//!   after a send) until the socket opens again; a socket closed for too
//!   many sockets (4030) is tried again only after the longest backoff;
//! - the outbox sends messages one at a time, in order, until the server
//!   acknowledges each; permanent refusals fail that message only. While
//!   the browser is online, a message is attempted at once when written or
//!   when the one before it is answered, whatever the socket is doing: only
//!   a failed answer delays it (backoff, or the server's `Retry-After`);
//! - a message goes over the socket once it said `hello`, else by HTTP
//!   POST; a socket that closes (or stays silent past the ack timeout)
//!   before the ack takes the attempt with it, and the same message goes
//!   again at once by HTTP with the same client id (the server stores it
//!   once);
//! - after every (re)connect and every poll, messages are fetched from the
//!   last complete `since` cursor.

use super::backoff::{Backoff, Rng};
use crate::connection::Connection;

/// Timing settings; tests shorten nothing, they move the fake clock.
#[derive(Clone, Debug)]
pub struct Timing {
    pub poll_interval_ms: f64,
    pub ping_interval_ms: f64,
    /// Extra silence tolerated after a ping before the socket is dead.
    pub liveness_grace_ms: f64,
    /// A socket open this long resets the reconnect backoff.
    pub stable_ms: f64,
    /// A message sent on the socket unanswered this long: the socket is
    /// closed as dead and the message goes again by HTTP.
    pub ack_timeout_ms: f64,
    pub backoff: Backoff,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            poll_interval_ms: f64::from(crate::protocol::POLL_INTERVAL_MS),
            ping_interval_ms: f64::from(crate::protocol::PING_INTERVAL_SECS) * 1000.0,
            liveness_grace_ms: 10_000.0,
            stable_ms: 10_000.0,
            ack_timeout_ms: 10_000.0,
            backoff: Backoff::DEFAULT,
        }
    }
}

/// Why a request did not succeed.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// No HTTP answer at all (offline, DNS, refused, CORS).
    Network,
    Http {
        status: u16,
        code: Option<String>,
        /// The server's explanation, in the visitor's language.
        message: Option<String>,
        retry_after_ms: Option<f64>,
    },
}

impl Failure {
    fn status(&self) -> Option<u16> {
        match self {
            Failure::Http { status, .. } => Some(*status),
            Failure::Network => None,
        }
    }

    /// Worth retrying unchanged later: no answer, a server error, 429.
    fn is_transient(&self) -> bool {
        self.status().is_none_or(|s| s >= 500 || s == 429 || s == 408)
    }

    fn retry_after_ms(&self) -> Option<f64> {
        match self {
            Failure::Http { retry_after_ms, .. } => *retry_after_ms,
            Failure::Network => None,
        }
    }

    /// What to tell a person: the server's message, else the code.
    pub fn describe(&self) -> String {
        match self {
            Failure::Http { message: Some(message), .. } => message.clone(),
            _ => self.code(),
        }
    }

    /// The error code for the host page.
    pub fn code(&self) -> String {
        match self {
            Failure::Http { code: Some(code), .. } => code.clone(),
            Failure::Http { status, .. } => ["http_", &crate::digits::int((*status).into())].concat(),
            Failure::Network => "network".to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The browser's `online`/`offline` state (also given once at start).
    Online(bool),
    /// The timer asked for by `next_deadline` fired.
    Tick,
    /// Handshake again now (the profile changed); the socket stays and gets
    /// the new token with an `auth` frame.
    Renew,
    HandshakeOk {
        token: String,
        ttl_ms: f64,
        conversation_id: Option<i64>,
    },
    HandshakeFailed(Failure),
    SocketOpened,
    /// The socket closed (or failed to open) with this close code.
    SocketClosed {
        code: u16,
    },
    /// Any frame arrived: the socket is alive.
    Frame,
    /// The `hello` frame: the server is ready; catch up now. Pings follow
    /// the server's interval from then on (the default until one is given).
    Hello {
        conversation_id: Option<i64>,
        ping_interval_ms: Option<f64>,
    },
    /// A conversation was opened (first message) or learned from a message.
    Conversation(i64),
    /// The server dropped events for this socket: catch up.
    Resync,
    /// A page of messages arrived; `next_since` is its complete cursor.
    Fetched {
        next_since: i64,
        has_more: bool,
    },
    FetchFailed(Failure),
    /// `GET /conversations/current` answered.
    Current(Option<i64>),
    /// The visitor wrote a message (or retries a failed one).
    Enqueue {
        client_id: String,
        text: String,
    },
    /// The server stored the message (a POST's answer or the socket's
    /// `ack`). An answer about a message that is not being sent is ignored.
    Posted {
        client_id: String,
        conversation_id: i64,
    },
    PostFailed {
        client_id: String,
        failure: Failure,
    },
}

/// What to do. Requests use [`Machine::token`]; `Post` and `Send` send
/// [`Machine::sending`]: outputs carry no copies of either.
#[derive(Clone, Debug, PartialEq)]
pub enum Output {
    Handshake,
    OpenSocket,
    CloseSocket,
    /// `{"type":"ping"}`.
    Ping,
    /// `{"type":"auth","token":...}` on the open socket after renewal.
    Auth,
    FetchMessages {
        conversation_id: i64,
        since: i64,
    },
    FetchCurrent,
    /// `POST .../conversations` with the message.
    Post,
    /// `{"type":"message",...}` with the message, on the open socket.
    Send,
    /// The message was refused for good (shown with a retry control).
    Failed {
        client_id: String,
        failure: Failure,
    },
    Status(Connection),
    /// The session cannot go on (origin denied, unknown app key, token
    /// refused right after a fresh handshake...). Nothing is retried.
    Fatal(Failure),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub client_id: String,
    pub text: String,
}

/// A deadline that is not set: plain `f64`s are smaller code than `Option`s.
const NEVER: f64 = f64::INFINITY;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Socket {
    Closed,
    Connecting,
    Open { since: f64 },
}

pub struct Machine {
    timing: Timing,
    rng: Rng,
    online: bool,
    fatal: bool,
    /// Whether the last request got any HTTP answer.
    reachable: bool,
    status: Option<Connection>,

    /// The last token issued (a link session renews with it), and whether
    /// requests may still use it.
    token: Option<String>,
    token_valid: bool,
    handshaking: bool,
    handshake_attempts: u32,
    handshake_at: f64,
    renew_at: f64,
    /// 401s since the last request that succeeded with a token.
    unauthorized: u32,

    socket: Socket,
    /// The open socket said `hello`: messages go over it.
    ready: bool,
    /// The server closed a socket for holding too many: only polling until
    /// the longest backoff has passed, even if the browser comes back online.
    crowded: bool,
    socket_attempts: u32,
    socket_at: f64,
    last_frame_at: f64,
    ping_at: f64,

    polling: bool,
    poll_at: f64,
    conversation_id: Option<i64>,
    /// Every message up to here has been fetched (socket frames do not
    /// move it: a dropped frame must not hide a message).
    cursor: i64,
    fetching: bool,
    fetch_again: bool,
    /// A fetch failed for a passing reason: when to try it again. Owed
    /// whatever the socket does: an open socket does not bring back what
    /// the failed fetch was for.
    fetch_at: f64,
    fetch_attempts: u32,

    /// A few messages at most: a `Vec` is smaller code than a `VecDeque`.
    outbox: Vec<Outgoing>,
    posting: bool,
    post_attempts: u32,
    post_at: f64,
    /// The message in flight went over the socket: its ack is due by then.
    ack_at: f64,
}

impl Machine {
    pub fn new(timing: Timing, seed: u64) -> Self {
        Self {
            timing,
            rng: Rng::new(seed),
            online: true,
            fatal: false,
            reachable: true,
            status: None,
            token: None,
            token_valid: false,
            handshaking: false,
            handshake_attempts: 0,
            handshake_at: 0.0,
            renew_at: NEVER,
            unauthorized: 0,
            socket: Socket::Closed,
            ready: false,
            crowded: false,
            socket_attempts: 0,
            socket_at: NEVER,
            last_frame_at: 0.0,
            ping_at: NEVER,
            polling: false,
            poll_at: NEVER,
            conversation_id: None,
            cursor: 0,
            fetching: false,
            fetch_again: false,
            fetch_at: NEVER,
            fetch_attempts: 0,
            outbox: Vec::new(),
            posting: false,
            post_attempts: 0,
            post_at: NEVER,
            ack_at: NEVER,
        }
    }

    /// Messages not yet acknowledged, oldest first.
    pub fn outbox(&self) -> impl Iterator<Item = &Outgoing> {
        self.outbox.iter()
    }

    /// The message `Output::Post` or `Output::Send` asks to send.
    pub fn sending(&self) -> Option<&Outgoing> {
        self.outbox.first()
    }

    /// The last token the server issued.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    pub fn conversation_id(&self) -> Option<i64> {
        self.conversation_id
    }

    pub fn socket_open(&self) -> bool {
        matches!(self.socket, Socket::Open { .. })
    }

    /// When the machine next wants a `Tick`.
    pub fn next_deadline(&self) -> Option<f64> {
        if self.fatal || !self.online {
            return None;
        }
        // What waits for a handshake answer or a token is not due: a
        // deadline that passes with nothing to do would wake the timer
        // again at once, and again, until the answer.
        let mut next = if self.handshaking { NEVER } else { self.handshake_at }.min(self.renew_at);
        if self.token_valid {
            let liveness = match self.socket {
                Socket::Open { .. } => {
                    self.last_frame_at + self.timing.ping_interval_ms + self.timing.liveness_grace_ms
                }
                _ => NEVER,
            };
            next = [self.socket_at, self.ping_at, self.poll_at, self.post_at, self.fetch_at, self.ack_at]
                .into_iter()
                .fold(next.min(liveness), f64::min);
        }
        (next != NEVER).then_some(next)
    }

    pub fn handle(&mut self, now: f64, input: Input) -> Vec<Output> {
        let mut out = Vec::new();
        if !self.fatal {
            self.step(now, input, &mut out);
            self.drive(now, &mut out);
        }
        let status = self.derive_status();
        if self.status != Some(status) {
            self.status = Some(status);
            out.push(Output::Status(status));
        }
        out
    }

    fn step(&mut self, now: f64, input: Input, out: &mut Vec<Output>) {
        match input {
            Input::Online(online) => {
                self.online = online;
                if online && self.ack_at != NEVER {
                    // A frame sent before the browser went offline may be
                    // lost on a socket that looks open: the message goes
                    // again by HTTP now, and a new socket opens.
                    out.push(Output::CloseSocket);
                    self.step(now, Input::SocketClosed { code: 1006 }, out);
                }
                if online {
                    // Come back at once rather than after a long backoff.
                    self.socket_attempts = 0;
                    self.handshake_attempts = 0;
                    if !self.token_valid && !self.handshaking {
                        self.handshake_at = now;
                    } else if self.socket == Socket::Closed && !self.crowded {
                        self.socket_at = now;
                    }
                    if self.post_at != NEVER {
                        self.post_at = now;
                    }
                    if self.fetch_at != NEVER {
                        self.fetch_at = now;
                    }
                    if self.polling {
                        self.poll_at = now;
                    }
                }
            }
            Input::Tick => {}
            Input::Renew => {
                self.renew_at = NEVER;
                self.handshake_at = now;
            }
            Input::HandshakeOk { token, ttl_ms, conversation_id } => {
                self.handshaking = false;
                self.reachable = true;
                self.handshake_attempts = 0;
                // Renew at 80 % of the lifetime, ±10 % so tabs spread out.
                self.renew_at = now + ttl_ms * (0.7 + 0.2 * self.rng.unit());
                if let Some(id) = conversation_id {
                    self.learn_conversation(id);
                }
                let renewal = self.token_valid;
                self.token = Some(token);
                self.token_valid = true;
                match self.socket {
                    Socket::Open { .. } if renewal => out.push(Output::Auth),
                    Socket::Closed if self.socket_at == NEVER => self.socket_at = now,
                    _ => {}
                }
                // Catch up with what happened while we had no session.
                self.request_fetch();
            }
            Input::HandshakeFailed(failure) => {
                self.handshaking = false;
                self.reachable = failure != Failure::Network;
                if failure.is_transient() {
                    self.handshake_at = self.timing.backoff.retry_at(
                        now,
                        failure.retry_after_ms(),
                        &mut self.handshake_attempts,
                        &mut self.rng,
                    );
                } else {
                    self.stop(failure, out);
                }
            }
            Input::SocketOpened => {
                self.socket = Socket::Open { since: now };
                self.ready = false;
                self.crowded = false;
                self.last_frame_at = now;
                self.ping_at = now + self.timing.ping_interval_ms;
                self.reachable = true;
                self.polling = false;
                self.poll_at = NEVER;
            }
            Input::SocketClosed { code } => {
                let was = std::mem::replace(&mut self.socket, Socket::Closed);
                self.ping_at = NEVER;
                self.ready = false;
                if self.ack_at != NEVER {
                    // The message sent on it may be stored or not: it goes
                    // again at once, the server keeps one.
                    self.ack_at = NEVER;
                    self.posting = false;
                }
                match was {
                    Socket::Open { since } if now - since >= self.timing.stable_ms => self.socket_attempts = 0,
                    // Never opened: blocked, refused or disabled. Poll meanwhile.
                    Socket::Connecting => self.start_polling(now),
                    _ => {}
                }
                if code == crate::protocol::CLOSE_TOKEN_EXPIRED {
                    self.token_valid = false;
                    self.handshake_at = now;
                } else if code == crate::protocol::CLOSE_TOO_MANY_SOCKETS {
                    // Other tabs (or others behind the same address) hold
                    // the sockets allowed: a retry at once would be refused
                    // again, by every tab.
                    self.crowded = true;
                    self.start_polling(now);
                    self.socket_at = now + self.timing.backoff.cap_ms;
                } else {
                    self.schedule_socket(now);
                }
                if matches!(was, Socket::Open { .. }) {
                    // Whatever arrived while the socket went down is fetched.
                    self.request_fetch();
                }
            }
            Input::Frame => self.last_frame_at = now,
            Input::Hello { conversation_id, ping_interval_ms } => {
                self.ready = self.socket_open();
                if let Some(id) = conversation_id {
                    self.learn_conversation(id);
                }
                if let Some(interval) = ping_interval_ms {
                    self.timing.ping_interval_ms = interval;
                    if self.socket_open() {
                        self.ping_at = now + interval;
                    }
                }
                self.request_fetch();
            }
            Input::Conversation(id) => self.learn_conversation(id),
            Input::Resync => self.request_fetch(),
            Input::Fetched { next_since, has_more } => {
                self.fetching = false;
                self.fetch_attempts = 0;
                self.authorized();
                self.cursor = self.cursor.max(next_since);
                if has_more {
                    self.fetch_again = true;
                }
            }
            Input::FetchFailed(failure) => {
                self.fetching = false;
                self.reachable = failure != Failure::Network;
                match failure.status() {
                    Some(401) => self.unauthorized_again(now, failure, out),
                    // The conversation went away (closed, another visitor):
                    // start over with the current one.
                    Some(403 | 404) => {
                        self.conversation_id = None;
                        self.cursor = 0;
                    }
                    _ if failure.is_transient() => {
                        self.fetch_at = self.timing.backoff.retry_at(
                            now,
                            failure.retry_after_ms(),
                            &mut self.fetch_attempts,
                            &mut self.rng,
                        );
                    }
                    _ => {}
                }
            }
            Input::Current(id) => {
                self.fetching = false;
                self.authorized();
                if let Some(id) = id {
                    self.learn_conversation(id);
                    self.fetch_again = true;
                }
            }
            Input::Enqueue { client_id, text } => {
                if !self.outbox.iter().any(|o| o.client_id == client_id) {
                    self.outbox.push(Outgoing { client_id, text });
                }
            }
            Input::Posted { client_id, .. } | Input::PostFailed { client_id, .. } if !self.is_sending(&client_id) => {}
            Input::Posted { client_id, conversation_id } => {
                self.posting = false;
                self.ack_at = NEVER;
                self.authorized();
                self.reachable = true;
                self.post_attempts = 0;
                self.post_at = NEVER;
                self.settle(&client_id);
                self.learn_conversation(conversation_id);
                // A bot may answer within a second: do not wait a whole period.
                if self.polling {
                    self.poll_at = now + 1000.0;
                }
            }
            Input::PostFailed { client_id, failure } => {
                self.posting = false;
                self.ack_at = NEVER;
                self.reachable = failure != Failure::Network;
                if failure.status() == Some(401) {
                    self.unauthorized_again(now, failure, out);
                } else if failure.is_transient() {
                    self.post_at = self.timing.backoff.retry_at(
                        now,
                        failure.retry_after_ms(),
                        &mut self.post_attempts,
                        &mut self.rng,
                    );
                } else if self.settle(&client_id) {
                    self.post_attempts = 0;
                    out.push(Output::Failed { client_id, failure });
                }
            }
        }
    }

    /// Starts whatever is due.
    fn drive(&mut self, now: f64, out: &mut Vec<Output>) {
        if !self.online || self.fatal {
            return;
        }
        if self.renew_at <= now {
            self.renew_at = NEVER;
            self.handshake_at = now;
        }
        if self.handshake_at <= now && !self.handshaking {
            self.handshake_at = NEVER;
            self.handshaking = true;
            out.push(Output::Handshake);
        }
        if !self.token_valid {
            return;
        }
        if let Socket::Open { .. } = self.socket {
            if now >= self.last_frame_at + self.timing.ping_interval_ms + self.timing.liveness_grace_ms {
                // Silent too long: the connection is dead even if the
                // browser has not noticed.
                out.push(Output::CloseSocket);
                self.step(now, Input::SocketClosed { code: 1006 }, out);
            } else if self.ack_at <= now {
                // A message unanswered: the socket is as good as dead.
                out.push(Output::CloseSocket);
                self.step(now, Input::SocketClosed { code: 1006 }, out);
            } else if self.ping_at <= now {
                self.ping_at = now + self.timing.ping_interval_ms;
                out.push(Output::Ping);
            }
        }
        if self.socket_at <= now && self.socket == Socket::Closed {
            self.socket_at = NEVER;
            self.socket = Socket::Connecting;
            out.push(Output::OpenSocket);
        }
        if self.poll_at <= now && self.polling {
            self.poll_at = now + self.timing.poll_interval_ms;
            self.fetch_again = true;
        }
        if self.fetch_at <= now {
            self.fetch_at = NEVER;
            self.fetch_again = true;
        }
        if self.fetch_again && !self.fetching {
            self.fetch_again = false;
            match self.conversation_id {
                Some(conversation_id) => {
                    self.fetching = true;
                    out.push(Output::FetchMessages { conversation_id, since: self.cursor });
                }
                // Without a socket, a conversation opened in another tab is
                // only learned by asking.
                None if self.polling => {
                    self.fetching = true;
                    out.push(Output::FetchCurrent);
                }
                None => {}
            }
        }
        if !self.posting && (self.post_at == NEVER || self.post_at <= now) && !self.outbox.is_empty() {
            self.posting = true;
            self.post_at = NEVER;
            if self.ready {
                self.ack_at = now + self.timing.ack_timeout_ms;
                out.push(Output::Send);
            } else {
                out.push(Output::Post);
            }
        }
    }

    /// Whether `client_id` is the message in flight.
    fn is_sending(&self, client_id: &str) -> bool {
        self.posting && self.outbox.first().is_some_and(|o| o.client_id == client_id)
    }

    /// Removes the message being sent if it is `client_id`; says whether it was.
    fn settle(&mut self, client_id: &str) -> bool {
        let sending = self.outbox.first().is_some_and(|o| o.client_id == client_id);
        if sending {
            self.outbox.remove(0);
        }
        sending
    }

    fn request_fetch(&mut self) {
        self.fetch_again = true;
    }

    fn learn_conversation(&mut self, id: i64) {
        if self.conversation_id != Some(id) {
            self.conversation_id = Some(id);
            self.cursor = 0;
            self.fetch_again = true;
        }
    }

    fn start_polling(&mut self, now: f64) {
        if !self.polling {
            self.polling = true;
            self.poll_at = now;
        }
    }

    fn schedule_socket(&mut self, now: f64) {
        self.socket_at = self.timing.backoff.retry_at(now, None, &mut self.socket_attempts, &mut self.rng);
    }

    fn authorized(&mut self) {
        self.unauthorized = 0;
    }

    /// A request was refused as unauthorized: handshake once and retry; a
    /// second refusal right after a fresh token stops the session.
    fn unauthorized_again(&mut self, now: f64, failure: Failure, out: &mut Vec<Output>) {
        self.unauthorized += 1;
        if self.unauthorized > 1 {
            self.stop(failure, out);
            return;
        }
        self.token_valid = false;
        self.renew_at = NEVER;
        self.handshake_at = now;
        self.fetch_again = true;
    }

    fn stop(&mut self, failure: Failure, out: &mut Vec<Output>) {
        self.fatal = true;
        self.polling = false;
        if self.socket != Socket::Closed {
            self.socket = Socket::Closed;
            out.push(Output::CloseSocket);
        }
        out.push(Output::Fatal(failure));
    }

    fn derive_status(&self) -> Connection {
        if self.fatal || !self.online || !self.reachable {
            Connection::Offline
        } else if self.socket_open() {
            Connection::Online
        } else if self.polling {
            Connection::Polling
        } else {
            Connection::Connecting
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TTL: f64 = 1_800_000.0;

    /// A machine on a fake clock, with the outputs of each step.
    struct Rig {
        m: Machine,
        now: f64,
        steps: u32,
    }

    impl Rig {
        fn new() -> Self {
            Self { m: Machine::new(Timing::default(), 7), now: 0.0, steps: 0 }
        }
        fn feed(&mut self, input: Input) -> Vec<Output> {
            self.m.handle(self.now, input)
        }
        /// Moves the clock to the next deadline and ticks.
        fn advance(&mut self) -> Vec<Output> {
            // A test loop that never reaches its condition fails instead of hanging.
            self.steps += 1;
            assert!(self.steps < 1000, "no progress after 1000 steps (now {})", self.now);
            let at = self.m.next_deadline().expect("a deadline");
            assert!(at >= self.now, "deadline in the past");
            self.now = at;
            self.feed(Input::Tick)
        }
        fn advance_by(&mut self, ms: f64) -> Vec<Output> {
            self.now += ms;
            self.feed(Input::Tick)
        }
        /// What a `Post` or `Send` in `out` sends: token, client id, text.
        fn post<'a>(&'a self, out: &[Output]) -> Option<(&'a str, &'a str, &'a str)> {
            let next = self.m.sending().filter(|_| has(out, sends))?;
            Some((self.m.token()?, &next.client_id, &next.text))
        }
        /// Advances the clock, answering every request like a server
        /// would (sockets refused while `blocked`), until `stop` says so.
        /// Returns the time it stopped at.
        fn run_until(&mut self, blocked: bool, mut stop: impl FnMut(&Output) -> bool) -> f64 {
            let mut pending = self.advance();
            loop {
                let mut next = Vec::new();
                for output in pending {
                    if stop(&output) {
                        return self.now;
                    }
                    next.extend(match output {
                        Output::FetchMessages { since, .. } => {
                            self.feed(Input::Fetched { next_since: since, has_more: false })
                        }
                        Output::FetchCurrent => self.feed(Input::Current(None)),
                        Output::OpenSocket if blocked => self.feed(Input::SocketClosed { code: 1006 }),
                        Output::OpenSocket => self.feed(Input::SocketOpened),
                        Output::Ping => self.feed(Input::Frame),
                        _ => Vec::new(),
                    });
                }
                pending = if next.is_empty() { self.advance() } else { next };
            }
        }
        /// Start, handshake OK, socket open, hello: the steady state.
        fn connected(conversation: Option<i64>) -> Self {
            let mut rig = Self::new();
            assert!(rig.feed(Input::Online(true)).contains(&Output::Handshake));
            let out = rig.feed(Input::HandshakeOk { token: "t1".into(), ttl_ms: TTL, conversation_id: conversation });
            assert!(out.contains(&Output::OpenSocket), "{out:?}");
            assert_eq!(rig.m.token(), Some("t1"));
            rig.feed(Input::SocketOpened);
            rig.feed(Input::Hello { conversation_id: conversation, ping_interval_ms: None });
            rig
        }
    }

    fn has(out: &[Output], f: impl Fn(&Output) -> bool) -> bool {
        out.iter().any(f)
    }
    /// A message goes out, by HTTP or on the socket.
    fn sends(o: &Output) -> bool {
        matches!(o, Output::Post | Output::Send)
    }
    fn http(status: u16) -> Failure {
        Failure::Http { status, code: None, message: None, retry_after_ms: None }
    }

    #[test]
    fn connects_and_reports_states() {
        let mut rig = Rig::new();
        let out = rig.feed(Input::Online(true));
        assert_eq!(out, vec![Output::Handshake, Output::Status(Connection::Connecting)]);
        rig.feed(Input::HandshakeOk { token: "t".into(), ttl_ms: TTL, conversation_id: Some(3) });
        let out = rig.feed(Input::SocketOpened);
        assert!(out.contains(&Output::Status(Connection::Online)));
    }

    #[test]
    fn history_is_fetched_after_handshake_and_paged() {
        let mut rig = Rig::new();
        rig.feed(Input::Online(true));
        let out = rig.feed(Input::HandshakeOk { token: "t".into(), ttl_ms: TTL, conversation_id: Some(3) });
        assert!(out.contains(&Output::FetchMessages { conversation_id: 3, since: 0 }));
        let out = rig.feed(Input::Fetched { next_since: 50, has_more: true });
        assert!(out.contains(&Output::FetchMessages { conversation_id: 3, since: 50 }));
        let out = rig.feed(Input::Fetched { next_since: 60, has_more: false });
        assert!(!has(&out, |o| matches!(o, Output::FetchMessages { .. })));
    }

    #[test]
    fn socket_reconnects_with_jittered_backoff_reset_only_after_stable() {
        let mut rig = Rig::connected(Some(1));
        let mut delays = Vec::new();
        for _ in 0..6 {
            rig.feed(Input::SocketClosed { code: 1006 });
            let closed_at = rig.now;
            let out = rig.advance();
            assert!(has(&out, |o| *o == Output::OpenSocket), "{out:?}");
            delays.push(rig.now - closed_at);
            rig.feed(Input::SocketOpened);
        }
        for (attempt, delay) in delays.iter().enumerate() {
            assert!(*delay < Timing::default().backoff.ceiling(attempt as u32), "attempt {attempt}: {delay}");
        }
        // Short-lived connections keep growing the ceiling; a stable one resets it.
        rig.advance_by(10_000.0);
        rig.feed(Input::SocketClosed { code: 1006 });
        let closed_at = rig.now;
        rig.advance();
        assert!(rig.now - closed_at < 1000.0);
    }

    #[test]
    fn blocked_socket_falls_back_to_polling_every_8_s_and_back() {
        let mut rig = Rig::new();
        rig.feed(Input::Online(true));
        rig.feed(Input::HandshakeOk { token: "t".into(), ttl_ms: TTL, conversation_id: Some(9) });
        rig.feed(Input::Fetched { next_since: 4, has_more: false });
        // The upgrade is refused: closed before it ever opened.
        let out = rig.feed(Input::SocketClosed { code: 1006 });
        assert!(out.contains(&Output::Status(Connection::Polling)));
        assert!(has(&out, |o| matches!(o, Output::FetchMessages { since: 4, .. })), "first poll at once: {out:?}");
        rig.feed(Input::Fetched { next_since: 4, has_more: false });
        // Next polls come every 8 s while socket retries go on in between.
        let polls: Vec<f64> = (0..3)
            .map(|_| {
                let at = rig.run_until(true, |o| matches!(o, Output::FetchMessages { .. }));
                rig.feed(Input::Fetched { next_since: 4, has_more: false });
                at
            })
            .collect();
        assert_eq!(polls, vec![8000.0, 16000.0, 24000.0]);
        // Once the socket opens, polling stops.
        rig.run_until(false, |o| *o == Output::Status(Connection::Online));
        let opened = rig.now;
        let later = rig.run_until(false, |o| matches!(o, Output::FetchMessages { .. } | Output::Handshake));
        assert!(later - opened > 8000.0 * 10.0, "no fetch for a long time after the socket opened");
    }

    #[test]
    fn polling_fetches_soon_after_a_send() {
        let mut rig = Rig::new();
        rig.feed(Input::Online(true));
        rig.feed(Input::HandshakeOk { token: "t".into(), ttl_ms: TTL, conversation_id: Some(5) });
        rig.feed(Input::Fetched { next_since: 0, has_more: false });
        rig.feed(Input::SocketClosed { code: 1006 });
        rig.feed(Input::Fetched { next_since: 0, has_more: false });
        rig.now += 3000.0;
        rig.feed(Input::Enqueue { client_id: "c1".into(), text: "hi".into() });
        rig.feed(Input::Posted { client_id: "c1".into(), conversation_id: 5 });
        let sent_at = rig.now;
        let fetched_at = rig.run_until(true, |o| matches!(o, Output::FetchMessages { .. }));
        assert_eq!(fetched_at - sent_at, 1000.0);
    }

    #[test]
    fn outbox_posts_in_order_one_at_a_time_and_dedupes() {
        let mut rig = Rig::connected(None);
        let out = rig.feed(Input::Enqueue { client_id: "a".into(), text: "1".into() });
        assert_eq!(rig.post(&out), Some(("t1", "a", "1")));
        let out = rig.feed(Input::Enqueue { client_id: "b".into(), text: "2".into() });
        assert!(!has(&out, sends), "b waits for a");
        rig.feed(Input::Enqueue { client_id: "a".into(), text: "1".into() });
        assert_eq!(rig.m.outbox().count(), 2);
        let out = rig.feed(Input::Posted { client_id: "a".into(), conversation_id: 1 });
        assert_eq!(rig.post(&out), Some(("t1", "b", "2")));
        rig.feed(Input::Posted { client_id: "b".into(), conversation_id: 1 });
        assert_eq!(rig.m.outbox().count(), 0);
    }

    #[test]
    fn transient_post_failures_retry_with_backoff_and_retry_after() {
        let mut rig = Rig::connected(Some(1));
        rig.feed(Input::Enqueue { client_id: "a".into(), text: "1".into() });
        rig.feed(Input::PostFailed { client_id: "a".into(), failure: Failure::Network });
        let failed_at = rig.now;
        let out = rig.advance();
        assert!(has(&out, sends));
        assert!(rig.now - failed_at < 1000.0);
        let limited = Failure::Http {
            status: 429,
            code: Some("rate_limited".into()),
            message: None,
            retry_after_ms: Some(7000.0),
        };
        rig.feed(Input::PostFailed { client_id: "a".into(), failure: limited });
        let failed_at = rig.now;
        loop {
            if has(&rig.advance(), sends) {
                break;
            }
        }
        assert_eq!(rig.now - failed_at, 7000.0);
        assert_eq!(rig.m.outbox().count(), 1);
    }

    #[test]
    fn permanent_post_failure_fails_that_message_only() {
        let mut rig = Rig::connected(Some(1));
        rig.feed(Input::Enqueue { client_id: "a".into(), text: "x".into() });
        rig.feed(Input::Enqueue { client_id: "b".into(), text: "y".into() });
        let out = rig.feed(Input::PostFailed { client_id: "a".into(), failure: http(413) });
        assert!(out.contains(&Output::Failed { client_id: "a".into(), failure: http(413) }));
        assert_eq!(rig.post(&out), Some(("t1", "b", "y")));
    }

    #[test]
    fn unauthorized_rehandshakes_once_then_retries_and_never_loops() {
        let mut rig = Rig::connected(Some(1));
        rig.feed(Input::Enqueue { client_id: "a".into(), text: "1".into() });
        let out = rig.feed(Input::PostFailed { client_id: "a".into(), failure: http(401) });
        assert!(out.contains(&Output::Handshake));
        let out = rig.feed(Input::HandshakeOk { token: "t2".into(), ttl_ms: TTL, conversation_id: Some(1) });
        assert_eq!(rig.post(&out), Some(("t2", "a", "1")));
        // Refused again with the fresh token: stop, do not loop.
        let out = rig.feed(Input::PostFailed { client_id: "a".into(), failure: http(401) });
        assert!(has(&out, |o| matches!(o, Output::Fatal(_))));
        assert!(!out.contains(&Output::Handshake));
        assert_eq!(rig.m.next_deadline(), None);
        // A success in between resets the count.
        let mut rig = Rig::connected(Some(1));
        rig.feed(Input::FetchFailed(http(401)));
        rig.feed(Input::HandshakeOk { token: "t2".into(), ttl_ms: TTL, conversation_id: Some(1) });
        rig.feed(Input::Fetched { next_since: 1, has_more: false });
        let out = rig.feed(Input::FetchFailed(http(401)));
        assert!(out.contains(&Output::Handshake));
    }

    #[test]
    fn token_is_renewed_at_about_80_percent_and_sent_on_the_socket() {
        let mut rig = Rig::connected(Some(1));
        let issued = rig.now;
        let out = loop {
            let out = rig.advance();
            if out.contains(&Output::Handshake) {
                break out;
            }
            if out.contains(&Output::Ping) {
                rig.feed(Input::Frame);
            }
        };
        let fraction = (rig.now - issued) / TTL;
        assert!((0.7..0.9).contains(&fraction), "renewed at {fraction}");
        assert!(!out.contains(&Output::CloseSocket));
        let out = rig.feed(Input::HandshakeOk { token: "t2".into(), ttl_ms: TTL, conversation_id: Some(1) });
        assert!(out.contains(&Output::Auth));
        assert_eq!(rig.m.token(), Some("t2"));
        assert!(!has(&out, |o| *o == Output::OpenSocket));
    }

    #[test]
    fn renew_handshakes_at_once_and_keeps_the_socket() {
        let mut rig = Rig::connected(Some(1));
        let out = rig.feed(Input::Renew);
        assert!(out.contains(&Output::Handshake));
        let out = rig.feed(Input::HandshakeOk { token: "t2".into(), ttl_ms: TTL, conversation_id: Some(1) });
        assert!(out.contains(&Output::Auth));
        assert_eq!(rig.m.token(), Some("t2"));
        assert!(!out.contains(&Output::CloseSocket));
    }

    #[test]
    fn silent_socket_is_declared_dead() {
        let mut rig = Rig::connected(Some(1));
        assert!(rig.advance().contains(&Output::Ping));
        // No pong, no frame at all.
        let out = rig.advance();
        assert!(out.contains(&Output::CloseSocket), "{out:?}");
        assert_eq!(rig.now, 35_000.0);
        assert!(has(&rig.advance(), |o| *o == Output::OpenSocket));
    }

    #[test]
    fn pings_follow_the_interval_the_server_says_in_hello() {
        let mut rig = Rig::connected(Some(1));
        rig.feed(Input::Hello { conversation_id: Some(1), ping_interval_ms: Some(5_000.0) });
        assert!(rig.advance().contains(&Output::Ping));
        assert_eq!(rig.now, 5_000.0);
        rig.feed(Input::Frame);
        assert!(rig.advance().contains(&Output::Ping));
        assert_eq!(rig.now, 10_000.0);
    }

    #[test]
    fn expired_token_close_code_handshakes_before_reconnecting() {
        let mut rig = Rig::connected(Some(1));
        let out = rig.feed(Input::SocketClosed { code: 4001 });
        assert!(out.contains(&Output::Handshake));
        assert!(!has(&out, |o| *o == Output::OpenSocket));
        let out = rig.feed(Input::HandshakeOk { token: "t2".into(), ttl_ms: TTL, conversation_id: Some(1) });
        assert!(out.contains(&Output::OpenSocket));
        assert_eq!(rig.m.token(), Some("t2"));
    }

    #[test]
    fn offline_pauses_everything_and_online_resumes_at_once() {
        let mut rig = Rig::connected(Some(1));
        rig.feed(Input::SocketClosed { code: 1006 });
        let out = rig.feed(Input::Online(false));
        assert!(out.contains(&Output::Status(Connection::Offline)));
        assert_eq!(rig.m.next_deadline(), None);
        rig.feed(Input::Enqueue { client_id: "a".into(), text: "1".into() });
        rig.now += 60_000.0;
        let out = rig.feed(Input::Online(true));
        assert!(has(&out, |o| *o == Output::OpenSocket), "{out:?}");
        assert!(has(&out, |o| *o == Output::Post));
    }

    #[test]
    fn handshake_errors_retry_when_transient_and_stop_when_not() {
        let mut rig = Rig::new();
        rig.feed(Input::Online(true));
        let out = rig.feed(Input::HandshakeFailed(Failure::Network));
        assert!(out.contains(&Output::Status(Connection::Offline)));
        assert!(rig.advance().contains(&Output::Handshake));
        let denied =
            Failure::Http { status: 403, code: Some("origin_denied".into()), message: None, retry_after_ms: None };
        let out = rig.feed(Input::HandshakeFailed(denied.clone()));
        assert!(out.contains(&Output::Fatal(denied)));
        assert_eq!(rig.m.next_deadline(), None);
        assert!(rig.feed(Input::Online(true)).is_empty());
    }

    #[test]
    fn cursor_moves_only_with_complete_fetches() {
        let mut rig = Rig::connected(Some(1));
        // The history fetch, then the catch-up after hello (coalesced).
        let out = rig.feed(Input::Fetched { next_since: 10, has_more: false });
        assert!(out.contains(&Output::FetchMessages { conversation_id: 1, since: 10 }));
        rig.feed(Input::Fetched { next_since: 10, has_more: false });
        // Socket frames (ids 11..) do not move the cursor; a resync fetches from 10.
        rig.feed(Input::Frame);
        let out = rig.feed(Input::Resync);
        assert!(out.contains(&Output::FetchMessages { conversation_id: 1, since: 10 }));
        // A new conversation starts from 0.
        rig.feed(Input::Fetched { next_since: 12, has_more: false });
        let out = rig.feed(Input::Conversation(2));
        assert!(out.contains(&Output::FetchMessages { conversation_id: 2, since: 0 }));
    }

    /// A catch-up that fails while the socket stays open (a short offline
    /// period does not close it) is owed: fetched again with backoff, and at
    /// once when the browser is back online, not left to a socket drop that
    /// may never come. Missing it hid the replies sent while the socket was
    /// down until the next reconnect.
    #[test]
    fn a_failed_catch_up_is_fetched_again_while_the_socket_stays_open() {
        let mut rig = Rig::connected(Some(1));
        // The history, then the catch-up after hello.
        rig.feed(Input::Fetched { next_since: 5, has_more: false });
        rig.feed(Input::Fetched { next_since: 5, has_more: false });
        // The socket drops (what came meanwhile is fetched) and comes back:
        // hello asks for the catch-up...
        rig.feed(Input::SocketClosed { code: 1006 });
        rig.feed(Input::Fetched { next_since: 5, has_more: false });
        rig.run_until(false, |o| *o == Output::OpenSocket);
        rig.feed(Input::SocketOpened);
        let out = rig.feed(Input::Hello { conversation_id: Some(1), ping_interval_ms: None });
        assert!(out.contains(&Output::FetchMessages { conversation_id: 1, since: 5 }), "{out:?}");
        // ...which fails: the browser went offline for a moment.
        rig.feed(Input::Online(false));
        rig.feed(Input::FetchFailed(Failure::Network));
        let out = rig.feed(Input::Online(true));
        assert!(out.contains(&Output::FetchMessages { conversation_id: 1, since: 5 }), "at once when online: {out:?}");
        // Failing again while online, it is retried with backoff.
        rig.feed(Input::FetchFailed(Failure::Http { status: 503, code: None, message: None, retry_after_ms: None }));
        let failed_at = rig.now;
        let at = rig.run_until(false, |o| matches!(o, Output::FetchMessages { since: 5, .. }));
        assert!(at - failed_at <= 1000.0, "retried {} ms later", at - failed_at);
        assert!(rig.m.socket_open());
    }

    #[test]
    fn messages_go_out_at_once_while_the_socket_reconnects() {
        let mut rig = Rig::connected(Some(1));
        // Short-lived sockets grow the reconnect backoff to its longest.
        for _ in 0..6 {
            rig.feed(Input::SocketClosed { code: 1006 });
            rig.run_until(false, |o| *o == Output::OpenSocket);
            rig.feed(Input::SocketOpened);
        }
        // Drop, send, send while the reconnect waits: each goes out at once.
        rig.feed(Input::SocketClosed { code: 1006 });
        let send = |rig: &mut Rig, id: &str| {
            let out = rig.feed(Input::Enqueue { client_id: id.into(), text: id.into() });
            assert_eq!(rig.post(&out), Some(("t1", id, id)), "{id} at {}", rig.now);
            rig.now += 10.0;
            rig.feed(Input::Posted { client_id: id.into(), conversation_id: 1 });
        };
        send(&mut rig, "a");
        send(&mut rig, "b");
        // And while the socket is connecting, a message behind another.
        rig.run_until(false, |o| *o == Output::OpenSocket);
        send(&mut rig, "c");
        rig.feed(Input::Enqueue { client_id: "d".into(), text: "d".into() });
        let out = rig.feed(Input::Enqueue { client_id: "e".into(), text: "e".into() });
        assert!(!has(&out, |o| *o == Output::Post), "e waits for d's answer");
        rig.now += 10.0;
        let out = rig.feed(Input::Posted { client_id: "d".into(), conversation_id: 1 });
        assert_eq!(rig.post(&out), Some(("t1", "e", "e")));
        assert!(!rig.m.socket_open());
    }

    #[test]
    fn too_many_sockets_polls_and_tries_a_socket_only_after_the_longest_backoff() {
        let longest = Timing::default().backoff.cap_ms;
        for opened in [true, false] {
            let mut rig = Rig::connected(Some(1));
            // The history, then the catch-up after hello.
            rig.feed(Input::Fetched { next_since: 3, has_more: false });
            rig.feed(Input::Fetched { next_since: 3, has_more: false });
            if !opened {
                // Refused before it opened: a reconnect after a drop.
                rig.feed(Input::SocketClosed { code: 1006 });
                rig.feed(Input::Fetched { next_since: 3, has_more: false });
                rig.run_until(false, |o| *o == Output::OpenSocket);
            }
            let closed_at = rig.now;
            let out = rig.feed(Input::SocketClosed { code: crate::protocol::CLOSE_TOO_MANY_SOCKETS });
            assert!(out.contains(&Output::Status(Connection::Polling)), "{out:?}");
            assert!(has(&out, |o| matches!(o, Output::FetchMessages { .. })), "a poll at once: {out:?}");
            rig.feed(Input::Fetched { next_since: 3, has_more: false });
            // Messages still go out, by HTTP; coming back online does not
            // hurry the socket either.
            let out = rig.feed(Input::Enqueue { client_id: "a".into(), text: "1".into() });
            assert_eq!(rig.post(&out), Some(("t1", "a", "1")));
            rig.feed(Input::Posted { client_id: "a".into(), conversation_id: 1 });
            rig.feed(Input::Online(false));
            let out = rig.feed(Input::Online(true));
            assert!(!has(&out, |o| *o == Output::OpenSocket), "{out:?}");
            rig.feed(Input::Fetched { next_since: 3, has_more: false });
            let mut polls = 0;
            let retried_at = rig.run_until(false, |o| {
                polls += usize::from(matches!(o, Output::FetchMessages { .. }));
                *o == Output::OpenSocket
            });
            assert!(retried_at - closed_at >= longest, "a socket after {} ms", retried_at - closed_at);
            assert!(polls >= 3, "{polls} polls meanwhile");
            let out = rig.feed(Input::SocketOpened);
            assert!(out.contains(&Output::Status(Connection::Online)));
        }
    }

    #[test]
    fn messages_go_on_the_socket_once_it_said_hello_and_by_http_otherwise() {
        let mut rig = Rig::new();
        rig.feed(Input::Online(true));
        rig.feed(Input::HandshakeOk { token: "t1".into(), ttl_ms: TTL, conversation_id: Some(1) });
        let send = |rig: &mut Rig, id: &str| {
            let out = rig.feed(Input::Enqueue { client_id: id.into(), text: id.into() });
            rig.feed(Input::Posted { client_id: id.into(), conversation_id: 1 });
            out.into_iter().filter(sends).collect::<Vec<_>>()
        };
        assert_eq!(send(&mut rig, "connecting"), [Output::Post]);
        rig.feed(Input::SocketOpened);
        assert_eq!(send(&mut rig, "opened"), [Output::Post], "not before hello");
        rig.feed(Input::Hello { conversation_id: Some(1), ping_interval_ms: None });
        assert_eq!(send(&mut rig, "ready"), [Output::Send]);
        rig.feed(Input::SocketClosed { code: 1006 });
        assert_eq!(send(&mut rig, "closed"), [Output::Post]);
        assert_eq!(rig.m.outbox().count(), 0);
    }

    #[test]
    fn a_socket_closed_before_the_ack_takes_the_attempt_and_http_sends_it_again_at_once() {
        let mut rig = Rig::connected(Some(1));
        let out = rig.feed(Input::Enqueue { client_id: "a".into(), text: "1".into() });
        assert!(out.contains(&Output::Send));
        rig.now += 5.0;
        let out = rig.feed(Input::SocketClosed { code: 1006 });
        assert_eq!(rig.post(&out), Some(("t1", "a", "1")));
        assert!(out.contains(&Output::Post), "{out:?}");
        // Its answer completes it; a second answer for it (the socket's ack
        // had been sent, say) changes nothing for the next message.
        rig.feed(Input::Posted { client_id: "a".into(), conversation_id: 1 });
        let out = rig.feed(Input::Enqueue { client_id: "b".into(), text: "2".into() });
        assert!(out.contains(&Output::Post));
        for late in [
            Input::Posted { client_id: "a".into(), conversation_id: 1 },
            Input::PostFailed { client_id: "a".into(), failure: http(409) },
        ] {
            let out = rig.feed(late);
            assert!(!has(&out, |o| sends(o) || matches!(o, Output::Failed { .. })), "{out:?}");
        }
        let out = rig.feed(Input::Enqueue { client_id: "c".into(), text: "3".into() });
        assert!(!has(&out, sends), "c waits for b's answer");
        let out = rig.feed(Input::Posted { client_id: "b".into(), conversation_id: 1 });
        assert_eq!(rig.post(&out), Some(("t1", "c", "3")));
    }

    #[test]
    fn a_send_in_flight_when_the_browser_went_offline_goes_again_by_http_when_it_is_back() {
        let mut rig = Rig::connected(Some(1));
        assert!(rig.feed(Input::Enqueue { client_id: "a".into(), text: "1".into() }).contains(&Output::Send));
        rig.feed(Input::Online(false));
        rig.now += 3000.0;
        let out = rig.feed(Input::Online(true));
        assert!(out.contains(&Output::CloseSocket), "{out:?}");
        assert!(out.contains(&Output::Post) && out.contains(&Output::OpenSocket), "{out:?}");
        assert_eq!(rig.post(&out), Some(("t1", "a", "1")));
    }

    #[test]
    fn a_send_unanswered_past_the_ack_timeout_closes_the_socket_and_goes_by_http() {
        let mut rig = Rig::connected(Some(1));
        rig.now = 1000.0;
        let out = rig.feed(Input::Enqueue { client_id: "a".into(), text: "1".into() });
        assert!(out.contains(&Output::Send));
        let out = loop {
            let out = rig.advance();
            if out.contains(&Output::Ping) {
                rig.feed(Input::Frame);
            } else if !out.is_empty() {
                break out;
            }
        };
        assert_eq!(rig.now - 1000.0, Timing::default().ack_timeout_ms);
        assert!(out.contains(&Output::CloseSocket), "{out:?}");
        assert_eq!(rig.post(&out), Some(("t1", "a", "1")));
        assert!(out.contains(&Output::Post));
        assert!(!rig.m.socket_open());
    }

    /// What an answer in flight belongs to: a request of one page life sent
    /// in one online period, or one socket; or the drop of a socket.
    #[derive(Clone, Copy, PartialEq)]
    enum Via {
        Request { life: u32, epoch: u32 },
        Socket(u32),
        Drop(u32),
    }

    /// A browser and a healthy loopback server around the machine, on the
    /// fake clock: every request is answered within 40 ms, and a random
    /// schedule writes messages, drops, closes and refuses sockets, goes
    /// offline and reloads the page (the outbox survives, as in storage).
    /// Messages sent on the socket are sometimes lost with it: stored or
    /// not, the socket drops before the ack, or it stays open and never
    /// answers. It holds the machine to the outbox rule: while the browser
    /// is online, a message is attempted within 1 s of its being written, of
    /// the previous attempt's answer (or its loss with its socket) or of
    /// coming online, whatever the socket does; only a failed answer allows
    /// a backoff. The server stores each client id once: in the end it holds
    /// every message written, in order.
    struct World {
        m: Machine,
        rng: Rng,
        now: f64,
        online: bool,
        /// Page lives (reloads) and online periods: answers to requests of
        /// an earlier life are lost, those sent before going offline fail.
        life: u32,
        epoch: u32,
        /// The current socket; events of earlier ones are lost.
        socket: u32,
        socket_up: bool,
        refuse_sockets: bool,
        inflight: Vec<(f64, Input, Via)>,
        /// When the machine started to owe the outbox an attempt.
        due: Option<f64>,
        posting: bool,
        /// The attempt in flight went on the socket.
        on_socket: bool,
        /// The client ids the server stored, in order.
        stored: Vec<String>,
        /// A failed answer (post or handshake) allows a backoff until the
        /// next attempt.
        backoff: bool,
        written: u32,
        trace: Vec<String>,
    }

    impl World {
        fn new(seed: u64) -> Self {
            let mut world = World {
                m: Machine::new(Timing::default(), seed),
                rng: Rng::new(seed),
                now: 0.0,
                online: true,
                life: 0,
                epoch: 0,
                socket: 0,
                socket_up: false,
                refuse_sockets: false,
                inflight: Vec::new(),
                due: None,
                posting: false,
                on_socket: false,
                stored: Vec::new(),
                backoff: false,
                written: 0,
                trace: Vec::new(),
            };
            world.feed(Input::Online(true));
            world
        }

        fn latency(&mut self) -> f64 {
            1.0 + (self.rng.unit() * 40.0).floor()
        }

        fn answer(&mut self, input: Input) {
            let at = self.now + self.latency();
            self.inflight.push((at, input, Via::Request { life: self.life, epoch: self.epoch }));
        }

        fn socket_event(&mut self, input: Input) {
            let at = self.now + self.latency();
            self.inflight.push((at, input, Via::Socket(self.socket)));
        }

        fn feed(&mut self, input: Input) {
            self.trace.push(format!("{} {input:?}", self.now));
            match &input {
                Input::Online(online) => {
                    self.backoff &= !online;
                    self.due = online.then_some(self.now);
                }
                Input::Enqueue { .. } if !self.backoff => self.due = self.due.or(Some(self.now)),
                Input::Posted { .. } | Input::HandshakeOk { .. } if !self.backoff => {
                    self.posting &= !matches!(input, Input::Posted { .. });
                    self.due = self.due.or(Some(self.now));
                }
                Input::Posted { .. } => self.posting = false,
                Input::PostFailed { .. } | Input::HandshakeFailed(_) => {
                    self.posting &= !matches!(input, Input::PostFailed { .. });
                    self.backoff = true;
                    self.due = None;
                }
                Input::SocketOpened => self.socket_up = true,
                Input::SocketClosed { .. } => self.socket_lost(),
                _ => {}
            }
            let outputs = self.m.handle(self.now, input);
            if outputs.is_empty() && self.trace.last().is_some_and(|t| t.ends_with(" Tick")) {
                // Quiet ticks would bury what happened.
                self.trace.pop();
            }
            for output in outputs {
                self.trace.push(format!("  -> {output:?}"));
                match output {
                    Output::Handshake => {
                        self.answer(Input::HandshakeOk { token: "t".into(), ttl_ms: TTL, conversation_id: Some(1) })
                    }
                    Output::OpenSocket if self.refuse_sockets => self.socket_event(Input::SocketClosed { code: 1006 }),
                    Output::OpenSocket => self.socket_event(Input::SocketOpened),
                    Output::CloseSocket => {
                        self.socket += 1;
                        self.socket_lost();
                    }
                    Output::Ping => self.socket_event(Input::Frame),
                    Output::FetchMessages { since, .. } => {
                        self.answer(Input::Fetched { next_since: since, has_more: false })
                    }
                    Output::FetchCurrent => self.answer(Input::Current(Some(1))),
                    Output::Post | Output::Send => {
                        assert!(self.online && !self.posting, "a post while offline or while one is on its way");
                        self.posting = true;
                        self.on_socket = output == Output::Send;
                        self.backoff = false;
                        let client_id = self.m.sending().map(|o| o.client_id.clone()).unwrap_or_default();
                        let posted = Input::Posted { client_id: client_id.clone(), conversation_id: 1 };
                        if !self.on_socket {
                            self.store(client_id);
                            self.answer(posted);
                            continue;
                        }
                        assert!(self.socket_up, "a send on a socket that is not open");
                        let pick = self.rng.unit();
                        if pick >= 0.1 {
                            self.store(client_id);
                        }
                        if pick < 0.05 {
                            // Lost on a socket that stays open: never answered.
                        } else if pick < 0.2 {
                            // The socket drops before the ack (stored or not).
                            let drop = (self.now + 0.5, Input::SocketClosed { code: 1006 }, Via::Drop(self.socket));
                            self.inflight.push(drop);
                        } else {
                            self.socket_event(posted);
                        }
                    }
                    Output::Failed { .. } | Output::Fatal(_) => panic!("a healthy server refused nothing: {output:?}"),
                    Output::Auth | Output::Status(_) => {}
                }
            }
            if self.posting || !self.online || self.m.outbox().count() == 0 {
                self.due = None;
            }
        }

        /// Delivers answers and timer ticks in time order up to `until`,
        /// checking the rule at every step.
        fn run_to(&mut self, until: f64) {
            let mut same_time = 0;
            loop {
                let answer =
                    self.inflight.iter().enumerate().min_by(|a, b| a.1 .0.total_cmp(&b.1 .0)).map(|(i, a)| (i, a.0));
                let tick = self.m.next_deadline().unwrap_or(NEVER).max(self.now);
                let next = answer.map_or(NEVER, |(_, at)| at).min(tick);
                if next > until {
                    break;
                }
                self.check(next);
                same_time = if next == self.now { same_time + 1 } else { 0 };
                assert!(
                    same_time < 100,
                    "the machine spins at {} ({:?}): {}",
                    self.now,
                    self.m.next_deadline(),
                    self.tail()
                );
                self.now = next;
                match answer {
                    Some((i, at)) if at <= tick => {
                        let (_, input, via) = self.inflight.remove(i);
                        self.deliver(input, via);
                    }
                    _ => self.feed(Input::Tick),
                }
            }
            self.check(until);
            self.now = until;
        }

        /// The server stores a client id once.
        fn store(&mut self, client_id: String) {
            if !self.stored.contains(&client_id) {
                self.stored.push(client_id);
            }
        }

        /// The socket is gone, and with it an attempt made on it: one is
        /// owed again.
        fn socket_lost(&mut self) {
            self.socket_up = false;
            if self.posting && self.on_socket {
                self.posting = false;
                self.due = self.due.or((!self.backoff).then_some(self.now));
            }
        }

        fn deliver(&mut self, input: Input, via: Via) {
            match via {
                Via::Drop(socket) if socket == self.socket => self.close_socket(1006),
                Via::Drop(_) => {}
                Via::Request { life, .. } if life != self.life => {}
                Via::Request { epoch, .. } if epoch != self.epoch => self.feed(match input {
                    Input::HandshakeOk { .. } => Input::HandshakeFailed(Failure::Network),
                    Input::Posted { client_id, .. } => Input::PostFailed { client_id, failure: Failure::Network },
                    _ => Input::FetchFailed(Failure::Network),
                }),
                Via::Socket(socket) if socket != self.socket => {}
                Via::Socket(_) if input == Input::SocketOpened => {
                    self.feed(input);
                    self.socket_event(Input::Hello { conversation_id: Some(1), ping_interval_ms: None });
                }
                _ => self.feed(input),
            }
        }

        fn check(&self, at: f64) {
            if let Some(due) = self.due {
                assert!(at - due <= 1000.0, "a message waited from {due} past {at}: {}", self.tail());
            }
        }

        fn tail(&self) -> String {
            self.trace[self.trace.len().saturating_sub(60)..].join("\n")
        }

        /// The socket ends (server drop, restart or token expiry).
        fn close_socket(&mut self, code: u16) {
            if self.socket_up {
                self.socket += 1;
                self.feed(Input::SocketClosed { code });
            }
        }

        /// One random step of the schedule, after a random pause.
        fn act(&mut self) {
            let pause = self.rng.unit().powi(2) * 3000.0;
            self.run_to(self.now + pause.floor());
            let pick = self.rng.unit();
            if !self.online {
                if pick < 0.3 {
                    self.online = true;
                    self.epoch += 1;
                    self.feed(Input::Online(true));
                }
            } else if pick < 0.35 {
                self.written += 1;
                let id = self.written.to_string();
                self.feed(Input::Enqueue { client_id: id.clone(), text: id });
            } else if pick < 0.5 {
                let code = [1006, 1001, crate::protocol::CLOSE_TOKEN_EXPIRED][(pick * 100.0) as usize % 3];
                self.close_socket(code);
            } else if pick < 0.6 {
                self.refuse_sockets = !self.refuse_sockets;
            } else if pick < 0.7 {
                self.online = false;
                self.epoch += 1;
                // The browser says offline first: a message whose socket
                // closes then waits for the way back.
                self.feed(Input::Online(false));
                self.close_socket(1006);
            } else if pick < 0.77 {
                self.reload();
            } else if pick < 0.82 {
                self.feed(Input::Renew);
            } else if pick < 0.87 {
                self.feed(Input::Resync);
            }
        }

        /// A new page: a new machine, the outbox restored before it starts
        /// (as the widget does), answers to the old page lost.
        fn reload(&mut self) {
            let kept: Vec<Outgoing> = self.m.outbox().cloned().collect();
            self.life += 1;
            self.socket += 1;
            self.socket_up = false;
            self.posting = false;
            self.backoff = false;
            self.due = None;
            self.m = Machine::new(Timing::default(), u64::from(self.life) + 1);
            for o in kept {
                self.feed(Input::Enqueue { client_id: o.client_id, text: o.text });
            }
            self.feed(Input::Online(true));
        }
    }

    #[test]
    fn outbox_is_attempted_within_a_second_whatever_the_socket_does() {
        let mut lives = 0;
        for seed in 1..=300 {
            let mut world = World::new(seed);
            for _ in 0..200 {
                world.act();
            }
            if !world.online {
                world.online = true;
                world.epoch += 1;
                world.feed(Input::Online(true));
            }
            world.run_to(world.now + 120_000.0);
            assert_eq!(world.m.outbox().count(), 0, "seed {seed}: {}", world.tail());
            let written: Vec<String> = (1..=world.written).map(|n| n.to_string()).collect();
            assert_eq!(world.stored, written, "seed {seed}: stored once each, in order");
            assert!(world.written >= 20, "seed {seed}: the schedule writes too little ({})", world.written);
            lives += world.life;
        }
        assert!(lives > 300 * 3, "the schedules reload too little ({lives} lives in all)");
    }
}
