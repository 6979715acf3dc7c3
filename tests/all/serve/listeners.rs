//! Where `serve` listens: several `--addr`, `--systemd-listenfd`, `--idle-process-timeout`.

use super::process::*;
use crate::binary::{command, guest};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

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
    refused(
        &["--systemd-listenfd", &guest("p2-http.wasm")],
        &["--systemd-listenfd: no sockets were passed in"],
    );
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

/// `--backlog N`: the listen queue of each `--addr` (the kernel reports a listener's backlog
/// as its Send-Q), 100 by default as `wasmtime serve`.
#[test]
fn backlog_sets_the_listen_queue_of_each_addr() {
    if Command::new("ss").arg("-V").output().is_err() {
        eprintln!("skipping: no `ss` (iproute2) here to read a listener's backlog");
        return;
    }
    let component = guest("p2-http.wasm");
    for (args, expected) in [
        (vec!["--backlog", "7", "--addr", "127.0.0.1:0"], "7"),
        (vec!["--addr", "127.0.0.1:0"], "100"),
    ] {
        let mut args = args;
        args.push(&component);
        let (server, targets) = start_listening(&args, 1);
        let port = targets[0].rsplit(':').next().unwrap().trim_end_matches('/');
        let out = Command::new("ss")
            .args(["-ltnH", &format!("sport = :{port}")])
            .output()
            .unwrap();
        let line = String::from_utf8_lossy(&out.stdout).into_owned();
        let send_q = line.split_whitespace().nth(2);
        assert_eq!(send_q, Some(expected), "{args:?}: {line}");
        drop(server);
    }
}
