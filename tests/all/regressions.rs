//! Inputs the fuzzers found, replayed: each file under `tests/regressions/<target>/` once made
//! wasi-bridge panic. They must now give a one-line error (or run normally).

use crate::binary;
use std::process::Stdio;

fn files(target: &str) -> Vec<std::path::PathBuf> {
    let dir = format!("{}/tests/regressions/{target}", env!("CARGO_MANIFEST_DIR"));
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .expect("regressions directory")
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

/// `load`: the library's loading steps return errors, and the command, on either WASIp1
/// path, prints one line and exits 2 (or runs the program).
#[test]
fn load_inputs_are_refused_in_one_line() {
    let engine = wasi_bridge::run::engine().unwrap();
    let inputs = files("load");
    assert!(!inputs.is_empty());
    for path in inputs {
        let bytes = std::fs::read(&path).unwrap();
        if wasi_bridge::run::is_core_module(&bytes) {
            let _ = wasmtime::Module::new(&engine, &bytes);
            if let Ok(wrapped) = wasi_bridge::run::componentize_p1(&bytes)
                && let Ok(c) = wasmtime::component::Component::new(&engine, &wrapped)
            {
                let _ = wasi_bridge::run::check_imports(&engine, &c);
                let _ = wasi_bridge::run::entry_of(&engine, &c);
            }
        }
        for flags in [&[][..], &["--p1-adapter"][..]] {
            let o = binary::command(&[])
                .args(flags)
                .arg(&path)
                .env_remove("RUST_BACKTRACE")
                .stdin(Stdio::null())
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(!err.contains("panicked"), "{path:?} {flags:?}: {err}");
            if o.status.code() == Some(2) {
                assert_eq!(err.lines().count(), 1, "{path:?} {flags:?}: {err}");
            }
        }
    }
}
