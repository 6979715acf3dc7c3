//! The `wasi-bridge` command: runs any WASI program (p1 module, p2, p3 or mixed component) on
//! the one core, with `wasmtime run`'s command line (parsed by wasmtime's own option parser).
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(wasi_bridge::command::main())
}
