//! `wasi:cli@0.3.0` on the core.

use super::WasiP3;
use super::bindings::cli::types::ErrorCode;
use super::bindings::cli::{
    environment, exit, stderr, stdin, stdout, terminal_input, terminal_output, terminal_stderr,
    terminal_stdin, terminal_stdout, types,
};
use super::streams::{SinkConsumer, SourceProducer, finish};
use crate::WasiCtxView;
use crate::error::CoreError;
use crate::io::SharedSink;
use tokio::sync::oneshot;
use wasmtime::component::{Access, FutureReader, Resource, StreamReader};

/// The `terminal-input` resource.
pub struct TerminalInput;
/// The `terminal-output` resource.
pub struct TerminalOutput;

fn error_code(err: CoreError) -> ErrorCode {
    match err {
        CoreError::Closed => ErrorCode::Pipe,
        other => {
            tracing::debug!("stdio error: {other}");
            ErrorCode::Io
        }
    }
}

impl types::Host for WasiCtxView<'_> {}

impl environment::Host for WasiCtxView<'_> {
    fn get_environment(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self.ctx.cli().environment().to_vec())
    }
    fn get_arguments(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(self.ctx.cli().arguments().to_vec())
    }
    fn get_initial_cwd(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(self.ctx.cli().initial_cwd().map(str::to_owned))
    }
}

impl exit::Host for WasiCtxView<'_> {
    fn exit(&mut self, status: Result<(), ()>) -> wasmtime::Result<()> {
        Err(crate::cli::exit(status))
    }
    fn exit_with_code(&mut self, status_code: u8) -> wasmtime::Result<()> {
        Err(crate::cli::exit_with_code(status_code))
    }
}

impl stdin::Host for WasiCtxView<'_> {}

impl<U> stdin::HostWithStore<U> for WasiP3 {
    fn read_via_stream(
        mut store: Access<U, Self>,
    ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Result<(), ErrorCode>>)> {
        let source = store.get().ctx.cli().stdin().handle();
        let (tx, rx) = oneshot::channel();
        let stream = StreamReader::new(&mut store, SourceProducer::new(source, tx))?;
        let future = FutureReader::new(&mut store, async move {
            Ok::<_, wasmtime::Error>(match rx.await {
                Ok(err) => Err(error_code(err)),
                Err(_) => Ok(()),
            })
        })?;
        Ok((stream, future))
    }
}

fn write_via_stream<U>(
    store: &mut Access<U, WasiP3>,
    sink: &SharedSink,
    data: StreamReader<u8>,
) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
    let (tx, rx) = oneshot::channel();
    data.pipe(&mut *store, SinkConsumer::new(sink.handle(), tx))?;
    FutureReader::new(store, async move {
        Ok::<_, wasmtime::Error>(finish(rx).await.map_err(error_code))
    })
}

impl stdout::Host for WasiCtxView<'_> {}

impl<U> stdout::HostWithStore<U> for WasiP3 {
    fn write_via_stream(
        mut store: Access<U, Self>,
        data: StreamReader<u8>,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        let sink = store.get().ctx.cli().stdout().clone();
        write_via_stream(&mut store, &sink, data)
    }
}

impl stderr::Host for WasiCtxView<'_> {}

impl<U> stderr::HostWithStore<U> for WasiP3 {
    fn write_via_stream(
        mut store: Access<U, Self>,
        data: StreamReader<u8>,
    ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
        let sink = store.get().ctx.cli().stderr().clone();
        write_via_stream(&mut store, &sink, data)
    }
}

impl terminal_input::Host for WasiCtxView<'_> {}
impl terminal_output::Host for WasiCtxView<'_> {}

impl terminal_input::HostTerminalInput for WasiCtxView<'_> {
    fn drop(&mut self, rep: Resource<TerminalInput>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl terminal_output::HostTerminalOutput for WasiCtxView<'_> {
    fn drop(&mut self, rep: Resource<TerminalOutput>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl terminal_stdin::Host for WasiCtxView<'_> {
    fn get_terminal_stdin(&mut self) -> wasmtime::Result<Option<Resource<TerminalInput>>> {
        if self.ctx.cli().stdin().is_terminal() {
            Ok(Some(self.table.push(TerminalInput)?))
        } else {
            Ok(None)
        }
    }
}

impl terminal_stdout::Host for WasiCtxView<'_> {
    fn get_terminal_stdout(&mut self) -> wasmtime::Result<Option<Resource<TerminalOutput>>> {
        if self.ctx.cli().stdout().is_terminal() {
            Ok(Some(self.table.push(TerminalOutput)?))
        } else {
            Ok(None)
        }
    }
}

impl terminal_stderr::Host for WasiCtxView<'_> {
    fn get_terminal_stderr(&mut self) -> wasmtime::Result<Option<Resource<TerminalOutput>>> {
        if self.ctx.cli().stderr().is_terminal() {
            Ok(Some(self.table.push(TerminalOutput)?))
        } else {
            Ok(None)
        }
    }
}
