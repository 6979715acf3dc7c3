//! wasi-bridge's integration tests, one binary with a module per area (as wasmtime's
//! `tests/all`): linking wasmtime and both WASI stacks once instead of once per file. The tests
//! that measure the whole process (peak memory, open descriptors) are in `tests/process/`.

#[path = "../common/mod.rs"]
mod common;
#[path = "../common/native_http.rs"]
mod native_http;

mod binary;

mod api_names;
mod cli;
mod differential;
mod faults;
mod filesystem;
mod http;
mod interfaces;
mod ops;
mod p1;
mod regressions;
mod security;
mod serve;
mod sockets;
mod survival;
mod sync;
mod versions;
mod wasmtime_cli;
