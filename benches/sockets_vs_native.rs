//! Socket workloads under wasi-bridge and wasmtime-wasi 48, in the same run, against loopback
//! echo peers on plain threads.
//!
//! `cargo bench --bench sockets_vs_native [-- FILTER]` prints, per workload, the median wall time of
//! each host over alternating runs and the ratio bridge/native (below 1.0: wasi-bridge is
//! faster). p2 workloads compare the adapter with native p2, p3 workloads compare the p3
//! bindings with wasmtime-wasi's p3.

#[path = "../tests/common/mod.rs"]
mod common;

use common::Abi;

use std::time::Duration;

#[derive(Clone, Copy, PartialEq)]
enum Host {
    Native,
    Bridge,
}

async fn run_once(host: Host, abi: Abi, name: &str, args: &[&str], expect: &str) -> Duration {
    let component = common::component(name);
    let pipe = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 20);
    macro_rules! context {
        ($b:expr) => {{
            let mut b = $b;
            b.args(args).stdout(pipe.clone()).inherit_network();
            b.allow_tcp(true).allow_udp(true);
            b.build()
        }};
    }
    let (result, elapsed) = match host {
        Host::Native => {
            let mut store = common::native_store_of(context!(wasmtime_wasi::WasiCtxBuilder::new()));
            common::run_native(&mut store, abi, &component).await
        }
        Host::Bridge => {
            let mut store = common::bridge_store_of(context!(wasi_bridge::WasiCtx::builder()));
            common::run_bridge(&mut store, abi, &component).await
        }
    };
    let out = String::from_utf8_lossy(&pipe.contents()).to_string();
    assert!(
        matches!(result, Ok(0)) && out.contains(expect),
        "guest failed: {result:?}: {out}"
    );
    elapsed
}

async fn compare(label: &str, abi: Abi, name: &str, args: &[&str], expect: &str, rounds: usize) {
    run_once(Host::Native, abi, name, args, expect).await;
    run_once(Host::Bridge, abi, name, args, expect).await;
    let (mut native, mut bridge) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        native.push(run_once(Host::Native, abi, name, args, expect).await);
        bridge.push(run_once(Host::Bridge, abi, name, args, expect).await);
    }
    native.sort();
    bridge.sort();
    let (n, b) = (native[rounds / 2], bridge[rounds / 2]);
    println!(
        "{label:<36} native {:>10.3} ms   bridge {:>10.3} ms   ratio bridge/native {:.2}",
        n.as_secs_f64() * 1e3,
        b.as_secs_f64() * 1e3,
        b.as_secs_f64() / n.as_secs_f64()
    );
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
