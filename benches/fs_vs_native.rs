//! Filesystem workloads under wasi-bridge and wasmtime-wasi 48, in the same run.
//!
//! `cargo bench --bench fs_vs_native [-- FILTER]` prints, per workload, the median wall time of
//! each host over alternating runs and the ratio bridge/native (below 1.0: wasi-bridge is
//! faster). p2 workloads compare the adapter with native p2, p3 workloads compare the p3
//! bindings with wasmtime-wasi's p3.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Abi, Host};

use std::path::Path;
use std::time::Duration;
use wasmtime_wasi::FsPerms;

async fn run_once(host: Host, abi: Abi, name: &str, args: &[&str], dir: &Path) -> Duration {
    let component = common::component(name);
    let pipe = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 20);
    let (result, elapsed) = run_on!(host, abi, &component, |b| {
        b.args(args).stdout(pipe.clone());
        b.preopened_dir(dir, "/d", FsPerms::ReadWrite).unwrap();
    });
    assert!(
        matches!(result, Ok(0)),
        "guest failed: {result:?}: {}",
        String::from_utf8_lossy(&pipe.contents())
    );
    elapsed
}

async fn compare(label: &str, abi: Abi, name: &str, args: &[&str], dir: &Path, rounds: usize) {
    common::bench::compare_hosts(label, rounds, |host| run_once(host, abi, name, args, dir)).await;
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let want = |label: &str| filter.as_deref().is_none_or(|f| label.contains(f));
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..64u32 << 20).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("big.bin"), &big).unwrap();
    std::fs::create_dir(dir.path().join("many")).unwrap();
    for i in 0..10_000 {
        std::fs::write(dir.path().join("many").join(format!("entry-{i:05}")), b"").unwrap();
    }
    let d = dir.path();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("filesystem: wasi-bridge vs wasmtime-wasi 48 (median of alternating runs)");
        let cases: &[(&str, Abi, &str, &[&str], usize)] = &[
            (
                "p2-read-64MiB-stream",
                Abi::P2,
                "p2-fs.wasm",
                &["p2-fs", "bench-read", "big.bin"],
                7,
            ),
            (
                "p2-write-64MiB-stream",
                Abi::P2,
                "p2-fs.wasm",
                &["p2-fs", "bench-write", "out.bin", "64"],
                7,
            ),
            (
                "p3-read-64MiB-stream",
                Abi::P3,
                "p3-fs.wasm",
                &["p3-fs", "bench-read", "big.bin"],
                7,
            ),
            (
                "p3-write-64MiB-stream",
                Abi::P3,
                "p3-fs.wasm",
                &["p3-fs", "bench-write", "out.bin", "64"],
                7,
            ),
            (
                "p2-readdir-10000",
                Abi::P2,
                "p2-fs.wasm",
                &["p2-fs", "bench-readdir", "many"],
                9,
            ),
            (
                "p3-readdir-10000",
                Abi::P3,
                "p3-fs.wasm",
                &["p3-fs", "bench-readdir", "many"],
                9,
            ),
            (
                "p2-stat-at-2x100000",
                Abi::P2,
                "p2-fs.wasm",
                &["p2-fs", "bench-stat", "big.bin", "100000"],
                9,
            ),
            (
                "p1-cp-64MiB",
                Abi::P2,
                "files.p1.wasm",
                &["files", "/d", "cp", "big.bin", "copy.bin"],
                7,
            ),
        ];
        for (label, abi, name, args, rounds) in cases {
            if want(label) {
                compare(label, *abi, name, args, d, *rounds).await;
            }
        }
    });
}
