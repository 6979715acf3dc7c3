//! The op-program harness: runs a program (encoding: `tests/guests/ops/vocab.h`) through the
//! p2 or p3 op guest under wasmtime-wasi 48 and under wasi-bridge, each in a fresh copy of the
//! same tree, and compares what they did. Shared by `tests/all/ops.rs` and the fuzz targets
//! `p2_ops`, `p3_ops` and `sandbox` (which include this file), so a fuzz finding replays as a
//! test with the very same comparison.
//!
//! The tree (`populate`): `pre/` is preopened as `.` (read-write) and `ro/` as `ro`
//! (read-only); `canary/` lies beside them and no program may read, write, create or delete
//! anything in it.

use super::{
    Case, Layout, Outcome, RunDir, assert_same, bridge_p2, bridge_p3, native_p2, native_p3, tree,
};
use std::path::Path;
use wasmtime_wasi::FsPerms;

/// The ABI of the op guest to run: `p2-ops.wasm` through `run@0.2.12`, `p3-ops.wasm` through
/// `run@0.3.0`.
pub use super::hosts::Abi;

/// What the canary file holds; it must never appear in a guest's output.
pub const CANARY: &str = "CANARY-SECRET";

/// The fixture tree every program starts from.
pub fn populate(root: &Path) {
    use std::os::unix::fs::symlink;
    let pre = root.join("pre");
    std::fs::create_dir_all(pre.join("d")).unwrap();
    std::fs::write(pre.join("a"), "hello").unwrap();
    std::fs::write(pre.join("d/e"), "inner file").unwrap();
    symlink("a", pre.join("l")).unwrap();
    symlink("l", pre.join("ll")).unwrap();
    symlink("d", pre.join("dl")).unwrap();
    symlink("../canary/secret", pre.join("out")).unwrap();
    symlink("/etc/passwd", pre.join("abs")).unwrap();
    symlink("loop2", pre.join("loop1")).unwrap();
    symlink("loop1", pre.join("loop2")).unwrap();
    std::fs::create_dir(root.join("ro")).unwrap();
    std::fs::write(root.join("ro/f"), "read-only file").unwrap();
    std::fs::create_dir(root.join("canary")).unwrap();
    std::fs::write(root.join("canary/secret"), CANARY).unwrap();
}

/// The preopens: `pre/` as `.`, `ro/` as `ro` read-only.
pub const LAYOUT: Layout = Layout {
    setup: populate,
    preopens: &[
        ("pre", ".", FsPerms::ReadWrite),
        ("ro", "ro", FsPerms::ReadOnly),
    ],
};

/// The case a program runs as, in a tree made by `setup` (`populate` or a superset of it).
pub fn case(program: &[u8], setup: fn(&Path)) -> Case {
    let mut c = Case::new(&["ops"]).stdin(program);
    c.layout = Some(Layout { setup, ..LAYOUT });
    c
}

/// One host's run of a program: its outcome and the tree afterwards.
#[derive(Debug)]
pub struct OpsRun {
    pub outcome: Outcome,
    pub tree: Vec<String>,
}

/// Runs a program under wasmtime-wasi 48 (`native`) or wasi-bridge.
pub async fn run(abi: Abi, native: bool, program: &[u8], setup: fn(&Path)) -> OpsRun {
    run_on(abi, native, program, setup, None).await
}

/// [`run`] with the tree made under `tmp_root` (a tmpfs, say) instead of the temp directory.
pub async fn run_on(
    abi: Abi,
    native: bool,
    program: &[u8],
    setup: fn(&Path),
    tmp_root: Option<&'static str>,
) -> OpsRun {
    let mut c = case(program, setup);
    c.tmp_root = tmp_root;
    let dir = RunDir::new(&c);
    let outcome = match (abi, native) {
        (Abi::P2, true) => native_p2("p2-ops.wasm", &c, &dir).await,
        (Abi::P2, false) => bridge_p2("p2-ops.wasm", &c, &dir).await,
        (Abi::P3, true) => native_p3("p3-ops.wasm", &c, &dir).await,
        (Abi::P3, false) => bridge_p3("p3-ops.wasm", &c, &dir).await,
    };
    OpsRun {
        outcome,
        tree: tree(dir.path().unwrap()),
    }
}

/// The canary and the read-only preopen after any program: as `populate` left them.
fn assert_sandbox_held(t: &[String], host: &str) {
    let canary: Vec<_> = t.iter().filter(|l| l.starts_with("canary")).collect();
    assert_eq!(
        canary,
        ["canary/", &format!("canary/secret = {CANARY:?}")],
        "{host}: the canary beside the preopen was touched"
    );
    let ro: Vec<_> = t.iter().filter(|l| l.starts_with("ro")).collect();
    assert_eq!(
        ro,
        ["ro/", "ro/f = \"read-only file\""],
        "{host}: the read-only preopen changed"
    );
}

/// Runs a program under both hosts and asserts they agree: output lines, exit or trap, the
/// final tree; and that neither read the canary or changed it or the read-only preopen.
/// Returns wasi-bridge's run.
pub async fn differential(abi: Abi, program: &[u8]) -> OpsRun {
    differential_in(abi, program, populate).await
}

/// [`differential`] in a tree made by `setup` (which must make `populate`'s tree and may add
/// to it).
pub async fn differential_in(abi: Abi, program: &[u8], setup: fn(&Path)) -> OpsRun {
    differential_on(abi, program, setup, None).await
}

/// [`differential_in`] with the trees made under `tmp_root` (see [`run_on`]).
pub async fn differential_on(
    abi: Abi,
    program: &[u8],
    setup: fn(&Path),
    tmp_root: Option<&'static str>,
) -> OpsRun {
    let oracle = run_on(abi, true, program, setup, tmp_root).await;
    let ours = run_on(abi, false, program, setup, tmp_root).await;
    assert_same(&oracle.outcome, &ours.outcome);
    assert_eq!(
        oracle.tree, ours.tree,
        "directory trees differ (left: wasmtime-wasi, right: wasi-bridge)"
    );
    assert_sandbox_held(&ours.tree, "wasi-bridge");
    assert!(
        !ours.outcome.stdout_str().contains(CANARY),
        "wasi-bridge: the guest read the canary"
    );
    ours
}

/// A runtime for running programs from synchronous code (tests, fuzz targets).
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

/// The path-taking ops (opcode, argument bytes) the `sandbox` target builds its programs from.
pub const PATH_OPS: &[(u8, usize)] = &[
    (0, 5),  // open-at DIR FOLLOW PATH OFLAGS FLAGS
    (2, 3),  // read D LEN OFF
    (3, 3),  // write D LEN OFF
    (5, 3),  // stat-at D FOLLOW PATH
    (6, 1),  // readdir D
    (7, 4),  // rename-at D PATH D2 PATH2
    (8, 2),  // unlink-file-at D PATH
    (9, 2),  // remove-directory-at D PATH
    (10, 2), // create-directory-at D PATH
    (11, 3), // symlink-at D TARGET PATH
    (12, 5), // link-at D FOLLOW PATH D2 PATH2
    (15, 2), // readlink-at D PATH
    (38, 4), // set-times(-at) D FOLLOW PATH WHICH
];

/// A program of path ops only, from arbitrary bytes: each op is one byte choosing the op and
/// then exactly its argument bytes, so every input is a sequence of escape attempts.
pub fn sandbox_program(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut bytes = data.iter().copied();
    while let Some(b) = bytes.next() {
        let (op, args) = PATH_OPS[b as usize % PATH_OPS.len()];
        out.push(op);
        out.extend((0..args).map(|_| bytes.next().unwrap_or(0)));
    }
    out
}
