//! Instances under `serve`: `-W timeout` per request, p2 instance reuse, the pooling
//! allocator's exhaustion.

use super::process::*;
use crate::binary::guest;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

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

/// `serve` resets a pooled memory in place when its instance ends (its first MiB, by default,
/// docs/differences.md) instead of handing it back to the kernel: the next instance in that
/// slot must still start from the module's initial memory. The guest's request counter lives
/// in its linear memory, so a fresh instance that saw its predecessor's memory would answer
/// `count 2` or more. With a pool of one instance every request reuses the same slot; the
/// same with the reset done by `madvise` (`pooling-memory-keep-resident=0`), and with a reset
/// range smaller than the memory (the rest by `madvise`).
#[test]
fn a_fresh_instance_in_a_reused_slot_starts_from_fresh_memory() {
    for keep in [None, Some("0"), Some("65536")] {
        let mut args = vec![
            "-O".to_string(),
            "pooling-allocator=y".into(),
            "-O".into(),
            "pooling-total-component-instances=1".into(),
        ];
        if let Some(keep) = keep {
            args.extend(["-O".into(), format!("pooling-memory-keep-resident={keep}")]);
        }
        args.push(guest("p2-http.wasm"));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let server = start(&args);
        let mut answers = Vec::new();
        let mut busy = 0;
        while answers.len() < 12 {
            // The one slot is free again once the previous instance has finished its call.
            match request(&server.addr, "GET", "/count", b"") {
                (200, body) => answers.push(String::from_utf8(body).unwrap()),
                (500, _) if busy < 500 => {
                    busy += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
                (status, body) => panic!("{keep:?}: {status} {body:?} after {answers:?}"),
            }
        }
        assert!(
            answers.iter().all(|a| a == "count 1\n"),
            "{keep:?}: {answers:?}"
        );
    }
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
