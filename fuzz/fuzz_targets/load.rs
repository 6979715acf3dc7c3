//! `load`: arbitrary bytes (and mutations of real modules and components, from the seed
//! corpus) through what `wasi-bridge run` does before running a program — detection, WASIp1
//! module compilation and its preview1-adapter wrapping, a release candidate's renaming
//! (`run::final_names`), component compilation, the import check, handler and entry-point
//! detection. Each step may refuse the input; none may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use wasi_bridge::run;
use wasmtime::component::Component;
use wasmtime::{Engine, Module};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| run::engine().expect("engine"))
}

fuzz_target!(|data: &[u8]| {
    let engine = engine();
    if run::is_core_module(data) {
        let _ = Module::new(engine, data);
        if let Ok(wrapped) = run::componentize_p1(data) {
            check(engine, &wrapped);
        }
    } else {
        let _ = run::exports_http_handler(data);
        match run::final_names(data) {
            Some(renamed) => check(engine, &renamed),
            None => check(engine, data),
        }
    }
});

fn check(engine: &Engine, bytes: &[u8]) {
    if let Ok(component) = Component::new(engine, bytes) {
        let _ = run::check_imports(engine, &component);
        let _ = run::entry_of(engine, &component);
    }
}
