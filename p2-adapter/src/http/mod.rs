//! `wasi:http@0.2.x` on the core's HTTP objects.
//!
//! Translation only: the eleven p2 resources are shells around [`p3_core::http`]'s request,
//! response, body and client objects, body streams are the adapter's [`SourceStream`] /
//! [`SinkStream`] (so they live in the table as wasi:io's own stream types and a guest can
//! `poll` them with sockets and clocks), and error codes come from the one conversion table in
//! the core.
//!
//! [`SourceStream`]: crate::streams::SourceStream
//! [`SinkStream`]: crate::streams::SinkStream

mod client;
pub mod handler;
pub mod types;

use bindings::http::types::ErrorCode;
use p3_core::http::HttpError;

pub use p3_core::http::{WasiHttp, WasiHttpCtx, WasiHttpCtxView, WasiHttpView};
use wasmtime::component::Linker;

/// Bindings for `wasi:http@0.2.12`, the `wasi:http/proxy` world and its exports.
pub mod bindings {
    #[allow(missing_docs)]
    mod generated {
        wasmtime::component::bindgen!({
            path: "wit",
            world: "wasi:http/proxy",
            imports: { default: tracing | trappable },
            exports: { default: async },
            require_store_data_send: true,
            with: {
                "wasi:io": wasmtime_wasi_io::bindings::wasi::io,
                "wasi:cli": crate::bindings::cli,
                "wasi:clocks": crate::bindings::clocks,
                "wasi:random": crate::bindings::random,
                "wasi:http/types.fields": p3_core::http::FieldMap,
                "wasi:http/types.request-options": p3_core::http::RequestOptions,
                "wasi:http/types.incoming-request": crate::http::types::HostIncomingRequest,
                "wasi:http/types.outgoing-request": crate::http::types::HostOutgoingRequest,
                "wasi:http/types.incoming-response": crate::http::types::HostIncomingResponse,
                "wasi:http/types.outgoing-response": crate::http::types::HostOutgoingResponse,
                "wasi:http/types.response-outparam": crate::http::types::HostResponseOutparam,
                "wasi:http/types.incoming-body": crate::http::types::HostIncomingBody,
                "wasi:http/types.outgoing-body": crate::http::types::HostOutgoingBody,
                "wasi:http/types.future-trailers": crate::http::types::HostFutureTrailers,
                "wasi:http/types.future-incoming-response": crate::http::types::HostFutureIncomingResponse,
            },
            trappable_error_type: {
                "wasi:http/types.error-code" => crate::http::types::HttpError,
                "wasi:http/types.header-error" => crate::http::types::HeaderError,
            },
        });
    }

    pub use self::generated::exports;
    pub use self::generated::wasi::http;
    pub use self::generated::{LinkOptions, Proxy, ProxyIndices, ProxyPre};
    // The world's other imports are the WASI bindings' own, as in wasmtime-wasi-http.
    pub use crate::bindings::{cli, clocks, random};
    pub use wasmtime_wasi_io::bindings::wasi::io;

    /// The same bindings for a synchronous store (`add_to_linker_sync`).
    pub mod sync {
        #[allow(missing_docs)]
        mod generated {
            wasmtime::component::bindgen!({
                path: "wit",
                world: "wasi:http/proxy",
                imports: { default: tracing },
                with: {
                    "wasi:http": crate::http::bindings::http,
                    "wasi:io": wasmtime_wasi::p2::bindings::sync::io,
                    "wasi:cli": crate::bindings::cli,
                    "wasi:clocks": crate::bindings::clocks,
                    "wasi:random": crate::bindings::random,
                },
                require_store_data_send: true,
            });
        }
        pub use self::generated::exports;
        pub use self::generated::{Proxy, ProxyIndices, ProxyPre};
        pub use crate::bindings::sync::{cli, clocks, random};
        pub use crate::http::bindings::http;
        pub use wasmtime_wasi::p2::bindings::sync::io;
    }
}

// Defines `From` between `ErrorCode` and the core's `HttpError`, `method_{to,from}_http`,
// `scheme_{to,from}_http` (p3_core::veneer's table).
p3_core::http::http_conversions!(crate::http::bindings::http::types);

/// Every `wasi:http@0.2.x` interface served (without its version).
pub const INTERFACES: &[&str] = &["wasi:http/types", "wasi:http/outgoing-handler"];

/// Adds `wasi:http/types` and `wasi:http/outgoing-handler` to an async `linker` (the rest of
/// WASI comes from [`add_to_linker_async`](crate::add_to_linker_async) or
/// [`add_to_linker_proxy_interfaces_async`](crate::add_to_linker_proxy_interfaces_async)).
pub fn add_only_http_to_linker_async<T: WasiHttpView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    let options = bindings::LinkOptions::default();
    bindings::http::outgoing_handler::add_to_linker::<_, WasiHttp>(linker, T::http)?;
    bindings::http::types::add_to_linker::<_, WasiHttp>(linker, &(&options).into(), T::http)?;
    Ok(())
}

/// [`add_only_http_to_linker_async`] for a synchronous store: wasi:http's functions never block,
/// so the same host functions serve both.
pub fn add_only_http_to_linker_sync<T: WasiHttpView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    add_only_http_to_linker_async(linker)
}

/// The `error-code` of an [`http::Error`] met while building a request, as wasmtime-wasi-http's
/// `http_request_error`: an invalid URI is `HTTP-request-URI-invalid`, anything else
/// `HTTP-protocol-error`.
pub fn http_request_error(err: http::Error) -> ErrorCode {
    if err.is::<http::uri::InvalidUri>() {
        return ErrorCode::HttpRequestUriInvalid;
    }
    tracing::debug!("http request error: {err:?}");
    ErrorCode::HttpProtocolError
}

/// The `error-code` of a [`hyper::Error`] met while sending a request, as wasmtime-wasi-http's
/// `hyper_request_error`: the code a hook put inside it, or `HTTP-protocol-error`.
pub fn hyper_request_error(err: hyper::Error) -> ErrorCode {
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        if let Some(code) = cause.downcast_ref::<ErrorCode>() {
            return code.clone();
        }
        source = cause.source();
    }
    tracing::debug!("hyper request error: {err:?}");
    ErrorCode::HttpProtocolError
}

/// The `error-code` of a [`hyper::Error`] met while receiving a response, as
/// wasmtime-wasi-http's `hyper_response_error`: a timeout is `HTTP-response-timeout`, otherwise
/// the code inside it or `HTTP-protocol-error` (the core's one conversion table).
pub fn hyper_response_error(err: hyper::Error) -> ErrorCode {
    ErrorCode::from(&HttpError::Hyper(err))
}
