//! Requests per second of the same handlers under native p2 (wasmtime-wasi + wasmtime-wasi-http
//! behind its `ProxyHandler`, as `wasmtime serve` runs it, on the engine `wasmtime serve` builds:
//! the pooling allocator when the machine can reserve it), wasi-bridge p2, native p3 and
//! wasi-bridge p3: median RPS, p50/p99 latency and server CPU µs per request, each server a
//! subprocess on loopback, rounds interleaved, load from `wrk` (installed from Debian if
//! missing).
//!
//! ```text
//! cargo bench --bench http_rps                 # 3 rounds of 3 s per cell
//! cargo bench --bench http_rps -- 5 2          # 5 s runs, 2 rounds
//! ```

#[path = "../tests/common/native_http.rs"]
mod native_http;

use http_body_util::BodyExt;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use wasmtime::Engine;

const P2: &str = "tests/guests/wasm/p2-http.wasm";
const P3: &str = "tests/guests/wasm/p3-http.wasm";

/// The engine `wasmtime serve` builds, for both hosts: the pooling allocator (wasmtime's
/// default pool) when the machine can reserve it.
fn engine() -> Engine {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model_async(true);
    if wasi_bridge::run::pooling_allocator_by_default() == Some(true) {
        config.allocation_strategy(wasmtime::PoolingAllocationConfig::default());
    }
    Engine::new(&config).unwrap()
}

type Handle = Arc<
    dyn Fn(
            hyper::Request<hyper::body::Incoming>,
        ) -> std::pin::Pin<
            Box<
                dyn Future<Output = wasmtime::Result<hyper::Response<wasi_bridge::http::WasiBody>>>
                    + Send,
            >,
        > + Send
        + Sync,
>;

fn native(engine: &Engine, guest: &str) -> Handle {
    let handler = native_http::native_handler(engine, guest);
    Arc::new(move |req| {
        let handler = handler.clone();
        Box::pin(async move {
            handler
                .handle((), req.map(|b| b.map_err(Into::into).boxed_unsync()))
                .await
        })
    })
}

fn bridge(engine: &Engine, guest: &str) -> Handle {
    let handler = native_http::bridge::handler(engine, guest);
    Arc::new(move |req| {
        let handler = handler.clone();
        Box::pin(async move {
            handler
                .handle((), req.map(|b| b.map_err(Into::into).boxed_unsync()))
                .await
        })
    })
}

fn serve(host: &str, guest: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let engine = engine();
        let handle = match host {
            "native" => native(&engine, guest),
            _ => bridge(&engine, guest),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap().port());
        std::io::stdout().flush().unwrap();
        native_http::serve_on(listener, move |req| handle(req)).await;
    });
}

struct Server {
    name: &'static str,
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(name: &'static str, host: &str, guest: &str) -> Server {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--serve", host, guest])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    Server {
        name,
        port: line.trim().parse().expect("the server prints its port"),
        child,
    }
}

/// CPU time (user + system) of a process, in clock ticks (1/100 s).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[path = "support/wrk.rs"]
mod wrk;
use wrk::{median, run_wrk};

struct Sample {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    cpu_us_per_req: f64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        return serve(&args[2], &args[3]);
    }
    // `cargo bench` passes `--bench`; numbers after it are seconds per run and rounds.
    let numbers: Vec<u32> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let secs = numbers.first().copied().unwrap_or(3);
    let rounds = numbers.get(1).copied().unwrap_or(3);
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("installing wrk (Debian)...");
        let ok = Command::new("apt-get")
            .args(["install", "-y", "wrk"])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "wrk is needed: apt-get install wrk");
    }
    let dir = std::env::temp_dir().join("wasi-bridge-http-rps");
    std::fs::create_dir_all(&dir).unwrap();
    let echo_script = dir.join("echo.lua");
    std::fs::write(
        &echo_script,
        "wrk.method = \"POST\"\nwrk.body = string.rep(\"x\", 65536)\n",
    )
    .unwrap();
    let echo_script = echo_script.to_str().unwrap().to_string();

    let servers = [
        start("native p2", "native", P2),
        start("wasi-bridge p2", "bridge", P2),
        start("native p3", "native", P3),
        start("wasi-bridge p3", "bridge", P3),
    ];
    let workloads: [(&str, &str, u32, Option<&str>); 4] = [
        ("hello, 1 connection", "/hello", 1, None),
        ("hello, 50 connections", "/hello", 50, None),
        (
            "64 KiB echo POST, 10 connections",
            "/echo",
            10,
            Some(echo_script.as_str()),
        ),
        ("1 MiB GET, 4 connections", "/bytes/1048576", 4, None),
    ];
    for s in &servers {
        for (_, path, _, script) in &workloads {
            run_wrk(s.port, path, 2, 1, *script, None);
        }
    }
    let mut samples: Vec<Vec<Vec<Sample>>> = workloads
        .iter()
        .map(|_| servers.iter().map(|_| Vec::new()).collect())
        .collect();
    for round in 0..rounds {
        for (w, (name, path, conns, script)) in workloads.iter().enumerate() {
            for (i, s) in servers.iter().enumerate() {
                let before = cpu_ticks(s.child.id());
                let (rps, p50, p99, requests) = run_wrk(s.port, path, *conns, secs, *script, None);
                let ticks = cpu_ticks(s.child.id()) - before;
                let cpu_us_per_req = ticks as f64 * 10_000.0 / requests.max(1.0);
                eprintln!(
                    "round {round} {name} {}: {rps:.0} rps, p50 {p50:.2} ms, p99 {p99:.2} ms, {cpu_us_per_req:.0} cpu us/req",
                    s.name
                );
                samples[w][i].push(Sample {
                    rps,
                    p50_ms: p50,
                    p99_ms: p99,
                    cpu_us_per_req,
                });
            }
        }
    }
    println!(
        "| workload | server | RPS (median) | p50 ms | p99 ms | CPU µs/request | RPS vs native | CPU vs native |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (w, (name, ..)) in workloads.iter().enumerate() {
        let med = |i: usize, f: fn(&Sample) -> f64| median(samples[w][i].iter().map(f).collect());
        for (i, s) in servers.iter().enumerate() {
            let native = i & !1;
            let rps = med(i, |x| x.rps);
            let cpu = med(i, |x| x.cpu_us_per_req);
            let (rps_ratio, cpu_ratio) = if i == native {
                ("".to_string(), "".to_string())
            } else {
                (
                    format!("{:.2}", rps / med(native, |x| x.rps)),
                    format!("{:.2}", cpu / med(native, |x| x.cpu_us_per_req)),
                )
            };
            println!(
                "| {name} | {} | {rps:.0} | {:.2} | {:.2} | {cpu:.0} | {rps_ratio} | {cpu_ratio} |",
                s.name,
                med(i, |x| x.p50_ms),
                med(i, |x| x.p99_ms),
            );
        }
    }
}
