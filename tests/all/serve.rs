//! `wasi-bridge serve` as a user meets it: the binary on 127.0.0.1:0, plain HTTP/1 requests,
//! Ctrl-C (SIGINT) to stop.

use crate::binary::{command, guest};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running server: its address, and its stderr and stdout lines as they come.
struct Server {
    child: Child,
    addr: String,
    stderr: mpsc::Receiver<String>,
    stdout: mpsc::Receiver<String>,
}

fn lines(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

fn start(args: &[&str]) -> Server {
    let (server, _) = start_listening(&[&["--addr", "127.0.0.1:0"], args].concat(), 1);
    server
}

/// Starts `serve ARGS` and waits for its `listeners` `Serving HTTP on ...` lines; the server's
/// address is the first TCP one, and every line's target comes back in order.
fn start_listening(args: &[&str], listeners: usize) -> (Server, Vec<String>) {
    start_command(command(&[&["serve"], args].concat()), listeners)
}

fn start_command(mut command: Command, listeners: usize) -> (Server, Vec<String>) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = lines(child.stderr.take().unwrap());
    let stdout = lines(child.stdout.take().unwrap());
    let mut targets = Vec::new();
    for _ in 0..listeners {
        let line = stderr
            .recv_timeout(Duration::from_secs(120))
            .expect("the server says where it serves");
        let target = line
            .strip_prefix("Serving HTTP on ")
            .unwrap_or_else(|| panic!("stderr line: {line}"))
            .to_string();
        assert!(!target.ends_with(":0/"), "the real port is printed: {line}");
        targets.push(target);
    }
    let addr = targets
        .iter()
        .find_map(|t| t.strip_prefix("http://")?.strip_suffix('/'))
        .unwrap_or_default()
        .to_string();
    (
        Server {
            child,
            addr,
            stderr,
            stdout,
        },
        targets,
    )
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request on a fresh connection; returns the status and the body.
fn request(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    // One write for the head and body, as HTTP clients send them.
    let mut message = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    message.extend_from_slice(body);
    s.write_all(&message).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    parse_response(out)
}

/// The status and (de-chunked) body of a whole HTTP/1 response.
fn parse_response(out: Vec<u8>) -> (u16, Vec<u8>) {
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text}"));

    let head_end = out.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&out[..head_end]).to_ascii_lowercase();
    let mut body = out[head_end..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        body = dechunk(&body);
    }
    (status, body)
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&raw[..line_end]).unwrap().trim(), 16)
            .unwrap();
        raw = &raw[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

fn sigint(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..300 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not stop within 30 s");
}

#[test]
fn serves_a_p2_handler_survives_a_trap_and_stops_on_sigint() {
    // A WASIp2 instance serves one request.
    serve_survive_and_stop("p2-http.wasm", [0, 1, 2, 3, 4]);
}

#[test]
fn serves_a_p3_handler_survives_a_trap_and_stops_on_sigint() {
    // A WASIp3 instance is reused until it traps; the next request gets a new one.
    serve_survive_and_stop("p3-http.wasm", [0, 0, 0, 1, 1]);
}

fn serve_survive_and_stop(component: &str, instances: [u32; 5]) {
    let mut server = start(&[&guest(component)]);
    let (status, body) = request(&server.addr, "GET", "/hello", b"");
    assert_eq!(status, 200);
    assert_eq!(body, b"Hello, wasi:http/proxy world!\n");
    let (status, body) = request(&server.addr, "POST", "/echo", &[9u8; 100_000]);
    assert_eq!((status, body.len()), (200, 100_000));

    // A trap: 500, one `error:` report on stderr; the next request is served.
    let (status, body) = request(&server.addr, "GET", "/trap", b"");
    assert_eq!(status, 500);
    assert!(String::from_utf8_lossy(&body).contains("500 Internal Server Error"));
    let report = server.stderr.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(report.starts_with("error: "), "{report}");
    let (status, _) = request(&server.addr, "GET", "/set-err", b"");
    assert_eq!(status, 500);
    let (status, _) = request(&server.addr, "GET", "/hello", b"");
    assert_eq!(status, 200);

    // Each instance's output lines carry its number.
    let mut seen = Vec::new();
    while let Ok(line) = server.stdout.recv_timeout(Duration::from_secs(5)) {
        seen.push(line);
        if seen.len() == 5 {
            break;
        }
    }
    let expected: Vec<String> = ["/hello", "/echo", "/trap", "/set-err", "/hello"]
        .iter()
        .zip(instances)
        .map(|(path, id)| format!("stdout [{id}] :: request: {path}"))
        .collect();
    assert_eq!(seen, expected);

    sigint(&server.child);
    let status = wait(&mut server.child);
    assert_eq!(status.code(), Some(0), "a graceful stop exits 0");
}

#[test]
fn options_shape_requests_and_output() {
    let server = start(&[
        "--no-logging-prefix",
        "-H",
        "x-added: yes",
        "--env",
        "GREETING=hi",
        &guest("p2-http.wasm"),
    ]);
    let (status, body) = request(&server.addr, "GET", "/info", b"");
    assert_eq!(status, 200);
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("header x-added: yes"), "{body}");
    assert!(
        body.contains(&format!("authority: {}", server.addr)),
        "{body}"
    );
    let line = server.stdout.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(line, "request: /info", "no prefix with --no-logging-prefix");
}

/// As `wasmtime serve`: without `-S cli` a p3 handler gets only the service world's imports
/// (wasi:cli, clocks, random, http); one that imports wasi:filesystem is refused in one line,
/// and served with `-S cli`.
#[test]
fn a_p3_handler_importing_more_than_the_service_world_needs_s_cli() {
    let o = command(&["serve", "--addr", "127.0.0.1:0", &guest("p3-http-fs.wasm")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("wasi:filesystem/"), "{err}");
    assert!(err.contains("-S cli links all of WASI"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    let server = start(&["-Scli", "--dir", ".", &guest("p3-http-fs.wasm")]);
    let (status, _) = request(&server.addr, "GET", "/", b"");
    assert_eq!(status, 500);
    let report = server.stderr.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(report.contains("preopens: 1"), "{report}");
}

/// `-S max-http-fields-size` is the limit a guest's fields meet (p3: `size-exceeded`).
#[test]
fn max_http_fields_size_is_the_limit_a_guest_meets() {
    let server = start(&["-Smax-http-fields-size=10000", &guest("p3-http.wasm")]);
    let (status, body) = request(&server.addr, "GET", "/fields/100", b"");
    assert_eq!(status, 200);
    let body = String::from_utf8_lossy(&body);
    let appended: usize = body
        .strip_prefix("appended ")
        .and_then(|rest| rest.strip_suffix(", then size-exceeded\n"))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{body:?}"));
    assert!((1..10).contains(&appended), "{body:?}");
}

#[test]
fn more_connections_than_the_limit_wait_their_turn() {
    // 1000 concurrent clients against a limit of 50 connections: the rest wait in the listen
    // backlog (and the kernel's SYN retries) and are all answered.
    let server = start(&["--max-concurrent-connections", "50", &guest("p2-http.wasm")]);
    let addr = server.addr.clone();
    let clients: Vec<_> = (0..1000)
        .map(|_| {
            let addr = addr.clone();
            std::thread::spawn(move || request(&addr, "GET", "/hello", b""))
        })
        .collect();
    for c in clients {
        let (status, body) = c.join().unwrap();
        assert_eq!(status, 200);
        assert_eq!(body, b"Hello, wasi:http/proxy world!\n");
    }
}

#[test]
fn bad_files_and_components_without_a_handler_get_one_line_and_status_2() {
    for (args, expect) in [
        (
            vec!["serve", "/nonexistent.wasm"],
            "cannot read /nonexistent.wasm",
        ),
        (
            vec!["serve", &guest("hello.p1.wasm")],
            "is a core module; the serve command needs a wasi:http component",
        ),
        (
            vec!["serve", &guest("p2-cli.wasm")],
            "does not export wasi:http/handler@0.3.0 or wasi:http/incoming-handler@0.2.x (it \
             exports: wasi:cli/run@0.2.12)",
        ),
        (
            vec!["serve", "--addr", "256.0.0.1:1", &guest("p2-http.wasm")],
            "invalid value '256.0.0.1:1' for '--addr <SOCKADDR>'",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(|s| &**s).collect();
        let o = command(&args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expect), "{args:?}: {err}");
        assert_eq!(
            err.trim_end().lines().count(),
            if expect.starts_with("invalid value") {
                err.trim_end().lines().count()
            } else {
                1
            },
            "{err}"
        );
    }
    // An address in use: one line naming it.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = command(&["serve", "--addr", &addr, &guest("p2-http.wasm")])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("--addr {addr}: cannot listen there")),
        "{err}"
    );
}

/// Resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// Bad input from clients: nothing reaches a panic, memory stays bounded, and the server
/// keeps serving.
#[test]
fn bad_clients_do_not_hurt_the_server() {
    for component in ["p2-http.wasm", "p3-http.wasm"] {
        let server = start(&[&guest(component)]);
        let addr = server.addr.clone();
        let ok = || {
            let (status, body) = request(&addr, "GET", "/hello", b"");
            assert_eq!(
                (status, &body[..]),
                (200, &b"Hello, wasi:http/proxy world!\n"[..])
            );
        };
        ok();

        // A malformed request line: hyper answers 400 and closes.
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        s.write_all(b"NOT HTTP AT ALL\r\n\r\n").unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert!(
            out.starts_with(b"HTTP/1.1 400"),
            "{}",
            String::from_utf8_lossy(&out)
        );
        ok();

        // Headers far over hyper's limit: refused (431) or the connection closed.
        let mut s = TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let huge = "x".repeat(1 << 20);
        let _ = write!(s, "GET /hello HTTP/1.1\r\nhost: a\r\nx-big: {huge}\r\n\r\n");
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        assert!(
            out.is_empty() || out.starts_with(b"HTTP/1.1 431"),
            "{}",
            String::from_utf8_lossy(&out[..out.len().min(200)])
        );
        ok();

        // A client that leaves in the middle of its request body.
        let mut s = TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "POST /echo HTTP/1.1\r\nhost: a\r\ncontent-length: 1048576\r\n\r\n"
        )
        .unwrap();
        s.write_all(&[1u8; 100_000]).unwrap();
        drop(s);
        ok();

        // A client that stops reading a 256 MiB response: the server's memory stays bounded
        // (the body pipe's budget and socket buffers), then the client leaves.
        let before = rss_kib(server.child.id());
        let mut s = TcpStream::connect(&addr).unwrap();
        write!(s, "GET /bytes/268435456 HTTP/1.1\r\nhost: a\r\n\r\n").unwrap();
        let mut first = vec![0u8; 65536];
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.read(&mut first).unwrap();
        std::thread::sleep(Duration::from_secs(2));
        let during = rss_kib(server.child.id());
        assert!(
            during < before + 64 * 1024,
            "{component}: RSS grew from {before} KiB to {during} KiB with a stalled reader"
        );
        drop(s);
        ok();
    }
}

/// A component exporting `run@0.2.12` beside `handler@0.3.0`: `serve` serves the p3 handler,
/// `run -S http` runs the command.
#[test]
fn a_mixed_component_is_served_as_p3_and_runs_as_a_command() {
    let server = start(&[&guest("mixed-http.wasm")]);
    let (status, body) = request(&server.addr, "GET", "/any?thing", b"");
    assert_eq!((status, &body[..]), (200, &b"mixed: /any?thing\n"[..]));
    let o = command(&["run", "-Shttp", &guest("mixed-http.wasm")])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.stdout, b"mixed run\n");
}

/// CPU time (user + system) of a process, in clock ticks (1/100 s).
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// `-W timeout`: a request that never ends gets a 500, its instance goes (it does not spin on
/// in the background), and the server goes on.
#[test]
fn a_request_past_the_timeout_ends_with_its_instance() {
    for component in ["p2-http.wasm", "p3-http.wasm"] {
        let server = start(&["-W", "timeout=1s", &guest(component)]);
        let started = std::time::Instant::now();
        let (status, _) = request(&server.addr, "GET", "/spin", b"");
        assert_eq!(status, 500, "{component}");
        assert!(started.elapsed() < Duration::from_secs(20), "{component}");
        let (status, _) = request(&server.addr, "GET", "/hello", b"");
        assert_eq!(status, 200, "{component}");
        // Nothing keeps burning CPU once the overrunning instance is gone.
        std::thread::sleep(Duration::from_millis(500));
        let before = cpu_ticks(server.child.id());
        std::thread::sleep(Duration::from_secs(2));
        let used = cpu_ticks(server.child.id()) - before;
        assert!(
            used < 100,
            "{component}: {used} ticks of CPU in 2 s after the timeout"
        );
    }
}

/// A `POST /echo` whose body (content-length 10) has sent only half: the p2 instance serving
/// it stays busy (the guest has answered with its head and waits for the rest) until
/// [`HeldEcho::finish`].
struct HeldEcho(TcpStream, Vec<u8>);

impl HeldEcho {
    fn open(addr: &str) -> Self {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let head = format!(
            "POST /echo HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 10\r\nconnection: close\r\n\r\n01234"
        );
        s.write_all(head.as_bytes()).unwrap();
        // The response head means an instance has the request.
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while !seen.ends_with(b"\r\n\r\n") {
            assert_eq!(s.read(&mut byte).unwrap(), 1, "the echo's head: {seen:?}");
            seen.push(byte[0]);
        }
        HeldEcho(s, seen)
    }

    fn finish(mut self) -> (u16, Vec<u8>) {
        self.0.write_all(b"56789").unwrap();
        let mut out = self.1;
        self.0.read_to_end(&mut out).unwrap();
        parse_response(out)
    }
}

/// `--max-instance-reuse-count` for a p2 handler, as `wasmtime serve` 48: one instance serves
/// up to N requests, keeping its state between them (the guest's request counter), one at a
/// time whatever `--max-instance-concurrent-reuse-count` says; a trap retires it.
#[test]
fn a_p2_instance_is_reused_one_request_at_a_time() {
    let server = start(&[
        "--max-instance-reuse-count",
        "3",
        "--max-instance-concurrent-reuse-count",
        "8",
        "--idle-instance-timeout",
        "1500ms",
        &guest("p2-http.wasm"),
    ]);
    let count = |server: &Server| {
        let (status, body) = request(&server.addr, "GET", "/count", b"");
        assert_eq!(status, 200);
        // The response leaves during the guest's call: let the instance finish it (a loaded
        // CI machine can take a while), well within the idle timeout.
        std::thread::sleep(Duration::from_millis(300));
        String::from_utf8(body).unwrap()
    };
    let seen: Vec<String> = (0..4).map(|_| count(&server)).collect();
    assert_eq!(seen, ["count 1\n", "count 2\n", "count 3\n", "count 1\n"]);
    // One request at a time: while an echo holds the second instance, another request gets a
    // third one.
    let held = HeldEcho::open(&server.addr);
    assert_eq!(count(&server), "count 1\n");
    assert_eq!(held.finish(), (200, b"0123456789".to_vec()));
    // Past the idle timeout both are gone; a trap retires the next one after its first
    // request, so the request after it starts from a fresh instance (else: `count 3`).
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(count(&server), "count 1\n");
    let (status, _) = request(&server.addr, "GET", "/trap", b"");
    assert_eq!(status, 500);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(count(&server), "count 1\n");
}

/// The pooling allocator (`wasmtime serve`'s default where the machine can reserve it) and its
/// `-O pooling-*` options: with room for one component instance, a second concurrent request
/// gets a 500 and wasmtime serve's `error: instantiation error: ...` line, never a hang; once
/// the first instance is gone, requests are served again. The same limit without
/// `pooling-allocator=y` shows the default.
#[test]
fn an_exhausted_pool_answers_500_and_recovers() {
    let mut server = start(&[
        "-O",
        "pooling-allocator=y",
        "-O",
        "pooling-total-component-instances=1",
        &guest("p2-http.wasm"),
    ]);
    let held = HeldEcho::open(&server.addr);
    let (status, body) = request(&server.addr, "GET", "/hello", b"");
    assert_eq!(status, 500);
    assert!(String::from_utf8_lossy(&body).contains("500 Internal Server Error"));
    let report = server.stderr.recv_timeout(Duration::from_secs(30)).unwrap();
    assert!(
        report.starts_with("error: instantiation error: ")
            && report.contains("maximum concurrent limit of 1 for component instances reached"),
        "{report}"
    );
    assert_eq!(held.finish(), (200, b"0123456789".to_vec()));
    let mut served = false;
    for _ in 0..250 {
        std::thread::sleep(Duration::from_millis(20));
        let (status, body) = request(&server.addr, "GET", "/hello", b"");
        if status == 200 {
            assert_eq!(body, b"Hello, wasi:http/proxy world!\n");
            served = true;
            break;
        }
    }
    assert!(
        served,
        "the slot is free again once the first instance is dropped"
    );
    sigint(&server.child);
    assert_eq!(wait(&mut server.child).code(), Some(0));

    // Without `-O pooling-allocator`: the pool is `serve`'s default exactly when wasmtime
    // serve's probe says the machine can reserve it (so the limit applies), else the on-demand
    // allocator serves both requests.
    let pooled = wasi_bridge::run::pooling_allocator_by_default() == Some(true);
    let mut server = start(&[
        "-O",
        "pooling-total-component-instances=1",
        &guest("p2-http.wasm"),
    ]);
    let held = HeldEcho::open(&server.addr);
    let (status, _) = request(&server.addr, "GET", "/hello", b"");
    assert_eq!(
        status,
        if pooled { 500 } else { 200 },
        "pooling by default: {pooled}"
    );
    assert_eq!(held.finish(), (200, b"0123456789".to_vec()));
    sigint(&server.child);
    assert_eq!(wait(&mut server.child).code(), Some(0));
}

/// `--addr` more than once: one listener each (IPv4 and IPv6 loopback), both served.
#[test]
fn several_addrs_are_all_served() {
    let v6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    let mut args = vec!["--addr", "127.0.0.1:0"];
    if v6 {
        args.extend(["--addr", "[::1]:0"]);
    }
    let component = guest("p2-http.wasm");
    args.push(&component);
    let (server, targets) = start_listening(&args, if v6 { 2 } else { 1 });
    for target in &targets {
        let addr = target
            .strip_prefix("http://")
            .and_then(|t| t.strip_suffix('/'))
            .unwrap();
        let (status, body) = request(addr, "GET", "/hello", b"");
        assert_eq!(
            (status, &body[..]),
            (200, &b"Hello, wasi:http/proxy world!\n"[..])
        );
    }
    if v6 {
        assert!(targets[1].starts_with("http://[::1]:"), "{targets:?}");
    }
    drop(server);
}

/// `--systemd-listenfd`: the sockets systemd-style activation passes in (a TCP and a
/// Unix-domain listener as fds 3 and 4, `LISTEN_FDS=2`, `LISTEN_PID` = the server's pid, set
/// by a python3 stand-in for systemd that execs the server), both served.
#[test]
fn systemd_listenfd_serves_the_inherited_tcp_and_unix_sockets() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("serve.sock");
    let activate = r#"
import os, socket, sys
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.bind(("127.0.0.1", 0)); tcp.listen(16)
unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
unix.bind(sys.argv[1]); unix.listen(16)
t, u = os.dup(tcp.fileno()), os.dup(unix.fileno())
os.dup2(t, 3); os.dup2(u, 4)
os.set_inheritable(3, True); os.set_inheritable(4, True)
os.environ.update(LISTEN_FDS="2", LISTEN_PID=str(os.getpid()))
os.execv(sys.argv[2], sys.argv[2:])
"#;
    let mut command = Command::new("python3");
    command
        .args(["-c", activate])
        .arg(&sock)
        .arg(env!("CARGO_BIN_EXE_wasi-bridge"))
        .args(["serve", "--systemd-listenfd", &guest("p2-http.wasm")])
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join("wasi-bridge-serve-test-cache"),
        );
    let (server, targets) = start_command(command, 2);
    assert!(targets[0].starts_with("http://127.0.0.1:"), "{targets:?}");
    assert_eq!(targets[1], format!("unix:{}", sock.display()));
    let (status, body) = request(&server.addr, "GET", "/hello", b"");
    assert_eq!(
        (status, &body[..]),
        (200, &b"Hello, wasi:http/proxy world!\n"[..])
    );
    let mut unix = std::os::unix::net::UnixStream::connect(&sock).unwrap();
    unix.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    unix.write_all(b"GET /hello HTTP/1.1\r\nhost: local\r\nconnection: close\r\n\r\n")
        .unwrap();
    let mut out = Vec::new();
    unix.read_to_end(&mut out).unwrap();
    assert_eq!(
        parse_response(out),
        (200, b"Hello, wasi:http/proxy world!\n".to_vec())
    );

    // Without sockets to inherit: one line saying so, status 2.
    let o = command_output(&["serve", "--systemd-listenfd", &guest("p2-http.wasm")]);
    assert_eq!(o.0, Some(2), "{}", o.1);
    assert!(
        o.1.contains("--systemd-listenfd: no sockets were passed in"),
        "{}",
        o.1
    );
    assert_eq!(o.1.trim_end().lines().count(), 1, "{}", o.1);
}

fn command_output(args: &[&str]) -> (Option<i32>, String) {
    let o = command(args).env_remove("LISTEN_FDS").output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `--idle-process-timeout`: the server exits 0 once no connection has been open for that
/// long, and not while one is (a keep-alive connection held past the timeout).
#[test]
fn idle_process_timeout_exits_once_no_connection_is_open() {
    let mut server = start(&["--idle-process-timeout", "700ms", &guest("p2-http.wasm")]);
    let mut held = TcpStream::connect(&server.addr).unwrap();
    held.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    held.write_all(format!("GET /hello HTTP/1.1\r\nhost: {}\r\n\r\n", server.addr).as_bytes())
        .unwrap();
    let mut first = [0u8; 12];
    held.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "an open keep-alive connection keeps the server up"
    );
    drop(held);
    let started = std::time::Instant::now();
    assert_eq!(wait(&mut server.child).code(), Some(0));
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_secs(10),
        "{took:?}"
    );

    // A bad duration: clap's error, status 2.
    let o = command_output(&[
        "serve",
        "--idle-process-timeout",
        "soon",
        &guest("p2-http.wasm"),
    ]);
    assert_eq!(o.0, Some(2), "{}", o.1);
    assert!(
        o.1.contains("invalid value 'soon' for '--idle-process-timeout"),
        "{}",
        o.1
    );
}

/// `-W timeout` bounds each request of a reused p2 instance, not the instance's life: a
/// request made after the instance has lived longer than the timeout is served, and one that
/// overruns still gets its 500.
#[test]
fn the_timeout_of_a_reused_p2_instance_counts_from_each_request() {
    let server = start(&[
        "-W",
        "timeout=1s",
        "--max-instance-reuse-count",
        "10",
        "--idle-instance-timeout",
        "3s",
        &guest("p2-http.wasm"),
    ]);
    let count = || {
        let (status, body) = request(&server.addr, "GET", "/count", b"");
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    assert_eq!(count(), (200, "count 1\n".to_string()));
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(count(), (200, "count 2\n".to_string()));
    // The instance is now older than the timeout; its next requests are served.
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(count(), (200, "count 3\n".to_string()));
    let (status, _) = request(&server.addr, "GET", "/spin", b"");
    assert_eq!(status, 500);
}
