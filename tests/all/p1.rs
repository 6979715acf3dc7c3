//! WASIp1 core modules under wasmtime-wasi 48's native p1 (the oracle) and wasi-bridge's p1
//! adapter: same stdout, stderr, exit status and filesystem effects.

use crate::common;

use crate::common::{Case, Exit, differential_p1, differential_p1_tree};
use std::path::Path;
use wasmtime_wasi::FsPerms;

fn contains(out: &common::Outcome, needle: &str) {
    let s = out.stdout_str();
    assert!(s.contains(needle), "stdout lacks {needle:?}:\n{s}");
}

fn input(dir: &Path) {
    std::fs::write(dir.join("input.txt"), "input file\n").unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn hello_args_env_stdin_stderr() {
    let case = Case::new(&["hello", "0"])
        .env("GREETING", "hola")
        .stdin(b"some input for stdin");
    let out = differential_p1("hello.p1.wasm", case).await;
    assert_eq!(out.exit, Exit::Code(0));
    contains(
        &out,
        "hello from wasip1\nargv[0]=hello\nargv[1]=0\nGREETING=hola\n",
    );
    contains(&out, "some input for stdinstdin bytes: 20");
    assert_eq!(out.stderr, b"a line on stderr\n");
}

/// `build_p1()` names its type as wasmtime-wasi's does: a method call on the result needs no
/// annotation, and the one context behind it is the p2/p3 view's too.
#[test]
fn build_p1_infers_its_type() {
    use wasi_bridge::WasiView;
    let mut p1 = wasi_bridge::WasiCtxBuilder::new()
        .arg("prog")
        .env("K", "V")
        .build_p1();
    let cli = p1.ctx().ctx.cli();
    assert_eq!(cli.arguments(), ["prog"]);
    assert_eq!(cli.environment(), [("K".to_string(), "V".to_string())]);
}

#[tokio::test(flavor = "multi_thread")]
async fn proc_exit_keeps_the_full_status() {
    for code in [0, 3, 33, 125] {
        let out = differential_p1("hello.p1.wasm", Case::new(&["hello", &code.to_string()])).await;
        assert_eq!(out.exit, Exit::Code(code));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn file_work_matches_native() {
    let case = Case::new(&["files", "/data", "work"]).preopen("/data", FsPerms::ReadWrite, input);
    let (out, tree) = differential_p1_tree("files.p1.wasm", case).await;
    assert_eq!(out.exit, Exit::Code(0), "{}", out.stdout_str());
    for line in [
        "read: hello file\nread: second line\n",
        "after seek: file\ntell: 10\n",
        "pwrite: 10\npread: 4 [2345]\n",
        "ls sub: c.txt\n",
        "readlink: sub/c.txt\n",
        "nlink after hard link: 2\n",
        "mtime after futimens: 1500000000\n",
        "stat absolute path: error Capabilities insufficient\n",
    ] {
        contains(&out, line);
    }
    assert!(
        tree.contains(&"sub/c.txt = \"hello file\\nsecond line\\nappended\\n\"".to_string()),
        "{tree:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_preopen_refuses_mutation() {
    let case = Case::new(&["files", "/ro", "readonly"]).preopen("/ro", FsPerms::ReadOnly, input);
    let (out, tree) = differential_p1_tree("files.p1.wasm", case).await;
    contains(&out, "read in read-only dir: input file\n");
    assert_eq!(tree, vec!["input.txt = \"input file\\n\"".to_string()]);
}

/// Every p1 function, error cases included, under the preopen `/data` (fd 3).
#[tokio::test(flavor = "multi_thread")]
async fn every_function_matches_native() {
    let case =
        Case::new(&["calls", "all"])
            .env("K", "v")
            .preopen("/data", FsPerms::ReadWrite, input);
    let (out, tree) = differential_p1_tree("calls.p1.wasm", case).await;
    assert_eq!(out.exit, Exit::Code(0), "{}", out.stdout_str());
    for line in [
        "args: 2 10 env: 1 4\n",
        "fd_write iovecs: 0 12\n",
        "fd_read: 0 5 [calls]\n",
        "read renumbered: 0 [PWllPW]\n",
        "poll fd: 0 n 1 [8 type 1 error 0 flags 0]\npoll fd: 0 n 1 [9 type 2 error 0 flags 0]\n",
        "path_readlink short: 0 4 [call]\n",
        "poll clock: 0 n 1 userdata 7 type 0\n",
        "sock_accept stdout: errno 57\n",
    ] {
        contains(&out, line);
    }
    assert!(tree.iter().any(|l| l.starts_with("calls.txt")), "{tree:?}");
}

/// The calls AssemblyScript programs make: sizes first, then gets into buffers of exactly
/// that size; a write to an invalid fd; `proc_exit(33)`.
#[tokio::test(flavor = "multi_thread")]
async fn assemblyscript_style_calls() {
    let case = Case::new(&["asc-prog", "asc", "x y"])
        .env("A", "1")
        .env("BB", "two words");
    let out = differential_p1("calls.p1.wasm", case).await;
    assert_eq!(out.exit, Exit::Code(33));
    assert_eq!(
        out.stdout_str(),
        "args_get: 0\narg 0: asc-prog\narg 1: asc\narg 2: x y\nenviron_get: 0\n\
         env 0: A=1\nenv 1: BB=two words\nwrite to fd 42: errno 8\n"
    );
}

/// A `wasi_unstable` (preview 0) module under wasmtime-wasi's `p0` and wasi-bridge's: the
/// layouts p0 does not share with p1 (a clock subscription's identifier, `whence`'s order,
/// `filestat.nlink` as u32) give the same results.
#[tokio::test(flavor = "multi_thread")]
async fn preview0_module_matches_native() {
    let case = Case::new(&["p0"]).preopen("/data", FsPerms::ReadWrite, |_| {});
    let (out, tree) = differential_p1_tree("hello.p0.wasm", case).await;
    assert_eq!(out.exit, Exit::Code(0), "{}", out.stdout_str());
    assert_eq!(
        out.stdout_str(),
        "hello from wasi_unstable\npoll clock: ok\nopen: ok\nseek end: ok\nseek set: ok\n\
         filestat: ok\n"
    );
    assert_eq!(tree, vec!["f.txt = \"0123456789\"".to_string()]);
}

/// GHSA-j366-h8gg-77pm (wasmtime 48.0.4): preview 0's `poll_oneoff` went around the hostcall
/// fuel. 2^31 - 1 subscriptions are refused with `nomem` (48) before anything is read, as
/// on wasmtime-wasi 48.0.8.
#[tokio::test(flavor = "multi_thread")]
async fn preview0_poll_oneoff_is_bounded_by_hostcall_fuel() {
    let out = differential_p1("poll-flood.p0.wasm", Case::new(&["flood"])).await;
    assert_eq!(out.exit, Exit::Code(48));
}

/// GHSA-96f6-r43r-8c24 (wasmtime 48.0.4): `fd_readdir` copied uninitialised struct padding
/// into guest memory. The padding of a dirent reaches the guest as zeros, as on
/// wasmtime-wasi 48.0.8.
#[tokio::test(flavor = "multi_thread")]
async fn fd_readdir_writes_no_host_bytes_into_dirent_padding() {
    let case = Case::new(&["readdir"]).preopen("/data", FsPerms::ReadOnly, input);
    let out = differential_p1("readdir-padding.p1.wasm", case).await;
    assert_eq!(out.exit, Exit::Code(0));
}
