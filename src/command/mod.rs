//! The `wasi-bridge` command line: `wasmtime run`'s and `wasmtime serve`'s, parsed by wasmtime's
//! own option parser (`wasmtime-cli-flags`), running every program on the one core.
//!
//! As in wasmtime-cli, [`common::RunCommon`] (the options both commands share, and the engine,
//! context and store made from them) is flattened into [`run`] and [`serve`]; [`linked`] says
//! what `-S` links, [`host`] is the store data, [`options`] classifies every `-S`/`-W` option.
//! This file only dispatches.

mod common;
mod host;
mod linked;
pub mod options;
mod run;
mod serve;

use clap::{Parser, Subcommand};
pub use common::Failure;

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
    /// Sets up logging as `wasmtime` does.
    pub fn init_logging(&mut self) -> Result<(), Failure> {
        match self {
            Command::Run(run) => run.run.init_logging(),
            Command::Serve(serve) => serve.run.init_logging(),
        }
    }

    /// Executes the command; `Ok` is the process's exit status.
    pub async fn execute(self) -> Result<i32, Failure> {
        match self {
            Command::Run(run) => run.execute().await,
            Command::Serve(serve) => serve.execute().await,
        }
    }
}
