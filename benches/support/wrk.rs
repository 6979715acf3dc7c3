//! wrk runs and medians, shared by the HTTP benches (`benches/http_rps.rs`,
//! `containerd-shim/benches/pod_vs_serve.rs`).

use std::process::Command;

/// A wrk latency (`812.00us`, `1.20ms`, `2s`) in milliseconds.
fn ms(text: &str) -> f64 {
    let (n, unit) = text.split_at(text.find(|c: char| c.is_alphabetic()).unwrap());
    let n: f64 = n.parse().unwrap();
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        _ => panic!("unit {unit}"),
    }
}

/// `[taskset -c CPUS] wrk -t1 -cCONNS -dSECSs --latency [-s SCRIPT] http://127.0.0.1:PORT/PATH`:
/// requests per second, p50 and p99 latency in ms, and the number of requests.
pub fn run_wrk(
    port: u16,
    path: &str,
    conns: u32,
    secs: u32,
    script: Option<&str>,
    cpus: Option<&str>,
) -> (f64, f64, f64, f64) {
    let mut cmd = match cpus {
        Some(cpus) => {
            let mut taskset = Command::new("taskset");
            taskset.args(["-c", cpus, "wrk"]);
            taskset
        }
        None => Command::new("wrk"),
    };
    cmd.args([
        "-t1",
        &format!("-c{conns}"),
        &format!("-d{secs}s"),
        "--latency",
    ]);
    if let Some(script) = script {
        cmd.args(["-s", script]);
    }
    cmd.arg(format!("http://127.0.0.1:{port}{path}"));
    let out = cmd.output().expect("wrk runs");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut rps = 0.0;
    let mut p50 = 0.0;
    let mut p99 = 0.0;
    let mut requests = 0.0;
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["Requests/sec:", n] => rps = n.parse().unwrap(),
            ["50%", t] => p50 = ms(t),
            ["99%", t] => p99 = ms(t),
            [n, "requests", "in", ..] => requests = n.parse().unwrap(),
            _ => {}
        }
        if line.contains("Non-2xx") || line.contains("Socket errors") {
            eprintln!("wrk: {line}");
        }
    }
    (rps, p50, p99, requests)
}

/// The median (the upper one of an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
