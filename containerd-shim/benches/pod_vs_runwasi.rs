//! A pod of this shim against a pod of the fastest peer, runwasi's `containerd-shim-wasmtime`,
//! on one containerd: the same image (an HTTP component), both run with `ctr run --net-host`
//! and `WASMTIME_HTTP_PROXY_SOCKET_ADDR` on loopback (runwasi's variable, which this shim
//! reads too), their output read by `ctr`. Each pod's processes on core 0, `wrk -t1 -c50` on
//! core 1, rounds alternating between the pods (1 s warm-up each); medians of requests per
//! second, p50/p99 latency and the pod's CPU per response (user + system time of the shim
//! process serving it over the round's responses); ratios are ours / theirs.
//!
//! runwasi's shim is not on the package registry: build it from its repository, for this
//! measurement only, and name the binary in `RUNWASI_SHIM` (its directory goes on containerd's
//! `PATH`; it runs as the runtime `io.containerd.wasmtime.v1`). Run without `RUST_BACKTRACE`
//! (wasmtime 36's errors capture a backtrace when it is set). Needs root, containerd, wrk.
//!
//! ```text
//! RUNWASI_SHIM=DIR/containerd-shim-wasmtime-v1 env -u RUST_BACKTRACE \
//!   cargo bench -p containerd-shim-wasi-bridge --bench pod_vs_runwasi -- 3 5   # 3 s, 5 rounds
//! ```
//!
//! `HOLD_PODS=SECS` keeps both pods up that long before the rounds, printing their ports and
//! pids (for `perf record -p PID` under a load of one's own).

#[allow(dead_code)]
#[path = "../tests/containerd/daemon.rs"]
mod daemon;
#[path = "../tests/containerd/image.rs"]
mod image;
#[allow(dead_code)]
#[path = "support/pods.rs"]
mod pods;
#[path = "../../benches/support/wrk.rs"]
mod wrk;

use pods::*;
use std::path::PathBuf;
use wrk::median;

/// runwasi's wasmtime shim, as containerd names it.
const PEER: &str = "io.containerd.wasmtime.v1";

/// The components both pods serve: wasi:http 0.2 handlers (runwasi's wasmtime 36 serves no
/// WASIp3).
const GUESTS: [(&str, &str); 1] = [("p2 C hello", "p2-http.wasm")];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let numbers: Vec<u32> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let secs = numbers.first().copied().unwrap_or(3);
    let rounds = numbers.get(1).copied().unwrap_or(5);
    let Some(peer) = std::env::var_os("RUNWASI_SHIM").map(PathBuf::from) else {
        eprintln!(
            "RUNWASI_SHIM must name runwasi's containerd-shim-wasmtime-v1 (built from its \
             repository for this measurement)"
        );
        std::process::exit(2);
    };
    assert!(
        peer.file_name().and_then(|n| n.to_str()) == Some("containerd-shim-wasmtime-v1"),
        "RUNWASI_SHIM must name a file called containerd-shim-wasmtime-v1"
    );
    let daemon = daemon::Daemon::start_beside("runwasi", peer.parent().unwrap())
        .expect("the bench needs root and containerd");
    println!(
        "| component | ours RPS | runwasi RPS | **RPS ours / runwasi** | p50 ms (ours / runwasi) | p99 ms (ours / runwasi) | CPU µs/req (ours / runwasi) | CPU ratio |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (i, (label, guest)) in GUESTS.iter().enumerate() {
        let reference = import_guest(&daemon, &format!("peer-{i}"), guest);
        let ids = [format!("ours-{i}"), format!("theirs-{i}")];
        let ports = [free_port(), free_port()];
        let mut pods = [
            pod(&daemon, &reference, &ids[0], ports[0], Output::Read),
            pod_on(&daemon, PEER, &reference, &ids[1], ports[1], Output::Read),
        ];
        for (child, port) in pods.iter_mut().zip(ports) {
            wait_for_200(port, child);
        }
        let pids = [task_pid(&daemon, &ids[0]), task_pid(&daemon, &ids[1])];
        for pid in pids.into_iter().chain(pods.iter().map(|c| c.id())) {
            pin(pid, "0");
        }
        if let Some(secs) = std::env::var("HOLD_PODS").ok().and_then(|s| s.parse().ok()) {
            // For a profile under a load of one's own: both pods stay up this long first.
            eprintln!(
                "ours: port {} pid {}; runwasi's: port {} pid {}; held {secs} s",
                ports[0], pids[0], ports[1], pids[1]
            );
            std::thread::sleep(std::time::Duration::from_secs(secs));
        }
        // Per pod (ours, theirs): one value per round.
        let mut rps: [Vec<f64>; 2] = Default::default();
        let (mut p50, mut p99, mut cpu) = (rps.clone(), rps.clone(), rps.clone());
        for round in 0..rounds as usize {
            for k in [round % 2, (round + 1) % 2] {
                wrk::run_wrk(ports[k], "/hello", 50, 1, None, Some("1"));
                let before = cpu_ticks(pids[k]);
                let (r, l50, l99, requests) =
                    wrk::run_wrk(ports[k], "/hello", 50, secs, None, Some("1"));
                rps[k].push(r);
                p50[k].push(l50);
                p99[k].push(l99);
                // µs of the serving process's CPU per response (a tick is 10 ms).
                cpu[k].push((cpu_ticks(pids[k]) - before) as f64 * 10_000.0 / requests);
            }
        }
        let [ours, theirs] = rps.map(median);
        let [p50_ours, p50_theirs] = p50.map(median);
        let [p99_ours, p99_theirs] = p99.map(median);
        let [cpu_ours, cpu_theirs] = cpu.map(median);
        println!(
            "| {label} | {ours:.0} | {theirs:.0} | **{:.2}** | {p50_ours:.2} / {p50_theirs:.2} | \
             {p99_ours:.2} / {p99_theirs:.2} | {cpu_ours:.1} / {cpu_theirs:.1} | {:.2} |",
            ours / theirs,
            cpu_ours / cpu_theirs
        );
        for (child, id) in pods.into_iter().zip(&ids) {
            stop_pod(&daemon, id, child);
        }
    }
}
