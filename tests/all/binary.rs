//! The `wasi-bridge` binary as a user runs it: the one place the tests spawn it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

/// The path of a built fixture, for a command line.
pub fn guest(name: &str) -> String {
    format!("{}/tests/guests/wasm/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// `wasi-bridge ARGS` with piped stdio, in an environment that does not change what it prints:
/// no backtrace or log variables, and its compiled-code cache in a directory of the tests'
/// own (a test that needs another sets `XDG_CACHE_HOME` again).
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_wasi-bridge"));
    c.args(args)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .env_remove("WASMTIME_LOG")
        .env_remove("WASI_BRIDGE_LOG")
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("wasi-bridge-test-cache"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Runs `command` to its end with `stdin` written to it (a guest that does not read it may
/// close it first).
pub fn output(mut command: Command, stdin: &[u8]) -> Output {
    let mut child = command.spawn().expect("spawn wasi-bridge");
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

/// `wasi-bridge ARGS` run to its end with `stdin`.
pub fn run(args: &[&str], stdin: &[u8]) -> Output {
    output(command(args), stdin)
}
