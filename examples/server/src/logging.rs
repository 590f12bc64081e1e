//! Structured logs on stderr. `RUST_LOG` takes `tracing` target directives
//! (`info`, `natter_server=debug,tower=warn`); the default is `info`.

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|s| s.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(false);
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::registry().with(fmt).with(filter).try_init();
}
