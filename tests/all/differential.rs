//! Every fixture under wasmtime-wasi 48 (the oracle) and under wasi-bridge: same stdout,
//! stderr and exit status.

use crate::common;

use crate::common::{Case, Exit, differential_p2, differential_p3};

const P2: &str = "p2-cli.wasm";
const P3: &str = "p3-cli.wasm";
const STDIN: &[u8] =
    b"hello stdin fixture: the quick brown fox jumps over the lazy dog\n0123456789\n";

fn contains(out: &common::Outcome, needle: &str) {
    let s = out.stdout_str();
    assert!(s.contains(needle), "stdout lacks {needle:?}:\n{s}");
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_env_args_cwd_terminal_clocks_random() {
    let case = Case::new(&["p2-cli", "env", "second arg"])
        .env("GREETING", "hi")
        .env("EMPTY", "")
        .cwd("/work");
    let out = differential_p2(P2, case).await;
    assert_eq!(out.exit, Exit::Code(0));
    for line in [
        "arg: second arg",
        "env: GREETING=hi",
        "cwd: /work",
        "terminal stdout: no",
        "monotonic waited >= 1ms: yes",
        "instant pollable ready at once: no",
        "instant reached: yes",
        // a pollable whose deadline has passed yields once first, so `ready` says no
        "past instant ready: no",
        "wall clock after 2020: yes",
        "random 100000 -> 100000",
        "insecure 7 -> 7",
        "random bytes vary: yes",
        "u64s differ: yes",
    ] {
        contains(&out, line);
    }
    contains(
        &out,
        &format!(
            "seed: {} {}",
            common::SEED as u64,
            (common::SEED >> 64) as u64
        ),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_env_without_cwd() {
    let out = differential_p2(P2, Case::new(&["p2-cli", "env"])).await;
    contains(&out, "cwd: none");
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_stdout_and_stderr_streams() {
    let out = differential_p2(P2, Case::new(&["p2-cli", "stdout"])).await;
    assert_eq!(out.exit, Exit::Code(0));
    contains(
        &out,
        "written with check-write/write/flush\npermit after flush: >0\n\0\0\0\n\0\0\0\0\0\n",
    );
    contains(&out, &format!("{}\n", "0123456789".repeat(100)));
    contains(&out, "from a second stdout handle\nstdout done\n");
    assert_eq!(out.stderr, b"to stderr\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_stdin_read_blocking_read_skip_splice() {
    let out = differential_p2(P2, Case::new(&["p2-cli", "stdin"]).stdin(STDIN)).await;
    assert_eq!(out.exit, Exit::Code(0));
    contains(
        &out,
        "read(0): 0 bytes\nblocking-read: hello\nskipped: 3\nblocking-skipped: 2\n",
    );
    contains(
        &out,
        "rest:\nn fixture: the quick brown fox jumps over the lazy dog\n0123456789\n",
    );
    contains(
        &out,
        "end: closed\npollable on closed stream ready: yes\nread after end: closed\n",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_stdin_empty() {
    let out = differential_p2(P2, Case::new(&["p2-cli", "stdin"])).await;
    contains(&out, "blocking-read: closed");
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_poll_many_pollables_one_ready() {
    let out = differential_p2(P2, Case::new(&["p2-cli", "poll", "1000"])).await;
    contains(&out, "poll over 1000: ready 500\n");
    contains(&out, "stdout pollables ready: 2\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_exit_statuses() {
    let out = differential_p2(P2, Case::new(&["p2-cli", "exit-ok"])).await;
    assert_eq!(out.exit, Exit::Code(0));
    let out = differential_p2(P2, Case::new(&["p2-cli", "exit-err"])).await;
    assert_eq!(out.exit, Exit::Code(1));
    contains(&out, "exiting with error");
    let out = differential_p2(P2, Case::new(&["p2-cli", "return-err"])).await;
    assert_eq!(out.exit, Exit::Code(1));
    let out = differential_p2(P2, Case::new(&["p2-cli", "exit-code", "9"])).await;
    assert_eq!(out.exit, Exit::Code(9));
}

#[tokio::test(flavor = "multi_thread")]
async fn p2_misuse_traps_like_native() {
    for mode in ["trap-empty-poll", "trap-big-bwaf"] {
        let out = differential_p2(P2, Case::new(&["p2-cli", mode])).await;
        assert!(out.trapped(), "{mode} should trap, got {:?}", out.exit);
        assert!(!out.stdout_str().contains("not reached"));
    }
}

/// Random bytes over the host's cap: p2 traps with the same reason as native, p3 clamps the
/// request to the cap as native p3 does.
#[tokio::test(flavor = "multi_thread")]
async fn random_bytes_over_the_cap() {
    let out = differential_p2(P2, Case::new(&["p2-cli", "env"]).max_random(10)).await;
    assert_eq!(
        out.exit,
        Exit::Trap("requested len 64 exceeds limit 10".into())
    );
    let out = differential_p3(P3, Case::new(&["p3-cli", "env"]).max_random(10)).await;
    assert_eq!(out.exit, Exit::Code(0));
    contains(&out, "random 64 -> 10\n");
}

/// A `write` bigger than any permit, without asking first, is taken whole as wasmtime-wasi
/// takes it (its stdout pipe accepts up to its capacity, its inherited stdout anything).
#[tokio::test(flavor = "multi_thread")]
async fn p2_write_without_check_write_is_taken_like_native() {
    let out = differential_p2(P2, Case::new(&["p2-cli", "write-unasked", "1048577"])).await;
    assert_eq!(out.exit, Exit::Code(0));
    assert_eq!(
        out.stdout.len(),
        1_048_577 + "\nwrite: ok, flush: ok\n".len()
    );
    contains(&out, "write: ok, flush: ok\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_env_args_cwd_terminal_clocks_random() {
    let case = Case::new(&["p3-cli", "env", "x y"])
        .env("A", "1")
        .cwd("/here");
    let out = differential_p3(P3, case).await;
    assert_eq!(out.exit, Exit::Code(0));
    for line in [
        "arg: x y",
        "env: A=1",
        "cwd: /here",
        "terminal stdin: no",
        "wait-for waited >= 1ms: yes",
        "wait-until reached: yes",
        "past waits return: yes",
        "system clock after 2020: yes",
        "random 100000 -> 100000",
        "u64s differ: yes",
    ] {
        contains(&out, line);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_stdout_and_stderr_streams() {
    let out = differential_p3(P3, Case::new(&["p3-cli", "stdout"])).await;
    assert_eq!(out.exit, Exit::Code(0));
    contains(&out, "first line on stdout\nzero-length write completed\n");
    contains(
        &out,
        "from a second stdout stream\nsecond stream result: ok\n",
    );
    contains(&out, "stdout done\n");
    assert_eq!(out.stderr, b"to stderr via p3\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_stdin_copy() {
    let out = differential_p3(P3, Case::new(&["p3-cli", "stdin"]).stdin(STDIN)).await;
    contains(&out, "stdin ready\n");
    contains(&out, std::str::from_utf8(STDIN).unwrap());
    contains(&out, &format!("stdin bytes: {}, result: ok", STDIN.len()));
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_exit_statuses() {
    let out = differential_p3(P3, Case::new(&["p3-cli", "exit-code", "7"])).await;
    assert_eq!(out.exit, Exit::Code(7));
    let out = differential_p3(P3, Case::new(&["p3-cli", "exit-err"])).await;
    assert_eq!(out.exit, Exit::Code(1));
    let out = differential_p3(P3, Case::new(&["p3-cli", "return-err"])).await;
    assert_eq!(out.exit, Exit::Code(1));
}

const P1: &str = "hello.p1.wasm";

#[tokio::test(flavor = "multi_thread")]
async fn p1_module_through_the_preview1_adapter() {
    let case = Case::new(&["hello", "0"])
        .env("GREETING", "hola")
        .stdin(STDIN);
    let out = differential_p2(P1, case).await;
    assert_eq!(out.exit, Exit::Code(0));
    contains(
        &out,
        "hello from wasip1\nargv[0]=hello\nargv[1]=0\nGREETING=hola\n",
    );
    contains(&out, &format!("stdin bytes: {}", STDIN.len()));
    assert_eq!(out.stderr, b"a line on stderr\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn p1_exit_status() {
    let out = differential_p2(P1, Case::new(&["hello", "3"])).await;
    // The preview1 adapter reports any non-zero `proc_exit` as `exit(err)`: status 1.
    assert_eq!(out.exit, Exit::Code(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn mixed_component_runs_through_run_0_3_with_ordered_stdout() {
    let engine = common::engine();
    let component = common::component("mixed.wasm");
    assert_eq!(
        wasi_bridge::run::entry_of(engine, &component),
        Some(wasi_bridge::run::Entry::P3)
    );
    let out = differential_p3("mixed.wasm", Case::new(&["mixed", "x"])).await;
    assert_eq!(out.exit, Exit::Code(0));
    assert_eq!(
        out.stdout_str(),
        "entered through run@0.3.0\np3 line\np2 line\np3 line\np2 line\np3 line\np2 line\n\
         arg: mixed\narg: x\np2 and p3 arguments agree\n"
    );
}
