//! Loopback peers the socket fixtures talk to, run on plain threads.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A TCP echo server: every connection gets its bytes back until it half-closes.
pub struct TcpEcho {
    pub addr: String,
}

impl TcpEcho {
    pub fn start() -> TcpEcho {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(mut c) = conn else { continue };
                std::thread::spawn(move || {
                    let mut buf = vec![0; 256 * 1024];
                    loop {
                        match c.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                if c.write_all(&buf[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = c.shutdown(Shutdown::Write);
                });
            }
        });
        TcpEcho { addr }
    }
}

/// A UDP echo server; stops when dropped.
pub struct UdpEcho {
    pub addr: String,
    stop: Arc<AtomicBool>,
}

impl UdpEcho {
    pub fn start() -> UdpEcho {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let addr = s.local_addr().unwrap().to_string();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut buf = vec![0; 70000];
            while !flag.load(Ordering::Relaxed) {
                if let Ok((n, from)) = s.recv_from(&mut buf) {
                    let _ = s.send_to(&buf[..n], from);
                }
            }
        });
        UdpEcho { addr, stop }
    }
}

impl Drop for UdpEcho {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

pub use super::ports::{closed_port, free_port};

/// `n` clients of a guest server on `port`, each sending `len` bytes, half-closing and
/// reading the echo back; returns how many got their bytes back intact.
pub fn clients(port: u16, n: usize, len: usize) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                std::thread::spawn(move || {
                    let deadline = std::time::Instant::now() + Duration::from_secs(30);
                    let mut c = loop {
                        match TcpStream::connect(("127.0.0.1", port)) {
                            Ok(c) => break c,
                            Err(_) if std::time::Instant::now() < deadline => {
                                std::thread::sleep(Duration::from_millis(20))
                            }
                            Err(e) => panic!("guest server never came up: {e}"),
                        }
                    };
                    let msg: Vec<u8> = (0..len).map(|k| (k * 31 + i) as u8).collect();
                    c.write_all(&msg).unwrap();
                    c.shutdown(Shutdown::Write).unwrap();
                    let mut back = Vec::new();
                    c.read_to_end(&mut back).unwrap();
                    back == msg
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(false) as usize)
            .sum()
    })
}
