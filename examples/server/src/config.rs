//! Sites: who may embed the widget, with which secrets and remote config.
//!
//! A `--config` TOML file lists sites; without one a demo site `sk_demo`
//! allows any `http://127.0.0.1:*`, `http://[::1]:*` and `http://localhost:*`
//! origin. See `docs/protocol.md` ("Configuration file") for the format.

use std::collections::HashMap;
use std::sync::Arc;

use natter::protocol::{Appearance, Forms, RatingScale};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::hours::{Hours, HoursConfig};

/// Rate limits (per minute; token buckets: the full amount may come at once),
/// connection and socket caps, and request read timeouts.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// `GET /config` and `POST /handshake`, per client IP.
    pub handshake_per_minute: u32,
    /// Messages sent, per visitor.
    pub messages_per_minute: u32,
    /// Every other visitor request (and WebSocket upgrades), per client IP.
    pub api_per_minute: u32,
    /// Frames a client may send on one WebSocket.
    pub ws_frames_per_minute: u32,
    /// Open WebSockets per visitor or agent token; the excess is closed
    /// with 4030.
    pub sockets_per_token: usize,
    /// Open WebSockets per client IP (visitors and agents); the excess is
    /// closed with 4030.
    pub sockets_per_ip: usize,
    /// Open TCP connections, all clients together. At the cap the server
    /// stops accepting until one closes.
    pub max_connections: usize,
    /// Open TCP connections per client IP; the excess is closed at once.
    pub connections_per_ip: usize,
    /// Longest wait for a request's complete header (also for the next
    /// request on an idle keep-alive connection); the connection is closed.
    pub header_timeout_ms: u64,
    /// Longest wait for a request's complete body: 408 after it.
    pub body_timeout_ms: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            handshake_per_minute: 30,
            messages_per_minute: 20,
            api_per_minute: 300,
            ws_frames_per_minute: 120,
            sockets_per_token: 16,
            sockets_per_ip: 256,
            max_connections: 8192,
            connections_per_ip: 512,
            header_timeout_ms: 10_000,
            body_timeout_ms: 10_000,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RemoteSettings {
    pub locale: Option<String>,
    pub greeting: Option<String>,
    pub offline_message: Option<String>,
    /// Appearance keys use the widget's own camelCase names.
    pub appearance: Appearance,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentEntry {
    pub name: String,
    pub token: String,
}

/// One `[[sites]]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub app_key: String,
    #[serde(default)]
    pub name: Option<String>,
    /// A switched-off site answers handshakes with `available: false`.
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Accept visitor requests without an `Origin` header (server-to-server).
    #[serde(default)]
    pub allow_missing_origin: bool,
    /// HS256 key of visitor tokens; generated and kept in the DB when absent.
    #[serde(default)]
    pub jwt_secret: Option<String>,
    /// Key of `userHash` = hex(HMAC-SHA256(identity_secret, externalUserId)).
    #[serde(default)]
    pub identity_secret: Option<String>,
    /// Refuse an `externalUserId` that comes without a valid `userHash` or
    /// `identityToken` (403 `identity_unverified`).
    #[serde(default)]
    pub require_user_hash: bool,
    /// Older spelling of `[sites.link] secret`, used when that is absent.
    #[serde(default)]
    pub link_secret: Option<String>,
    /// Standalone link entry (`X-CS-Entry: link`).
    #[serde(default)]
    pub link: LinkSettings,
    /// Bearer tokens of the admin API (link signing), at least 16 characters.
    #[serde(default)]
    pub admin_tokens: Vec<String>,
    #[serde(default)]
    pub remote: RemoteSettings,
    #[serde(default)]
    pub agents: Vec<AgentEntry>,
    /// The rating visitors are asked for once a conversation ends.
    #[serde(default)]
    pub rating: RatingSetting,
    /// Business hours; none = always inside hours.
    #[serde(default)]
    pub hours: Option<HoursConfig>,
    /// An open conversation with no message for this many minutes is ended
    /// by the server (`endedBySystem`); 0 = never.
    #[serde(default)]
    pub idle_close_mins: u32,
    /// Where the site's events are POSTed, signed (`docs/webhooks.md`).
    #[serde(default)]
    pub webhooks: Vec<WebhookConfig>,
    /// `[sites.forms]`: `preChat`, `offline` and `tickets.<name>`, in the
    /// wire's camelCase names (`docs/protocol.md` section 16).
    #[serde(default, deserialize_with = "crate::forms::from_config")]
    pub forms: Forms,
}

/// One `[[sites.webhooks]]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// An `http` or `https` URL.
    pub url: String,
    /// The key of the deliveries' HMAC-SHA256 signatures.
    pub secret: String,
    /// The events sent to it (see [`crate::webhooks::EVENTS`]).
    pub events: Vec<String>,
}

/// `rating = "off" | "csat" | "nps"`.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RatingSetting {
    Off,
    #[default]
    Csat,
    Nps,
}

impl RatingSetting {
    /// The scale visitors rate on; `None` when the site asks for no rating.
    pub fn scale(self) -> Option<RatingScale> {
        match self {
            RatingSetting::Off => None,
            RatingSetting::Csat => Some(RatingScale::Csat),
            RatingSetting::Nps => Some(RatingScale::Nps),
        }
    }
}

/// `[sites.link]`: the standalone link entry of a site.
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LinkSettings {
    /// Off by default: link requests then get 503 `unavailable`.
    pub enabled: bool,
    /// Key of `s` = hex(HMAC-SHA256(secret, netstrings of appKey, t, u, nick)).
    pub secret: Option<String>,
    /// How long after `t` a signed link is accepted.
    pub ttl_secs: u64,
    /// Refuse links without `t`/`s` (403 `link_invalid`).
    pub require_signature: bool,
}

impl Default for LinkSettings {
    fn default() -> Self {
        LinkSettings {
            enabled: false,
            secret: None,
            ttl_secs: natter::protocol::LINK_TTL_SECS,
            require_signature: true,
        }
    }
}

fn yes() -> bool {
    true
}

impl SiteConfig {
    /// The link signing key: `[sites.link] secret`, else `link_secret`.
    pub fn link_secret(&self) -> Option<&str> {
        self.link.secret.as_deref().or(self.link_secret.as_deref()).filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    limits: Limits,
    sites: Vec<SiteConfig>,
}

/// A site ready to serve: parsed patterns and a resolved JWT key.
#[derive(Debug)]
pub struct Site {
    pub config: SiteConfig,
    pub origins: Vec<OriginPattern>,
    /// Resolved at start: from the config, or generated once and stored in
    /// the DB so tokens survive restarts.
    pub jwt_secret: Vec<u8>,
    pub hours: Option<Hours>,
}

impl Site {
    pub fn app_key(&self) -> &str {
        &self.config.app_key
    }

    /// The `Origin` rule of every visitor endpoint and the WebSocket upgrade.
    pub fn origin_allowed(&self, origin: Option<&str>) -> bool {
        match origin {
            None => self.config.allow_missing_origin,
            Some(o) => self.origins.iter().any(|p| p.matches(o)),
        }
    }
}

/// Every configured site plus the agent-token index.
#[derive(Debug)]
pub struct Sites {
    pub by_key: HashMap<String, Arc<Site>>,
    pub limits: Limits,
}

impl Sites {
    pub fn get(&self, app_key: &str) -> Option<&Arc<Site>> {
        self.by_key.get(app_key)
    }

    /// Finds the site owning a bearer token among `tokens(site)`, with the
    /// value paired to it. Compares against every token in constant time
    /// each, so timing tells nothing.
    fn by_token<T>(
        &self,
        token: &str,
        tokens: impl for<'a> Fn(&'a SiteConfig) -> Vec<(&'a str, T)>,
    ) -> Option<(Arc<Site>, T)> {
        let mut found = None;
        for site in self.by_key.values() {
            for (candidate, value) in tokens(&site.config) {
                if bool::from(candidate.as_bytes().ct_eq(token.as_bytes())) {
                    found = Some((site.clone(), value));
                }
            }
        }
        found
    }

    /// The site of an admin token.
    pub fn admin(&self, token: &str) -> Option<Arc<Site>> {
        self.by_token(token, |c| c.admin_tokens.iter().map(|t| (t.as_str(), ())).collect()).map(|(site, ())| site)
    }

    /// The site and agent name of an agent token.
    pub fn agent(&self, token: &str) -> Option<(Arc<Site>, String)> {
        self.by_token(token, |c| c.agents.iter().map(|a| (a.token.as_str(), a.name.clone())).collect())
    }
}

/// Secrets of the demo site, from the command line or generated at start.
pub struct DemoSecrets {
    pub agent_token: String,
    pub admin_token: String,
    pub link_secret: String,
}

/// The built-in demo site, used when no `--config` is given. Standalone
/// links are on and unsigned links allowed (so `standalone.html?k=sk_demo`
/// just works); signed links are verified with `link_secret`. It asks for
/// CSAT ratings, never ends idle conversations, and has an offline form and
/// a `refund` ticket form but no pre-chat form.
pub fn demo_site(secrets: DemoSecrets) -> SiteConfig {
    SiteConfig {
        app_key: "sk_demo".into(),
        name: Some("Natter demo".into()),
        enabled: true,
        allowed_origins: vec!["http://127.0.0.1:*".into(), "http://localhost:*".into(), "http://[::1]:*".into()],
        allow_missing_origin: false,
        jwt_secret: None,
        identity_secret: None,
        require_user_hash: false,
        link_secret: None,
        link: LinkSettings {
            enabled: true,
            secret: Some(secrets.link_secret),
            ttl_secs: natter::protocol::LINK_TTL_SECS,
            require_signature: false,
        },
        admin_tokens: vec![secrets.admin_token],
        remote: RemoteSettings {
            locale: Some("en-US".into()),
            greeting: Some("Hi! Ask us anything.".into()),
            offline_message: Some("We are away; leave a message and we will reply.".into()),
            appearance: Appearance::default(),
        },
        agents: vec![AgentEntry { name: "Demo agent".into(), token: secrets.agent_token }],
        rating: RatingSetting::Csat,
        // Hours every day all day: the shape of a schedule, while the demo
        // (and the tests that use it) stays inside hours at any time of day.
        hours: Some(HoursConfig {
            time_zone: "UTC".into(),
            mon: all_day(),
            tue: all_day(),
            wed: all_day(),
            thu: all_day(),
            fri: all_day(),
            sat: all_day(),
            sun: all_day(),
            holidays: Vec::new(),
        }),
        idle_close_mins: 0,
        webhooks: Vec::new(),
        forms: crate::forms::demo_forms(),
    }
}

fn all_day() -> Vec<String> {
    vec!["00:00-24:00".into()]
}

/// Parses a config file's text into limits and site tables.
pub fn parse_file(text: &str) -> Result<(Limits, Vec<SiteConfig>), String> {
    let file: FileConfig = basic_toml::from_str(text).map_err(|e| e.to_string())?;
    if file.sites.is_empty() {
        return Err("no [[sites]] defined".into());
    }
    let l = &file.limits;
    let caps = [
        ("sockets_per_token", l.sockets_per_token as u64),
        ("sockets_per_ip", l.sockets_per_ip as u64),
        ("max_connections", l.max_connections as u64),
        ("connections_per_ip", l.connections_per_ip as u64),
        ("header_timeout_ms", l.header_timeout_ms),
        ("body_timeout_ms", l.body_timeout_ms),
    ];
    if let Some((name, _)) = caps.iter().find(|(_, v)| *v == 0) {
        return Err(format!("[limits] {name} must be at least 1"));
    }
    let mut seen = std::collections::HashSet::new();
    for site in &file.sites {
        if site.app_key.trim().is_empty() {
            return Err("a site has an empty app_key".into());
        }
        if !seen.insert(site.app_key.clone()) {
            return Err(format!("app_key {} defined twice", site.app_key));
        }
        for o in &site.allowed_origins {
            OriginPattern::parse(o).ok_or_else(|| format!("site {}: bad origin pattern {o}", site.app_key))?;
        }
        for a in &site.agents {
            if a.token.len() < 16 {
                return Err(format!("site {}: agent {} token shorter than 16 characters", site.app_key, a.name));
            }
        }
        if site.admin_tokens.iter().any(|t| t.len() < 16) {
            return Err(format!("site {}: an admin token is shorter than 16 characters", site.app_key));
        }
        if site.link.enabled && site.link.require_signature && site.link_secret().is_none() {
            return Err(format!("site {}: [sites.link] requires a signature but has no secret", site.app_key));
        }
        if let Some(hours) = &site.hours {
            Hours::parse(hours).map_err(|e| format!("site {}: {e}", site.app_key))?;
        }
        for (i, hook) in site.webhooks.iter().enumerate() {
            crate::webhooks::check(hook).map_err(|e| format!("site {}: webhooks[{i}].{e}", site.app_key))?;
        }
        crate::forms::check(&site.forms).map_err(|e| format!("site {}: {e}", site.app_key))?;
    }
    Ok((file.limits, file.sites))
}

/// Builds a [`Site`] from its table and resolved JWT key.
pub fn build_site(config: SiteConfig, jwt_secret: Vec<u8>) -> Result<Site, String> {
    let origins = config.allowed_origins.iter().filter_map(|o| OriginPattern::parse(o)).collect();
    let hours =
        config.hours.as_ref().map(Hours::parse).transpose().map_err(|e| format!("site {}: {e}", config.app_key))?;
    Ok(Site { config, origins, jwt_secret, hours })
}

/// One allowlist entry: `*`, `null`, `https://shop.example.com`,
/// `https://*.example.com` (subdomains), `http://localhost:*` (any port).
#[derive(Clone, Debug, PartialEq)]
pub enum OriginPattern {
    Any,
    /// The literal `null` origin (sandboxed frames, `file:` pages).
    Null,
    Pattern {
        scheme: String,
        host: HostPattern,
        port: PortPattern,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum HostPattern {
    Exact(String),
    /// `*.example.com`, stored as `.example.com`: subdomains only.
    Subdomains(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum PortPattern {
    /// No port written: the scheme's default.
    Default,
    Exact(u16),
    Any,
}

/// Splits `scheme://host[:port]` into lowercase parts.
fn split_origin(s: &str) -> Option<(String, String, Option<&str>)> {
    let (scheme, rest) = s.split_once("://")?;
    if scheme.is_empty() || rest.is_empty() || rest.contains('/') {
        return None;
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (format!("[{h}]"), port)
    } else {
        match rest.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p)),
            None => (rest.to_string(), None),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some((scheme.to_ascii_lowercase(), host.to_ascii_lowercase(), port))
}

/// A port as browsers write it: ASCII digits only (`u16::from_str` also
/// takes `+80`, which no browser sends).
fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok()
}

fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        _ => None,
    }
}

impl OriginPattern {
    pub fn parse(s: &str) -> Option<OriginPattern> {
        match s.trim() {
            "*" => return Some(OriginPattern::Any),
            "null" => return Some(OriginPattern::Null),
            _ => {}
        }
        let (scheme, host, port) = split_origin(s.trim())?;
        let host = match host.strip_prefix("*.") {
            Some(rest) if !rest.is_empty() => HostPattern::Subdomains(format!(".{rest}")),
            _ if host.contains('*') => return None,
            _ => HostPattern::Exact(host),
        };
        let port = match port {
            None => PortPattern::Default,
            Some("*") => PortPattern::Any,
            Some(p) => PortPattern::Exact(parse_port(p)?),
        };
        Some(OriginPattern::Pattern { scheme, host, port })
    }

    pub fn matches(&self, origin: &str) -> bool {
        let (scheme, host, port) = match self {
            OriginPattern::Any => return true,
            OriginPattern::Null => return origin == "null",
            OriginPattern::Pattern { scheme, host, port } => (scheme, host, port),
        };
        let Some((s, h, p)) = split_origin(origin) else { return false };
        let host_ok = match host {
            HostPattern::Exact(e) => &h == e,
            HostPattern::Subdomains(suffix) => h.ends_with(suffix.as_str()) && h.len() > suffix.len(),
        };
        if &s != scheme || !host_ok {
            return false;
        }
        let actual = match p {
            None => default_port(&s),
            Some(p) => match parse_port(p) {
                Some(n) => Some(n),
                None => return false,
            },
        };
        match port {
            PortPattern::Any => true,
            PortPattern::Default => actual == default_port(&s),
            PortPattern::Exact(n) => actual == Some(*n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, origin: &str) -> bool {
        OriginPattern::parse(pattern).unwrap().matches(origin)
    }

    #[test]
    fn origin_patterns() {
        assert!(m("http://127.0.0.1:*", "http://127.0.0.1:5173"));
        assert!(m("http://127.0.0.1:*", "http://127.0.0.1"));
        assert!(!m("http://127.0.0.1:*", "https://127.0.0.1:5173"));
        assert!(!m("http://127.0.0.1:*", "http://127.0.0.10:80"));
        assert!(m("http://[::1]:*", "http://[::1]:8080"));
        assert!(m("https://shop.example.com", "https://shop.example.com"));
        assert!(m("https://shop.example.com", "https://shop.example.com:443"));
        assert!(!m("https://shop.example.com", "https://shop.example.com:8443"));
        assert!(!m("https://shop.example.com", "https://shop.example.com.evil.io"));
        assert!(m("https://*.example.com", "https://a.b.example.com"));
        assert!(!m("https://*.example.com", "https://example.com"));
        assert!(!m("https://*.example.com", "https://evilexample.com"));
        assert!(m("null", "null"));
        assert!(!m("http://localhost:*", "null"));
        assert!(m("*", "https://anything.test"));
        assert!(OriginPattern::parse("https://ex*ample.com").is_none());
        assert!(OriginPattern::parse("example.com").is_none());
        // Ports are digits only.
        assert!(!m("http://localhost:*", "http://localhost:+80"));
        assert!(!m("https://shop.example.com", "https://shop.example.com:+443"));
        assert!(!m("http://localhost:*", "http://localhost:"));
        assert!(OriginPattern::parse("http://localhost:+80").is_none());
    }

    #[test]
    fn config_file() {
        let (limits, sites) = parse_file(
            r##"
            [limits]
            handshake_per_minute = 5

            [[sites]]
            app_key = "sk_a"
            allowed_origins = ["https://a.test"]
            [sites.remote]
            greeting = "hello"
            [sites.remote.appearance]
            primaryColor = "#f43f5e"
            [[sites.agents]]
            name = "Alice"
            token = "0123456789abcdef0123"
            "##,
        )
        .unwrap();
        assert_eq!(limits.handshake_per_minute, 5);
        assert_eq!(limits.messages_per_minute, 20);
        assert_eq!(sites[0].remote.appearance.primary_color.as_deref(), Some("#f43f5e"));
        assert!(parse_file("[[sites]]\napp_key = \"x\"\nwat = 1\n").is_err());
        let err = parse_file("[limits]\nsockets_per_ip = 0\n[[sites]]\napp_key = \"x\"\n").unwrap_err();
        assert!(err.contains("sockets_per_ip"), "{err}");
        assert!(parse_file("").is_err());
    }

    #[test]
    fn link_settings() {
        let (_, sites) = parse_file("[[sites]]\napp_key = \"a\"\n").unwrap();
        let link = &sites[0].link;
        assert!(!link.enabled && link.require_signature && link.ttl_secs == 300 && sites[0].link_secret().is_none());
        let (_, sites) =
            parse_file("[[sites]]\napp_key = \"a\"\nlink_secret = \"old\"\n[sites.link]\nenabled = true\n").unwrap();
        assert_eq!(sites[0].link_secret(), Some("old"), "the older key still works");
        let err = parse_file("[[sites]]\napp_key = \"a\"\n[sites.link]\nenabled = true\n").unwrap_err();
        assert!(err.contains("no secret"), "{err}");
        assert!(
            parse_file("[[sites]]\napp_key = \"a\"\n[sites.link]\nenabled = true\nrequire_signature = false\n").is_ok()
        );
        assert!(parse_file("[[sites]]\napp_key = \"a\"\nadmin_tokens = [\"short\"]\n").is_err());
        assert!(parse_file("[[sites]]\napp_key = \"a\"\n[sites.link]\nttl = 5\n").is_err());
    }
}
