//! Fault injection: stdout to `/dev/full` (ENOSPC) and to a pipe whose reader is gone (EPIPE),
//! on every ABI, under wasmtime-wasi 48 and wasi-bridge: the guest gets the same error, goes on,
//! and what it writes elsewhere (stderr) is not lost.

mod common;

use common::{Case, Exit, StdoutFault};

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
