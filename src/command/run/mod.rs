//! `wasi-bridge run`: a p1 core module on the native p1 ([`module`]), or a component — p2, p3,
//! mixed, or a p1 module wrapped with the preview1 adapter ([`component`]).

mod component;
mod invoke;
mod module;

use super::common::{Failure, RunCommon, file_name, usage};
use super::linked::Linked;
use super::options::Program;
use crate::p1::WasiP1Ctx;
use component::WasiRun;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// `wasi-bridge run`: wasmtime's `-O/-C/-D/-W/-S` options and `--config`, plus `wasmtime
/// run`'s own flags.
#[derive(clap::Args)]
pub struct RunCommand {
    #[command(flatten)]
    pub run: RunCommon,
    /// Override the value of `argv[0]` (default: the file name of the program).
    #[arg(long)]
    argv0: Option<String>,
    /// Call this export of a component instead of `wasi:cli/run`, as a WAVE-encoded call:
    /// `add(1, 2)`, `run()`, or `pkg:name/iface.func@1.0.0("text")`; prints its results.
    #[arg(long, value_name = "FUNCTION")]
    invoke: Option<String>,
    /// Load the given WebAssembly module before the main module (core modules only).
    #[arg(
        long = "preload",
        number_of_values = 1,
        value_name = "NAME=MODULE_PATH"
    )]
    preloads: Vec<String>,
    /// Force the entry point instead of detecting it (wasi-bridge only).
    #[arg(long = "wasi-run", value_enum)]
    wasi_run: Option<WasiRun>,
    /// Run a WASIp1 module by wrapping it with the official preview1 component adapter (the
    /// p2 path) instead of wasi-bridge's native p1 (wasi-bridge only; for comparison).
    #[arg(long = "p1-adapter")]
    p1_adapter: bool,
    /// The WebAssembly program to run, and the arguments to pass to it.
    #[arg(value_name = "WASM", trailing_var_arg = true, required = true)]
    module_and_args: Vec<OsString>,
}

impl RunCommand {
    fn path(&self) -> &Path {
        Path::new(&self.module_and_args[0])
    }

    /// The guest's arguments: argv[0] is the file name (or `--argv0`), as in wasmtime.
    fn argv(&self) -> Result<Vec<String>, Failure> {
        let argv0 = match &self.argv0 {
            Some(a) => a.clone(),
            None => file_name(self.path()),
        };
        let mut out = vec![argv0];
        for a in &self.module_and_args[1..] {
            out.push(
                a.to_str()
                    .ok_or_else(|| usage(format!("argument {a:?} is not valid UTF-8")))?
                    .to_owned(),
            );
        }
        Ok(out)
    }

    /// The listeners `-S tcplisten=ADDR` and `-S listenfd` hand a WASIp1 module, bound or
    /// adopted here (fds 3, 4, … in the guest).
    fn preopened_sockets(&self) -> Result<Vec<std::net::TcpListener>, Failure> {
        let wasi = &self.run.common.wasi;
        let mut out = Vec::new();
        if wasi.listenfd == Some(true) {
            let mut fds = listenfd::ListenFd::from_env();
            for i in 0..fds.len() {
                match fds.take_tcp_listener(i) {
                    Ok(Some(l)) => out.push(l),
                    Ok(None) => {}
                    Err(e) => {
                        return Err(usage(format!(
                            "-S listenfd: inherited fd {} is not a TCP listener: {e}",
                            i + 3
                        )));
                    }
                }
            }
        }
        for addr in &wasi.tcplisten {
            let l = std::net::TcpListener::bind(addr).map_err(|e| {
                usage(format!(
                    "-S tcplisten={addr}: cannot listen there: {e} (give a free HOST:PORT, \
                     or port 0 for any)"
                ))
            })?;
            out.push(l);
        }
        Ok(out)
    }

    /// Runs the program; `Ok` is its exit status.
    pub async fn execute(mut self) -> Result<i32, Failure> {
        self.run.refuse_unsupported_flags()?;
        let path_buf: PathBuf = self.path().to_owned();
        let path = path_buf.display().to_string();
        let bytes = self
            .run
            .read_wasm(&path_buf, "a .wasm module or component")?;
        let program = match (crate::run::is_core_module(&bytes), self.p1_adapter) {
            (true, false) => Program::NativeP1,
            (true, true) => Program::WrappedP1,
            (false, _) => Program::Component,
        };
        self.run.check_options(program)?;
        if program != Program::NativeP1 && !self.preloads.is_empty() {
            return Err(usage(
                "--preload: components cannot be loaded with `--preload` (it is for WASIp1 core \
                 modules)",
            ));
        }
        let engine = self.run.engine(None)?;
        let module_name = self.module_and_args[0].to_string_lossy().into_owned();
        let timeout = self
            .run
            .common
            .wasm
            .timeout
            .unwrap_or(std::time::Duration::MAX);
        let listeners = match program {
            Program::NativeP1 => self.preopened_sockets()?,
            _ => Vec::new(),
        };
        let wasi = WasiP1Ctx::with_listeners(self.run.context(&self.argv()?)?.build(), listeners);
        let mut store = self.run.store(&engine, wasi)?;
        let invoke = self.invoke.as_deref();
        let outcome = if program == Program::NativeP1 {
            let loaded = module::Program::load(
                &self.run,
                &self.preloads,
                &engine,
                &mut store,
                &bytes,
                &path,
            )
            .await?;
            let run = loaded.run(invoke, &self.module_and_args[1..], &mut store);
            match tokio::time::timeout(timeout, run).await {
                Ok(outcome) => outcome,
                Err(elapsed) => Err(timed_out(elapsed)),
            }
        } else {
            let bytes = if program == Program::WrappedP1 {
                crate::run::componentize_p1(&bytes).map_err(|e| usage(format!("{path}: {e:#}")))?
            } else {
                bytes
            };
            let linked = Linked::for_run(
                &self.run.common.wasi,
                self.run.common.wasm.unknown_imports_trap,
            );
            let entry = match invoke {
                Some(_) => component::Start::Invoke,
                None => component::Start::Run(self.wasi_run),
            };
            let loaded = component::Program::load(&linked, &engine, &bytes, &path, entry)?;
            let run = loaded.run(invoke, &mut store);
            match tokio::time::timeout(timeout, run).await {
                Ok(outcome) => outcome,
                Err(elapsed) => Err(timed_out(elapsed)),
            }
        };
        store.data_mut().flush_stdio().await;
        outcome.map_err(|f| match f {
            Failure::Guest(e) => {
                Failure::Guest(e.context(format!("failed to run main module `{module_name}`")))
            }
            usage => usage,
        })
    }
}

/// A `-W timeout` that ran out while the guest was blocked in the host.
fn timed_out(elapsed: tokio::time::error::Elapsed) -> Failure {
    Failure::Guest(
        wasmtime::Error::from(wasmtime::Trap::Interrupt)
            .context(format!("timed out after {elapsed}")),
    )
}
