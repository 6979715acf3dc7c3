//! A `wasi-bridge serve` process under test: started, its output lines as they come, requests
//! on fresh connections, signals, its memory and CPU.

use crate::binary::command;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running server: its address, and its stderr and stdout lines as they come.
pub(super) struct Server {
    pub(super) child: Child,
    pub(super) addr: String,
    pub(super) stderr: mpsc::Receiver<String>,
    pub(super) stdout: mpsc::Receiver<String>,
}

pub(super) fn lines(r: impl Read + Send + 'static) -> mpsc::Receiver<String> {
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

pub(super) fn start(args: &[&str]) -> Server {
    let (server, _) = start_listening(&[&["--addr", "127.0.0.1:0"], args].concat(), 1);
    server
}

/// `serve ARGS` refused before it serves: status 2, and one line on stderr holding each of
/// `says`.
pub(super) fn refused(args: &[&str], says: &[&str]) {
    let o = command(&[&["serve"], args].concat())
        .env_remove("LISTEN_FDS")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for said in says {
        assert!(err.contains(said), "{err}");
    }
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

/// Starts `serve ARGS` and waits for its `listeners` `Serving HTTP on ...` lines; the server's
/// address is the first TCP one, and every line's target comes back in order.
pub(super) fn start_listening(args: &[&str], listeners: usize) -> (Server, Vec<String>) {
    start_command(command(&[&["serve"], args].concat()), listeners)
}

pub(super) fn start_command(mut command: Command, listeners: usize) -> (Server, Vec<String>) {
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
pub(super) fn request(addr: &str, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
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
pub(super) fn parse_response(out: Vec<u8>) -> (u16, Vec<u8>) {
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

pub(super) fn dechunk(mut raw: &[u8]) -> Vec<u8> {
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

pub(super) fn sigint(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

pub(super) fn wait(child: &mut Child) -> std::process::ExitStatus {
    for _ in 0..300 {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the server did not stop within 30 s");
}

/// Resident memory of a process, in KiB.
pub(super) fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// CPU time (user + system) of a process, in clock ticks (1/100 s).
pub(super) fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}
