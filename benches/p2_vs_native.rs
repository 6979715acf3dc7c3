//! wasi-bridge's p2 adapter against wasmtime-wasi 48's native p2, in the same run.
//!
//! `cargo bench --bench p2_vs_native` prints, for each workload, the median wall time of each
//! host over alternating runs and the ratio bridge/native (below 1.0: the adapter is faster).
//! The machine is shared and noisy: compare ratios, not absolute times.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Abi, Host};

use common::{Case, Exit};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::AsyncWrite;

/// A stdout that counts and discards, reached through the generic `AsyncWrite` path.
#[derive(Clone, Default)]
struct CountingSink(Arc<AtomicU64>);

impl AsyncWrite for CountingSink {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.0.fetch_add(buf.len() as u64, Ordering::Relaxed);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl wasmtime_wasi::cli::IsTerminal for CountingSink {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for CountingSink {
    fn async_stream(&self) -> Box<dyn AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[derive(Clone, Copy)]
enum Stdout {
    /// `MemoryOutputPipe`, wasmtime-wasi's in-memory pipe.
    Memory,
    /// A host `AsyncWrite` (counting, discarding).
    AsyncWrite,
}

/// Runs `name` once with `args` and returns the time from instantiation to exit.
async fn run_once(host: Host, name: &str, args: &[&str], stdout: Stdout) -> Duration {
    run_with(host, Abi::P2, name, args, stdout).await
}

/// Runs the p3 fixture once under wasmtime-wasi's p3 or wasi-bridge's p3, stdout into a pipe.
async fn run_p3_once(host: Host, args: &[&str]) -> Duration {
    run_with(host, Abi::P3, "p3-cli.wasm", args, Stdout::Memory).await
}

/// One run on the tests' host builders (`tests/common/hosts.rs`), only the stdout chosen here.
async fn run_with(host: Host, abi: Abi, name: &str, args: &[&str], stdout: Stdout) -> Duration {
    let component = common::component(name);
    let counter = CountingSink::default();
    let pipe = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(usize::MAX);
    let (result, elapsed) = run_on!(host, abi, &component, |b| {
        b.args(args);
        match stdout {
            Stdout::Memory => b.stdout(pipe.clone()),
            Stdout::AsyncWrite => b.stdout(counter.clone()),
        };
    });
    assert!(matches!(result, Ok(0)), "guest failed: {result:?}");
    if abi == Abi::P3 {
        assert_eq!(pipe.contents().len(), 64 << 20, "all of stdout arrived");
    }
    elapsed
}

async fn compare(label: &str, name: &str, args: &[&str], stdout: Stdout, rounds: usize) {
    common::bench::compare_hosts(label, rounds, |host| run_once(host, name, args, stdout)).await;
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects workloads by substring.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let want = |label: &str| filter.as_deref().is_none_or(|f| label.contains(f));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Sanity: both hosts run the fixture to a clean exit.
        let case = Case::new(&["p2-cli", "hello"]);
        let out = common::bridge_p2("p2-cli.wasm", &case, &common::RunDir::new(&case)).await;
        assert_eq!(out.exit, Exit::Code(0));

        println!(
            "wasi-bridge p2 adapter vs wasmtime-wasi 48 native p2 (median of alternating runs)"
        );
        if want("stdout-64MiB-4KiB-memory-pipe") {
            let args = ["p2-cli", "bench-stdout", "64"];
            compare(
                "stdout-64MiB-4KiB-memory-pipe",
                "p2-cli.wasm",
                &args,
                Stdout::Memory,
                7,
            )
            .await;
        }
        if want("stdout-64MiB-4KiB-async-write") {
            let args = ["p2-cli", "bench-stdout", "64"];
            compare(
                "stdout-64MiB-4KiB-async-write",
                "p2-cli.wasm",
                &args,
                Stdout::AsyncWrite,
                7,
            )
            .await;
        }
        if want("p3-stdout-64MiB-4KiB-memory-pipe") {
            let args = ["p3-cli", "bench-stdout", "64"];
            common::bench::compare_hosts(
                "p3-stdout-64MiB-4KiB-memory-pipe (p3 vs wasmtime-wasi p3)",
                7,
                |host| run_p3_once(host, &args),
            )
            .await;
        }
        if want("poll-1000-pollables-one-ready-x200") {
            let args = ["p2-cli", "bench-poll", "1000", "200"];
            compare(
                "poll-1000-pollables-one-ready-x200",
                "p2-cli.wasm",
                &args,
                Stdout::Memory,
                9,
            )
            .await;
        }
        if want("hello-p1-start-to-exit") {
            let args = ["hello"];
            compare(
                "hello-p1-start-to-exit",
                "hello.p1.wasm",
                &args,
                Stdout::Memory,
                31,
            )
            .await;
        }
        if want("hello-p2-start-to-exit") {
            let args = ["p2-cli", "hello"];
            compare(
                "hello-p2-start-to-exit",
                "p2-cli.wasm",
                &args,
                Stdout::Memory,
                31,
            )
            .await;
        }
    });
}
