//! What the pod benchmarks share: starting, waiting for, stopping and measuring servers, and
//! `wrk` placed on a core.

use crate::daemon::{Daemon, RUNTIME};

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `wrk -t1 -c50 -dSECSs` on `/hello` (on core 1 when the servers are pinned): requests per
/// second, and the number of requests.
pub fn wrk(port: u16, secs: u32, placement: Placement) -> (f64, f64) {
    let cpus = (placement == Placement::Pinned).then_some("1");
    let (rps, _, _, requests) = crate::wrk::run_wrk(port, "/hello", 50, secs, None, cpus);
    (rps, requests)
}

/// Where the servers and wrk run.
#[derive(Clone, Copy, PartialEq)]
pub enum Placement {
    /// Everything on both cores, the kernel's choice.
    Shared,
    /// The servers and their output's readers (ctr, this process's threads) on core 0, wrk on
    /// core 1, as `benches/serve_vs_wasmtime.py` places `serve` and `wasmtime serve`.
    Pinned,
}

/// `taskset -a -p -c CPUS PID`: every thread of process `pid` on `cpus`.
pub fn pin(pid: u32, cpus: &str) {
    let status = Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .stdout(Stdio::null())
        .status()
        .expect("taskset runs");
    assert!(status.success(), "taskset -a -p -c {cpus} {pid} failed");
}

pub fn guest_path(name: &str) -> String {
    format!("{}/../tests/guests/wasm/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Imports an image named `name` holding the guest `guest` as its entrypoint `/app.wasm`:
/// its reference.
pub fn import_guest(daemon: &Daemon, name: &str, guest: &str) -> String {
    let image = crate::image::Image {
        name,
        files: vec![("app.wasm", std::fs::read(guest_path(guest)).unwrap())],
        artifact: None,
        entrypoint: vec!["/app.wasm"],
        env: vec![],
        executable: false,
    };
    let tar = daemon.scratch("images").join(format!("{name}.tar"));
    image.write(&tar);
    daemon.import_with(&[], &tar);
    image.reference()
}

pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// One `GET /hello` on a fresh connection: whether it was a 200.
pub fn hello(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = "GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

pub fn wait_for_200(port: u16, child: &mut Child) -> Duration {
    let start = Instant::now();
    while !hello(port) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the server exited before answering"
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no answer within 60 s"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    start.elapsed()
}

/// Where a server's stdout and stderr go.
#[derive(Clone, Copy, PartialEq)]
pub enum Output {
    /// Pipes read to their end (ctr's fifo copy for a pod).
    Read,
    /// `/dev/null` (`ctr run --null-io` for a pod).
    Discarded,
}

impl Output {
    pub fn stdio(self) -> Stdio {
        match self {
            Output::Read => Stdio::piped(),
            Output::Discarded => Stdio::null(),
        }
    }
}

/// Reads a server's output to its end, as a log collector would (ctr does for the pod).
pub fn drain(out: Option<impl Read + Send + 'static>) {
    if let Some(mut out) = out {
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    }
}

/// `ctr run --net-host` of the image serving on 127.0.0.1:PORT; ctr copies the container's
/// stdout and stderr to pipes this process reads.
pub fn pod(daemon: &Daemon, image: &str, id: &str, port: u16, output: Output) -> Child {
    pod_on(daemon, RUNTIME, image, id, port, output)
}

/// [`pod`] run by the runtime `runtime` (`io.containerd.NAME.v1`).
pub fn pod_on(
    daemon: &Daemon,
    runtime: &str,
    image: &str,
    id: &str,
    port: u16,
    output: Output,
) -> Child {
    let mut command = daemon.serve_command_on(runtime, image, id, port);
    if output == Output::Discarded {
        // ctr's `--null-io` goes before the image: serve_command ends with IMAGE ID.
        let args: Vec<_> = command.get_args().map(|a| a.to_owned()).collect();
        let (head, tail) = args.split_at(args.len() - 2);
        command = Command::new(command.get_program());
        command
            .args(head)
            .arg("--null-io")
            .args(tail)
            .stdin(Stdio::null());
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drain(child.stdout.take());
    drain(child.stderr.take());
    child
}

pub fn stop_pod(daemon: &Daemon, id: &str, mut child: Child) {
    let _ = daemon.ctr(&["tasks", "kill", id]);
    let _ = child.wait();
}

/// The CPU time a process used so far (user + system, in clock ticks of 10 ms).
pub fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command's `(name)`: state is the 3rd field, utime the 14th.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// The host pid of a container's process (`ctr tasks ls`).
pub fn task_pid(daemon: &Daemon, id: &str) -> u32 {
    let out = daemon.ctr(&["tasks", "ls"]);
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            let mut words = l.split_whitespace();
            (words.next() == Some(id)).then(|| words.next()?.parse().ok())?
        })
        .unwrap_or_else(|| panic!("no task {id} in ctr tasks ls"))
}
