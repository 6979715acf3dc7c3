//! What `run` and `serve` share, as wasmtime-cli's `RunCommon`: the `-O/-C/-D/-W/-S` options,
//! `--dir`, `--env` and the flags wasi-bridge refuses, and what is built from them — the
//! engine, the program's bytes, the WASI context and the store.

use super::host::CliHost;
use super::options;
use crate::filesystem::SharedDir;
use crate::p1::WasiP1Ctx;
use crate::{FsPerms, WasiCtx, WasiCtxBuilder, WasiView};
use std::path::Path;
use std::sync::OnceLock;
use wasmtime::{Engine, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_cli_flags::CommonOptions;

/// The options `run` and `serve` share (flattened into both, as in wasmtime-cli).
#[derive(clap::Args)]
pub struct RunCommon {
    #[command(flatten)]
    pub common: CommonOptions,
    /// Grant access of a host directory to a guest: HOST, HOST::GUEST, or HOST::GUEST::ro
    /// for read-only (repeatable).
    #[arg(long = "dir", value_name = "HOST_DIR[::GUEST_DIR[::ro]]")]
    dirs: Vec<String>,
    /// Pass an environment variable to the guest: NAME=VAL, or NAME to inherit it from this
    /// process (repeatable).
    #[arg(long = "env", number_of_values = 1, value_name = "NAME[=VAL]")]
    vars: Vec<String>,
    /// Allow executing precompiled `*.cwasm` files (refused: wasi-bridge only compiles).
    #[arg(long = "allow-precompiled")]
    allow_precompiled: bool,
    /// Profiling strategy (refused: wasi-bridge is built without profiling support).
    #[arg(long, value_name = "STRATEGY")]
    profile: Option<String>,
    /// Do not use the on-disk cache of compiled code (the same as `-C cache=n`).
    #[arg(long)]
    no_cache: bool,
    /// The program's bytes when they were handed over rather than named (`Command::set_wasm`).
    #[arg(skip)]
    wasm: Option<Vec<u8>>,
    /// The `--dir`s, opened by the first context and shared by every later one (`serve`
    /// makes one per instance).
    #[arg(skip)]
    opened_dirs: OnceLock<Vec<OpenedDir>>,
}

/// A `--dir` opened: the directory, the guest's name for it, and its permissions.
pub(crate) struct OpenedDir {
    dir: SharedDir,
    guest: String,
    perms: FsPerms,
}

/// How a command failed.
pub enum Failure {
    /// Bad input from the person running the command: one line, exit status 2.
    Usage(String),
    /// The guest trapped, or the runtime failed while running it.
    Guest(wasmtime::Error),
}

/// A [`Failure::Usage`].
pub fn usage(msg: impl Into<String>) -> Failure {
    Failure::Usage(msg.into())
}

/// The file name of `path`, as the guest's `argv[0]`.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

impl RunCommon {
    /// Sets up logging as `wasmtime` does (`WASMTIME_LOG`, or its alias `WASI_BRIDGE_LOG`).
    pub fn init_logging(&mut self) -> Result<(), Failure> {
        match std::env::var("WASI_BRIDGE_LOG") {
            Ok(filter)
                if std::env::var_os("WASMTIME_LOG").is_none()
                    && self.common.debug.logging != Some(false) =>
            {
                use std::io::IsTerminal;
                tracing_subscriber::fmt()
                    .with_writer(std::io::stderr)
                    .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                    .with_ansi(std::io::stderr().is_terminal())
                    .init();
                Ok(())
            }
            _ => self
                .common
                .init_logging()
                .map_err(|e| usage(format!("{e:#}"))),
        }
    }

    /// Refuses the flags wasi-bridge parses but cannot act on (before the program is read).
    pub fn refuse_unsupported_flags(&self) -> Result<(), Failure> {
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

    /// Checks `-S` and `-W` for `program`, printing the warnings.
    pub fn check_options(&self, program: options::Program) -> Result<(), Failure> {
        for warning in options::check_wasi(&self.common.wasi, program).map_err(usage)? {
            eprintln!("{warning}");
        }
        options::check_wasm(&self.common.wasm, program).map_err(usage)
    }

    /// Reads the program at `path` and checks it is WebAssembly; `expected` says what the
    /// command takes, for the message when it is not.
    pub fn read_wasm(&mut self, path: &Path, expected: &str) -> Result<Vec<u8>, Failure> {
        let shown = path.display();
        let bytes = match self.wasm.take() {
            Some(bytes) => bytes,
            None => std::fs::read(path).map_err(|e| {
                usage(format!(
                    "cannot read {shown}: {e} (check the path to the .wasm file)"
                ))
            })?,
        };
        if !bytes.starts_with(b"\0asm") {
            return Err(usage(format!(
                "{shown} is not a WebAssembly binary (expected {expected})"
            )));
        }
        Ok(bytes)
    }

    /// Runs `bytes` as the program instead of reading its file.
    pub fn set_wasm(&mut self, bytes: Vec<u8>) {
        self.wasm = Some(bytes);
    }

    /// The engine wasmtime builds from these options. `pooling_default` is whether the
    /// pooling allocator is on when `-O pooling-allocator` does not say (`run`: off, as
    /// `wasmtime run`; `serve`: [`crate::run::pooling_allocator_by_default`], as
    /// `wasmtime serve`).
    pub fn engine(&mut self, pooling_default: Option<bool>) -> Result<Engine, Failure> {
        if self.no_cache {
            self.common.codegen.cache = Some(false);
        }
        let mut config = self
            .common
            .config(pooling_default)
            .map_err(|e| usage(format!("{e:#}")))?;
        // wasmtime 48.0.8 let a memory that cannot move grow past a reservation that is not
        // a whole number of pages, beyond what compiled code assumes is mapped (fixed in
        // 48.0.10); a reservation of whole 64 KiB pages (any host page size divides it) is
        // what that version handles. (Read after `config`, which merges `--config`.)
        let opts = &self.common.opts;
        if let Some(size) = opts.memory_reservation.or(opts.static_memory_maximum_size)
            && size % (64 << 10) != 0
        {
            return Err(usage(format!(
                "-O memory-reservation={size}: use a multiple of 65536 (64 KiB); wasmtime 48.0.8 \
                 sizes a memory's growth wrongly otherwise"
            )));
        }
        // WASIp3 needs the component model's async ABI; wasmtime's CLI turns it on by
        // default too. `-W component-model-async=n` still turns it off.
        if self.common.wasm.component_model_async.is_none() {
            config.wasm_component_model_async(true);
        }
        if self.common.wasm.timeout.is_some() {
            config.epoch_interruption(true);
        }
        // GC stays off: this build has no garbage collector (GHSA-rc4p-x33f-vpr2); `-W gc=y`
        // is refused by the option parser.
        crate::run::refuse_unbuilt_proposals(&mut config);
        Engine::new(&config).map_err(|e| usage(format!("{e:#}")))
    }

    /// Opens the `--dir`s, once: later calls (and contexts) share the directories opened by
    /// the first. A directory that is missing or cannot be opened is a usage error.
    pub(crate) fn open_dirs(&self) -> Result<&[OpenedDir], Failure> {
        if let Some(opened) = self.opened_dirs.get() {
            return Ok(opened);
        }
        let mut opened = Vec::with_capacity(self.dirs.len());
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
            let shared = SharedDir::open(host).map_err(|e| usage(format!("--dir {dir}: {e:#}")))?;
            opened.push(OpenedDir {
                dir: shared,
                guest: guest.to_string(),
                perms,
            });
        }
        Ok(self.opened_dirs.get_or_init(|| opened))
    }

    /// The WASI context the options describe, with `argv` as the guest's arguments.
    pub fn context(&self, argv: &[String]) -> Result<WasiCtxBuilder, Failure> {
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
        b.args(argv);
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
        for dir in self.open_dirs()? {
            b.preopened_shared_dir(&dir.dir, &dir.guest, dir.perms);
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

    /// A store for `wasi` with the options' limits, fuel, resource caps and `-W timeout` (a
    /// one-shot epoch tick: `serve` takes the timeout out first and bounds each request).
    pub fn store(&self, engine: &Engine, wasi: WasiP1Ctx) -> Result<Store<CliHost>, Failure> {
        let opts = &self.common.wasi;
        let host = CliHost::new(wasi, opts, self.store_limits());
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
}
