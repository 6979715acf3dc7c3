//! Socket workloads under wasi-bridge and wasmtime-wasi 48, in the same run, against loopback
//! echo peers on plain threads.
//!
//! `cargo bench --bench sockets_vs_native [-- FILTER]` prints, per workload, the median wall time of
//! each host over alternating runs and the ratio bridge/native (below 1.0: wasi-bridge is
//! faster). p2 workloads compare the adapter with native p2, p3 workloads compare the p3
//! bindings with wasmtime-wasi's p3.

#[path = "../tests/common/mod.rs"]
mod common;

use common::NativeHost;

use std::time::{Duration, Instant};
use wasmtime::Store;
use wasmtime::component::{Linker, ResourceTable};

#[derive(Clone, Copy, PartialEq)]
enum Host {
    Native,
    Bridge,
}

#[derive(Clone, Copy, PartialEq)]
enum Abi {
    P2,
    P3,
}

async fn run_once(host: Host, abi: Abi, name: &str, args: &[&str], expect: &str) -> Duration {
    let component = common::component(name);
    let engine = common::engine();
    let pipe = wasmtime_wasi::p2::pipe::MemoryOutputPipe::new(1 << 20);
    let start;
    let result = match host {
        Host::Native => {
            let mut b = wasmtime_wasi::WasiCtxBuilder::new();
            b.args(args).stdout(pipe.clone()).inherit_network();
            b.allow_tcp(true).allow_udp(true);
            let mut linker = Linker::<NativeHost>::new(engine);
            wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
            if abi == Abi::P3 {
                wasmtime_wasi::p3::add_to_linker(&mut linker).unwrap();
            }
            let mut store = Store::new(
                engine,
                NativeHost {
                    ctx: b.build(),
                    table: ResourceTable::new(),
                },
            );
            start = Instant::now();
            match abi {
                Abi::P2 => {
                    let cmd = wasmtime_wasi::p2::bindings::Command::instantiate_async(
                        &mut store, &component, &linker,
                    )
                    .await
                    .unwrap();
                    cmd.wasi_cli_run().call_run(&mut store).await
                }
                Abi::P3 => {
                    let cmd = wasmtime_wasi::p3::bindings::Command::instantiate_async(
                        &mut store, &component, &linker,
                    )
                    .await
                    .unwrap();
                    store
                        .run_concurrent(async move |s| cmd.wasi_cli_run().call_run(s).await)
                        .await
                        .and_then(|r| r)
                }
            }
        }
        Host::Bridge => {
            let mut b = wasi_bridge::WasiCtx::builder();
            b.args(args).stdout(pipe.clone()).inherit_network();
            b.allow_tcp(true).allow_udp(true);
            let linker = wasi_bridge::run::linker(engine).unwrap();
            let entry = match abi {
                Abi::P2 => wasi_bridge::run::Entry::P2,
                Abi::P3 => wasi_bridge::run::Entry::P3,
            };
            start = Instant::now();
            wasi_bridge::run::run(engine, &linker, &component, b.build(), entry)
                .await
                .map(|code| if code == 0 { Ok(()) } else { Err(()) })
        }
    };
    let elapsed = start.elapsed();
    let out = String::from_utf8_lossy(&pipe.contents()).to_string();
    assert!(
        matches!(result, Ok(Ok(()))) && out.contains(expect),
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
