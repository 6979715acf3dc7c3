//! The `wasi-bridge` command line: `wasmtime run`'s, parsed by wasmtime's own option parser
//! (`wasmtime-cli-flags`), running every program on the one core.

mod component;
mod invoke;
mod module;
pub mod options;
mod serve;

use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use wasi_bridge::p1::WasiP1Ctx;
use wasi_bridge::run;
use wasi_bridge::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_cli_flags::CommonOptions;

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
    subcommand: Option<Sub>,
    #[command(flatten)]
    run: RunCommand,
}

#[derive(Subcommand)]
enum Sub {
    /// Run a WASI program: a p1 core module, or a p2, p3 or mixed component.
    Run(RunCommand),
    /// Serve HTTP with a wasi:http component, as `wasmtime serve` does.
    Serve(serve::ServeCommand),
}

/// The command to execute.
pub enum Command {
    /// `run` (given or implied).
    Run(RunCommand),
    /// `serve`.
    Serve(serve::ServeCommand),
}

impl Cli {
    /// The command, `run` when none is given.
    pub fn into_command(self) -> Command {
        match self.subcommand {
            Some(Sub::Run(run)) => Command::Run(run),
            Some(Sub::Serve(serve)) => Command::Serve(serve),
            None => Command::Run(self.run),
        }
    }
}

impl Command {
    /// Sets up logging as `wasmtime` does.
    pub fn init_logging(&mut self) -> Result<(), Failure> {
        match self {
            Command::Run(run) => run.init_logging(),
            Command::Serve(serve) => init_logging(&mut serve.common),
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

#[derive(Clone, Copy, ValueEnum)]
enum WasiRun {
    /// Call `wasi:cli/run@0.2.x`.
    P2,
    /// Call `wasi:cli/run@0.3.0` on the event loop.
    P3,
}

/// `wasi-bridge run`: wasmtime's `-O/-C/-D/-W/-S` options and `--config`, plus `wasmtime
/// run`'s own flags.
#[derive(clap::Args)]
pub struct RunCommand {
    #[command(flatten)]
    common: CommonOptions,
    /// Grant access of a host directory to a guest: HOST, HOST::GUEST, or HOST::GUEST::ro
    /// for read-only (repeatable).
    #[arg(long = "dir", value_name = "HOST_DIR[::GUEST_DIR[::ro]]")]
    dirs: Vec<String>,
    /// Pass an environment variable to the program: NAME=VAL, or NAME to inherit it from
    /// this process (repeatable).
    #[arg(long = "env", number_of_values = 1, value_name = "NAME[=VAL]")]
    vars: Vec<String>,
    /// Override the value of `argv[0]` (default: the file name of the program).
    #[arg(long)]
    argv0: Option<String>,
    /// Call this export of a component instead of `wasi:cli/run`, as a WAVE-encoded call:
    /// `add(1, 2)`, `run()`, or `pkg:name/iface.func@1.0.0("text")`; prints its results.
    #[arg(long, value_name = "FUNCTION")]
    invoke: Option<String>,
    /// Allow executing precompiled `*.cwasm` files (refused: wasi-bridge only compiles).
    #[arg(long = "allow-precompiled")]
    allow_precompiled: bool,
    /// Profiling strategy (refused: wasi-bridge is built without profiling support).
    #[arg(long, value_name = "STRATEGY")]
    profile: Option<String>,
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
    /// Do not use the on-disk cache of compiled code (the same as `-C cache=n`).
    #[arg(long)]
    no_cache: bool,
    /// The WebAssembly program to run, and the arguments to pass to it.
    #[arg(value_name = "WASM", trailing_var_arg = true, required = true)]
    module_and_args: Vec<OsString>,
}

/// How a run failed.
pub enum Failure {
    /// Bad input from the person running the command: one line, exit status 2.
    Usage(String),
    /// The guest trapped, or the runtime failed while running it.
    Guest(wasmtime::Error),
}

fn usage(msg: impl Into<String>) -> Failure {
    Failure::Usage(msg.into())
}

/// The store data of a run: the one WASI context (as p1's view of it, which also serves the p2
/// and p3 linkers) and what the options add to it.
pub struct CliHost {
    wasi: WasiP1Ctx,
    http: wasi_bridge::http::WasiHttpCtx,
    hooks: HttpHooks,
    limits: StoreLimits,
    config: Option<wasmtime_wasi_config::WasiConfigVariables>,
    keyvalue: Option<wasmtime_wasi_keyvalue::WasiKeyValueCtx>,
}

impl WasiView for CliHost {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiView::ctx(&mut self.wasi)
    }
}

/// wasmtime-wasi-http's default hooks (forbidden headers, schemes, the default client).
pub struct HttpHooks;

impl wasi_bridge::http::WasiHttpHooks for HttpHooks {}

impl wasi_bridge::http::WasiHttpView for CliHost {
    fn http(&mut self) -> wasi_bridge::http::WasiHttpCtxView<'_> {
        let table = WasiView::ctx(&mut self.wasi).table;
        wasi_bridge::http::WasiHttpCtxView {
            ctx: &mut self.http,
            table,
            hooks: &mut self.hooks,
        }
    }
}

impl CliHost {
    /// Flushes the guest's stdout and stderr.
    async fn flush_stdio(&mut self) {
        WasiView::ctx(self).ctx.flush_stdio().await
    }
}

impl RunCommand {
    /// Sets up logging as `wasmtime` does (`WASMTIME_LOG`, or its alias `WASI_BRIDGE_LOG`).
    pub fn init_logging(&mut self) -> Result<(), Failure> {
        init_logging(&mut self.common)
    }

    fn path(&self) -> &Path {
        Path::new(&self.module_and_args[0])
    }

    /// The guest's arguments: argv[0] is the file name (or `--argv0`), as in wasmtime.
    fn argv(&self) -> Result<Vec<String>, Failure> {
        let argv0 = match &self.argv0 {
            Some(a) => a.clone(),
            None => self
                .path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
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

    /// The engine wasmtime builds from these options. `pooling_default` is whether the
    /// pooling allocator is on when `-O pooling-allocator` does not say (`run`: off, as
    /// `wasmtime run`; `serve`: [`run::pooling_allocator_by_default`], as `wasmtime serve`).
    fn engine(&mut self, pooling_default: Option<bool>) -> Result<Engine, Failure> {
        if self.no_cache {
            self.common.codegen.cache = Some(false);
        }
        let mut config = self
            .common
            .config(pooling_default)
            .map_err(|e| usage(format!("{e:#}")))?;
        // WASIp3 needs the component model's async ABI; wasmtime's CLI turns it on by
        // default too. `-W component-model-async=n` still turns it off.
        if self.common.wasm.component_model_async.is_none() {
            config.wasm_component_model_async(true);
        }
        if self.common.wasm.timeout.is_some() {
            config.epoch_interruption(true);
        }
        Engine::new(&config).map_err(|e| usage(format!("{e:#}")))
    }

    fn refuse_unsupported_flags(&self) -> Result<(), Failure> {
        if self.allow_precompiled {
            return Err(usage(
                "--allow-precompiled: wasi-bridge does not load precompiled *.cwasm files \
                 (it compiles the .wasm itself, with a code cache); pass the .wasm file",
            ));
        }
        if self.profile.is_some() {
            return Err(usage(
                "--profile: wasi-bridge is built without profiling support; profile with \
                 wasmtime",
            ));
        }
        options::check_debug(&self.common).map_err(usage)
    }

    /// Whether a core module runs on wasi-bridge's native p1 (else it is wrapped as a
    /// component).
    fn native_p1(&self, core_module: bool) -> bool {
        core_module && !self.p1_adapter
    }

    fn context(&self) -> Result<WasiCtxBuilder, Failure> {
        let wasi = &self.common.wasi;
        let mut b = WasiCtx::builder();
        if wasi.inherit_stdin.unwrap_or(true) {
            b.inherit_stdin();
        }
        if wasi.inherit_stdout.unwrap_or(true) {
            b.inherit_stdout();
        }
        if wasi.inherit_stderr.unwrap_or(true) {
            b.inherit_stderr();
        }
        b.args(&self.argv()?);
        if wasi.inherit_env == Some(true) {
            b.inherit_env();
        }
        for kv in &self.vars {
            match kv.split_once('=') {
                Some((k, v)) => {
                    b.env(k, v);
                }
                None => {
                    if let Ok(v) = std::env::var(kv) {
                        b.env(kv, v);
                    }
                }
            }
        }
        for dir in &self.dirs {
            let mut parts = dir.split("::");
            let host = parts.next().unwrap_or_default();
            let guest = parts.next().unwrap_or(host);
            let perms = match parts.next() {
                None => FsPerms::ReadWrite,
                Some("ro" | "readonly") => FsPerms::ReadOnly,
                Some(other) => {
                    return Err(usage(format!(
                        "--dir {dir}: unknown mode `{other}`; use HOST::GUEST::ro for read-only"
                    )));
                }
            };
            if !Path::new(host).is_dir() {
                return Err(usage(format!(
                    "--dir {dir}: the host directory `{host}` does not exist or is not a \
                     directory"
                )));
            }
            b.preopened_dir(host, guest, perms)
                .map_err(|e| usage(format!("--dir {dir}: {e:#}")))?;
        }
        if let Some(cwd) = &wasi.cwd {
            b.initial_cwd(cwd);
        }
        // As `wasmtime run` 48: no socket and no address without options; `-S
        // inherit-network` makes every address reachable and implies `-S tcp,udp`.
        if wasi.inherit_network == Some(true) {
            b.inherit_network();
            b.allow_tcp(true).allow_udp(true);
        }
        if let Some(v) = wasi.allow_ip_name_lookup {
            b.allow_ip_name_lookup(v);
        }
        if let Some(v) = wasi.tcp {
            b.allow_tcp(v);
        }
        if let Some(v) = wasi.udp {
            b.allow_udp(v);
        }
        if let Some(max) = wasi.max_random_size {
            b.max_random_size(max);
        }
        Ok(b)
    }

    fn store_limits(&self) -> StoreLimits {
        let w = &self.common.wasm;
        let mut limits = StoreLimitsBuilder::new();
        if let Some(max) = w.max_memory_size {
            limits = limits.memory_size(max);
        }
        if let Some(max) = w.max_table_elements {
            limits = limits.table_elements(max);
        }
        if let Some(max) = w.max_instances {
            limits = limits.instances(max);
        }
        if let Some(max) = w.max_tables {
            limits = limits.tables(max);
        }
        if let Some(max) = w.max_memories {
            limits = limits.memories(max);
        }
        if let Some(enable) = w.trap_on_grow_failure {
            limits = limits.trap_on_grow_failure(enable);
        }
        limits.build()
    }

    fn store(&self, engine: &Engine, wasi: WasiP1Ctx) -> Result<Store<CliHost>, Failure> {
        let opts = &self.common.wasi;
        let mut http = wasi_bridge::http::WasiHttpCtx::new();
        if let Some(limit) = opts.max_http_fields_size {
            http.set_field_size_limit(limit);
        }
        let host = CliHost {
            wasi,
            http,
            hooks: HttpHooks,
            limits: self.store_limits(),
            config: (opts.config == Some(true)).then(|| {
                opts.config_var
                    .iter()
                    .map(|v| (v.key.clone(), v.value.clone()))
                    .collect()
            }),
            keyvalue: (opts.keyvalue == Some(true)).then(|| {
                wasmtime_wasi_keyvalue::WasiKeyValueCtxBuilder::new()
                    .in_memory_data(
                        opts.keyvalue_in_memory_data
                            .iter()
                            .map(|v| (v.key.clone(), v.value.clone())),
                    )
                    .build()
            }),
        };
        let mut store = Store::new(engine, host);
        store.limiter(|h| &mut h.limits);
        if let Some(fuel) = self.common.wasm.fuel {
            store.set_fuel(fuel).map_err(Failure::Guest)?;
        }
        if let Some(max) = opts.max_resources {
            WasiView::ctx(store.data_mut()).table.set_max_capacity(max);
            if let Some(table) = store.concurrent_resource_table() {
                table.set_max_capacity(max);
            }
        }
        if let Some(fuel) = opts.hostcall_fuel {
            store.set_hostcall_fuel(fuel);
        }
        if let Some(max) = opts.max_component_handles {
            store.set_max_component_handles(max);
        }
        if let Some(timeout) = self.common.wasm.timeout {
            store.set_epoch_deadline(1);
            let engine = engine.clone();
            std::thread::spawn(move || {
                std::thread::sleep(timeout);
                engine.increment_epoch();
            });
        }
        Ok(store)
    }

    /// The listeners `-S tcplisten=ADDR` and `-S listenfd` hand a WASIp1 module, bound or
    /// adopted here (fds 3, 4, … in the guest).
    fn preopened_sockets(&self) -> Result<Vec<std::net::TcpListener>, Failure> {
        let mut out = Vec::new();
        if self.common.wasi.listenfd == Some(true) {
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
        for addr in &self.common.wasi.tcplisten {
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
        self.refuse_unsupported_flags()?;
        let path_buf: PathBuf = self.path().to_owned();
        let path = path_buf.display().to_string();
        let bytes = std::fs::read(&path_buf).map_err(|e| {
            usage(format!(
                "cannot read {path}: {e} (check the path to the .wasm file)"
            ))
        })?;
        if !bytes.starts_with(b"\0asm") {
            return Err(usage(format!(
                "{path} is not a WebAssembly binary (expected a .wasm module or component)"
            )));
        }
        let core_module = run::is_core_module(&bytes);
        let native_p1 = self.native_p1(core_module);
        for warning in
            options::check_wasi(&self.common.wasi, core_module, native_p1).map_err(usage)?
        {
            eprintln!("{warning}");
        }
        options::check_wasm(&self.common.wasm, native_p1).map_err(usage)?;
        if !native_p1 && !self.preloads.is_empty() {
            return Err(usage(
                "--preload: components cannot be loaded with `--preload` (it is for WASIp1 core \
                 modules)",
            ));
        }
        let engine = self.engine(None)?;
        let module_name = self.module_and_args[0].to_string_lossy().into_owned();
        let timeout = self.common.wasm.timeout.unwrap_or(std::time::Duration::MAX);
        let listeners = if native_p1 {
            self.preopened_sockets()?
        } else {
            Vec::new()
        };
        let wasi = WasiP1Ctx::with_listeners(self.context()?.build(), listeners);
        let mut store = self.store(&engine, wasi)?;
        let outcome = if native_p1 {
            let program = module::Program::load(&self, &engine, &mut store, &bytes, &path).await?;
            let run = program.run(&self, &mut store);
            match tokio::time::timeout(timeout, run).await {
                Ok(outcome) => outcome,
                Err(elapsed) => Err(timed_out(elapsed)),
            }
        } else {
            let bytes = if core_module {
                run::componentize_p1(&bytes).map_err(|e| usage(format!("{path}: {e:#}")))?
            } else {
                bytes
            };
            let program = component::Program::load(&self, &engine, &bytes, &path)?;
            let run = program.run(&self, &mut store);
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

/// Sets up logging as `wasmtime` does (`WASMTIME_LOG`, or its alias `WASI_BRIDGE_LOG`).
fn init_logging(common: &mut CommonOptions) -> Result<(), Failure> {
    match std::env::var("WASI_BRIDGE_LOG") {
        Ok(filter)
            if std::env::var_os("WASMTIME_LOG").is_none()
                && common.debug.logging != Some(false) =>
        {
            use std::io::IsTerminal;
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_ansi(std::io::stderr().is_terminal())
                .init();
            Ok(())
        }
        _ => common.init_logging().map_err(|e| usage(format!("{e:#}"))),
    }
}
