//! TCP faults, on p2 and p3, differential against wasmtime-wasi 48: a peer that resets the
//! connection mid-stream, and a peer that stops reading for a while. The guest
//! (`p2-sockets` / `p3-sockets` `fault-send`) writes 64 MiB and reports how the send and the
//! receive ended; both hosts must report the same, the guest goes on to its end, every byte a
//! host accepted from the guest reaches a peer that reads late (nothing lost), and no host
//! descriptor outlives the run. One test, its cases in sequence, so the descriptor count is
//! this run's alone.

use crate::common;

use crate::common::{Case, Exit, Net, assert_no_fd_leak, assert_same, open_fds};
use std::io::Read;
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

const MIB: usize = 64;

/// A peer for every connection in turn: `reset` reads one byte, lets more arrive and closes
/// with them unread (the kernel answers with a reset); otherwise it does not read for 1.5 s,
/// then reads to the end and reports how many bytes came and whether they are the guest's
/// pattern.
fn peer(reset: bool) -> (String, mpsc::Receiver<(usize, bool)>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut c) = conn else { continue };
            let mut buf = vec![0; 1 << 20];
            if reset {
                let _ = c.read(&mut buf[..1]);
                std::thread::sleep(Duration::from_millis(100));
                drop(c);
                continue;
            }
            std::thread::sleep(Duration::from_millis(1500));
            let (mut n, mut intact) = (0usize, true);
            loop {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => {
                        intact &= buf[..k]
                            .iter()
                            .enumerate()
                            .all(|(i, &b)| b == (((n + i) % (1 << 20)) * 7 + 3) as u8);
                        n += k;
                    }
                }
            }
            if tx.send((n, intact)).is_err() {
                break;
            }
        }
    });
    (addr, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_reset_and_stalled_peers_match_native() {
    let _alone = crate::alone().await;
    let mib = MIB.to_string();
    for p3 in [false, true] {
        let guest = if p3 {
            "p3-sockets.wasm"
        } else {
            "p2-sockets.wasm"
        };
        // A peer that resets: the guest learns it on a send or a receive, and finishes.
        let (addr, _) = peer(true);
        let case = Case::new(&["sockets", "fault-send", &addr, &mib]).net(Net::all());
        let dir = common::RunDir::new(&case);
        let (oracle, fds, ours) = if p3 {
            let oracle = common::native_p3(guest, &case, &dir).await;
            let fds = open_fds();
            (oracle, fds, common::bridge_p3(guest, &case, &dir).await)
        } else {
            let oracle = common::native_p2(guest, &case, &dir).await;
            let fds = open_fds();
            (oracle, fds, common::bridge_p2(guest, &case, &dir).await)
        };
        assert_same(&oracle, &ours);
        let out = ours.stdout_str();
        assert_eq!(ours.exit, Exit::Code(0), "p3 {p3}: {out}");
        assert!(
            !out.contains("sent "),
            "p3 {p3}: all sent to a reset peer: {out}"
        );
        assert!(out.ends_with("done\n"), "p3 {p3}: {out}");
        assert_no_fd_leak(fds, &format!("p3 {p3}, after a reset")).await;

        // A peer that stops reading for 1.5 s: the guest's writes wait, then everything
        // arrives, in order.
        let (addr, got) = peer(false);
        let case = Case::new(&["sockets", "fault-send", &addr, &mib]).net(Net::all());
        let (oracle, ours) = if p3 {
            (
                common::native_p3(guest, &case, &dir).await,
                common::bridge_p3(guest, &case, &dir).await,
            )
        } else {
            (
                common::native_p2(guest, &case, &dir).await,
                common::bridge_p2(guest, &case, &dir).await,
            )
        };
        assert_same(&oracle, &ours);
        let out = ours.stdout_str();
        assert!(
            out.starts_with(&format!("sent {}\n", MIB << 20)),
            "p3 {p3}: {out}"
        );
        for host in ["wasmtime-wasi", "wasi-bridge"] {
            let (n, intact) = got.recv_timeout(Duration::from_secs(30)).unwrap();
            assert_eq!(
                (n, intact),
                (MIB << 20, true),
                "p3 {p3}, {host}: bytes lost"
            );
        }
    }
}
