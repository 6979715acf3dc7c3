//! Loopback ports for servers a test starts by number (a guest's `-S tcplisten=ADDR`, a
//! containerd pod's address, a socket-activation parent), and ports nothing listens on.
//!
//! A port taken with `bind(127.0.0.1:0)` and released is a race: between its release and the
//! test's server binding it, any other test of the same run that binds port 0 (every `serve`
//! of the suite does) or connects out can be given the same number by the kernel — and then a
//! client talks to the wrong server (a reset, a wrong answer: the flaky failures of issue 34).
//! So these ports come from below the kernel's ephemeral range
//! (`/proc/sys/net/ipv4/ip_local_port_range`), which it never hands out by itself, one number
//! per call across the process (a counter from a start that differs between processes), each
//! checked free when it is handed out.

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// How many numbers below the ephemeral range are used.
const SPAN: u32 = 8192;

fn ephemeral_low() -> u32 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768)
}

/// A loopback port outside the ephemeral range that was free a moment ago and that no other
/// call of this process hands out again (for the next `SPAN` calls).
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let low = ephemeral_low();
    let base = low.saturating_sub(SPAN).max(1024);
    let span = low.saturating_sub(base);
    if span == 0 {
        // No room below the ephemeral range (a machine configured so): the kernel's choice.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        return listener.local_addr().unwrap().port();
    }
    let start = std::process::id() % span;
    for _ in 0..span {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = base + (start + n) % span;
        if TcpListener::bind(("127.0.0.1", port as u16)).is_ok() {
            return port as u16;
        }
    }
    panic!("no free loopback port in {base}..{low}")
}

/// `127.0.0.1:PORT` where nothing listens (and, with the port from [`free_port`], nothing of
/// this run will).
pub fn closed_port() -> String {
    format!("127.0.0.1:{}", free_port())
}
