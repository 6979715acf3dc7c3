//! `wasi:cli@0.3.0` on the core.

use super::bindings::cli::types::ErrorCode;
use super::bindings::cli::{
    environment, exit, stderr, stdin, stdout, terminal_input, terminal_output, terminal_stderr,
    terminal_stdin, terminal_stdout, types,
};
use super::streams::{read_stream, write_stream};
use crate::cli::{WasiCli, WasiCliCtxView};
use crate::error::CoreError;
use wasmtime::component::{Access, FutureReader, StreamReader};

pub use crate::cli::{TerminalInput, TerminalOutput};

pub(crate) fn error_code(err: CoreError) -> ErrorCode {
    match err {
        CoreError::Closed => ErrorCode::Pipe,
        CoreError::Stdio(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ErrorCode::Pipe,
        other => {
            tracing::debug!("stdio error: {other}");
            ErrorCode::Io
        }
    }
}

impl types::Host for WasiCliCtxView<'_> {}

impl stdin::Host for WasiCliCtxView<'_> {}

impl<U> stdin::HostWithStore<U> for WasiCli {
    fn read_via_stream(
        mut store: Access<U, Self>,
    ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Result<(), ErrorCode>>)> {
        let source = store.get().ctx.stdin().handle();
        read_stream(store, Ok(source), error_code)
    }
}

impl stdout::Host for WasiCliCtxView<'_> {}

impl<U> stdout::HostWithStore<U> for WasiCli {
    fn write_via_stream(
        mut store: Access<U, Self>,
        data: StreamReader<u8>,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        let sink = store.get().ctx.stdout().handle();
        write_stream(store, data, Ok(sink), error_code)
    }
}

impl stderr::Host for WasiCliCtxView<'_> {}

impl<U> stderr::HostWithStore<U> for WasiCli {
    fn write_via_stream(
        mut store: Access<U, Self>,
        data: StreamReader<u8>,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        let sink = store.get().ctx.stderr().handle();
        write_stream(store, data, Ok(sink), error_code)
    }
}

// Implements `environment`, `exit`, `terminal-*` on `WasiCliCtxView` (p3_core::veneer::cli).
crate::cli_interfaces!(initial_cwd = get_initial_cwd);

/// Adds the `wasi:cli/*@0.3.0` interfaces to `linker` (wasmtime-wasi's
/// `p3::cli::add_to_linker`).
pub fn add_to_linker<T: crate::cli::WasiCliView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use super::bindings::cli;
    crate::add_interfaces!(linker, T, WasiCli, T::cli;
        cli::{
            environment, exit, stdin, stdout, stderr, terminal_input, terminal_output,
            terminal_stdin, terminal_stdout, terminal_stderr, types,
        },
    );
    // The release candidate's interfaces of this package that keep their names.
    super::rc_2026_01_06::add_cli_to_linker(linker)
}
