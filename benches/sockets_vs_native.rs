//! Socket workloads under wasi-bridge and wasmtime-wasi 48, in the same run, against loopback
//! echo peers on plain threads.
//!
//! `cargo bench --bench sockets_vs_native [-- FILTER]` prints, per workload, the median wall time of
//! each host over alternating runs and the ratio bridge/native (below 1.0: wasi-bridge is
//! faster). p2 workloads compare the adapter with native p2, p3 workloads compare the p3
//! bindings with wasmtime-wasi's p3.

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Abi, Host};

use std::time::Duration;

async fn run_once(host: Host, abi: Abi, name: &str, args: &[&str], expect: &str) -> Duration {
    let component = common::component(name);
    let pipe = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 20);
    let (result, elapsed) = run_on!(host, abi, &component, |b| {
        b.args(args).stdout(pipe.clone()).inherit_network();
        b.allow_tcp(true).allow_udp(true);
    });
    let out = String::from_utf8_lossy(&pipe.contents()).to_string();
    assert!(
        matches!(result, Ok(0)) && out.contains(expect),
        "guest failed: {result:?}: {out}"
    );
    elapsed
}

async fn compare(label: &str, abi: Abi, name: &str, args: &[&str], expect: &str, rounds: usize) {
    common::bench::compare_hosts(label, rounds, |host| {
        run_once(host, abi, name, args, expect)
    })
    .await;
}

/// A workload: label, ABI, fixture, arguments, expected output, rounds.
type Case<'a> = (&'a str, Abi, &'a str, &'a [&'a str], &'a str, usize);

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let want = |label: &str| filter.as_deref().is_none_or(|f| label.contains(f));
    let tcp = common::peers::TcpEcho::start();
    let udp = common::peers::UdpEcho::start();
    let (t, u) = (tcp.addr.as_str(), udp.addr.as_str());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("sockets: wasi-bridge vs wasmtime-wasi 48 (median of alternating runs)");
        let cases: &[Case] = &[
            (
                "p2-tcp-echo-256MiB",
                Abi::P2,
                "p2-sockets.wasm",
                &["g", "bench-echo", t, "256"],
                "echoed 268435456",
                5,
            ),
            (
                "p3-tcp-echo-256MiB",
                Abi::P3,
                "p3-sockets.wasm",
                &["g", "bench-echo", t, "256"],
                "echoed 268435456",
                5,
            ),
            (
                "p2-tcp-1000-small-round-trips",
                Abi::P2,
                "p2-sockets.wasm",
                &["g", "bench-small", t, "1000"],
                "round trips 1000",
                7,
            ),
            (
                "p3-tcp-1000-small-round-trips",
                Abi::P3,
                "p3-sockets.wasm",
                &["g", "bench-small", t, "1000"],
                "round trips 1000",
                7,
            ),
            (
                "p2-udp-100000-datagrams",
                Abi::P2,
                "p2-sockets.wasm",
                &["g", "bench-udp", u, "100000"],
                "datagrams ",
                5,
            ),
            (
                "p3-udp-100000-datagrams",
                Abi::P3,
                "p3-sockets.wasm",
                &["g", "bench-udp", u, "100000"],
                "datagrams 100000",
                5,
            ),
        ];
        for (label, abi, name, args, expect, rounds) in cases {
            if want(label) {
                compare(label, *abi, name, args, expect, *rounds).await;
            }
        }
    });
}
