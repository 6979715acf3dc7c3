//! The interfaces of the WASI release candidate `0.3.0-rc-2026-01-06` (wasmtime 41–42, wasip3
//! 0.4, componentize-py 0.21) whose shape differs from 0.3.0's, on the core: a veneer as thin as
//! the 0.3.0 bindings, whose host traits it shares (each binding expands the same
//! `filesystem_impls!` / `socket_impls!` / `http_types_impls!` over its own generated types).
//!
//! | interface | how the candidate differs from 0.3.0 |
//! |---|---|
//! | `wasi:cli/stdout`, `stderr` | `write-via-stream` is an `async func` returning the result (0.3.0: a `func` returning its future) |
//! | `wasi:filesystem/types` | `error-code` and `descriptor-type` are enums (`descriptor-type` with `unknown`), not variants with `other(option<string>)`; `write-via-stream`, `append-via-stream`, `read-directory` are `async func`s |
//! | `wasi:filesystem/preopens` | uses the candidate's `descriptor` type |
//! | `wasi:sockets/types` | `error-code` is an enum with `unknown` and without `connection-broken` (the core's `connection-broken` is `unknown` here); TCP `send` is an `async func` |
//! | `wasi:sockets/ip-name-lookup` | its `error-code` is an enum with `unknown` |
//! | `wasi:http/types` ([`http`]) | `header-error` without `size-exceeded` and `other`, `request-options-error` without `other` |
//!
//! Every other interface of the candidate has 0.3.0's shape (its `random` functions only name
//! their parameter `len`): a guest's imports of them are renamed to `@0.3.0` before it is
//! compiled (`wasi_bridge::run::final_names`) and the 0.3.0 bindings serve them. These six keep
//! their names and are linked with 0.3.0's interfaces of their package (`p3::cli`,
//! `p3::filesystem`, `p3::sockets::add_to_linker`, so [`crate::p3::add_to_linker`] too). Its
//! `wasi:http/types` differs in `header-error` and `request-options-error` only: [`http`] serves
//! it, linked with 0.3.0's wasi:http (`p3::http::add_to_linker`); its `client` and `handler`
//! have 0.3.0's shape and are renamed.

mod cli;
pub(crate) mod filesystem;
#[cfg(feature = "http")]
pub mod http;
mod sockets;

/// The candidate's version.
pub const VERSION: &str = "0.3.0-rc-2026-01-06";

/// The interfaces this module links under the candidate's names (without their version).
pub const INTERFACES: &[&str] = &[
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:sockets/types",
    "wasi:sockets/ip-name-lookup",
];

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "wit-rc-2026-01-06",
        world: "wasi-bridge:rc-2026-01-06/veneer",
        imports: {
            "wasi:filesystem/types.[method]descriptor.read-via-stream": store | tracing | trappable,
            "wasi:sockets/types.[method]tcp-socket.bind": async | tracing | trappable,
            "wasi:sockets/types.[method]tcp-socket.listen": async | store | tracing | trappable,
            "wasi:sockets/types.[method]tcp-socket.receive": store | tracing | trappable,
            "wasi:sockets/types.[method]udp-socket.bind": async | tracing | trappable,
            "wasi:sockets/types.[method]udp-socket.connect": async | tracing | trappable,
            default: tracing | trappable,
        },
        trappable_error_type: {
            "wasi:filesystem/types.error-code" => super::filesystem::FilesystemError,
            "wasi:sockets/types.error-code" => super::sockets::SocketError,
        },
        with: {
            "wasi:cli/types": crate::p3::bindings::cli::types,
            "wasi:clocks/types": crate::p3::bindings::clocks::types,
            "wasi:clocks/system-clock": crate::p3::bindings::clocks::system_clock,
            "wasi:filesystem/types.descriptor": crate::filesystem::Descriptor,
            "wasi:sockets/types.tcp-socket": crate::sockets::tcp::TcpSocket,
            "wasi:sockets/types.udp-socket": crate::sockets::udp::UdpSocket,
        },
        require_store_data_send: true,
    });
}

use self::generated::wasi as bindings;

/// Adds the candidate's `wasi:cli/stdout` and `stderr` to `linker` (with 0.3.0's `wasi:cli`).
pub(crate) fn add_cli_to_linker<T: crate::cli::WasiCliView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use bindings::cli;
    crate::add_interfaces!(linker, T, crate::cli::WasiCli, T::cli; cli::{stdout, stderr});
    Ok(())
}

/// Adds the candidate's `wasi:filesystem/types` and `preopens` to `linker`.
pub(crate) fn add_filesystem_to_linker<T: crate::filesystem::WasiFilesystemView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use bindings::filesystem;
    crate::add_interfaces!(linker, T, crate::filesystem::WasiFilesystem, T::filesystem;
        filesystem::{types, preopens});
    Ok(())
}

/// Adds the candidate's `wasi:sockets/types` and `ip-name-lookup` to `linker`.
pub(crate) fn add_sockets_to_linker<T: crate::sockets::WasiSocketsView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use bindings::sockets;
    crate::add_interfaces!(linker, T, crate::sockets::WasiSockets, T::sockets;
        sockets::{types, ip_name_lookup});
    Ok(())
}
