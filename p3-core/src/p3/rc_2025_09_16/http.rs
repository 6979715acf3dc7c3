//! `wasi:http/handler@0.3.0-rc-2025-09-16` as a guest imports it: that candidate's way to send a
//! request, served by 0.3.0's `client.send` (its `types` have `0.3.0-rc-2026-01-06`'s shape and
//! are renamed to it, its exported `handler` to 0.3.0's).

use crate::http::{WasiHttp, WasiHttpCtxView, WasiHttpView};
use crate::p3::http::bindings::http::client;
use crate::p3::http::{HttpError, Request, Response};
use wasmtime::component::{Accessor, Resource};

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: ["wit", "wit-rc-2025-09-16-http"],
        world: "wasi:http/handler-veneer@0.3.0-rc-2025-09-16",
        imports: {
            "wasi:http/handler.handle": async | store | trappable | tracing,
            default: trappable | tracing,
        },
        with: {
            "wasi:http/types@0.3.0": crate::p3::http::bindings::http::types,
            "wasi:clocks/types@0.3.0": crate::p3::bindings::clocks::types,
        },
        trappable_error_type: {
            "wasi:http/types@0.3.0.error-code" => crate::p3::http::HttpError,
        },
        require_store_data_send: true,
    });
}

use generated::wasi::http0_3_0_rc_2025_09_16::handler;

/// The candidate's wasi:http interfaces served under their own names, as imports (without
/// their version).
pub const INTERFACES: &[&str] = &["wasi:http/handler"];

impl handler::Host for WasiHttpCtxView<'_> {}

impl<U: 'static> handler::HostWithStore<U> for WasiHttp {
    async fn handle(
        store: &Accessor<U, Self>,
        request: Resource<Request>,
    ) -> Result<Resource<Response>, HttpError> {
        <Self as client::HostWithStore<U>>::send(store, request).await
    }
}

/// Adds the candidate's imported `wasi:http/handler` to `linker`; `p3::http::add_to_linker`
/// calls it.
pub(crate) fn add_to_linker<T: WasiHttpView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    handler::add_to_linker::<_, WasiHttp>(linker, T::http)
}
