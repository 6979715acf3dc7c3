//! The interfaces of the WASI release candidate `0.3.0-rc-2025-09-16` (wasmtime 38–40,
//! wit-bindgen 0.48 and later, componentize-py 0.20) that no release or later candidate served
//! here has the shape of, on the core.
//!
//! | interface | how the candidate differs |
//! |---|---|
//! | `wasi:clocks/wall-clock` | 0.3.0's `system-clock` came later: `now` and `get-resolution` give a `datetime` (`seconds: u64`) |
//! | `wasi:filesystem/types` | as `0.3.0-rc-2026-01-06`'s, with timestamps as that `datetime` (no time before 1970) where later versions have `instant` (`seconds: s64`) |
//! | `wasi:filesystem/preopens` | uses the candidate's `descriptor` type |
//!
//! Its other interfaces have 0.3.0's shape (`wasi:cli` but stdout and stderr, `random`,
//! `monotonic-clock`, `types` of clocks) or `0.3.0-rc-2026-01-06`'s (stdout, stderr,
//! sockets, `wasi:http/types`): a guest's imports of them are renamed to
//! that version before it is compiled (`wasi_bridge::run::final_names`). Its `timezone` is not
//! served (nor is 0.3.0's). Its wasi:http has no `client`: a guest sends a request through an
//! imported `handler`, which [`http`] serves with 0.3.0's `client.send`.

mod clocks;
mod filesystem;
#[cfg(feature = "http")]
pub mod http;

/// The candidate's version.
pub const VERSION: &str = "0.3.0-rc-2025-09-16";

/// The interfaces this module links under the candidate's names (without their version).
pub const INTERFACES: &[&str] = &[
    "wasi:clocks/wall-clock",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
];

#[allow(missing_docs)]
mod generated {
    wasmtime::component::bindgen!({
        path: "wit-rc-2025-09-16",
        world: "wasi-bridge:rc-2025-09-16/veneer",
        imports: {
            "wasi:filesystem/types.[method]descriptor.read-via-stream": store | tracing | trappable,
            default: tracing | trappable,
        },
        trappable_error_type: {
            "wasi:filesystem/types.error-code" => super::filesystem::FilesystemError,
        },
        with: {
            "wasi:filesystem/types.descriptor": crate::filesystem::Descriptor,
        },
        require_store_data_send: true,
    });
}

use self::generated::wasi as bindings;

/// Adds the candidate's `wasi:clocks/wall-clock` to `linker` (with 0.3.0's clocks).
pub(crate) fn add_clocks_to_linker<T: crate::clocks::WasiClocksView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use bindings::clocks;
    crate::add_interfaces!(linker, T, crate::clocks::WasiClocks, T::clocks; clocks::{wall_clock});
    Ok(())
}

/// Adds the candidate's `wasi:filesystem/types` and `preopens` to `linker` (with 0.3.0's
/// filesystem).
pub(crate) fn add_filesystem_to_linker<T: crate::filesystem::WasiFilesystemView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use bindings::filesystem;
    crate::add_interfaces!(linker, T, crate::filesystem::WasiFilesystem, T::filesystem;
        filesystem::{types, preopens});
    Ok(())
}
