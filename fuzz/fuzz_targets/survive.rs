//! `survive`: the host's own survival against arbitrary programs. Input that starts with the
//! wasm magic is a program as given (the seeds: real p1 modules and p2/p3 components, which the
//! fuzzer mutates); anything else drives wasm-smith to generate a core module that imports
//! WASIp1, with the proposals wasi-bridge's engine has on by default (and, at random, GC, which
//! the engine must refuse). A module runs on wasi-bridge's p1 linker — instantiated, then
//! every exported function called with default arguments — and a component that exports
//! `wasi:cli/run` runs through `run::run_in`, as `wasi-bridge run` runs it. Each runs with
//! fuel, a memory limit and no stdio.
//!
//! The property: a trap or an error is a fine outcome; a panic (in wasi-bridge or in the
//! runtime, even one `run_in` would contain) or an abort is a finding, and memory stays
//! under libFuzzer's `-rss_limit_mb`.
#![no_main]

use libfuzzer_sys::arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use wasi_bridge::p1::WasiP1Ctx;
use wasi_bridge::run;
use wasi_bridge::{ResourceTable, WasiCtx, WasiCtxBuilder};
use wasmtime::component::Component;
use wasmtime::{Engine, Linker, Module, Store, StoreLimits, StoreLimitsBuilder};

/// Fuel per program: enough to run a real guest's start-up, bounded for the fuzzer.
const FUEL: u64 = 2_000_000;
/// Linear memory per store.
const MEMORY: usize = 64 << 20;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut config = wasmtime::Config::new();
        config.wasm_component_model_async(true);
        config.consume_fuel(true);
        run::refuse_unbuilt_proposals(&mut config);
        Engine::new(&config).expect("engine")
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime")
    })
}

/// The WASIp1 functions a generated module may import.
const P1_IMPORTS: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir" (func (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open" (func (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff" (func (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func (param i32)))
)"#;

fn p1_imports() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| wat::parse_str(P1_IMPORTS).expect("imports"))
}

fn limits() -> StoreLimits {
    StoreLimitsBuilder::new()
        .memory_size(MEMORY)
        .table_elements(100_000)
        .instances(100)
        .tables(100)
        .memories(100)
        .build()
}

/// Store data with the limits every program runs under.
struct Limited<T> {
    data: T,
    limits: StoreLimits,
}

impl wasi_bridge::WasiView for Limited<run::Host> {
    fn ctx(&mut self) -> wasi_bridge::WasiCtxView<'_> {
        self.data.ctx()
    }
}

/// A store for `data` with the memory limits and fuel every program runs under.
fn limited_store<T>(engine: &Engine, data: T) -> Store<Limited<T>> {
    let mut store = Store::new(
        engine,
        Limited {
            data,
            limits: limits(),
        },
    );
    store.limiter(|h| &mut h.limits);
    store.set_fuel(FUEL).expect("fuel");
    store
        .fuel_async_yield_interval(Some(10_000))
        .expect("yield");
    store
}

fuzz_target!(|data: &[u8]| {
    let bytes = if data.starts_with(b"\0asm") {
        data.to_vec()
    } else {
        match generate(data) {
            Some(bytes) => bytes,
            None => return,
        }
    };
    if run::is_core_module(&bytes) {
        run_module(&bytes);
    } else {
        run_component(&bytes);
    }
});

/// A core module wasm-smith makes from `data`.
fn generate(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let mut config = wasm_smith::Config::arbitrary(&mut u).ok()?;
    config.available_imports = Some(p1_imports().to_vec());
    // What the engine runs; GC is left to chance, for the engine to refuse.
    config.threads_enabled = false;
    config.shared_everything_threads_enabled = false;
    config.exceptions_enabled = false;
    config.custom_descriptors_enabled = false;
    config.max_memory32_bytes = config.max_memory32_bytes.min(MEMORY as u64);
    config.max_memory64_bytes = config.max_memory64_bytes.min(MEMORY as u128);
    config.max_table_elements = config.max_table_elements.min(100_000);
    let module = wasm_smith::Module::new(config, &mut u).ok()?;
    Some(module.to_bytes())
}

/// Instantiates a module on the p1 linker and calls each exported function.
fn run_module(bytes: &[u8]) {
    let engine = engine();
    let Ok(module) = Module::new(engine, bytes) else {
        return;
    };
    let mut linker = Linker::<Limited<WasiP1Ctx>>::new(engine);
    wasi_bridge::p1::add_to_linker_async(&mut linker, |h| &mut h.data).expect("p1 linker");
    if linker.define_unknown_imports_as_traps(&module).is_err() {
        return;
    }
    let mut store = limited_store(engine, WasiCtxBuilder::new().build_p1());
    runtime().block_on(async {
        let Ok(instance) = linker.instantiate_async(&mut store, &module).await else {
            return;
        };
        let funcs: Vec<_> = module
            .exports()
            .filter_map(|e| e.ty().func().map(|_| e.name().to_string()))
            .collect();
        for name in funcs {
            let Some(func) = instance.get_func(&mut store, &name) else {
                continue;
            };
            let ty = func.ty(&store);
            let Some(params) = ty
                .params()
                .map(|t| t.default_value())
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let Some(mut results) = ty
                .results()
                .map(|t| t.default_value())
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            if func
                .call_async(&mut store, &params, &mut results)
                .await
                .is_err()
            {
                // A trap (or `proc_exit`) ends the program.
                return;
            }
        }
    });
}

/// Runs a component that exports `wasi:cli/run` as `wasi-bridge run` does.
fn run_component(bytes: &[u8]) {
    let engine = engine();
    // A release candidate's names, renamed as `run` renames them (`0.3.0-rc-2026-01-06`
    // guests reach the core's veneer for it this way).
    let renamed = run::final_names(bytes);
    let bytes = renamed.as_deref().unwrap_or(bytes);
    let Ok(component) = Component::new(engine, bytes) else {
        return;
    };
    if run::check_imports(engine, &component).is_err() {
        return;
    }
    let Some(entry) = run::entry_of(engine, &component) else {
        return;
    };
    let mut linker = wasmtime::component::Linker::<Limited<run::Host>>::new(engine);
    if run::add_to_linker_with(&mut linker, run::LinkOptions::default()).is_err() {
        return;
    }
    let host = run::Host {
        ctx: WasiCtx::builder().build(),
        table: ResourceTable::new(),
    };
    let mut store = limited_store(engine, host);
    let outcome = runtime().block_on(run::run_in(&mut store, &linker, &component, entry));
    if let Err(e) = outcome {
        // `run_in` contains a panic in the runtime; here it is a finding.
        let text = format!("{e:#}");
        assert!(!text.contains("the host panicked running it"), "{text}");
    }
}
