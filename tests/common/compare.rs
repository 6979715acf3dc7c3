//! Differential runs: the same case under both hosts, asserted to agree on output, exit
//! status and the resulting directory tree.

use super::case::{Case, Exit, Outcome, RunDir, tree};
use super::hosts::*;

/// Trap reasons that name the same guest error in different words. Each entry is (stable
/// substring of a reason, the class it belongs to); reasons not listed are compared verbatim.
///
/// - TCP: the message counts the bytes written, one past the permit, and the permits differ
///   deliberately (docs/differences.md: 64 KiB native, 256 KiB ours).
pub const EQUIVALENT_TRAPS: &[(&str, &str)] =
    &[("not permitted to write ", "TCP write over permit")];

/// The reason a trap is compared by: its class in [`EQUIVALENT_TRAPS`], or itself.
pub fn trap_class(reason: &str) -> &str {
    EQUIVALENT_TRAPS
        .iter()
        .find(|(substring, _)| reason.contains(substring))
        .map_or(reason, |(_, class)| class)
}

/// Asserts two outcomes are the same: stdout and stderr byte for byte, and the same exit
/// status (two traps only with the same reason, up to [`EQUIVALENT_TRAPS`]).
pub fn assert_same(oracle: &Outcome, ours: &Outcome) {
    assert_eq!(
        oracle.stdout_str(),
        ours.stdout_str(),
        "stdout differs (left: wasmtime-wasi, right: wasi-bridge)"
    );
    assert_eq!(
        String::from_utf8_lossy(&oracle.stderr),
        String::from_utf8_lossy(&ours.stderr),
        "stderr differs"
    );
    match (&oracle.exit, &ours.exit) {
        (Exit::Trap(a), Exit::Trap(b)) => assert_eq!(
            trap_class(a),
            trap_class(b),
            "trap reason differs (left: wasmtime-wasi {a:?}, right: wasi-bridge {b:?})"
        ),
        (a, b) => assert_eq!(a, b, "exit status differs"),
    }
}

fn assert_same_tree(oracle: &RunDir, ours: &RunDir) -> Vec<String> {
    match (oracle.path(), ours.path()) {
        (Some(a), Some(b)) => {
            let (a, b) = (tree(a), tree(b));
            assert_eq!(
                a, b,
                "directory trees differ (left: wasmtime-wasi, right: wasi-bridge)"
            );
            b
        }
        _ => Vec::new(),
    }
}

/// Runs a p2 fixture under both hosts (each on a fresh copy of the case's directory) and
/// asserts they agree on output, exit status and the resulting tree; returns ours.
pub async fn differential_p2(name: &str, case: Case) -> Outcome {
    differential_p2_tree(name, case).await.0
}

/// [`differential_p2`], also returning the resulting directory tree.
pub async fn differential_p2_tree(name: &str, case: Case) -> (Outcome, Vec<String>) {
    let (da, db) = (RunDir::new(&case), RunDir::new(&case));
    let oracle = native_p2(name, &case, &da).await;
    let ours = bridge_p2(name, &case, &db).await;
    assert_same(&oracle, &ours);
    let t = assert_same_tree(&da, &db);
    (ours, t)
}

/// Runs a p1 module under wasmtime-wasi's native p1 and wasi-bridge's p1 adapter and asserts
/// they agree on output, exit status and the resulting tree; returns ours and the tree.
pub async fn differential_p1_tree(name: &str, case: Case) -> (Outcome, Vec<String>) {
    let (da, db) = (RunDir::new(&case), RunDir::new(&case));
    let oracle = native_p1(name, &case, &da).await;
    let ours = bridge_p1(name, &case, &db).await;
    assert_same(&oracle, &ours);
    let t = assert_same_tree(&da, &db);
    (ours, t)
}

/// [`differential_p1_tree`] without the tree.
pub async fn differential_p1(name: &str, case: Case) -> Outcome {
    differential_p1_tree(name, case).await.0
}

/// Runs a p3 fixture under both hosts and asserts they agree; returns ours.
pub async fn differential_p3(name: &str, case: Case) -> Outcome {
    differential_p3_tree(name, case).await.0
}

/// [`differential_p3`], also returning the resulting directory tree.
pub async fn differential_p3_tree(name: &str, case: Case) -> (Outcome, Vec<String>) {
    let (da, db) = (RunDir::new(&case), RunDir::new(&case));
    let oracle = native_p3(name, &case, &da).await;
    let ours = bridge_p3(name, &case, &db).await;
    assert_same(&oracle, &ours);
    let t = assert_same_tree(&da, &db);
    (ours, t)
}
