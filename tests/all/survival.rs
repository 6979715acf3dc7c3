//! No guest takes the host down (wasmtime 48.0.9–48.0.11's advisories on this build): a
//! program wasmtime 48.0.8 cannot run safely is refused before it runs, and a panic inside
//! the runtime ends only the program or instance it happened in. `docs/security.md` names
//! each test here.

use crate::binary::{command, guest, run};
use std::process::Output;

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One line on stderr that says `says`, and status 2 (a program the command refuses).
fn refused_in_one_line(o: &Output, says: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for said in says {
        assert!(err.contains(said), "{err}");
    }
}

/// GHSA-rc4p-x33f-vpr2 (wasmtime 48.0.9): a `call_indirect` through a GC supertype of the
/// callee's type reached a runtime subtype check that wasmtime 48.0.8 without its `gc`
/// feature compiles out: `wasi-bridge run` aborted (SIGABRT, status 134) on a 113-byte
/// module, and `serve` on the first request of such a handler. The GC proposal is off in
/// this build's engine: the p1 module, the p2 command and the wasi:http handler are refused
/// when compiled, in one line naming the proposal, and `-W gc=y` is refused too.
#[test]
fn a_gc_subtype_call_is_refused_before_it_runs_not_a_process_abort() {
    for program in ["gc-subtype.p1.wasm", "gc-subtype.wasm"] {
        let o = run(&["run", &guest(program)], b"");
        refused_in_one_line(&o, &[program, "GC proposal", "-W gc=y"]);
    }
    let o = command(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        &guest("gc-subtype-http.wasm"),
    ])
    .output()
    .unwrap();
    refused_in_one_line(&o, &["gc-subtype-http.wasm", "GC proposal"]);

    // `-W gc=y` cannot turn on what this build does not have, nor `-W threads=y` (the check
    // wasmtime 48.0.10 added to `Config`).
    let o = run(&["run", "-W", "gc=y", &guest("p2-cli.wasm")], b"");
    refused_in_one_line(&o, &["gc", "disabled at compile-time"]);
    let o = run(&["run", "-W", "threads=y", &guest("p2-cli.wasm")], b"");
    refused_in_one_line(&o, &["threads", "disabled at compile-time"]);
    // `-W gc=n` says what the build does anyway: programs without GC run.
    let o = run(&["run", "-W", "gc=n", &guest("p2-cli.wasm"), "hello"], b"");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// The library's engine refuses the same programs (an embedder's `run::engine()`), and
/// `refuse_unbuilt_proposals` does it for an embedder's own `Config`.
#[test]
fn the_library_engine_refuses_gc_programs() {
    let engine = wasi_bridge::run::engine().unwrap();
    let bytes = std::fs::read(guest("gc-subtype.wasm")).unwrap();
    let e = wasmtime::component::Component::new(&engine, &bytes).unwrap_err();
    assert!(
        wasi_bridge::run::explain_compile_error(&e).contains("GC proposal"),
        "{e:#}"
    );
    let bytes = std::fs::read(guest("gc-subtype.p1.wasm")).unwrap();
    let mut config = wasmtime::Config::new();
    wasi_bridge::run::refuse_unbuilt_proposals(&mut config);
    let engine = wasmtime::Engine::new(&config).unwrap();
    assert!(wasmtime::Module::new(&engine, &bytes).is_err());
}

/// GHSA-xrvr-8678-5wp8 (wasmtime 48.0.10) through `run`: the p3 guest's `cancel-wrong-end`
/// (see `tests/guests/p3-cli/guest.c`) reaches a wasmtime 48.0.8 bug — a panic inside the
/// runtime in a build with debug assertions (the tests'), a reported bug in a release build,
/// a trap once the runtime is fixed. Whichever it is, `run` reports it as an error of the
/// program, status 1, and prints no panic message. (The serve side, under load:
/// `serve::a_runtime_bug_a_guest_reaches_fails_its_instance_only_under_load`.)
#[test]
fn a_runtime_bug_a_guest_reaches_ends_that_program_with_an_error() {
    let o = run(&["run", &guest("p3-cli.wasm"), "cancel-wrong-end"], b"");
    let err = stderr(&o);
    assert_eq!(String::from_utf8_lossy(&o.stdout), "read: blocked\n");
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("Error: "), "{err}");
    assert!(
        err.contains("write state is already dropped") || err.contains("passed read end"),
        "{err}"
    );
    assert!(!err.contains("panicked at"), "{err}");
}

/// The library's `run::run` contains the same bug: an `Err` for that program, and the
/// caller's thread runs the next program.
#[tokio::test(flavor = "multi_thread")]
async fn the_library_run_returns_a_runtime_bug_as_an_error() {
    use wasi_bridge::{WasiCtx, run as lib};
    let engine = lib::engine().unwrap();
    let linker = lib::linker(&engine).unwrap();
    let component =
        wasmtime::component::Component::from_file(&engine, guest("p3-cli.wasm")).unwrap();
    let entry = lib::entry_of(&engine, &component).unwrap();
    let ctx = WasiCtx::builder()
        .args(&["p3-cli", "cancel-wrong-end"])
        .build();
    let e = lib::run(&engine, &linker, &component, ctx, entry)
        .await
        .unwrap_err();
    let text = format!("{e:#}");
    assert!(
        text.contains("write state is already dropped") || text.contains("passed read end"),
        "{text}"
    );
    exits_with_code_3(&engine, &linker, &component).await;
}

/// Runs the p3-cli guest `component` (or a twin) with `exit-code 3` through the library's
/// `run::run`: status 3, and what it printed. The program that follows an attack, on the same
/// engine and linker.
pub(crate) async fn exits_with_code_3(
    engine: &wasmtime::Engine,
    linker: &wasmtime::component::Linker<wasi_bridge::run::Host>,
    component: &wasmtime::component::Component,
) {
    use wasi_bridge::p2::pipe::MemoryOutputPipe;
    use wasi_bridge::{WasiCtx, run as lib};
    let entry = lib::entry_of(engine, component).unwrap();
    let stdout = MemoryOutputPipe::new(4096);
    let ctx = WasiCtx::builder()
        .args(&["p3-cli", "exit-code", "3"])
        .stdout(stdout.clone())
        .build();
    let status = lib::run(engine, linker, component, ctx, entry)
        .await
        .unwrap();
    assert_eq!(status, 3);
    assert_eq!(&stdout.contents()[..], b"exiting with code\n");
}

/// GHSA-5gh2-8r5m-vwxm (wasmtime 48.0.11), as reconstructed from its fix
/// (`tests/guests/wat/subtask-reuse.wat`): a component cancels a call into its own
/// sub-component, holds the handle while the callee exits and new calls reuse the table
/// slot, then drops the handles. wasmtime 48.0.8 has lost the cancelled task by then: the
/// program ends with that error, status 1, no panic; a runtime that counts the task's
/// references runs it to the end (status 0). The library's `run` gives the same outcome as
/// an `Err`/`Ok` of that program, and the same engine and linker run the next program.
#[tokio::test(flavor = "multi_thread")]
async fn a_subtask_handle_outliving_its_cancelled_task_ends_only_that_program() {
    let o = run(&["run", &guest("subtask-reuse.wasm")], b"");
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    match o.status.code() {
        Some(1) => {
            assert!(err.starts_with("Error: "), "{err}");
            assert!(err.contains("resource not present"), "{err}");
        }
        Some(0) => assert_eq!(err, "", "a fixed runtime runs it to the end"),
        other => panic!("status {other:?}: {err}"),
    }

    use wasi_bridge::{WasiCtx, run as lib};
    let engine = lib::engine().unwrap();
    let linker = lib::linker(&engine).unwrap();
    let attack =
        wasmtime::component::Component::from_file(&engine, guest("subtask-reuse.wasm")).unwrap();
    let entry = lib::entry_of(&engine, &attack).unwrap();
    let outcome = lib::run(&engine, &linker, &attack, WasiCtx::builder().build(), entry).await;
    match outcome {
        Err(e) => assert!(format!("{e:#}").contains("resource not present"), "{e:#}"),
        Ok(status) => assert_eq!(status, 0),
    }
    let next = wasmtime::component::Component::from_file(&engine, guest("p3-cli.wasm")).unwrap();
    exits_with_code_3(&engine, &linker, &next).await;
}

/// wasmtime 48.0.11's stack-limit fix (one of GHSA-2r66-xccj-ch65 / GHSA-68w3-gjjh-vrrc, whose
/// texts are not at hand): the host re-enters a guest to lower a result — its `cabi_realloc`,
/// for a string — and the guest recurses there without end (`realloc-recurses`, see
/// `tests/guests/common/recursing_realloc.h`). Through p2's sync `readlink-at`, p3's
/// async-lowered `readlink-at` (lowered when the host's task ends) and p3's directory stream
/// (lowered when the host's stream delivers an entry), the engine's stack limit holds: the
/// program traps with "call stack exhausted", status 134 as under `wasmtime run`, no crash and
/// no panic; the library's `run` returns the trap and runs the next program.
#[tokio::test(flavor = "multi_thread")]
async fn a_guest_recursing_in_its_realloc_under_a_host_call_traps_that_program_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a"), "a").unwrap();
    std::os::unix::fs::symlink("a", dir.path().join("lnk")).unwrap();
    let preopen = format!("{}::/data", dir.path().display());
    let attacks: [&[&str]; 3] = [
        &["p2-fs.wasm", "realloc-recurses"],
        &["p3-fs.wasm", "realloc-recurses", "readlink"],
        &["p3-fs.wasm", "realloc-recurses", "readdir"],
    ];
    for attack in attacks {
        let program = guest(attack[0]);
        let mut args = vec!["run", "--dir", &preopen, &program];
        args.extend(&attack[1..]);
        let o = run(&args, b"");
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(134), "{attack:?}: {err}");
        assert!(err.starts_with("Error: "), "{attack:?}: {err}");
        assert!(err.contains("call stack exhausted"), "{attack:?}: {err}");
        assert!(!err.contains("panicked"), "{attack:?}: {err}");
        assert!(!String::from_utf8_lossy(&o.stdout).contains("the realloc returned"));
    }

    use wasi_bridge::{FsPerms, WasiCtx, run as lib};
    let engine = lib::engine().unwrap();
    let linker = lib::linker(&engine).unwrap();
    let attack = wasmtime::component::Component::from_file(&engine, guest("p3-fs.wasm")).unwrap();
    let entry = lib::entry_of(&engine, &attack).unwrap();
    let ctx = WasiCtx::builder()
        .args(&["p3-fs", "realloc-recurses", "readdir"])
        .preopened_dir(dir.path(), "/data", FsPerms::ReadWrite)
        .unwrap()
        .build();
    let e = lib::run(&engine, &linker, &attack, ctx, entry)
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("call stack exhausted"), "{e:?}");
    let next = wasmtime::component::Component::from_file(&engine, guest("p3-cli.wasm")).unwrap();
    exits_with_code_3(&engine, &linker, &next).await;
}

/// wasmtime 48.0.10 also fixed a memory that cannot move growing past a reservation that is
/// not a whole number of pages (an operator's `-O memory-reservation`, not a guest's): this
/// build refuses such a reservation in one line; whole 64 KiB pages run.
#[test]
fn an_unaligned_memory_reservation_is_refused() {
    for size in ["100000", "65537"] {
        let o = run(
            &[
                "run",
                "-O",
                &format!("memory-reservation={size}"),
                &guest("p2-cli.wasm"),
            ],
            b"",
        );
        refused_in_one_line(&o, &["memory-reservation", "multiple of 65536"]);
    }
    let o = run(
        &[
            "run",
            "-O",
            "memory-reservation=1073741824",
            &guest("p2-cli.wasm"),
            "hello",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// GHSA-f3r3-8j58-f227 (wasmtime 48.0.11: a host read started while the guest writer still had
/// an undelivered partial-write event, so the host could take the same bytes twice): the
/// surface here is every p3 stream the host reads under backpressure — stdout, sockets,
/// bodies — through one consumer. A p3 guest writes 8 MiB to stdout (4 KiB lines) into a
/// reader that takes 3 000 bytes at a time and pauses: every byte arrives once, in order. (No
/// guest of ours reaches the advisory's state on 48.0.8: see docs/security.md.)
#[test]
fn a_p3_guest_writing_into_a_slow_reader_repeats_and_loses_nothing() {
    use std::io::Read;
    let mut child = command(&["run", &guest("p3-cli.wasm"), "bench-stdout", "8"])
        .spawn()
        .unwrap();
    drop(child.stdin.take());
    let mut stdout = child.stdout.take().unwrap();
    let mut got = Vec::with_capacity(8 << 20);
    let mut buf = [0u8; 3000];
    for i in 0u64.. {
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        if i % 16 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
    assert!(child.wait().unwrap().success());
    assert_eq!(got.len(), 8 << 20);
    let mut line = vec![b'x'; 4096];
    line[4095] = b'\n';
    assert!(got.chunks(4096).all(|c| c == &line[..]));
}
