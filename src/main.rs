//! The `wasi-bridge` command: runs any WASI program (p1 module, p2, p3 or mixed component) on
//! the one core.
#![forbid(unsafe_code)]

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use wasi_bridge::run;
use wasi_bridge::{FsPerms, WasiCtx};
use wasmtime::component::Component;

#[derive(Parser)]
#[command(
    name = "wasi-bridge",
    version,
    about = "Run WASI programs of every version on one WASIp3 core"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a WASI program: a p1 module, or a p2, p3 or mixed component.
    Run(RunArgs),
}

#[derive(clap::Args)]
struct RunArgs {
    /// Environment variable for the guest, NAME=VALUE (repeatable).
    #[arg(long = "env", value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// Directory to preopen, HOST::GUEST or HOST (repeatable).
    #[arg(long = "dir", value_name = "HOST[::GUEST]")]
    dir: Vec<String>,
    /// The WebAssembly file to run.
    file: PathBuf,
    /// Arguments passed to the guest.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Run(args) = cli.command;
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
    match runtime.block_on(run_file(args)) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(Failure::Usage(msg)) => {
            eprintln!("wasi-bridge: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Guest(e)) => {
            eprintln!("wasi-bridge: guest trapped: {e:?}");
            ExitCode::from(134)
        }
    }
}

enum Failure {
    /// Bad input from the person running the command.
    Usage(String),
    /// The guest trapped or failed to instantiate.
    Guest(wasmtime::Error),
}

async fn run_file(args: RunArgs) -> Result<i32, Failure> {
    let bytes = std::fs::read(&args.file).map_err(|e| {
        Failure::Usage(format!(
            "cannot read {}: {e} (check the path to the .wasm file)",
            args.file.display()
        ))
    })?;
    if !bytes.starts_with(b"\0asm") {
        return Err(Failure::Usage(format!(
            "{} is not a WebAssembly binary (expected a .wasm module or component)",
            args.file.display()
        )));
    }
    let engine = run::engine().map_err(Failure::Guest)?;
    let component_bytes = if run::is_core_module(&bytes) {
        run::componentize_p1(&bytes).map_err(|e| Failure::Usage(format!("{e:#}")))?
    } else {
        bytes
    };
    let component = Component::new(&engine, &component_bytes).map_err(|e| {
        Failure::Usage(format!(
            "{} is not a valid component: {e:#}",
            args.file.display()
        ))
    })?;
    let entry = run::entry_of(&engine, &component).ok_or_else(|| {
        Failure::Usage(format!(
            "{} exports no wasi:cli/run (neither @0.2.x nor @0.3.0); it is not a command",
            args.file.display()
        ))
    })?;

    let mut builder = WasiCtx::builder();
    builder.inherit_stdio();
    let argv0 = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    builder.arg(argv0);
    builder.args(&args.args);
    for kv in &args.env {
        match kv.split_once('=') {
            Some((k, v)) => {
                builder.env(k, v);
            }
            // `--env NAME` inherits NAME from the host, if it is set.
            None => {
                if let Ok(v) = std::env::var(kv) {
                    builder.env(kv, v);
                }
            }
        }
    }
    for dir in &args.dir {
        let (host, guest) = dir.split_once("::").unwrap_or((dir, dir));
        builder
            .preopened_dir(host, guest, FsPerms::ReadWrite)
            .map_err(|e| {
                Failure::Usage(format!(
                    "--dir {dir}: {e:#} (the host directory must exist)"
                ))
            })?;
    }
    let linker = run::linker(&engine).map_err(Failure::Guest)?;
    run::run(&engine, &linker, &component, builder.build(), entry)
        .await
        .map_err(Failure::Guest)
}
