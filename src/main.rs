//! The `wasi-bridge` command: runs any WASI program (p1 module, p2, p3 or mixed component) on
//! the one core, with `wasmtime run`'s command line (parsed by wasmtime's own option parser).
#![forbid(unsafe_code)]

mod command;

use clap::Parser;
use command::{Cli, Failure};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut run = Cli::parse().into_command();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("wasi-bridge: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match run.init_logging() {
        Ok(()) => runtime.block_on(run.execute()),
        Err(f) => Err(f),
    };
    match outcome {
        // As wasmtime: the low 8 bits of the guest's status.
        Ok(code) => ExitCode::from(code as u8),
        Err(Failure::Usage(msg)) => {
            eprintln!("wasi-bridge: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Guest(e)) => {
            eprintln!("Error: {e:?}");
            // Like `wasmtime run` on Unix: a trap ends the process as an abort would; any
            // other failure is status 1.
            if e.is::<wasmtime::Trap>() {
                ExitCode::from(134)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
