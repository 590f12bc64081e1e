//! Command-line parsing. Hand-written to keep the dependency set small; the
//! grammar is flat (`--flag` or `--option VALUE`, `--static` repeatable).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "\
usage: natter-server [--listen ADDR] [--db PATH | --memory] [--config FILE]
                     [--static DIR]... [--bot echo|off] [--bot-delay-ms N]
                     [--no-websocket] [--test-hooks] [--allow-private-webhooks]
                     [--agent-token TOKEN]
                     [--admin-token TOKEN] [--link-secret SECRET]

  --listen ADDR       address to bind (default 127.0.0.1:8787; port 0 = any free port)
  --db PATH           SQLite database file (default data/natter.db, created on first start)
  --memory            keep everything in memory (lost on exit)
  --config FILE       TOML file of sites; without it a demo site `sk_demo` is served
  --static DIR        serve DIR's files to pages on any origin (repeatable, searched in order)
  --bot echo|off      answer every visitor message with `Echo: <text>` (default off)
  --bot-delay-ms N    delay before the bot answers (default 600)
  --no-websocket      refuse WebSocket upgrades (exercise the polling fallback)
  --test-hooks        enable POST /api/v1/test/drop-sockets (every WebSocket drops) and
                      POST /api/v1/test/clock {\"nowMs\": N} (the server's clock for hours,
                      availability, ratings and idle close stops at N ms since the epoch)
  --allow-private-webhooks
                      let webhooks reach private, loopback and link-local addresses
                      (refused by default, so a site config cannot probe this network)
  --agent-token T     fix the demo site's agent token (also env NATTER_AGENT_TOKEN)
  --admin-token T     fix the demo site's admin token (also env NATTER_ADMIN_TOKEN)
  --link-secret S     fix the demo site's standalone-link secret (also env NATTER_LINK_SECRET)

On start, prints `natter-server listening on http://<addr>` on stdout (and, for
the demo site, `agent token: <token>` then `admin token: <token>`). Logs go to
stderr (RUST_LOG=debug etc.).";

/// Where messages live.
#[derive(Clone, Debug, PartialEq)]
pub enum DbLocation {
    File(PathBuf),
    Memory,
}

/// Everything the command line can set.
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    pub db: DbLocation,
    pub config: Option<PathBuf>,
    /// Searched in order; the first hit wins.
    pub static_dirs: Vec<PathBuf>,
    /// `Some(delay)` when the echo bot is on.
    pub bot: Option<Duration>,
    pub websocket: bool,
    pub test_hooks: bool,
    /// Webhooks may target private, loopback and link-local addresses.
    pub allow_private_webhooks: bool,
    /// Demo mode only: the agent token to use instead of a random one.
    pub agent_token: Option<String>,
    /// Demo mode only: the admin token (link signing) instead of a random one.
    pub admin_token: Option<String>,
    /// Demo mode only: the standalone-link secret instead of a random one.
    pub link_secret: Option<String>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub enum Parsed {
    Run(Options),
    Help(&'static str),
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut opts = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 8787)),
        db: DbLocation::File(PathBuf::from("data/natter.db")),
        config: None,
        static_dirs: Vec::new(),
        bot: None,
        websocket: true,
        test_hooks: false,
        allow_private_webhooks: false,
        agent_token: env("NATTER_AGENT_TOKEN"),
        admin_token: env("NATTER_ADMIN_TOKEN"),
        link_secret: env("NATTER_LINK_SECRET"),
    };
    let mut bot_on = false;
    let mut bot_delay = Duration::from_millis(600);
    let (mut db_given, mut memory) = (false, false);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help(USAGE)),
            "--listen" => {
                let v = value("--listen")?;
                opts.listen = v.parse().map_err(|_| format!("--listen: not an address: {v}"))?;
            }
            "--db" => {
                opts.db = DbLocation::File(PathBuf::from(value("--db")?));
                db_given = true;
            }
            "--memory" => memory = true,
            "--config" => opts.config = Some(PathBuf::from(value("--config")?)),
            "--static" => opts.static_dirs.push(PathBuf::from(value("--static")?)),
            "--bot" => {
                bot_on = match value("--bot")?.as_str() {
                    "echo" => true,
                    "off" => false,
                    other => return Err(format!("--bot: expected echo or off, got {other}")),
                }
            }
            "--bot-delay-ms" => {
                let v = value("--bot-delay-ms")?;
                let ms: u64 = v.parse().map_err(|_| format!("--bot-delay-ms: not a number: {v}"))?;
                bot_delay = Duration::from_millis(ms);
            }
            "--no-websocket" => opts.websocket = false,
            "--test-hooks" => opts.test_hooks = true,
            "--allow-private-webhooks" => opts.allow_private_webhooks = true,
            "--agent-token" => opts.agent_token = Some(value("--agent-token")?),
            "--admin-token" => opts.admin_token = Some(value("--admin-token")?),
            "--link-secret" => opts.link_secret = Some(value("--link-secret")?),
            other => return Err(format!("unknown argument: {other}")),
        }
    }
    if db_given && memory {
        return Err("--db and --memory exclude each other".into());
    }
    if memory {
        opts.db = DbLocation::Memory;
    }
    if bot_on {
        opts.bot = Some(bot_delay);
    }
    Ok(Parsed::Run(opts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options, String> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Parsed::Run(o) => Ok(o),
            Parsed::Help(_) => Err("help".into()),
        }
    }

    #[test]
    fn parses_the_documented_flags() {
        let o = run(&[
            "--listen",
            "127.0.0.1:0",
            "--memory",
            "--static",
            "a",
            "--static",
            "b",
            "--bot",
            "echo",
            "--bot-delay-ms",
            "5",
            "--no-websocket",
            "--test-hooks",
            "--allow-private-webhooks",
            "--admin-token",
            "adm",
            "--link-secret",
            "ls",
        ])
        .unwrap();
        assert_eq!(o.listen.port(), 0);
        assert_eq!(o.db, DbLocation::Memory);
        assert_eq!(o.static_dirs, vec![PathBuf::from("a"), PathBuf::from("b")]);
        assert_eq!(o.bot, Some(Duration::from_millis(5)));
        assert!(!o.websocket && o.test_hooks && o.allow_private_webhooks);
        assert_eq!((o.admin_token.as_deref(), o.link_secret.as_deref()), (Some("adm"), Some("ls")));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(run(&["--db", "x", "--memory"]).is_err());
        assert!(run(&["--bot", "parrot"]).is_err());
        assert!(run(&["--listen"]).is_err());
        assert!(run(&["--wat"]).is_err());
    }
}
