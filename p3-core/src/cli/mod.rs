//! `wasi:cli`: arguments, environment, initial directory, stdio, terminals and exit.

mod stdio;

pub use stdio::{MAX_BACKLOG, SharedSink, SharedSource, SinkHandle, SourceHandle};

use wasmtime::component::{HasData, Resource, ResourceTable};
use wasmtime_wasi::I32Exit;

/// The [`HasData`] marker of the `wasi:cli` interfaces, as wasmtime-wasi's.
pub struct WasiCli;

impl HasData for WasiCli {
    type Data<'a> = WasiCliCtxView<'a>;
}

/// Access to the command-line state and the resource table inside a host's store data: what a
/// host that grants only `wasi:cli` implements (a [`WasiView`](crate::WasiView) has it already).
pub trait WasiCliView: Send {
    /// Returns the command-line state and the resource table.
    fn cli(&mut self) -> WasiCliCtxView<'_>;
}

/// The command-line state and the table the `wasi:cli` host functions work with.
pub struct WasiCliCtxView<'a> {
    /// Arguments, environment, stdio.
    pub ctx: &'a mut WasiCliCtx,
    /// The guest's resources (stdio streams, terminals).
    pub table: &'a mut ResourceTable,
}

impl Default for WasiCliCtx {
    /// No arguments or environment, stdin closed, stdout and stderr discarded.
    fn default() -> Self {
        WasiCliCtx {
            environment: Vec::new(),
            arguments: Vec::new(),
            initial_cwd: None,
            stdin: SharedSource::new(Box::new(tokio::io::empty()), false),
            stdout: SharedSink::new(Box::new(tokio::io::empty()), false),
            stderr: SharedSink::new(Box::new(tokio::io::empty()), false),
        }
    }
}

/// The `terminal-input` resource of both ABIs: stdin is a terminal.
pub struct TerminalInput;

/// The `terminal-output` resource of both ABIs: stdout or stderr is a terminal.
pub struct TerminalOutput;

/// `get-terminal-std*`: the terminal resource when the stream is a terminal, `none` otherwise.
#[doc(hidden)]
pub fn push_terminal<T: Send + 'static>(
    table: &mut ResourceTable,
    is_terminal: bool,
    terminal: T,
) -> wasmtime::Result<Option<Resource<T>>> {
    Ok(if is_terminal {
        Some(table.push(terminal)?)
    } else {
        None
    })
}

/// The command-line state shared by every ABI: one argument list, one environment, one
/// initial directory, one stdin source and one ordered stdout and stderr sink.
pub struct WasiCliCtx {
    pub(crate) environment: Vec<(String, String)>,
    pub(crate) arguments: Vec<String>,
    pub(crate) initial_cwd: Option<String>,
    pub(crate) stdin: SharedSource,
    pub(crate) stdout: SharedSink,
    pub(crate) stderr: SharedSink,
}

impl WasiCliCtx {
    /// The environment variables, in the order they were configured.
    pub fn environment(&self) -> &[(String, String)] {
        &self.environment
    }

    /// The program arguments.
    pub fn arguments(&self) -> &[String] {
        &self.arguments
    }

    /// The initial working directory, if one was configured.
    pub fn initial_cwd(&self) -> Option<&str> {
        self.initial_cwd.as_deref()
    }

    /// The one stdin source.
    pub fn stdin(&self) -> &SharedSource {
        &self.stdin
    }

    /// The one stdout sink.
    pub fn stdout(&self) -> &SharedSink {
        &self.stdout
    }

    /// The one stderr sink.
    pub fn stderr(&self) -> &SharedSink {
        &self.stderr
    }

    /// Flushes stdout and stderr, ignoring errors (the guest has already been told of them).
    pub async fn flush_stdio(&mut self) {
        let _ = self.stdout.flush().await;
        let _ = self.stderr.flush().await;
    }
}

/// The error that ends a guest with an exit status: `exit(ok)` is 0, `exit(err)` is 1.
pub fn exit(status: Result<(), ()>) -> wasmtime::Error {
    exit_with_code(match status {
        Ok(()) => 0,
        Err(()) => 1,
    })
}

/// The error that ends a guest with `code` as its exit status.
#[doc(hidden)]
pub fn exit_with_code(code: u8) -> wasmtime::Error {
    wasmtime::Error::new(I32Exit(code.into()))
}
