//! Both hosts, set up the same way from a [`Case`]: the oracle (wasmtime-wasi 48) and
//! wasi-bridge, for p1 modules and p2/p3 components; the shared engine and compiled fixtures.

use super::case::{Case, Exit, Outcome, RunDir};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};

/// A fixed seed so `insecure-seed` output is comparable across hosts.
pub const SEED: u128 = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
const OUT_CAPACITY: usize = 256 << 20;

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| wasi_bridge::run::engine().expect("engine"))
}

pub fn guest_path(name: &str) -> PathBuf {
    // The repository root: this crate's, or the parent of `fuzz/` (which includes this file).
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = if here.ends_with("fuzz") {
        here.parent().unwrap()
    } else {
        here
    };
    root.join("tests/guests/wasm").join(name)
}

/// Compiles (once per test binary) a fixture component.
pub fn component(name: &str) -> Component {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: OnceLock<Mutex<HashMap<String, Component>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(c) = cache.lock().unwrap().get(name) {
        return c.clone();
    }
    let bytes =
        std::fs::read(guest_path(name)).expect("fixture exists (run tests/guests/build.sh)");
    let bytes = if wasi_bridge::run::is_core_module(&bytes) {
        wasi_bridge::run::componentize_p1(&bytes).expect("componentize")
    } else {
        bytes
    };
    let c = Component::new(engine(), &bytes).expect("compile fixture");
    cache.lock().unwrap().insert(name.to_string(), c.clone());
    c
}

/// The reason of a trap as the guest sees it: the innermost error's message. The outer
/// context (wasm backtrace, "error while executing at ...") depends on code addresses, not on
/// the host's behaviour.
pub fn trap_reason(e: &wasmtime::Error) -> String {
    e.root_cause().to_string()
}

/// How a run ended, from `run`'s result (wasmtime-wasi's `I32Exit` is wasi-bridge's).
pub fn exit_of(result: wasmtime::Result<Result<(), ()>>) -> Exit {
    match wasi_bridge::run::exit_status(result) {
        Ok(c) => Exit::Code(c),
        Err(e) => Exit::Trap(trap_reason(&e)),
    }
}

// ---------------- the oracle: wasmtime-wasi 48 ----------------

/// Store data for wasmtime-wasi, the oracle.
pub struct NativeHost {
    pub ctx: wasmtime_wasi::WasiCtx,
    pub table: ResourceTable,
}

impl wasmtime_wasi::WasiView for NativeHost {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// Configures a context builder from a case: args, env, stdio pipes, seed, cwd, preopen and
/// network policy. wasmtime-wasi's builder and wasi-bridge's have the same methods, so this one
/// macro configures the oracle and wasi-bridge identically.
macro_rules! configure {
    ($b:expr, $case:expr, $dir:expr) => {{
        let (b, case, dir) = ($b, $case, $dir);
        let stdout = MemoryOutputPipe::new(OUT_CAPACITY);
        let stderr = MemoryOutputPipe::new(OUT_CAPACITY);
        b.args(&case.args)
            .envs(&case.env)
            .insecure_random_seed(SEED);
        if !case.no_stdio {
            b.stdin(MemoryInputPipe::new(case.stdin.clone()))
                .stdout(stdout.clone())
                .stderr(stderr.clone());
        }
        if let Some(fault) = case.stdout_fault {
            b.stdout(wasmtime_wasi::cli::OutputFile::new(fault.file()));
        }
        if let Some(cwd) = &case.cwd {
            b.initial_cwd(cwd);
        }
        if let Some(max) = case.max_random {
            b.max_random_size(max);
        }
        for (path, guest, perms) in &dir.preopens {
            b.preopened_dir(path, guest, *perms).unwrap();
        }
        if case.net.inherit {
            b.inherit_network();
        }
        if case.net.loopback_check {
            b.socket_addr_check(|addr, _| {
                Box::pin(async move {
                    tokio::task::yield_now().await;
                    addr.ip().is_loopback() || addr.ip().is_unspecified()
                })
            });
        }
        b.allow_tcp(case.net.tcp)
            .allow_udp(case.net.udp)
            .allow_ip_name_lookup(case.net.lookup);
        (stdout, stderr)
    }};
}

/// The oracle's store for a case, with its stdout and stderr pipes.
pub fn native_store(
    case: &Case,
    dir: &RunDir,
) -> (Store<NativeHost>, MemoryOutputPipe, MemoryOutputPipe) {
    let mut b = wasmtime_wasi::WasiCtxBuilder::new();
    let (stdout, stderr) = configure!(&mut b, case, dir);
    (native_store_of(b.build()), stdout, stderr)
}

/// The oracle's store for a context a bench or test built itself.
pub fn native_store_of(ctx: wasmtime_wasi::WasiCtx) -> Store<NativeHost> {
    let host = NativeHost {
        ctx,
        table: ResourceTable::new(),
    };
    Store::new(engine(), host)
}

/// wasi-bridge's context for a case, with its stdout and stderr pipes.
pub fn bridge_ctx(
    case: &Case,
    dir: &RunDir,
) -> (wasi_bridge::WasiCtx, MemoryOutputPipe, MemoryOutputPipe) {
    let mut b = wasi_bridge::WasiCtx::builder();
    let (stdout, stderr) = configure!(&mut b, case, dir);
    (b.build(), stdout, stderr)
}

/// wasi-bridge's store for a case, with its stdout and stderr pipes.
pub fn bridge_store(
    case: &Case,
    dir: &RunDir,
) -> (
    Store<wasi_bridge::run::Host>,
    MemoryOutputPipe,
    MemoryOutputPipe,
) {
    let (ctx, stdout, stderr) = bridge_ctx(case, dir);
    (bridge_store_of(ctx), stdout, stderr)
}

/// wasi-bridge's store for a context a bench or test built itself.
pub fn bridge_store_of(ctx: wasi_bridge::WasiCtx) -> Store<wasi_bridge::run::Host> {
    let host = wasi_bridge::run::Host {
        ctx,
        table: ResourceTable::new(),
    };
    Store::new(engine(), host)
}

/// Which host runs a guest: the oracle (wasmtime-wasi 48) or wasi-bridge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Host {
    /// wasmtime-wasi 48.
    Native,
    /// wasi-bridge.
    Bridge,
}

/// Runs a component through an [`Abi`] on a [`Host`], its context from a fresh builder of that
/// host configured by the block (wasmtime-wasi's builder and wasi-bridge's have the same
/// methods, so one block configures both): `run_on!(host, abi, &component, |b| { b.args(..); })`
/// is `(exit status or trap, time from instantiation to the end)`. Awaits: use it in async code.
#[macro_export]
macro_rules! run_on {
    ($host:expr, $abi:expr, $component:expr, |$b:ident| $configure:block) => {
        match $host {
            $crate::common::Host::Native => {
                let mut $b = wasmtime_wasi::WasiCtxBuilder::new();
                $configure
                let mut store = $crate::common::native_store_of($b.build());
                $crate::common::run_native(&mut store, $abi, $component).await
            }
            $crate::common::Host::Bridge => {
                let mut $b = wasi_bridge::WasiCtx::builder();
                $configure
                let mut store = $crate::common::bridge_store_of($b.build());
                $crate::common::run_bridge(&mut store, $abi, $component).await
            }
        }
    };
}

/// Which `wasi:cli/run` a component is run through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Abi {
    /// `run@0.2.x`, with only WASIp2 linked.
    P2,
    /// `run@0.3.0`, with both ABIs linked.
    P3,
}

/// The oracle's linker for `abi` (built once per binary).
pub fn native_linker(abi: Abi) -> &'static Linker<NativeHost> {
    static P2: OnceLock<Linker<NativeHost>> = OnceLock::new();
    static P3: OnceLock<Linker<NativeHost>> = OnceLock::new();
    let cell = match abi {
        Abi::P2 => &P2,
        Abi::P3 => &P3,
    };
    cell.get_or_init(|| {
        let mut linker = Linker::<NativeHost>::new(engine());
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
        if abi == Abi::P3 {
            wasmtime_wasi::p3::add_to_linker(&mut linker).unwrap();
        }
        linker
    })
}

/// wasi-bridge's linker for `abi` (built once per binary): the p2 adapter alone, or both ABIs.
pub fn bridge_linker(abi: Abi) -> &'static Linker<wasi_bridge::run::Host> {
    static P2: OnceLock<Linker<wasi_bridge::run::Host>> = OnceLock::new();
    static P3: OnceLock<Linker<wasi_bridge::run::Host>> = OnceLock::new();
    match abi {
        Abi::P2 => P2.get_or_init(|| {
            let mut linker = Linker::<wasi_bridge::run::Host>::new(engine());
            wasi_bridge::p2::add_to_linker_async(&mut linker).unwrap();
            linker
        }),
        Abi::P3 => P3.get_or_init(|| wasi_bridge::run::linker(engine()).unwrap()),
    }
}

/// Instantiates `component` in the oracle's `store` and calls its `run` through `abi`: the
/// exit status (or trap), and the time from instantiation to the end (what the benches
/// compare).
pub async fn run_native(
    store: &mut Store<NativeHost>,
    abi: Abi,
    component: &Component,
) -> (wasmtime::Result<i32>, std::time::Duration) {
    let linker = native_linker(abi);
    let start = std::time::Instant::now();
    let result = match abi {
        Abi::P2 => {
            match wasmtime_wasi::p2::bindings::Command::instantiate_async(
                &mut *store,
                component,
                linker,
            )
            .await
            {
                Ok(cmd) => cmd.wasi_cli_run().call_run(&mut *store).await,
                Err(e) => Err(e),
            }
        }
        Abi::P3 => {
            match wasmtime_wasi::p3::bindings::Command::instantiate_async(
                &mut *store,
                component,
                linker,
            )
            .await
            {
                Ok(cmd) => store
                    .run_concurrent(async move |s| cmd.wasi_cli_run().call_run(s).await)
                    .await
                    .and_then(|r| r),
                Err(e) => Err(e),
            }
        }
    };
    let elapsed = start.elapsed();
    (wasi_bridge::run::exit_status(result), elapsed)
}

/// [`run_native`] under wasi-bridge (its `run::run_in`, which also flushes stdio).
pub async fn run_bridge(
    store: &mut Store<wasi_bridge::run::Host>,
    abi: Abi,
    component: &Component,
) -> (wasmtime::Result<i32>, std::time::Duration) {
    let entry = match abi {
        Abi::P2 => wasi_bridge::run::Entry::P2,
        Abi::P3 => wasi_bridge::run::Entry::P3,
    };
    let start = std::time::Instant::now();
    let result = wasi_bridge::run::run_in(store, bridge_linker(abi), component, entry).await;
    (result, start.elapsed())
}

/// The oracle's WASIp1 linker (with preview 0), built once per binary.
pub fn native_p1_linker() -> &'static wasmtime::Linker<wasmtime_wasi::p1::WasiP1Ctx> {
    static LINKER: OnceLock<wasmtime::Linker<wasmtime_wasi::p1::WasiP1Ctx>> = OnceLock::new();
    LINKER.get_or_init(|| {
        let mut linker = wasmtime::Linker::new(engine());
        wasmtime_wasi::p1::add_to_linker_async(&mut linker, |t| t).unwrap();
        wasmtime_wasi::p0::add_to_linker_async(&mut linker, |t| t).unwrap();
        linker
    })
}

/// wasi-bridge's WASIp1 linker (with preview 0), built once per binary.
pub fn bridge_p1_linker() -> &'static wasmtime::Linker<wasi_bridge::p1::WasiP1Ctx> {
    static LINKER: OnceLock<wasmtime::Linker<wasi_bridge::p1::WasiP1Ctx>> = OnceLock::new();
    LINKER.get_or_init(|| {
        let mut linker = wasmtime::Linker::new(engine());
        wasi_bridge::p1::add_to_linker_async(&mut linker, |t| t).unwrap();
        wasi_bridge::p0::add_to_linker_async(&mut linker, |t| t).unwrap();
        linker
    })
}

/// Runs a p2 component under wasmtime-wasi's native p2.
pub async fn native_p2(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    native_component(Abi::P2, name, case, dir).await
}

/// Runs a p3 component under wasmtime-wasi's p3.
pub async fn native_p3(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    native_component(Abi::P3, name, case, dir).await
}

async fn native_component(abi: Abi, name: &str, case: &Case, dir: &RunDir) -> Outcome {
    let (mut store, stdout, stderr) = native_store(case, dir);
    let (code, _) = run_native(&mut store, abi, &component(name)).await;
    drop(store);
    outcome(code, stdout, stderr)
}

/// Compiles (once per test binary) a fixture core module.
pub fn module(name: &str) -> wasmtime::Module {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: OnceLock<Mutex<HashMap<String, wasmtime::Module>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(m) = cache.lock().unwrap().get(name) {
        return m.clone();
    }
    let m = wasmtime::Module::from_file(engine(), guest_path(name)).expect("compile fixture");
    cache.lock().unwrap().insert(name.to_string(), m.clone());
    m
}

/// Instantiates a p1 command module and runs `_start`; `Ok(0)` when it returns.
pub async fn start_p1<T: Send + 'static>(
    store: &mut Store<T>,
    linker: &wasmtime::Linker<T>,
    name: &str,
) -> wasmtime::Result<i32> {
    let instance = linker.instantiate_async(&mut *store, &module(name)).await?;
    let start = instance.get_typed_func::<(), ()>(&mut *store, "_start")?;
    wasi_bridge::run::exit_status(start.call_async(&mut *store, ()).await.map(|()| Ok(())))
}

/// Runs a p1 core module under wasmtime-wasi's native p1.
pub async fn native_p1(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    let mut b = wasmtime_wasi::WasiCtxBuilder::new();
    let (stdout, stderr) = configure!(&mut b, case, dir);
    let mut store = Store::new(engine(), b.build_p1());
    let code = start_p1(&mut store, native_p1_linker(), name).await;
    drop(store);
    outcome(code, stdout, stderr)
}

// ---------------- wasi-bridge ----------------

/// Runs a p1 core module under wasi-bridge's p1 adapter.
pub async fn bridge_p1(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    let mut b = wasi_bridge::WasiCtx::builder();
    let (stdout, stderr) = configure!(&mut b, case, dir);
    let mut store = Store::new(engine(), b.build_p1());
    let code = start_p1(&mut store, bridge_p1_linker(), name).await;
    wasi_bridge::WasiView::ctx(store.data_mut())
        .ctx
        .flush_stdio()
        .await;
    drop(store);
    outcome(code, stdout, stderr)
}

/// Runs a component under wasi-bridge with only the p2 adapter linked.
pub async fn bridge_p2(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    bridge_component(Abi::P2, name, case, dir).await
}

/// Runs a component under wasi-bridge with both ABIs linked, through `run@0.3.0`.
pub async fn bridge_p3(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    bridge_component(Abi::P3, name, case, dir).await
}

async fn bridge_component(abi: Abi, name: &str, case: &Case, dir: &RunDir) -> Outcome {
    let (mut store, stdout, stderr) = bridge_store(case, dir);
    let (code, _) = run_bridge(&mut store, abi, &component(name)).await;
    drop(store);
    outcome(code, stdout, stderr)
}

fn outcome(
    code: wasmtime::Result<i32>,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
) -> Outcome {
    Outcome {
        stdout: stdout.contents().to_vec(),
        stderr: stderr.contents().to_vec(),
        exit: match code {
            Ok(c) => Exit::Code(c),
            Err(e) => Exit::Trap(trap_reason(&e)),
        },
    }
}
