//! Fault injection: stdout to `/dev/full` (ENOSPC) and to a pipe whose reader is gone (EPIPE),
//! on every ABI, under wasmtime-wasi 48 and wasi-bridge: the guest gets the same error, goes on,
//! and what it writes elsewhere (stderr) is not lost.

use crate::common;

use crate::common::{Case, Exit, StdoutFault};

const FAULTS: [StdoutFault; 2] = [StdoutFault::DevFull, StdoutFault::ClosedPipe];

#[tokio::test(flavor = "multi_thread")]
async fn p2_stdout_faults_match_native() {
    for fault in FAULTS {
        let case = Case::new(&["p2-cli", "faults"]).stdout_fault(fault);
        let out = common::differential_p2("p2-cli.wasm", case).await;
        assert_eq!(out.exit, Exit::Code(0), "{fault:?}");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            err.contains("stdout write 1: last-operation-failed"),
            "{fault:?}: {err}"
        );
        assert!(err.contains("stdout write 2: "), "{fault:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn p3_stdout_faults_match_native() {
    for fault in FAULTS {
        let case = Case::new(&["p3-cli", "faults"]).stdout_fault(fault);
        let out = common::differential_p3("p3-cli.wasm", case).await;
        assert_eq!(out.exit, Exit::Code(0), "{fault:?}");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(err.contains("stdout stream 1: "), "{fault:?}: {err}");
        assert!(err.contains("stdout stream 2: "), "{fault:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn p1_stdout_faults_match_native() {
    for (fault, errno) in [(StdoutFault::DevFull, 51), (StdoutFault::ClosedPipe, 64)] {
        let case = Case::new(&["calls", "faults"]).stdout_fault(fault);
        let out = common::differential_p1("calls.p1.wasm", case).await;
        assert_eq!(out.exit, Exit::Code(0), "{fault:?}");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            err,
            format!("stdout write 1: errno {errno}\nstdout write 2: errno {errno}\n"),
            "{fault:?}"
        );
    }
}

/// A p3 guest that keeps writing to a stdout whose reader is gone: the same outcome as native
/// (the component model traps a write after the reader was reported dropped).
#[tokio::test(flavor = "multi_thread")]
async fn p3_writes_after_a_dropped_stdout_match_native() {
    for fault in FAULTS {
        let case = Case::new(&["p3-cli", "bench-stdout", "1"]).stdout_fault(fault);
        let out = common::differential_p3("p3-cli.wasm", case).await;
        assert!(out.trapped(), "{fault:?}: {:?}", out.exit);
    }
}

/// The fixture tree with `b` a character device behaving as `/dev/full`: every write to it
/// fails with ENOSPC (a file system that has run out of space, without filling one).
fn full_device(root: &std::path::Path) {
    common::ops::populate(root);
    let status = std::process::Command::new("mknod")
        .arg(root.join("pre/b"))
        .args(["c", "1", "7"])
        .status()
        .expect("mknod");
    assert!(
        status.success(),
        "mknod pre/b c 1 7 (a /dev/full node) needs root, as CI has"
    );
}

/// A file write hitting ENOSPC, through a descriptor and through a stream, on p2 and p3: the
/// guest gets native's error code, goes on, and its next write to another file lands.
#[test]
fn file_writes_hitting_enospc_match_native() {
    #[rustfmt::skip]
    let program = [
        0, 0, 0, 1, 0, 2, // open-at d0 "b" write -> d2
        3, 2, 4, 0,       // write d2 100 bytes at 0
        17, 2, 0,         // write-via-stream d2 at 0 -> o0
        24, 0, 4,         // o0: write 100 bytes
        26, 0,            // p2: o0 blocking-flush
        23, 0,            // p2: o0 check-write; p3: close o0, its result
        0, 0, 0, 0, 0, 2, // open-at d0 "a" write -> d3
        3, 3, 3, 0,       // write d3 10 bytes at 0
    ];
    let rt = common::ops::runtime();
    for abi in [common::ops::Abi::P2, common::ops::Abi::P3] {
        let ours = rt.block_on(common::ops::differential_in(abi, &program, full_device));
        let out = ours.outcome.stdout_str();
        // insufficient-space: p2's code 23, p3's 22 (p3 has no would-block).
        let expected: &[&str] = match abi {
            common::ops::Abi::P2 => &["1 write d2 err 23", "4 out.blocking-flush failed 23"],
            common::ops::Abi::P3 => &[
                "1 write d2 ok 0 dropped result err 22",
                "5 out.close o0 result err 22",
            ],
        };
        for line in expected {
            assert!(out.contains(line), "{abi:?}: {out}");
        }
        assert!(out.contains("7 write d3 ok 10"), "{abi:?}: {out}");
        assert!(
            ours.tree.contains(&"pre/a = \"AHOVCJQXEL\"".to_string()),
            "{abi:?}: {:?}",
            ours.tree
        );
    }
}
