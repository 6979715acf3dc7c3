//! The `wasi-bridge` command line: `wasmtime run`'s and `wasmtime serve`'s, parsed by wasmtime's
//! own option parser (`wasmtime-cli-flags`), running every program on the one core.
//!
//! As in wasmtime-cli, `common::RunCommon` (the options both commands share, and the engine,
//! context and store made from them) is flattened into `run` and `serve`; `linked` says
//! what `-S` links, `host` is the store data, [`options`] classifies every `-S`/`-W` option.
//! This file dispatches, and is what embedders call: the `wasi-bridge` binary is
//! [`main`], and a host that runs programs as that binary would (the containerd shim) parses a
//! command line with [`Cli`], may hand over the program's bytes ([`Command::set_wasm`]) and a
//! stop signal ([`Command::execute_until`]), and gets the binary's exit status from
//! [`run_to_exit_status`].

mod common;
mod host;
mod linked;
pub mod options;
mod run;
mod serve;

use clap::{Parser, Subcommand};
pub use common::Failure;
use std::future::Future;

/// The whole command line.
#[derive(Parser)]
#[command(
    name = "wasi-bridge",
    version,
    about = "Run WASI programs of every version (p1, p2, p3, mixed) on one WASIp3 core",
    after_help = "If a subcommand is not provided, the `run` subcommand is used, as in \
                  wasmtime:\n\n  wasi-bridge app.wasm arg1 arg2\n  wasi-bridge --invoke \
                  'add(1, 2)' lib.wasm",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    subcommand: Option<Command>,
    #[command(flatten)]
    run: run::RunCommand,
}

/// The command to execute.
#[derive(Subcommand)]
pub enum Command {
    /// Run a WASI program: a p1 core module, or a p2, p3 or mixed component.
    Run(run::RunCommand),
    /// Serve HTTP with a wasi:http component, as `wasmtime serve` does.
    Serve(serve::ServeCommand),
}

impl Cli {
    /// The command, `run` when none is given.
    pub fn into_command(self) -> Command {
        self.subcommand.unwrap_or(Command::Run(self.run))
    }
}

impl Command {
    /// Parses a command line (the program's name first), as the binary parses its own.
    pub fn try_parse_from<I, T>(args: I) -> Result<Command, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Ok(Cli::try_parse_from(args)?.into_command())
    }

    /// Sets up logging as `wasmtime` does.
    pub fn init_logging(&mut self) -> Result<(), Failure> {
        match self {
            Command::Run(run) => run.run.init_logging(),
            Command::Serve(serve) => serve.run.init_logging(),
        }
    }

    /// Executes the command; `Ok` is the process's exit status.
    pub async fn execute(self) -> Result<i32, Failure> {
        self.execute_until(std::future::pending()).await
    }

    /// Executes the command until `stop` completes (a container's stop signal, say): `serve`
    /// then stops as on Ctrl-C — no new connection, the ones in flight finish, `Ok(0)`; `run`
    /// drops the program and returns `Ok` of `stop`'s status. `stop` is polled beside the
    /// program, so a program computing without awaiting anything is dropped only when it next
    /// yields (`-W timeout` bounds it); to end the process at once, wait for the signal on a
    /// thread of its own, as the containerd shim does.
    pub async fn execute_until(
        self,
        stop: impl Future<Output = i32> + Send + 'static,
    ) -> Result<i32, Failure> {
        match self {
            Command::Run(run) => tokio::select! {
                // A panic inside wasmtime (a runtime bug the guest reached) is the program's
                // failure: one line and status 1, as a fixed wasmtime reports the error.
                outcome = crate::contain::contain("the program", run.execute()) => {
                    outcome.unwrap_or_else(|e| Err(Failure::Guest(e)))
                }
                status = stop => Ok(status),
            },
            Command::Serve(serve) => {
                serve
                    .execute(async move {
                        stop.await;
                    })
                    .await
            }
        }
    }

    /// Runs these bytes as the program instead of reading the file the command line names
    /// (which then only names it, in messages and as `argv[0]`): a program taken from an OCI
    /// image layer, say.
    pub fn set_wasm(&mut self, bytes: Vec<u8>) {
        match self {
            Command::Run(run) => run.run.set_wasm(bytes),
            Command::Serve(serve) => serve.run.set_wasm(bytes),
        }
    }

    /// Whether this is `serve`.
    pub fn is_serve(&self) -> bool {
        matches!(self, Command::Serve(_))
    }
}

/// The `wasi-bridge` binary: parses `std::env::args_os()`, runs the command and returns the
/// process's exit status.
pub fn main() -> u8 {
    let mut command = Cli::parse().into_command();
    if let Err(failure) = command.init_logging() {
        return exit_status(Err(failure));
    }
    run_to_exit_status(command, std::future::pending())
}

/// Runs `command` on a multi-threaded tokio runtime of its own, as the `wasi-bridge` binary
/// does, until it ends or `stop` completes ([`Command::execute_until`]); prints a failure as
/// the binary does and returns the binary's exit status: the guest's status (its low 8 bits,
/// as wasmtime), 2 after a usage error, 134 after a trap, 1 after any other failure. Logging
/// is the caller's: the binary calls [`Command::init_logging`] first; a host with a logger of
/// its own does not.
pub fn run_to_exit_status(
    command: Command,
    stop: impl Future<Output = i32> + Send + 'static,
) -> u8 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wasi-bridge: cannot start the async runtime: {e}");
            return 2;
        }
    };
    exit_status(runtime.block_on(command.execute_until(stop)))
}

/// The exit status of an outcome, its failure printed as the binary prints it.
fn exit_status(outcome: Result<i32, Failure>) -> u8 {
    match outcome {
        // As wasmtime: the low 8 bits of the guest's status.
        Ok(code) => code as u8,
        Err(Failure::Usage(msg)) => {
            eprintln!("wasi-bridge: {msg}");
            2
        }
        Err(Failure::Guest(e)) => {
            eprintln!("Error: {e:?}");
            // Like `wasmtime run` on Unix: a trap ends the process as an abort would; any
            // other failure is status 1.
            if e.is::<wasmtime::Trap>() { 134 } else { 1 }
        }
    }
}
