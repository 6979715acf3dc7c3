//! The interfaces of the WASI release candidate `0.3.0-rc-2026-01-06` (wasmtime 41–42, wasip3
//! 0.4, componentize-py 0.21) whose shape differs from 0.3.0's, on the core: a veneer as thin as
//! the 0.3.0 bindings, whose host traits it shares (each binding expands the same
//! `filesystem_impls!` / `socket_impls!` over its own generated types).
//!
//! | interface | how the candidate differs from 0.3.0 |
//! |---|---|
//! | `wasi:cli/stdout`, `stderr` | `write-via-stream` is an `async func` returning the result (0.3.0: a `func` returning its future) |
//! | `wasi:filesystem/types` | `error-code` and `descriptor-type` are enums (`descriptor-type` with `unknown`), not variants with `other(option<string>)`; `write-via-stream`, `append-via-stream`, `read-directory` are `async func`s |
//! | `wasi:filesystem/preopens` | uses the candidate's `descriptor` type |
//! | `wasi:sockets/types` | `error-code` is an enum with `unknown` and without `connection-broken` (the core's `connection-broken` is `unknown` here); TCP `send` is an `async func` |
//! | `wasi:sockets/ip-name-lookup` | its `error-code` is an enum with `unknown` |
//!
//! Every other interface of the candidate has 0.3.0's shape (its `random` functions only name
//! their parameter `len`): a guest's imports of them are renamed to `@0.3.0` before it is
//! compiled (`wasi_bridge::run::final_names`) and the 0.3.0 bindings serve them. These six keep
//! their names and are linked by [`add_to_linker`], which [`crate::p3::add_to_linker`] calls.
//! Its wasi:http differs too (`header-error`, `request-options-error`) and is not served.

mod cli;
mod filesystem;
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

/// Adds the candidate's six differently shaped interfaces (see the module's table) to `linker`,
/// under the candidate's names.
pub fn add_to_linker<T: crate::WasiView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use crate::cli::{WasiCli, WasiCliView};
    use crate::filesystem::{WasiFilesystem, WasiFilesystemView};
    use crate::sockets::{WasiSockets, WasiSocketsView};
    use bindings::{cli, filesystem, sockets};
    crate::add_interfaces!(&mut *linker, T, WasiCli, T::cli; cli::{stdout, stderr});
    crate::add_interfaces!(&mut *linker, T, WasiFilesystem, T::filesystem;
        filesystem::{types, preopens});
    crate::add_interfaces!(&mut *linker, T, WasiSockets, T::sockets; sockets::{types, ip_name_lookup});
    Ok(())
}
