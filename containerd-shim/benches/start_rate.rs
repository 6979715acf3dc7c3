//! Start rate, by the method of runwasi's stress test: N tasks created, started, waited for and
//! deleted, P at a time; tasks per second from the first start to the last delete. Each task
//! here is one `ctr run --rm --null-io` (create, start, wait, delete; `ctr`'s own process adds
//! a few milliseconds to every row alike) of the same small p2 command (`p2-cli.wasm env`):
//!
//! - `shim`: this shim (`--runtime io.containerd.wasi-bridge.v1`), the image holding the
//!   component;
//! - `runc`: containerd's default Linux runtime running `wasi-bridge run` of the same
//!   component inside a Linux container (this bench's binary, which is the library's `run`
//!   command, and the libraries `ldd` names, in the image) — the same program under the
//!   runtime a cluster would otherwise use;
//! - `process`: `wasi-bridge run` as a plain process, no container: the floor.
//!
//! Rows alternate over the rounds; medians of tasks/s and of the per-task time, and the
//! ratios against `runc`. Needs root and containerd (with runc, as Debian's package has it).
//!
//! ```text
//! cargo bench -p containerd-shim-wasi-bridge --bench start_rate            # 40 tasks, 2 at a time, 3 rounds
//! cargo bench -p containerd-shim-wasi-bridge --bench start_rate -- 100 4 5 # 100 tasks, 4 at a time, 5 rounds
//! ```

#[allow(dead_code)]
#[path = "../tests/containerd/daemon.rs"]
mod daemon;
#[path = "../tests/containerd/image.rs"]
mod image;

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The guest and its arguments.
const GUEST: &str = "p2-cli.wasm";
const ARGS: &[&str] = &["env"];

fn guest_bytes() -> Vec<u8> {
    let path = format!(
        "{}/../tests/guests/wasm/{GUEST}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// This binary and the shared libraries it loads, as `(path in the image, bytes)`.
fn this_program_and_libraries() -> Vec<(String, Vec<u8>)> {
    let exe = std::env::current_exe().unwrap();
    let mut files = vec![("bin/wasi-bridge".to_string(), std::fs::read(&exe).unwrap())];
    let ldd = Command::new("ldd").arg(&exe).output().expect("ldd runs");
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        if let Some(path) = line.split_whitespace().find(|w| w.starts_with('/')) {
            files.push((
                path.trim_start_matches('/').to_string(),
                std::fs::read(path).unwrap(),
            ));
        }
    }
    files
}

/// Runs `task(i)` for `n` tasks, `p` at a time: (tasks per second, median seconds per task).
fn rate(n: usize, p: usize, task: &(dyn Fn(usize) + Sync)) -> (f64, f64) {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let mut times: Vec<f64> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..p)
            .map(|_| {
                scope.spawn(|| {
                    let mut times = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            return times;
                        }
                        let t = Instant::now();
                        task(i);
                        times.push(t.elapsed().as_secs_f64());
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    times.sort_by(f64::total_cmp);
    (n as f64 / elapsed, times[times.len() / 2])
}

/// One row's task: runs task number `i` to its end.
type Task<'a> = Box<dyn Fn(usize) + Sync + 'a>;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn check(out: std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--run") {
        // `wasi-bridge run ARGS...`, by the library as the binary runs it.
        let argv = ["wasi-bridge", "run"]
            .into_iter()
            .chain(args[2..].iter().map(String::as_str));
        let command = wasi_bridge::command::Command::try_parse_from(argv).unwrap();
        std::process::exit(i32::from(wasi_bridge::command::run_to_exit_status(
            command,
            std::future::pending(),
        )));
    }
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let n = numbers.first().copied().unwrap_or(40);
    let p = numbers.get(1).copied().unwrap_or(2);
    let rounds = numbers.get(2).copied().unwrap_or(3);

    let daemon = daemon::Daemon::start("start-rate").expect("the bench needs root and containerd");
    let wasm = guest_bytes();
    let shim_image = image::Image {
        name: "start-rate-wasm",
        files: vec![("app.wasm", wasm.clone())],
        artifact: None,
        entrypoint: vec!["/app.wasm"],
        env: vec![],
        executable: false,
    };
    let linux_files = this_program_and_libraries();
    let mut files: Vec<(&str, Vec<u8>)> = linux_files
        .iter()
        .map(|(path, bytes)| (path.as_str(), bytes.clone()))
        .collect();
    files.push(("app.wasm", wasm));
    let runc_image = image::Image {
        name: "start-rate-linux",
        files,
        artifact: None,
        entrypoint: vec!["/bin/wasi-bridge", "--run", "/app.wasm"],
        env: vec![],
        executable: true,
    };
    let mut references = Vec::new();
    for image in [&shim_image, &runc_image] {
        let tar = daemon.scratch("images").join(format!("{}.tar", image.name));
        image.write(&tar);
        daemon.import_with(&[], &tar);
        references.push(image.reference());
    }
    let (shim_ref, runc_ref) = (&references[0], &references[1]);
    let exe = std::env::current_exe().unwrap();
    let app = daemon.scratch("app").join("app.wasm");
    std::fs::write(&app, guest_bytes()).unwrap();

    let ctr_run = |runtime: Option<&str>, image: &str, id: String| {
        let mut args = vec!["run", "--rm", "--null-io"];
        if let Some(runtime) = runtime {
            args.extend(["--runtime", runtime]);
        }
        args.extend([image, &id]);
        let mut argv: Vec<&str> = vec![];
        if runtime.is_some() {
            argv.push("/app.wasm");
        } else {
            argv.extend(["/bin/wasi-bridge", "--run", "/app.wasm"]);
        }
        argv.extend(ARGS);
        check(daemon.ctr(&[&args[..], &argv[..]].concat()), &id);
    };
    let rows: [(&str, Task); 3] = [
        (
            "shim",
            Box::new(|i| ctr_run(Some(daemon::RUNTIME), shim_ref, format!("shim-{i}"))),
        ),
        (
            "runc",
            Box::new(|i| ctr_run(None, runc_ref, format!("runc-{i}"))),
        ),
        (
            "process",
            Box::new(|_| {
                let out = Command::new(&exe)
                    .arg("--run")
                    .arg(&app)
                    .args(ARGS)
                    .stdin(Stdio::null())
                    .output()
                    .unwrap();
                check(out, "wasi-bridge run");
            }),
        ),
    ];
    // Warm-up: each image's snapshot unpacked, the binaries in the page cache.
    for (label, task) in &rows {
        for i in 0..2 {
            task(1_000_000 + i);
        }
        eprintln!("{label}: warm");
    }
    let mut results: Vec<(Vec<f64>, Vec<f64>)> = vec![(vec![], vec![]); rows.len()];
    for round in 0..rounds {
        for (k, (label, task)) in rows.iter().enumerate() {
            let offset = (round + 1) * 10_000 + k * 100_000;
            let (per_s, per_task) = rate(n, p, &|i| task(offset + i));
            eprintln!(
                "round {round} {label}: {per_s:.1} tasks/s, {:.1} ms a task",
                per_task * 1e3
            );
            results[k].0.push(per_s);
            results[k].1.push(per_task);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let runc_rate = median(results[1].0.clone());
    println!("\n{n} tasks, {p} at a time, medians of {rounds} rounds ({GUEST} {ARGS:?}):\n");
    println!("| runtime | tasks/s | ms per task (median) | tasks/s vs runc |");
    println!("|---|---:|---:|---:|");
    for (k, (label, _)) in rows.iter().enumerate() {
        let per_s = median(results[k].0.clone());
        let per_task = median(results[k].1.clone());
        println!(
            "| {label} | {per_s:.1} | {:.1} | **{:.2}** |",
            per_task * 1e3,
            per_s / runc_rate
        );
    }
}
