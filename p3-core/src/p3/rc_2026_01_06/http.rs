//! `wasi:http/types@0.3.0-rc-2026-01-06` on the core's HTTP objects: 0.3.0's host code
//! (`http_types_impls!`, the `fields` methods, and 0.3.0's `request` / `response` constructors
//! and `consume-body`, called as they are) over the candidate's `header-error` and
//! `request-options-error`, the two types whose shape differs.
//!
//! It is generated from wasi-bridge's host-side view of the interface
//! (`p3-core/wit-rc-2026-01-06-http`), which takes every type of 0.3.0's shape from
//! `wasi:http/types@0.3.0`: the candidate's `request`, `response`, `fields` and
//! `request-options` are the same resources and its futures the same future types as 0.3.0's.
//! Its `client` and `handler` have 0.3.0's shape and are renamed (`wasi_bridge::run::final_names`).

use crate::http::{FieldMap, WasiHttp, WasiHttpCtxView, WasiHttpView};
use crate::p3::http::bindings::http::types::{
    self as release, ErrorCode, Method, Scheme, StatusCode,
};
use crate::p3::http::types::http_types_impls;
use crate::p3::http::{
    Request, RequestOptions, Response, method_from_http, method_to_http, scheme_from_http,
    scheme_to_http,
};
use std::time::Duration;
use wasmtime::component::{Access, FutureReader, Resource, StreamReader};

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: ["wit", "wit-rc-2026-01-06-http"],
        world: "wasi:http/types-veneer@0.3.0-rc-2026-01-06",
        imports: {
            "wasi:http/types.[static]request.new": store | trappable | tracing,
            "wasi:http/types.[static]request.consume-body": store | trappable | tracing,
            "wasi:http/types.[static]response.new": store | trappable | tracing,
            "wasi:http/types.[static]response.consume-body": store | trappable | tracing,
            "wasi:http/types.[drop]request": store | trappable | tracing,
            "wasi:http/types.[drop]response": store | trappable | tracing,
            default: trappable | tracing,
        },
        with: {
            "wasi:http/types@0.3.0": crate::p3::http::bindings::http::types,
            "wasi:clocks/types@0.3.0": crate::p3::bindings::clocks::types,
            "wasi:http/types.fields": crate::http::FieldMap,
            "wasi:http/types.request": crate::p3::http::Request,
            "wasi:http/types.response": crate::p3::http::Response,
            "wasi:http/types.request-options": crate::p3::http::RequestOptions,
        },
        trappable_error_type: {
            "wasi:http/types@0.3.0-rc-2026-01-06.header-error" => super::HeaderError,
            "wasi:http/types@0.3.0-rc-2026-01-06.request-options-error" => super::RequestOptionsError,
        },
        require_store_data_send: true,
    });
}

use generated::wasi::http0_3_0_rc_2026_01_06::types::{
    self, HeaderError as HeaderErrorCode, RequestOptionsError as OptionsErrorCode,
};

/// A candidate `header-error` for the guest, or a trap.
pub type HeaderError = crate::TrappableError<HeaderErrorCode>;
/// A candidate `request-options-error` for the guest, or a trap.
pub type RequestOptionsError = crate::TrappableError<OptionsErrorCode>;
type HeaderResult<T> = Result<T, HeaderError>;

/// The candidate's `header-error` has no `size-exceeded`: a field map grown past its limit
/// traps, as for a p2 guest (and as in wasmtime-wasi-http before 0.3.0's `size-exceeded`).
impl crate::veneer::HeaderErrorCodes for HeaderErrorCode {
    const IMMUTABLE: Self = HeaderErrorCode::Immutable;
    const INVALID_SYNTAX: Self = HeaderErrorCode::InvalidSyntax;
    const FORBIDDEN: Self = HeaderErrorCode::Forbidden;
    const SIZE_EXCEEDED: Option<Self> = None;
}

impl types::Host for WasiHttpCtxView<'_> {
    fn convert_header_error(&mut self, err: HeaderError) -> wasmtime::Result<HeaderErrorCode> {
        err.downcast()
    }

    fn convert_request_options_error(
        &mut self,
        err: RequestOptionsError,
    ) -> wasmtime::Result<OptionsErrorCode> {
        err.downcast()
    }
}

// `fields`, `request`, `response`, `request-options` (crate::p3::http::types).
http_types_impls!();

type GuestTrailers = FutureReader<Result<Option<Resource<FieldMap>>, ErrorCode>>;
type ResultFuture = FutureReader<Result<(), ErrorCode>>;

impl<U: 'static> types::HostRequestWithStore<U> for WasiHttp {
    fn new(
        store: Access<U, Self>,
        headers: Resource<FieldMap>,
        contents: Option<StreamReader<u8>>,
        trailers: GuestTrailers,
        options: Option<Resource<RequestOptions>>,
    ) -> wasmtime::Result<(Resource<Request>, ResultFuture)> {
        <Self as release::HostRequestWithStore<U>>::new(store, headers, contents, trailers, options)
    }

    fn consume_body(
        store: Access<U, Self>,
        request: Resource<Request>,
        res: ResultFuture,
    ) -> wasmtime::Result<(StreamReader<u8>, GuestTrailers)> {
        <Self as release::HostRequestWithStore<U>>::consume_body(store, request, res)
    }

    fn drop(store: Access<U, Self>, request: Resource<Request>) -> wasmtime::Result<()> {
        <Self as release::HostRequestWithStore<U>>::drop(store, request)
    }
}

impl<U: 'static> types::HostResponseWithStore<U> for WasiHttp {
    fn new(
        store: Access<U, Self>,
        headers: Resource<FieldMap>,
        contents: Option<StreamReader<u8>>,
        trailers: GuestTrailers,
    ) -> wasmtime::Result<(Resource<Response>, ResultFuture)> {
        <Self as release::HostResponseWithStore<U>>::new(store, headers, contents, trailers)
    }

    fn consume_body(
        store: Access<U, Self>,
        response: Resource<Response>,
        res: ResultFuture,
    ) -> wasmtime::Result<(StreamReader<u8>, GuestTrailers)> {
        <Self as release::HostResponseWithStore<U>>::consume_body(store, response, res)
    }

    fn drop(store: Access<U, Self>, response: Resource<Response>) -> wasmtime::Result<()> {
        <Self as release::HostResponseWithStore<U>>::drop(store, response)
    }
}

/// The candidate's wasi:http interfaces served under their own names (without their version).
pub const INTERFACES: &[&str] = &["wasi:http/types"];

/// Adds the candidate's `wasi:http/types` to `linker` (its `client` is 0.3.0's, renamed);
/// `p3::http::add_to_linker` calls it.
pub(crate) fn add_to_linker<T: WasiHttpView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    types::add_to_linker::<_, WasiHttp>(linker, T::http)
}
