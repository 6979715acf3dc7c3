//! Every WASI version a guest may import, on the one core (issue: WASI 0.3.N, the release
//! candidates). A guest built against a newer WASI 0.3 release (`wasi:*@0.3.2`, as wasip3 0.10
//! makes them) runs wherever its `@0.3.0` twin runs, as wasmtime's linker takes it; a function
//! a newer release adds that the core lacks is refused by name before the program runs. A
//! guest built against `0.3.0-rc-2026-03-15`, whose WIT has 0.3.0's shape, runs as its twin
//! too (its names renamed, `run::final_names`).

use crate::binary::{guest, run};

/// `run` of the 0.3.2 and the rc-2026-03-15 guests prints what their 0.3.0 twin prints, byte
/// for byte, for each mode
/// (arguments, environment, stdin, stdout and stderr streams, exit codes), with the same status.
#[test]
fn guests_of_wasi_0_3_2_and_0_3_0_rc_2026_03_15_run_as_their_0_3_0_twin() {
    for (args, stdin) in [
        (&["env"][..], &b""[..]),
        (&["stdin"][..], &b"from stdin\n"[..]),
        (&["stdout"][..], &b""[..]),
        (&["exit-code", "7"][..], &b""[..]),
        (&["return-err"][..], &b""[..]),
    ] {
        let twin = |program: &str| {
            let path = guest(program);
            let mut line = vec!["run", "--env", "GREETING=hi", path.as_str()];
            line.extend_from_slice(args);
            let o = run(&line, stdin);
            // The program's own name (its first argument) and the per-process insecure seed
            // are the only differences.
            let stdout: String = String::from_utf8_lossy(&o.stdout)
                .replace(program, "PROGRAM")
                .lines()
                .filter(|l| !l.starts_with("seed: "))
                .map(|l| format!("{l}\n"))
                .collect();
            (
                o.status.code(),
                stdout,
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        };
        let old = twin("p3-cli.wasm");
        assert!(!old.1.is_empty() || old.0 != Some(0), "{args:?}: {old:?}");
        for other in ["p3-cli-0.3.2.wasm", "p3-cli-rc-2026-03-15.wasm"] {
            assert_eq!(twin(other), old, "{other} {args:?}");
        }
    }
}

/// The library: the import check takes `@0.3.2`, `entry_of` finds `wasi:cli/run@0.3.2`, and
/// `run::run` on the library's linker runs it.
#[tokio::test(flavor = "multi_thread")]
async fn the_library_runs_a_guest_of_wasi_0_3_2() {
    use wasi_bridge::run as lib;
    let engine = lib::engine().unwrap();
    let linker = lib::linker(&engine).unwrap();
    let component =
        wasmtime::component::Component::from_file(&engine, guest("p3-cli-0.3.2.wasm")).unwrap();
    lib::check_imports(&engine, &component).unwrap();
    let entry = lib::entry_of(&engine, &component).unwrap();
    assert!(matches!(entry, lib::Entry::P3));
    crate::survival::exits_with_code_3(&engine, &linker, &component).await;
}

/// A function no release of the core has (`get-random-u128` in `wasi:random/random@0.3.9`,
/// `tests/guests/wat/newer-p3-function.wat`) is refused before the program runs, in one line
/// naming the interface and the function, status 2 — as an import of an interface the host
/// does not serve is. The interface's version alone is not a reason to refuse it.
#[test]
fn a_function_a_newer_0_3_release_adds_is_refused_by_name() {
    let o = run(&["run", &guest("newer-p3-function.wasm")], b"");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for said in ["wasi:random/random@0.3.9", "get-random-u128"] {
        assert!(err.contains(said), "{err}");
    }
    let problem = wasi_bridge::run::check_import_names(["wasi:random/random@0.3.9"]);
    assert_eq!(problem, Ok(()));
    // Not a 0.3 release: refused by the import check, as before.
    for name in ["wasi:random/random@0.4.0", "wasi:random/random@0.3"] {
        assert!(
            wasi_bridge::run::check_import_names([name]).is_err(),
            "{name}"
        );
    }
}

/// `0.3.0-rc-2026-03-15`'s WIT (vendored from wasmtime-wasi-http 45.0.0) is 0.3.0's but for
/// its version, its comments and its `@since` gates: every package, line by line. This is what
/// lets `run::final_names` serve its guests with 0.3.0's bindings.
#[test]
fn the_rc_2026_03_15_wit_has_the_shape_of_0_3_0() {
    let root = env!("CARGO_MANIFEST_DIR");
    let shape = |text: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("@since"))
            .filter(|l| !l.starts_with("@unstable"))
            .map(|l| l.replace("@0.3.0-rc-2026-03-15", "@0.3.0"))
            .collect()
    };
    for package in ["cli", "clocks", "filesystem", "http", "random", "sockets"] {
        let rc = std::fs::read_to_string(format!("{root}/wit/p3-rc-2026-03-15/deps/{package}.wit"))
            .unwrap();
        let release = std::fs::read_to_string(format!("{root}/wit/p3/deps/{package}.wit")).unwrap();
        assert!(rc.contains("@0.3.0-rc-2026-03-15;"), "{package}");
        assert_eq!(shape(&rc), shape(&release), "{package}");
    }
    // The renaming touches only those names: a candidate of another shape is still refused.
    let o = run(&["run", &guest("wasi-rc.wasm")], b"");
    assert_eq!(o.status.code(), Some(2));
}
