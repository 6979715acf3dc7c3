//! `wasi:http@0.3.0` on the core's HTTP objects.
//!
//! Guest bodies stay component-model streams and futures until the host needs them: a guest
//! that consumes a body it built gets its own stream back, and one the host sends is piped into
//! the core's byte-exact body pipe as the peer reads it. Host bodies (an inbound request, a
//! client's response) reach the guest through the core's [`BodyReader`] /
//! [`TrailersFuture`](crate::http::TrailersFuture) split.
//!
//! [`BodyReader`]: crate::http::BodyReader

pub mod bindings;
mod body;
mod client;
mod handler;
pub(crate) mod types;

pub use body::Getter;
pub use body::{Body, Request, Response};
pub use handler::{BodyDone, StartedCall, finish, start};
pub use types::{HeaderError, HttpError, RequestOptions, RequestOptionsError};

use crate::http::{WasiHttp, WasiHttpView};
use wasmtime::component::Linker;

// Defines `From` between `ErrorCode` and the core's `HttpError`, `method_{to,from}_http`,
// `scheme_{to,from}_http` (crate::veneer's table).
crate::http::http_conversions!(crate::p3::http::bindings::http::types);

/// Every `wasi:http@0.3.0` interface served (without its version).
pub const INTERFACES: &[&str] = &["wasi:http/types", "wasi:http/client"];

/// Adds `wasi:http/types@0.3.0` and `wasi:http/client@0.3.0` to `linker`.
pub fn add_to_linker<T: WasiHttpView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    bindings::http::types::add_to_linker::<_, WasiHttp>(linker, T::http)?;
    bindings::http::client::add_to_linker::<_, WasiHttp>(linker, T::http)?;
    // `wasi:http/types@0.3.0-rc-2026-01-06`, whose two error types differ (its client and
    // handler are 0.3.0's, renamed by `wasi_bridge::run::final_names`).
    crate::p3::rc_2026_01_06::http::add_to_linker(linker)?;
    // `wasi:http/handler@0.3.0-rc-2025-09-16` imported: that candidate's `client.send`.
    crate::p3::rc_2025_09_16::http::add_to_linker(linker)
}
