//! The connection to the server: a pure state machine (`machine`) with its
//! backoff (`backoff`), driven in the browser by `driver`.

pub mod backoff;
pub mod machine;

mod driver;
mod http;
pub mod wire;

pub use driver::{Event, Reply, Session};
pub use http::outcome;
