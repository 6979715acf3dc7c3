//! wasi:http, mirroring `wasmtime_wasi_http` 48: a host written against wasmtime-wasi-http
//! migrates by changing `wasmtime_wasi_http::` to `wasi_bridge::http::` (and `wasmtime_wasi::`
//! to `wasi_bridge::`).
//!
//! The hooks ([`WasiHttpHooks`]), fields, errors and default client are wasmtime-wasi-http's own
//! ABI-neutral types, re-exported, so a host's hooks implementation carries over unchanged.

pub use p3_core::http::{ForbiddenHeaderFilter, HttpResult as Result};

pub use p3_core::http::{
    DEFAULT_FORBIDDEN_HEADERS, FieldMap, FieldMapError, HttpError as Error, RequestOptions,
    WasiBody, WasiHttp, WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView, default_hooks,
    default_send_request,
};

pub mod handler;

/// I/O adapters (wasmtime-wasi-http's `io`).
pub mod io {
    pub use p3_core::http::TokioIo;
}

/// `wasi:http@0.2.x`, mirroring `wasmtime_wasi_http::p2`.
pub mod p2 {
    use super::WasiHttpView;
    use crate::WasiView;
    use wasmtime::component::Linker;

    pub use p2_adapter::http::types::{HeaderError, HeaderResult, HttpError, HttpResult};
    pub use p2_adapter::http::{
        INTERFACES, add_only_http_to_linker_async, add_only_http_to_linker_sync,
        http_request_error, hyper_request_error, hyper_response_error,
    };

    /// Raw bindings: `wasi:http@0.2.x` interfaces and the `proxy` world (`Proxy`, `ProxyPre`).
    pub mod bindings {
        pub use p2_adapter::http::bindings::*;
    }

    /// The p2 resources' host types.
    pub mod types {
        pub use p2_adapter::http::types::{
            HostFutureIncomingResponse, HostIncomingRequest, HostIncomingResponse,
            HostOutgoingRequest, HostOutgoingResponse, HostResponseOutparam,
        };
    }

    /// Bodies: the host types of the body resources and the boxed response body a handler gets.
    pub mod body {
        pub use p2_adapter::http::types::{HostFutureTrailers, HostIncomingBody, HostOutgoingBody};

        /// A body a host hands to a p2 guest (wasmtime-wasi-http's `HyperIncomingBody`).
        pub type HyperIncomingBody =
            http_body_util::combinators::UnsyncBoxBody<bytes::Bytes, crate::http::Error>;

        /// The body of a response a p2 guest set (wasmtime-wasi-http's `HyperOutgoingBody`).
        pub type HyperOutgoingBody = http_body_util::combinators::BoxBody<
            bytes::Bytes,
            super::bindings::http::types::ErrorCode,
        >;
    }

    /// Adds the whole `wasi:http/proxy` world to an async `linker`: wasi:http plus the WASI
    /// interfaces it imports (wasi:io, clocks, random, stdio).
    pub fn add_to_linker_async<T>(linker: &mut Linker<T>) -> wasmtime::Result<()>
    where
        T: WasiHttpView + WasiView + 'static,
    {
        p2_adapter::add_to_linker_proxy_interfaces_async(linker)?;
        add_only_http_to_linker_async(linker)
    }

    /// [`add_to_linker_async`] for a synchronous store.
    pub fn add_to_linker_sync<T>(linker: &mut Linker<T>) -> wasmtime::Result<()>
    where
        T: WasiHttpView + WasiView + 'static,
    {
        p2_adapter::add_to_linker_proxy_interfaces_sync(linker)?;
        add_only_http_to_linker_sync(linker)
    }
}

/// `wasi:http@0.3.0`, mirroring `wasmtime_wasi_http::p3`.
pub mod p3 {
    pub use p3_core::p3::http::{
        Body, BodyDone, Getter, HeaderError, HttpError, INTERFACES, Request, RequestOptions,
        RequestOptionsError, Response, StartedCall, add_to_linker, finish, start,
    };

    /// Raw bindings: `wasi:http@0.3.0` interfaces and the `service` world (`Service`,
    /// `ServicePre`).
    pub mod bindings {
        pub use p3_core::p3::http::bindings::*;
    }
}
