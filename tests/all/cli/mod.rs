//! The `wasi-bridge run` command: detection, arguments, environment, exit codes, errors.

mod stdio;

use crate::binary::{self, guest, run};
use crate::common;

use std::process::{Output, Stdio};

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
    let o = binary::command(&[])
        .args(["run", "--env", "GREETING", &g])
        .env("GREETING", "from the host")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(stdout(&o).contains("GREETING=from the host\n"));
}

#[test]
fn p1_exit_status_is_the_modules_on_native_p1() {
    let o = run(&["run", &guest("hello.p1.wasm"), "33"], b"");
    assert_eq!(o.status.code(), Some(33), "{o:?}");
    // Through the preview1 component adapter (kept for comparison) any non-zero status is 1.
    let o = run(&["run", "--p1-adapter", &guest("hello.p1.wasm"), "33"], b"");
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

/// `RUST_BACKTRACE=1` (set in many deployments) changes nothing a user sees: wasmtime's
/// errors carry no Rust backtrace in this build (no `backtrace` feature, docs/differences.md;
/// `serve` would otherwise build one for every instance it drops), so a trap prints the same
/// lines, its wasm backtrace included.
#[test]
fn rust_backtrace_does_not_change_an_error() {
    let args = ["run", &guest("p2-cli.wasm"), "trap-empty-poll"];
    let plain = run(&args, b"");
    let mut with = binary::command(&args);
    with.env("RUST_BACKTRACE", "1");
    let with = binary::output(with, b"");
    let err = String::from_utf8_lossy(&with.stderr);
    assert!(err.contains("empty poll list"), "{err}");
    assert!(!err.contains("Stack backtrace"), "{err}");
    assert_eq!(with.stderr, plain.stderr);
    assert_eq!(with.status.code(), plain.status.code());
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

fn run_in(args: &[&str], cache_home: &std::path::Path) -> Output {
    binary::command(&[])
        .args(args)
        .env("XDG_CACHE_HOME", cache_home)
        .env("HOME", cache_home)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn files_under(dir: &std::path::Path) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.map(|e| {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            files_under(&e.path())
        } else {
            1
        }
    })
    .sum()
}

#[test]
fn compiled_code_cache_is_on_by_default_and_off_with_no_cache() {
    let home = tempfile::tempdir().unwrap();
    let g = guest("p2-cli.wasm");
    let o = run_in(&["run", "--no-cache", &g, "hello"], home.path());
    assert_eq!(stdout(&o), "hello from p2\n");
    assert_eq!(files_under(home.path()), 0, "--no-cache wrote a cache");
    let o = run_in(&["run", &g, "hello"], home.path());
    assert_eq!(stdout(&o), "hello from p2\n");
    // wasmtime's cache writes in a background thread; give it a moment.
    for _ in 0..50 {
        if files_under(home.path()) > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(files_under(home.path()) > 0, "no cache entry was written");
    let o = run_in(&["run", &g, "hello"], home.path());
    assert_eq!(
        stdout(&o),
        "hello from p2\n",
        "a cached run behaves the same"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_and_the_library_agree() {
    let o = run(
        &["run", "--argv0", "p2-cli", &guest("p2-cli.wasm"), "stdout"],
        b"",
    );
    let case = common::Case::new(&["p2-cli", "stdout"]);
    let lib = common::bridge_p2("p2-cli.wasm", &case, &common::RunDir::new(&case)).await;
    assert_eq!(o.stdout, lib.stdout);
    assert_eq!(o.stderr, lib.stderr);
    assert_eq!(lib.exit, common::Exit::Code(o.status.code().unwrap()));
}

#[test]
fn version_flag() {
    let o = run(&["--version"], b"");
    assert_eq!(
        stdout(&o),
        format!("wasi-bridge {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn argv0_and_guest_args_that_look_like_flags() {
    // As `wasmtime run`: everything after the program is the guest's, flags included.
    let o = run(
        &[
            "run",
            "--argv0",
            "prog",
            &guest("hello.p1.wasm"),
            "-x",
            "--y",
        ],
        b"",
    );
    assert!(
        stdout(&o).contains("argv[0]=prog\nargv[1]=-x\nargv[2]=--y\n"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn s_options_are_parsed_and_unknown_ones_rejected() {
    let g = guest("p2-cli.wasm");
    let o = binary::command(&[])
        .args([
            "run",
            "-S",
            "inherit-env",
            "-S",
            "tcp=n,udp=no,allow-ip-name-lookup=y",
        ])
        .args([
            "-S",
            "inherit-network,cli-exit-with-code",
            &guest("hello.p1.wasm"),
        ])
        .env("GREETING", "inherited")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(
        stdout(&o).contains("GREETING=inherited\n"),
        "{}",
        stdout(&o)
    );
    let o = binary::command(&[])
        .args(["run", &guest("hello.p1.wasm")])
        .env("GREETING", "inherited")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        stdout(&o).contains("GREETING=(unset)\n"),
        "the environment is not inherited by default"
    );

    for (flag, needle) in [
        (
            ["-S", "frobnicate"],
            "unknown -S / --wasi option: frobnicate",
        ),
        (["-S", "tcp=maybe"], "failed to parse -S option `tcp=maybe`"),
        (
            ["-W", "frobnicate"],
            "unknown -W / --wasm option: frobnicate",
        ),
    ] {
        let o = run(&["run", flag[0], flag[1], &g, "hello"], b"");
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn read_only_and_read_write_dirs() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("input.txt"), "input file\n").unwrap();
    let host = dir.path().display().to_string();
    let files = guest("files.p1.wasm");
    let o = run(
        &[
            "run",
            "--dir",
            &format!("{host}::/ro::ro"),
            &files,
            "/ro",
            "readonly",
        ],
        b"",
    );
    assert!(
        stdout(&o).contains("read in read-only dir: input file\n"),
        "{}",
        stdout(&o)
    );
    assert!(!stdout(&o).contains("create in read-only dir: ok"));
    assert!(!dir.path().join("new.txt").exists());
    let o = run(
        &["run", "--dir", &format!("{host}::/d"), &files, "/d", "work"],
        b"",
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(dir.path().join("sub/c.txt").exists());
    let o = run(
        &["run", "--dir", &format!("{host}::/d::rw-ish"), &files],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn detection_paths_and_overrides() {
    // p3-only component forced through run@0.2: it has none, so instantiation fails cleanly.
    let o = run(
        &["run", "--wasi-run", "p2", &guest("p3-cli.wasm"), "env"],
        b"",
    );
    assert_ne!(o.status.code(), Some(0));
    // mixed forced through run@0.2.12
    let o = run(&["run", "--wasi-run", "p2", &guest("mixed.wasm")], b"");
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "entered through run@0.2.12\n");
    // a reactor without --invoke is a usage error; with it, results are printed
    let o = run(&["run", &guest("reactor.wasm")], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--invoke 'NAME(ARGS)'"));
    let o = run(
        &["run", "--invoke", "answer()", &guest("reactor.wasm")],
        b"",
    );
    assert_eq!((o.status.code(), stdout(&o).as_str()), (Some(0), "42\n"));
    let o = run(&["run", "--invoke", "neg()", &guest("reactor.wasm")], b"");
    assert_eq!(stdout(&o), "-7\n");
    let o = run(&["run", "--invoke", "nope()", &guest("reactor.wasm")], b"");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn unsupported_and_release_candidate_imports_are_named() {
    let o = run(&["run", &guest("needs-http.wasm")], b"");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("does not provide: wasi:http/outgoing-handler@0.2.12;"),
        "{err}"
    );
    assert!(!err.contains("wasi:cli/environment@0.2.12"), "{err}");
    assert!(err.contains("supported are"), "{err}");
    assert!(err.contains("(wasi:http is linked with -S http)"), "{err}");
    assert_eq!(err.lines().count(), 1);
    // With `-S http` its imports are served; it has nothing to run.
    let o = run(&["run", "-Shttp", &guest("needs-http.wasm")], b"");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("does not provide"), "{err}");
    let o = run(&["run", &guest("wasi-rc.wasm")], b"");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("release candidate (wasi:cli/environment@0.3.0-rc-2026-02-09)"),
        "{err}"
    );
    assert!(
        err.contains("rebuild it against a WASI release: 0.2.x, or 0.3.x"),
        "{err}"
    );
    // A p2 release candidate the same way (not taken for a 0.2.N release).
    let o = run(&["run", &guest("wasi-rc-p2.wasm")], b"");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("release candidate (wasi:cli/environment@0.2.0-rc-2023-10-18)"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn network_flags_govern_sockets_like_wasmtime_run() {
    // Default (as wasmtime-wasi's builder, which `wasmtime run` 48 uses): no socket at all.
    let o = run(&["run", &guest("p2-sockets.wasm"), "denied"], b"");
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let out = stdout(&o);
    assert!(
        out.contains("create tcp: access-denied\ncreate udp: access-denied\n"),
        "{out}"
    );
    assert!(
        out.contains("resolve localhost: permanent-resolver-failure"),
        "{out}"
    );
    // -S tcp: sockets may be created, but no address is reachable.
    let o = run(
        &["run", "-S", "tcp", &guest("p2-sockets.wasm"), "denied"],
        b"",
    );
    assert!(
        stdout(&o).contains("create tcp: ok\ntcp bind: access-denied\n"),
        "{o:?}"
    );
    // -S inherit-network,tcp=n: addresses are reachable, TCP sockets are not allowed.
    let o = run(
        &[
            "run",
            "-S",
            "inherit-network,tcp=n",
            &guest("p2-sockets.wasm"),
            "denied",
        ],
        b"",
    );
    assert!(
        stdout(&o).contains("create tcp: access-denied\ncreate udp: ok"),
        "{o:?}"
    );
    // -S inherit-network: a p2 and a p3 guest each serve their own clients on loopback.
    for g in ["p2-sockets.wasm", "p3-sockets.wasm"] {
        let o = run(
            &["run", "-S", "inherit-network", &guest(g), "self", "4"],
            b"",
        );
        assert_eq!(o.status.code(), Some(0), "{g}: {o:?}");
        assert!(
            stdout(&o).contains("echoes matching their client: 4/4"),
            "{g}: {o:?}"
        );
    }
    let o = run(
        &[
            "run",
            "-S",
            "inherit-network,allow-ip-name-lookup",
            &guest("p2-sockets.wasm"),
            "lookup",
        ],
        b"",
    );
    assert!(
        stdout(&o).contains("localhost resolves to 127.x: yes"),
        "{o:?}"
    );
}
