//! The shim's cost on HTTP: one component served from a containerd-run container (the shim,
//! `ctr run --net-host`, `WASMTIME_HTTP_PROXY_SOCKET_ADDR` on loopback) against
//! `wasi-bridge serve` run directly (the same library code, `wasi_bridge::command`, in a
//! process of its own: the binary's `main`), the same component and loopback. Both servers'
//! stdout and stderr are pipes read to their end (ctr's copy for the pod, a thread here for
//! the direct one), as a log collector reads a server's output.
//!
//! - Requests per second: three servers up at once — `serve`, a second `serve` moved into the
//!   pod's cgroups (what running inside a container's cgroups costs any process, not the
//!   shim's code), and the pod — `wrk -t1 -c50` rounds rotating between them (1 s warm-up
//!   each), medians, the ratios, and the server CPU per response (user + system time over the
//!   round's responses). Then the same with the output discarded — `serve` with stdout and
//!   stderr on `/dev/null`, the pod run with `ctr run --null-io` — which takes the output path
//!   (the container's fifo and the reader behind it) out of the comparison.
//! - Start to first response: from spawning `ctr run` (image imported, its snapshot already
//!   unpacked by an earlier run) or `wasi-bridge serve` to the first 200 on `/hello`, polled
//!   every 2 ms; medians of five starts each. `serve` runs with its compile cache (warm after
//!   the first start) and without it (`-C cache=n`, compiling each time, as the container does:
//!   its cache would be in the container's own, fresh, file system).
//!
//! Needs root, containerd and wrk (installed from Debian if missing):
//!
//! ```text
//! cargo bench -p containerd-shim-wasi-bridge --bench pod_vs_serve            # 5 rounds of 3 s
//! cargo bench -p containerd-shim-wasi-bridge --bench pod_vs_serve -- 5 8     # 5 s runs, 8 rounds
//! cargo bench -p containerd-shim-wasi-bridge --bench pod_vs_serve -- 3 5 p2  # the p2 component only
//! ```

#[allow(dead_code)]
#[path = "../tests/containerd/daemon.rs"]
mod daemon;
#[path = "../tests/containerd/image.rs"]
mod image;
#[path = "../../benches/support/wrk.rs"]
mod wrk;
use wrk::median;
#[path = "support/pods.rs"]
mod pods;
use pods::*;

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

const GUESTS: [(&str, &str); 3] = [
    ("p2 C hello", "p2-http.wasm"),
    ("p3 C hello", "p3-http.wasm"),
    ("p3 C callback hello (no output)", "p3-http-cb.wasm"),
];

/// `wasi-bridge serve --addr 127.0.0.1:PORT OPTIONS GUEST`, as a process of its own, its stdout and
/// stderr pipes read by this process.
fn direct(guest: &str, port: u16, options: &[&str], output: Output) -> Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--serve", &format!("127.0.0.1:{port}"), &guest_path(guest)])
        .args(options)
        .stdout(output.stdio())
        .stderr(output.stdio())
        .spawn()
        .unwrap();
    drain(child.stdout.take());
    drain(child.stderr.take());
    child
}

fn stop_direct(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// Moves process `pid` into every cgroup (v1 or v2) process `of` is in.
fn join_cgroups(pid: u32, of: u32) {
    let cgroups = std::fs::read_to_string(format!("/proc/{of}/cgroup")).unwrap();
    for line in cgroups.lines() {
        // ID:CONTROLLERS:PATH; v2 is `0::PATH`.
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
        let mount = match controllers {
            "" if Path::new("/sys/fs/cgroup/unified").is_dir() => "/sys/fs/cgroup/unified".into(),
            "" => "/sys/fs/cgroup".to_string(),
            c => format!("/sys/fs/cgroup/{}", c.trim_start_matches("name=")),
        };
        let procs = format!("{mount}{path}/cgroup.procs");
        if let Err(e) = std::fs::write(&procs, pid.to_string()) {
            eprintln!("cannot join {procs}: {e}");
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        // The `wasi-bridge serve` command line, run by the library as the binary runs it.
        // --serve ADDR COMPONENT [OPTIONS...]
        let mut argv = vec!["wasi-bridge", "serve", "--addr", &args[2]];
        argv.extend(args[4..].iter().map(String::as_str));
        argv.push(&args[3]);
        let command = wasi_bridge::command::Command::try_parse_from(argv).unwrap();
        std::process::exit(i32::from(wasi_bridge::command::run_to_exit_status(
            command,
            std::future::pending(),
        )));
    }
    let numbers: Vec<u32> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let secs = numbers.first().copied().unwrap_or(3);
    let rounds = numbers.get(1).copied().unwrap_or(5);
    // A word (`p2`, `callback`) keeps the components whose label has it.
    let only: Vec<&str> = args[1..]
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-') && a.parse::<u32>().is_err())
        .collect();
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("installing wrk (Debian)...");
        let ok = Command::new("apt-get")
            .args(["install", "-y", "-qq", "wrk"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "wrk is needed: apt-get install wrk");
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let all_cores = format!("0-{}", cores - 1);
    let placements: &[Placement] = if cores >= 2 {
        &[Placement::Shared, Placement::Pinned]
    } else {
        eprintln!("one core: the pinned placement needs two");
        &[Placement::Shared]
    };
    let daemon = daemon::Daemon::start("bench").expect("the bench needs root and containerd");
    let mut rps_rows = Vec::new();
    let mut start_rows = Vec::new();
    for (i, (label, guest)) in GUESTS.iter().enumerate() {
        if !only.iter().all(|word| label.contains(word)) {
            continue;
        }
        let reference = import_guest(&daemon, &format!("bench-{i}"), guest);

        // Start to first response; the first pod run unpacks the image's snapshot (not
        // counted).
        let (mut pod_ms, mut direct_ms, mut cold_ms) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..6 {
            let id = format!("start-{i}-{round}");
            let port = free_port();
            let mut child = pod(&daemon, &reference, &id, port, Output::Read);
            let took = wait_for_200(port, &mut child);
            stop_pod(&daemon, &id, child);
            let mut direct_took = [Duration::ZERO; 2];
            for (options, took) in [&[][..], &["-C", "cache=n"]].iter().zip(&mut direct_took) {
                let port = free_port();
                let mut child = direct(guest, port, options, Output::Read);
                *took = wait_for_200(port, &mut child);
                stop_direct(child);
            }
            if round > 0 {
                pod_ms.push(took.as_secs_f64() * 1000.0);
                direct_ms.push(direct_took[0].as_secs_f64() * 1000.0);
                cold_ms.push(direct_took[1].as_secs_f64() * 1000.0);
            }
        }

        // Requests per second, the servers up at once, rounds rotating: serve, serve moved into
        // the pod's cgroups (what the container costs, whoever runs in it), the pod; then serve
        // and the pod with their output discarded (what the output path costs).
        let ids = [format!("rps-{i}"), format!("rps-quiet-{i}")];
        let ports: [u16; 5] = std::array::from_fn(|_| free_port());
        let mut pods = [
            pod(&daemon, &reference, &ids[0], ports[2], Output::Read),
            pod(&daemon, &reference, &ids[1], ports[4], Output::Discarded),
        ];
        let mut directs = [
            direct(guest, ports[0], &[], Output::Read),
            direct(guest, ports[1], &[], Output::Read),
            direct(guest, ports[3], &[], Output::Discarded),
        ];
        for (child, port) in pods.iter_mut().zip([ports[2], ports[4]]) {
            wait_for_200(port, child);
        }
        for (child, port) in directs.iter_mut().zip([ports[0], ports[1], ports[3]]) {
            wait_for_200(port, child);
        }
        let pod_pids = [task_pid(&daemon, &ids[0]), task_pid(&daemon, &ids[1])];
        join_cgroups(directs[1].id(), pod_pids[0]);
        let pids = [
            directs[0].id(),
            directs[1].id(),
            pod_pids[0],
            directs[2].id(),
            pod_pids[1],
        ];
        let ctr_pid = pods[0].id();
        for &placement in placements {
            if placement == Placement::Pinned {
                // Servers and the readers of their output on core 0 (this process's threads
                // read the direct servers'), wrk on core 1.
                for pid in pids.into_iter().chain(pods.iter().map(Child::id)) {
                    pin(pid, "0");
                }
                pin(std::process::id(), "0");
            }
            let (mut rps, mut cpu): ([Vec<f64>; 5], [Vec<f64>; 5]) = Default::default();
            let mut ctr_cpu = Vec::new();
            for round in 0..rounds as usize {
                for k in (0..5).map(|k| (k + round) % 5) {
                    wrk(ports[k], 1, placement);
                    let before = cpu_ticks(pids[k]);
                    let ctr_before = cpu_ticks(ctr_pid);
                    let (r, requests) = wrk(ports[k], secs, placement);
                    rps[k].push(r);
                    // µs of server CPU per response (a tick is 10 ms).
                    cpu[k].push((cpu_ticks(pids[k]) - before) as f64 * 10_000.0 / requests);
                    if k == 2 {
                        // What ctr, copying the pod's output on, spent per response.
                        ctr_cpu
                            .push((cpu_ticks(ctr_pid) - ctr_before) as f64 * 10_000.0 / requests);
                    }
                }
            }
            let [serve, grouped, in_pod, quiet_serve, quiet_pod] = rps.map(median);
            let [serve_cpu, grouped_cpu, pod_cpu, _, _] = cpu.map(median);
            let ctr_cpu = median(ctr_cpu);
            let placed = match placement {
                Placement::Shared => "both cores shared",
                Placement::Pinned => "servers core 0, wrk core 1",
            };
            rps_rows.push(format!(
                "| {label} | {placed} | {serve:.0} | {grouped:.0} | {in_pod:.0} | **{:.2}** | {:.2} | \
                 {quiet_serve:.0} / {quiet_pod:.0} = **{:.2}** | \
                 {serve_cpu:.1} / {grouped_cpu:.1} / {pod_cpu:.1} | {ctr_cpu:.1} |",
                in_pod / serve,
                in_pod / grouped,
                quiet_pod / quiet_serve,
            ));
        }
        pin(std::process::id(), &all_cores);
        // The processes leave the pod's cgroups before it goes.
        for child in directs {
            stop_direct(child);
        }
        for (child, id) in pods.into_iter().zip(&ids) {
            stop_pod(&daemon, id, child);
        }
        let (serve_start, pod_start) = (median(direct_ms), median(pod_ms));
        let cold_start = median(cold_ms);
        start_rows.push(format!(
            "| {label} | {serve_start:.1} | {cold_start:.1} | {pod_start:.1} |"
        ));
    }
    println!(
        "| component | placement | serve RPS | serve in the pod's cgroups RPS | pod RPS | **pod / serve** | pod / serve in its cgroups | output discarded: serve / pod RPS | CPU µs/req (serve / in cgroups / pod) | ctr's CPU µs/req (copying the pod's output) |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in rps_rows {
        println!("{row}");
    }
    println!();
    println!("| component | serve start ms | serve start ms, `-C cache=n` | pod start ms |");
    println!("|---|---:|---:|---:|");
    for row in start_rows {
        println!("{row}");
    }
}
