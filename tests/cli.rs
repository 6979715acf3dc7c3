//! The `wasi-bridge run` command: detection, arguments, environment, exit codes, errors.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn guest(name: &str) -> String {
    format!("{}/tests/guests/wasm/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wasi-bridge"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wasi-bridge");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn runs_a_p1_module_with_env_args_and_stdin() {
    let g = guest("hello.p1.wasm");
    let o = run(&["run", "--env", "GREETING=hi", &g, "0", "--flag"], b"abc");
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = stdout(&o);
    assert!(
        out.contains("argv[0]=hello.p1.wasm\nargv[1]=0\nargv[2]=--flag\n"),
        "{out}"
    );
    assert!(out.contains("GREETING=hi\nabcstdin bytes: 3\n"), "{out}");
    assert_eq!(String::from_utf8_lossy(&o.stderr), "a line on stderr\n");
}

#[test]
fn env_without_value_inherits_it() {
    let g = guest("hello.p1.wasm");
    let o = Command::new(env!("CARGO_BIN_EXE_wasi-bridge"))
        .args(["run", "--env", "GREETING", &g])
        .env("GREETING", "from the host")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(stdout(&o).contains("GREETING=from the host\n"));
}

#[test]
fn p1_nonzero_exit_becomes_the_process_status() {
    let o = run(&["run", &guest("hello.p1.wasm"), "5"], b"");
    assert_eq!(
        o.status.code(),
        Some(1),
        "the preview1 adapter reports exit(err)"
    );
}

#[test]
fn p2_component_exit_statuses() {
    let g = guest("p2-cli.wasm");
    assert_eq!(run(&["run", &g, "hello"], b"").status.code(), Some(0));
    let o = run(&["run", &g, "exit-err"], b"");
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "exiting with error\n");
    assert_eq!(run(&["run", &g, "return-err"], b"").status.code(), Some(1));
}

#[test]
fn p3_component_exit_with_code() {
    let o = run(&["run", &guest("p3-cli.wasm"), "exit-code", "42"], b"");
    assert_eq!(o.status.code(), Some(42));
    assert_eq!(stdout(&o), "exiting with code\n");
}

#[test]
fn mixed_component_runs_through_run_0_3() {
    let o = run(&["run", &guest("mixed.wasm")], b"");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("entered through run@0.3.0\np3 line\np2 line\n"));
}

#[test]
fn a_trap_is_a_nonzero_status_with_the_trap_on_stderr() {
    let o = run(&["run", &guest("p2-cli.wasm"), "trap-empty-poll"], b"");
    assert_ne!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    assert!(String::from_utf8_lossy(&o.stderr).contains("empty poll list"));
}

#[test]
fn bad_input_gets_a_one_line_error() {
    let o = run(&["run", "/nonexistent/x.wasm"], b"");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.starts_with("wasi-bridge: cannot read /nonexistent/x.wasm"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);

    let not_wasm = format!("{}/Cargo.toml", env!("CARGO_MANIFEST_DIR"));
    let o = run(&["run", &not_wasm], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a WebAssembly binary"));

    let o = run(
        &[
            "run",
            "--dir",
            "/nonexistent-dir::/d",
            &guest("hello.p1.wasm"),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--dir /nonexistent-dir::/d"));
}
