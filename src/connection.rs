//! The connection state the visitor is told about (the `connection` event
//! and the panel banner).

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    /// Live over the WebSocket (or mock mode).
    Online,
    /// No WebSocket: the widget polls every few seconds.
    Polling,
    /// The browser is offline or the server cannot be reached.
    Offline,
}

impl Connection {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Online => "online",
            Self::Polling => "polling",
            Self::Offline => "offline",
        }
    }
}
