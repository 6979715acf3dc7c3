//! WASIp1 core modules under wasi-bridge's p1 adapter and wasmtime-wasi 48's native p1, in the
//! same run.
//!
//! `cargo bench --bench p1_vs_native [-- FILTER]` prints, per workload, the median wall time
//! of each host over alternating runs (instantiation to exit, compilation excluded) and the
//! ratio bridge/native (below 1.0: wasi-bridge is faster).

#[path = "../tests/common/mod.rs"]
mod common;

use common::Host;
use std::path::Path;
use std::time::{Duration, Instant};
use wasmtime::Store;
use wasmtime_wasi::FsPerms;
use wasmtime_wasi::p2::pipe::{MemoryOutputPipe, SinkOutputStream};

/// Where the guest's stdout goes: a memory pipe (to check it), or a sink (bulk output).
#[derive(Clone, Copy)]
enum Out {
    Memory,
    Sink,
}

async fn run_once(host: Host, name: &str, args: &[&str], dir: &Path, out: Out) -> Duration {
    let engine = common::engine();
    let pipe = MemoryOutputPipe::new(1 << 20);
    macro_rules! configure {
        ($b:expr) => {{
            let b = $b;
            b.args(args);
            match out {
                Out::Memory => b.stdout(pipe.clone()),
                Out::Sink => b.stdout(SinkOutputStream),
            };
            b.preopened_dir(dir, "/d", FsPerms::ReadWrite).unwrap();
        }};
    }
    let (start, code) = match host {
        Host::Native => {
            let mut b = wasmtime_wasi::WasiCtxBuilder::new();
            configure!(&mut b);
            let mut store = Store::new(engine, b.build_p1());
            let start = Instant::now();
            (
                start,
                common::start_p1(&mut store, common::native_p1_linker(), name).await,
            )
        }
        Host::Bridge => {
            let mut b = wasi_bridge::WasiCtx::builder();
            configure!(&mut b);
            let mut store = Store::new(engine, b.build_p1());
            let start = Instant::now();
            let code = common::start_p1(&mut store, common::bridge_p1_linker(), name).await;
            wasi_bridge::WasiView::ctx(store.data_mut())
                .ctx
                .flush_stdio()
                .await;
            (start, code)
        }
    };
    let elapsed = start.elapsed();
    assert!(
        matches!(code, Ok(0)),
        "guest failed: {code:?}: {}",
        String::from_utf8_lossy(&pipe.contents())
    );
    elapsed
}

async fn compare(label: &str, name: &str, args: &[&str], dir: &Path, out: Out, rounds: usize) {
    common::bench::compare_hosts(label, rounds, |host| run_once(host, name, args, dir, out)).await;
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let want = |label: &str| filter.as_deref().is_none_or(|f| label.contains(f));
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..64u32 << 20).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("big.bin"), &big).unwrap();
    let d = dir.path();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // The readdir workload creates its 10 000 files on its first run.
        run_once(
            Host::Bridge,
            "calls.p1.wasm",
            &["calls", "readdir", "10000"],
            d,
            Out::Memory,
        )
        .await;
        println!(
            "WASIp1: wasi-bridge p1 vs wasmtime-wasi 48 native p1 (median of alternating runs)"
        );
        let cases: &[(&str, &str, &[&str], Out, usize)] = &[
            (
                "p1-hello",
                "hello.p1.wasm",
                &["hello", "0"],
                Out::Memory,
                41,
            ),
            (
                "p1-cp-64MiB",
                "files.p1.wasm",
                &["files", "/d", "cp", "big.bin", "copy.bin"],
                Out::Memory,
                7,
            ),
            (
                "p1-stdout-64MiB",
                "calls.p1.wasm",
                &["calls", "stdout", "64"],
                Out::Sink,
                7,
            ),
            (
                "p1-readdir-10000",
                "calls.p1.wasm",
                &["calls", "readdir", "10000"],
                Out::Memory,
                7,
            ),
            (
                "p1-poll-1000-subscriptions-x100",
                "calls.p1.wasm",
                &["calls", "poll", "1000"],
                Out::Memory,
                9,
            ),
        ];
        for (label, name, args, out, rounds) in cases {
            if want(label) {
                compare(label, name, args, d, *out, *rounds).await;
            }
        }
    });
}
