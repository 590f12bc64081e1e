//! `natter-server`: the companion backend of the Natter chat widget.
//!
//! It implements the protocol of `docs/protocol.md` (REST under
//! `/api/v1/cs/`, a visitor WebSocket at `/ws`, an agent API under
//! `/api/v1/agent/`) on axum + tokio with SQLite persistence, serves the
//! agent console at `/agent` and, optionally, the widget's CDN files.
//!
//! Module layout:
//! - [`cli`]: command-line options;
//! - [`config`]: sites (app keys, origin allowlists, secrets, agents), the demo site;
//! - [`store`]: SQLite schema, migrations and every query;
//! - [`auth`]: visitor JWTs (HS256), identity hashes, link signatures;
//! - [`hub`]: live events routed to the sockets they are for, agent presence;
//! - [`limits`]: token-bucket rate limits;
//! - [`error`]: the error envelope and its en-US / zh-CN messages;
//! - [`http`]: extractors, JSON responses, CORS, request logs;
//! - [`visitor`], [`agent`]: REST handlers of each side;
//! - [`lifecycle`]: joining and ending conversations;
//! - [`rating`]: visitors' ratings and the agents' list of them;
//! - [`fields`]: conversation fields set by the visitor's page;
//! - [`forms`]: form definitions checked at start-up, submissions checked
//!   and rendered;
//! - [`hours`], [`scheduler`]: business hours, availability pushed when it
//!   changes, idle conversations ended;
//! - [`webhooks`]: signed webhooks, their queue, worker and delivery log;
//! - [`admin`]: the admin API (standalone-link signing);
//! - [`ws`]: both WebSockets;
//! - [`bot`]: the echo bot;
//! - [`statics`]: static files and the embedded agent console;
//! - [`serve`]: the accept loop with its timeouts and connection caps;
//! - [`clock`], [`logging`]: time formatting, tracing setup.
//!
//! Shutdown: on SIGINT/SIGTERM the listener stops accepting, sockets get a
//! 1001 close, in-flight requests finish (so every answered send is
//! committed), then the database is closed. A 10 s cap bounds the wait.

pub mod admin;
pub mod agent;
pub mod auth;
pub mod bot;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod fields;
pub mod forms;
pub mod hours;
pub mod http;
pub mod hub;
pub mod lifecycle;
pub mod limits;
pub mod logging;
pub mod rating;
pub mod scheduler;
pub mod serve;
pub mod statics;
pub mod store;
pub mod visitor;
pub mod webhooks;
pub mod ws;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, patch, post};
use axum::{middleware, Router};
use natter::protocol::MAX_BODY_BYTES;
use natter::protocol::{
    CONFIG_PATH, CONVERSATIONS_PATH, CONVERSATION_FIELDS_PATH, CURRENT_CONVERSATION_PATH, HANDSHAKE_PATH,
    IDENTIFY_PATH, LEAVE_PATH_END, MESSAGES_PATH_END, RATING_PATH_END, VISITOR_API_PREFIX, WS_PATH,
};
use tokio::sync::{broadcast, watch};
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::cli::{DbLocation, Options};
use crate::config::Sites;
use crate::hub::Hub;
use crate::limits::Limiter;
use crate::store::Store;

/// Longest wait for in-flight requests after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Everything a handler needs, shared behind an `Arc`.
pub struct AppState {
    pub sites: Sites,
    pub store: Store,
    pub hub: Hub,
    pub limiter: Limiter,
    /// Open WebSockets per token and per client IP.
    pub sockets: limits::Slots,
    /// `Some(delay)` when the echo bot answers visitor messages.
    pub bot: Option<Duration>,
    /// `false` with `--no-websocket`: upgrades get 404 `websocket_disabled`.
    pub websocket: bool,
    pub static_dirs: Vec<PathBuf>,
    /// Flips to `true` on shutdown; sockets close with 1001 when it does.
    pub shutdown: watch::Receiver<bool>,
    /// Test hook: every socket drops its connection without a close frame.
    pub drop_sockets: broadcast::Sender<()>,
    /// "Now" for conversations, hours and ratings (settable by tests).
    pub clock: clock::Clock,
    /// Each site's availability as last pushed (see [`scheduler`]).
    pub announced: scheduler::Announced,
    /// The webhooks' outbox, client and worker wake-up.
    pub hooks: webhooks::Hooks,
}

impl AppState {
    /// The time of [`AppState::clock`], in ms since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

pub type App = Arc<AppState>;

pub fn router(app: App, test_hooks: bool) -> Router {
    // The visitor protocol's paths are the widget's (`natter::protocol`).
    let conversation = |end: &str| [CONVERSATIONS_PATH, "/{id}", end].concat();
    let visitor_api = Router::new()
        .route(HANDSHAKE_PATH, post(visitor::handshake))
        .route(IDENTIFY_PATH, post(visitor::identify))
        .route(CONFIG_PATH, get(visitor::config))
        .route(CONVERSATIONS_PATH, post(visitor::send))
        .route(CURRENT_CONVERSATION_PATH, get(visitor::current))
        .route(CONVERSATION_FIELDS_PATH, patch(fields::set))
        .route(&conversation(MESSAGES_PATH_END), get(visitor::messages))
        .route(&conversation(LEAVE_PATH_END), post(lifecycle::leave))
        .route(&conversation(RATING_PATH_END), post(rating::rate))
        .method_not_allowed_fallback(method_not_allowed);
    let visitor_api = http::private(visitor_api).layer(http::cors());
    let agent_api = Router::new()
        .route("/me", get(agent::me))
        .route("/conversations", get(agent::list))
        .route("/conversations/{id}", get(agent::one))
        .route("/conversations/{id}/messages", get(agent::messages).post(agent::reply))
        .route("/conversations/{id}/typing", post(agent::typing))
        .route("/conversations/{id}/join", post(lifecycle::join))
        .route("/conversations/{id}/close", post(lifecycle::close))
        .route("/ratings", get(rating::list))
        .route("/webhooks/deliveries", get(webhooks::deliveries))
        .route("/ws", get(ws::agent_socket))
        .method_not_allowed_fallback(method_not_allowed);
    let agent_api = http::private(agent_api);
    let admin_api = Router::new()
        .route("/cs/sites/{app_key}/link-entry/sign", post(admin::sign_link))
        .method_not_allowed_fallback(method_not_allowed);
    let admin_api = http::private(admin_api);
    let body_timeout = Duration::from_millis(app.sites.limits.body_timeout_ms);
    let mut router = Router::new()
        .nest(VISITOR_API_PREFIX, visitor_api)
        .nest("/api/v1/agent", agent_api)
        .nest("/api/v1/admin", admin_api)
        .route(WS_PATH, get(ws::visitor_socket))
        .route("/healthz", get(|| async { "ok" }))
        .route("/agent", get(statics::console_page))
        .route("/agent/app.js", get(statics::console_script))
        .route("/agent/app.css", get(statics::console_style));
    if test_hooks {
        router =
            router.route("/api/v1/test/drop-sockets", post(drop_sockets)).route("/api/v1/test/clock", post(set_clock));
    }
    router
        .fallback_service(statics::service(&app.static_dirs))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(RequestBodyTimeoutLayer::new(body_timeout))
        .layer(middleware::from_fn(error::localize))
        .layer(middleware::from_fn(http::log_requests))
        .with_state(app)
}

async fn method_not_allowed() -> error::ApiError {
    error::ApiError::new(natter::protocol::ErrorCode::MethodNotAllowed)
}

async fn drop_sockets(State(app): State<App>) -> Response {
    let sockets = app.drop_sockets.send(()).unwrap_or(0);
    tracing::warn!(sockets, "test hook: dropping every WebSocket");
    http::json(StatusCode::OK, &serde_json::json!({ "dropped": sockets }))
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SetClock {
    now_ms: i64,
}

/// Test hook: sets the server's clock (availability, hours, ratings, idle
/// close) to `nowMs`; answers once the scheduler has acted on it.
async fn set_clock(
    State(app): State<App>,
    body: Result<http::JsonBody<SetClock>, error::ApiError>,
) -> Result<Response, error::ApiError> {
    let http::JsonBody(SetClock { now_ms }) = body?;
    tracing::info!(now_ms, "test hook: clock set");
    app.clock.set(now_ms).await;
    Ok(http::json(StatusCode::OK, &serde_json::json!({ "nowMs": now_ms })))
}

/// Loads the sites: the config file's, or the demo site. Returns the demo
/// agent and admin tokens to print, if any.
async fn load_sites(opts: &Options, store: &Store) -> Result<(Sites, Option<(String, String)>), String> {
    let (limits, configs, demo_tokens) = match &opts.config {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let (limits, sites) = config::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            (limits, sites, None)
        }
        None => {
            let or_random = |given: &Option<String>, prefix: &str| -> Result<String, String> {
                match given {
                    Some(t) => Ok(t.clone()),
                    None => Ok(format!("{prefix}{}", auth::hex(&auth::random_bytes(16)?))),
                }
            };
            let secrets = config::DemoSecrets {
                agent_token: or_random(&opts.agent_token, "agt_")?,
                admin_token: or_random(&opts.admin_token, "adm_")?,
                link_secret: or_random(&opts.link_secret, "")?,
            };
            let printed = (secrets.agent_token.clone(), secrets.admin_token.clone());
            (config::Limits::default(), vec![config::demo_site(secrets)], Some(printed))
        }
    };
    let mut by_key = HashMap::new();
    for site in configs {
        let secret = match &site.jwt_secret {
            Some(s) => s.as_bytes().to_vec(),
            None => {
                let key = site.app_key.clone();
                store.call(move |c| store::site_key(c, &key)).await.map_err(|e| format!("database: {e}"))?
            }
        };
        by_key.insert(site.app_key.clone(), Arc::new(config::build_site(site, secret)?));
    }
    Ok((Sites { by_key, limits }, demo_tokens))
}

/// Resolves once shutdown has begun (the guard `wait_for` returns is not
/// `Send`, so it is dropped here rather than held in a `select!`).
pub async fn stopped(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// Runs the server until SIGINT/SIGTERM.
pub async fn run(opts: Options) -> Result<(), String> {
    let db_path = match &opts.db {
        DbLocation::File(p) => Some(p.clone()),
        DbLocation::Memory => None,
    };
    let store = {
        let path = db_path.clone();
        tokio::task::spawn_blocking(move || Store::open(path.as_deref()))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot open the database: {e}"))?
    };
    let (sites, demo_tokens) = load_sites(&opts, &store).await?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;

    let (stop_tx, stop_rx) = watch::channel(false);
    let (drop_tx, _) = broadcast::channel(4);
    let hooks = webhooks::Hooks::new(&sites, opts.allow_private_webhooks)?;
    let app = Arc::new(AppState {
        sites,
        store,
        hub: Hub::new(opts.bot.is_some()),
        limiter: Limiter::default(),
        sockets: limits::Slots::default(),
        bot: opts.bot,
        websocket: opts.websocket,
        static_dirs: opts.static_dirs.clone(),
        shutdown: stop_rx.clone(),
        drop_sockets: drop_tx,
        clock: clock::Clock::default(),
        announced: scheduler::Announced::default(),
        hooks,
    });
    let scheduler = tokio::spawn(scheduler::run(app.clone()));
    let deliverer = tokio::spawn(webhooks::run(app.clone()));
    let routes = router(app.clone(), opts.test_hooks);
    let limits = app.sites.limits.clone();
    let mut server = tokio::spawn(async move { serve::serve(listener, routes, &limits, stop_rx).await });

    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "natter-server listening on http://{addr}");
        if let Some((agent, admin)) = &demo_tokens {
            let _ = writeln!(out, "agent token: {agent}");
            let _ = writeln!(out, "admin token: {admin}");
        }
        let _ = out.flush();
    }
    tracing::info!(
        %addr,
        db = %db_path.as_ref().map_or("memory".into(), |p| p.display().to_string()),
        sites = app.sites.by_key.len(),
        bot = app.bot.is_some(),
        websocket = app.websocket,
        "natter-server started"
    );

    tokio::select! {
        _ = shutdown_signal() => {}
        res = &mut server => {
            return res.map_err(|e| format!("server task failed: {e}"));
        }
    }
    tracing::info!("shutdown signal: finishing in-flight requests");
    let _ = stop_tx.send(true);
    match tokio::time::timeout(SHUTDOWN_GRACE, &mut server).await {
        Ok(_) => tracing::info!("all connections closed"),
        Err(_) => {
            tracing::warn!("grace period over: dropping the remaining connections");
            server.abort();
        }
    }
    // They stop on the shutdown signal; their handles on the state go with them.
    let _ = scheduler.await;
    let _ = deliverer.await;
    drop(app);
    tracing::info!("stopped");
    Ok(())
}
