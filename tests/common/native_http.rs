//! The same HTTP host (`handler_host.rs`) against the oracle — wasmtime-wasi 48 +
//! wasmtime-wasi-http 48 behind wasmtime-wasi-http's own `ProxyHandler` — and against
//! wasi-bridge's drop-in API, with only the crate paths changed.

/// The oracle.
pub mod native {
    use wasmtime_wasi as wasi;
    use wasmtime_wasi_http as wasi_http;
    include!("handler_host.rs");
    include!("p3_service_host.rs");
}

/// wasi-bridge, through `wasi_bridge` / `wasi_bridge::http`.
pub mod bridge {
    use wasi_bridge as wasi;
    use wasi_bridge::http as wasi_http;
    include!("handler_host.rs");
    include!("p3_service_host.rs");
}

pub use native::handler as native_handler;
