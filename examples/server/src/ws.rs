//! The two WebSockets: visitors at `/ws`, agents at `/api/v1/agent/ws`.
//!
//! Authentication happens before the upgrade, from subprotocols (browsers
//! cannot set headers on a WebSocket): `natter.v1` + `jwt.<token>` for
//! visitors, `natter.agent.v1` + `bearer.<token>` for agents. The visitor
//! upgrade also checks `Origin`, which CORS does not protect. Each socket is
//! one task selecting over: hub events, client frames, the ping timer, token
//! expiry, shutdown, and the drop-sockets test hook.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use natter::protocol::{
    ClientFrame, ConversationStatus, ErrorCode, SendMessageRequest, Sender, ServerFrame, AGENT_WS_SUBPROTOCOL,
    BEARER_SUBPROTOCOL_PREFIX, CLOSE_GOING_AWAY, CLOSE_TOKEN_EXPIRED, CLOSE_TOO_MANY_SOCKETS, JWT_SUBPROTOCOL_PREFIX,
    PING_INTERVAL_SECS, WS_SUBPROTOCOL,
};
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use crate::clock::{now_ms, rfc3339};
use crate::config::Site;
use crate::error::{ApiError, Locale};
use crate::http::{header_str, ClientIp};
use crate::hub::{encode, Subscription, REVOKE_UNPROVEN};
use crate::limits::{Bucket, Slot};
use crate::store;
use crate::{App, AppState};

/// Largest client frame accepted; frames are small JSON objects.
const MAX_FRAME_BYTES: usize = 16 * 1024;
/// Read buffer of a socket. tungstenite's default (128 KiB) cost 136 KiB of
/// resident memory per idle socket, and its reader zero-fills the whole
/// buffer before every read attempt, i.e. on every wake-up of the socket
/// task. Client frames are small; a larger one (up to `MAX_FRAME_BYTES`)
/// grows the buffer for itself.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Who is on the other end.
enum Peer {
    /// `proven`: the token was minted on a proof of identity (`Claims::prf`).
    Visitor {
        site: Arc<Site>,
        visitor: String,
        expires: i64,
        proven: bool,
    },
    Agent {
        site: Arc<Site>,
        name: String,
    },
}

impl Peer {
    fn site(&self) -> &Site {
        match self {
            Peer::Visitor { site, .. } | Peer::Agent { site, .. } => site,
        }
    }
}

/// The offered subprotocols and the token carried by the one with `prefix`.
fn offered<'a>(headers: &'a HeaderMap, required: &str, prefix: &str) -> Result<&'a str, ApiError> {
    let list = header_str(headers, header::SEC_WEBSOCKET_PROTOCOL).unwrap_or("");
    let protocols: Vec<&str> = list.split(',').map(str::trim).collect();
    if !protocols.contains(&required) {
        return Err(ApiError::detail(ErrorCode::BadRequest, format!("subprotocol {required} is required")));
    }
    protocols
        .iter()
        .find_map(|p| p.strip_prefix(prefix))
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::new(ErrorCode::TokenMissing))
}

fn upgrade_or_400(ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>) -> Result<WebSocketUpgrade, ApiError> {
    // Every send is flushed at once (axum's `send`), so nothing is gained by
    // collecting writes: a write buffer target of 0 writes each frame out.
    ws.map(|w| {
        w.max_message_size(MAX_FRAME_BYTES)
            .max_frame_size(MAX_FRAME_BYTES)
            .read_buffer_size(READ_BUFFER_BYTES)
            .write_buffer_size(0)
    })
    .map_err(|e| ApiError::detail(ErrorCode::BadRequest, e.body_text()))
}

/// `GET /ws`: the visitor socket.
pub async fn visitor_socket(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    if !app.websocket {
        return Err(ApiError::new(ErrorCode::WebsocketDisabled));
    }
    app.limit(format!("api:{ip}"), app.sites.limits.api_per_minute)?;
    let token = offered(&headers, WS_SUBPROTOCOL, JWT_SUBPROTOCOL_PREFIX)?;
    let (site, claims) = app.authenticate_visitor(token, &headers).await?;
    let ws = upgrade_or_400(ws)?;
    // A token's signature names it (tokens of one visitor differ by `iat`).
    let slots = socket_slots(&app, token.rsplit('.').next().unwrap_or(token), ip);
    let peer = Peer::Visitor { site, visitor: claims.sub, expires: claims.exp, proven: claims.prf };
    Ok(ws.protocols([WS_SUBPROTOCOL]).on_upgrade(move |socket| session(app, peer, socket, slots)).into_response())
}

/// `GET /api/v1/agent/ws`: the agent socket.
pub async fn agent_socket(
    State(app): State<App>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    if !app.websocket {
        return Err(ApiError::new(ErrorCode::WebsocketDisabled));
    }
    let token = offered(&headers, AGENT_WS_SUBPROTOCOL, BEARER_SUBPROTOCOL_PREFIX)?;
    let (site, name) = app.sites.agent(token).ok_or(ApiError::new(ErrorCode::TokenInvalid))?;
    let ws = upgrade_or_400(ws)?;
    let slots = socket_slots(&app, &format!("agent:{}:{name}", site.app_key()), ip);
    let peer = Peer::Agent { site, name };
    Ok(ws.protocols([AGENT_WS_SUBPROTOCOL]).on_upgrade(move |socket| session(app, peer, socket, slots)).into_response())
}

/// A socket's places under the per-token and per-IP caps, held for its
/// lifetime; `None` when either cap is reached. The upgrade still happens:
/// a browser cannot read the status of a refused upgrade, but it can read
/// the close code 4030 that follows.
fn socket_slots(app: &AppState, token: &str, ip: std::net::IpAddr) -> Option<[Slot; 2]> {
    let limits = &app.sites.limits;
    let by_token = app.sockets.take(format!("token:{token}"), limits.sockets_per_token)?;
    let by_ip = app.sockets.take(format!("ip:{ip}"), limits.sockets_per_ip)?;
    Some([by_token, by_ip])
}

fn text(frame: &ServerFrame) -> WsMessage {
    WsMessage::Text(encode(frame).as_ref().into())
}

fn close(code: u16, reason: &'static str) -> WsMessage {
    WsMessage::Close(Some(CloseFrame { code, reason: reason.into() }))
}

fn error_frame(err: ApiError) -> ServerFrame {
    ServerFrame::Error { client_msg_id: None, status: None, error: err.body(Locale::EnUs) }
}

/// Deadline of a visitor token as a tokio instant.
fn deadline(expires: i64) -> Instant {
    let left = (expires * 1000 - now_ms()).max(0) as u64;
    Instant::now() + Duration::from_millis(left)
}

async fn hello(app: &AppState, peer: &Peer) -> ServerFrame {
    let agents_online = app.hub.agents_online(peer.site().app_key());
    match peer {
        Peer::Visitor { visitor, expires, .. } => {
            let v = visitor.clone();
            let (conversation, last) = app
                .store
                .call(move |c| Ok((store::open_conversation(c, &v)?, store::last_message_id_of_visitor(c, &v)?)))
                .await
                .unwrap_or((None, 0));
            ServerFrame::Hello {
                cs_visitor_id: Some(visitor.clone()),
                conversation_id: conversation.map(|r| r.conversation.id),
                last_message_id: last,
                agents_online,
                expires_at: Some(rfc3339(expires * 1000)),
                ping_interval_secs: PING_INTERVAL_SECS,
                availability: Some(app.availability(peer.site())),
            }
        }
        Peer::Agent { site, .. } => {
            let key = site.app_key().to_string();
            let last = app.store.call(move |c| store::last_message_id_of_site(c, &key)).await.unwrap_or(0);
            ServerFrame::Hello {
                cs_visitor_id: None,
                conversation_id: None,
                last_message_id: last,
                agents_online,
                expires_at: None,
                ping_interval_secs: PING_INTERVAL_SECS,
                availability: Some(app.availability(site)),
            }
        }
    }
}

async fn session(app: App, mut peer: Peer, mut socket: WebSocket, slots: Option<[Slot; 2]>) {
    let Some(_slots) = slots else {
        let _ = socket.send(close(CLOSE_TOO_MANY_SOCKETS, "too many sockets for this token or address")).await;
        return;
    };
    // Subscribe before `hello`, so nothing falls between it and the catch-up;
    // an agent's subscription also counts it in for presence, until dropped.
    let mut events = match &peer {
        Peer::Visitor { site, visitor, .. } => app.hub.subscribe_visitor(site.app_key(), visitor),
        Peer::Agent { site, .. } => app.hub.subscribe_agent(site.app_key()),
    };
    let mut dropper = app.drop_sockets.subscribe();
    let mut shutdown = app.shutdown.clone();
    let frame = hello(&app, &peer).await;
    if socket.send(text(&frame)).await.is_ok() {
        run(&app, &mut peer, &mut socket, &mut events, &mut dropper, &mut shutdown).await;
    }
}

/// What ended a socket loop; `None` = the peer left or the connection broke.
async fn run(
    app: &App,
    peer: &mut Peer,
    socket: &mut WebSocket,
    events: &mut Subscription<'_>,
    dropper: &mut tokio::sync::broadcast::Receiver<()>,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) {
    let period = Duration::from_secs(u64::from(PING_INTERVAL_SECS));
    let mut ping = tokio::time::interval_at(Instant::now() + period, period);
    let mut last_heard = Instant::now();
    let mut frames = Bucket::new(app.sites.limits.ws_frames_per_minute, std::time::Instant::now());
    let expiry = tokio::time::sleep_until(match peer {
        Peer::Visitor { expires, .. } => deadline(*expires),
        Peer::Agent { .. } => Instant::now() + Duration::from_secs(86_400 * 365),
    });
    tokio::pin!(expiry);
    loop {
        let outgoing = tokio::select! {
            event = events.recv() => match event {
                Ok(json) if json.as_ref() == REVOKE_UNPROVEN => match peer {
                    Peer::Visitor { proven: false, .. } => {
                        let _ = socket.send(close(CLOSE_TOKEN_EXPIRED, "identity verified: handshake again")).await;
                        return;
                    }
                    _ => continue,
                },
                // The hub routes: whatever arrives is for this socket.
                Ok(json) => WsMessage::Text(json.as_ref().into()),
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "slow socket: sending resync");
                    text(&ServerFrame::Resync)
                }
                Err(RecvError::Closed) => return,
            },
            incoming = socket.recv() => {
                last_heard = Instant::now();
                match incoming {
                    Some(Ok(WsMessage::Text(t))) => {
                        if let Err(wait) = frames.take(app.sites.limits.ws_frames_per_minute, std::time::Instant::now()) {
                            // A message refused here is named, so its sender
                            // retries it after the wait.
                            let value = serde_json::from_str(t.as_str()).unwrap_or_default();
                            text(&refusal(&value, ApiError::rate_limited(wait)))
                        } else {
                            match on_frame(app, peer, t.as_str()).await {
                                Ok(Some(reply)) => text(&reply),
                                Ok(None) => continue,
                                Err(err) => text(&error_frame(err)),
                            }
                        }
                    }
                    Some(Ok(WsMessage::Binary(_))) => {
                        text(&error_frame(ApiError::detail(ErrorCode::BadRequest, "binary frames are not supported")))
                    }
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                    Some(Ok(WsMessage::Close(_))) | Some(Err(_)) | None => return,
                }
            }
            _ = ping.tick() => {
                if last_heard.elapsed() > period * 3 {
                    tracing::debug!("peer silent for three ping periods: closing");
                    return;
                }
                WsMessage::Ping(Default::default())
            }
            _ = &mut expiry => {
                let _ = socket.send(close(CLOSE_TOKEN_EXPIRED, "token expired")).await;
                return;
            }
            _ = crate::stopped(shutdown) => {
                let _ = socket.send(close(CLOSE_GOING_AWAY, "server shutting down")).await;
                return;
            }
            _ = dropper.recv() => return, // abrupt: no close frame
        };
        if socket.send(outgoing).await.is_err() {
            return;
        }
        if let Peer::Visitor { expires, .. } = &*peer {
            expiry.as_mut().reset(deadline(*expires));
        }
    }
}

/// Frame types a client may send, to tell `unknown_frame` from `bad_request`.
const CLIENT_FRAME_TYPES: [&str; 5] = ["typing", "read", "ping", "auth", "message"];

async fn on_frame(app: &App, peer: &mut Peer, raw: &str) -> Result<Option<ServerFrame>, ApiError> {
    let value: serde_json::Value =
        serde_json::from_str(raw).map_err(|e| ApiError::detail(ErrorCode::BadRequest, e.to_string()))?;
    let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or("");
    if !CLIENT_FRAME_TYPES.contains(&kind) {
        return Err(ApiError::detail(ErrorCode::UnknownFrame, format!("type {kind:?}")));
    }
    if kind == "message" {
        let refused = |err| refusal(&value, err);
        return Ok(Some(send_message(app, peer, value.clone()).await.unwrap_or_else(refused)));
    }
    let frame: ClientFrame = parse(value)?;
    match frame {
        ClientFrame::Ping => Ok(Some(ServerFrame::Pong)),
        ClientFrame::Message { .. } => Err(ApiError::new(ErrorCode::BadRequest)),
        ClientFrame::Auth { token } => {
            let Peer::Visitor { visitor, expires, proven, .. } = peer else {
                return Err(ApiError::detail(ErrorCode::BadRequest, "auth is for visitor sockets"));
            };
            let (_, claims) = app.verify_visitor_token(&token)?;
            if &claims.sub != visitor {
                return Err(ApiError::detail(ErrorCode::Forbidden, "token of another visitor"));
            }
            app.check_access(&claims).await?;
            *expires = claims.exp;
            *proven = claims.prf;
            Ok(Some(ServerFrame::AuthOk { expires_at: rfc3339(claims.exp * 1000) }))
        }
        ClientFrame::Typing { conversation_id, active } => {
            let row = conversation_for(app, peer, conversation_id).await?;
            match peer {
                Peer::Visitor { .. } => {
                    let frame = ServerFrame::Typing {
                        conversation_id: row.conversation.id,
                        from: Sender::Visitor,
                        agent_name: None,
                        active,
                    };
                    app.hub.to_agents(&row.app_key, &frame);
                }
                Peer::Agent { name, .. } => crate::agent::agent_typing(app, &row, name, active),
            }
            Ok(None)
        }
        ClientFrame::Read { conversation_id, up_to } => {
            let row = conversation_for(app, peer, Some(conversation_id)).await?;
            match peer {
                Peer::Visitor { .. } => {
                    app.hub.to_agents(&row.app_key, &ServerFrame::Read { conversation_id, up_to, by: Sender::Visitor })
                }
                Peer::Agent { .. } => app.hub.to_visitor(
                    &row.app_key,
                    &row.visitor_id,
                    &ServerFrame::Read { conversation_id, up_to, by: Sender::Agent },
                ),
            }
            Ok(None)
        }
    }
}

/// The `error` frame refusing a client frame. A `message` is named by its
/// `clientMsgId` (even when its other fields are wrong), with the status its
/// POST would have had.
fn refusal(frame: &serde_json::Value, err: ApiError) -> ServerFrame {
    if frame.get("type").and_then(|t| t.as_str()) != Some("message") {
        return error_frame(err);
    }
    ServerFrame::Error {
        client_msg_id: frame.get("clientMsgId").and_then(|id| id.as_str()).map(str::to_string),
        status: Some(err.code.status()),
        error: err.body(Locale::EnUs),
    }
}

fn parse(value: serde_json::Value) -> Result<ClientFrame, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::detail(ErrorCode::BadRequest, e.to_string()))
}

/// A `message` frame: a visitor's is stored exactly as `POST
/// /api/v1/cs/conversations` stores it, for the socket's visitor (whose
/// record must still take its token, as every REST call checks); an agent's
/// exactly as its reply endpoint stores it.
async fn send_message(app: &App, peer: &Peer, value: serde_json::Value) -> Result<ServerFrame, ApiError> {
    let ClientFrame::Message { client_msg_id, text, conversation_id, form } = parse(value)? else {
        return Err(ApiError::new(ErrorCode::BadRequest));
    };
    let req = SendMessageRequest { client_msg_id, text, form };
    let stored = match peer {
        Peer::Visitor { site, visitor, proven, .. } => {
            app.visitor_access(visitor, *proven).await?;
            if conversation_id.is_some() {
                let row = conversation_for(app, peer, conversation_id).await?;
                if row.conversation.status != ConversationStatus::Open {
                    return Err(ApiError::new(ErrorCode::ConversationClosed));
                }
            }
            crate::visitor::store_message(app, site, visitor, req).await?
        }
        Peer::Agent { site, name } => {
            let id =
                conversation_id.ok_or_else(|| ApiError::detail(ErrorCode::BadRequest, "conversationId is required"))?;
            crate::agent::store_reply(app, site.clone(), name.clone(), id, req).await?
        }
    };
    Ok(ServerFrame::Ack {
        client_msg_id: stored.message.client_msg_id.clone(),
        message: stored.message,
        conversation: stored.conversation.conversation,
        duplicate: stored.duplicate,
    })
}

/// The conversation a typing/read frame is about, checked against the peer:
/// a visitor may name only its own (default: its open one), an agent any of
/// its site's.
async fn conversation_for(app: &AppState, peer: &Peer, id: Option<i64>) -> Result<store::ConversationRow, ApiError> {
    let row = match (peer, id) {
        (_, Some(id)) => app.store.call(move |c| store::conversation(c, id)).await?,
        (Peer::Visitor { visitor, .. }, None) => {
            let v = visitor.clone();
            app.store.call(move |c| store::open_conversation(c, &v)).await?
        }
        (Peer::Agent { .. }, None) => {
            return Err(ApiError::detail(ErrorCode::BadRequest, "conversationId is required"))
        }
    };
    let row = row.ok_or(ApiError::new(ErrorCode::NotFound))?;
    let allowed = match peer {
        Peer::Visitor { site, visitor, .. } => row.app_key == site.app_key() && &row.visitor_id == visitor,
        Peer::Agent { site, .. } => row.app_key == site.app_key(),
    };
    if allowed {
        Ok(row)
    } else {
        Err(ApiError::new(ErrorCode::Forbidden))
    }
}
