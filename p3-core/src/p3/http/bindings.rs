//! Bindings for `wasi:http@0.3.0`: the `service` world, its imports and its `handler` export.

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "wit",
        world: "wasi:http/service",
        imports: {
            "wasi:http/client.send": async | store | trappable | tracing,
            "wasi:http/types.[static]request.new": store | trappable | tracing,
            "wasi:http/types.[static]request.consume-body": store | trappable | tracing,
            "wasi:http/types.[static]response.new": store | trappable | tracing,
            "wasi:http/types.[static]response.consume-body": store | trappable | tracing,
            "wasi:http/types.[drop]request": store | trappable | tracing,
            "wasi:http/types.[drop]response": store | trappable | tracing,
            default: trappable | tracing,
        },
        exports: { default: async | store },
        with: {
            "wasi:cli": crate::p3::bindings::cli,
            "wasi:clocks/types": crate::p3::bindings::clocks::types,
            "wasi:clocks/monotonic-clock": crate::p3::bindings::clocks::monotonic_clock,
            "wasi:clocks/system-clock": crate::p3::bindings::clocks::system_clock,
            "wasi:random": crate::p3::bindings::random,
            "wasi:http/types.fields": crate::http::FieldMap,
            "wasi:http/types.request": crate::p3::http::Request,
            "wasi:http/types.response": crate::p3::http::Response,
            "wasi:http/types.request-options": crate::p3::http::RequestOptions,
        },
        trappable_error_type: {
            "wasi:http/types.error-code" => crate::p3::http::HttpError,
            "wasi:http/types.header-error" => crate::p3::http::HeaderError,
            "wasi:http/types.request-options-error" => crate::p3::http::RequestOptionsError,
        },
        require_store_data_send: true,
    });
}

pub use self::generated::exports;
pub use self::generated::wasi::http;
// The world's other imports are the WASI bindings' own, as in wasmtime-wasi-http.
pub use self::generated::{Service, ServiceIndices, ServicePre};
pub use crate::p3::bindings::{cli, clocks, random};
