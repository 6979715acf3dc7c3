//! Scheduling, on both hosts behind the same host text: instances that decline requests,
//! p2 instance reuse, a callback-style p3 handler serving requests concurrently.

use super::client::*;
use super::servers::*;
use std::sync::Arc;
use std::time::Duration;

/// A `WorkerState` that answers `ShouldAccept::No` with nothing in flight (here: a
/// concurrency limit of 0, so each p3 instance takes only the request it was started for and
/// then idles until its expiration): every request is still served, by new instances, on
/// both hosts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_that_declines_every_request_leaves_them_to_new_ones() {
    let (native, bridge, s) = handler_servers(P3, Some((128, 0))).await;
    let failed = (
        native.state().failed_workers.clone(),
        bridge.state().failed_workers.clone(),
    );
    for _ in 0..3 {
        let (native, bridge) = both(&s, |a| get(a, "/hello")).await;
        assert_eq!(native, bridge);
        assert_eq!(body_of(&bridge), "Hello, wasi:http/proxy world!\n");
    }
    // The declining workers idle (until their 1 s expiration); none ended in an error.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let load =
        |a: &Arc<std::sync::atomic::AtomicUsize>| a.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!((load(&failed.0), load(&failed.1)), (0, 0));
}

/// p2 instance reuse (`wasmtime serve --max-instance-reuse-count 3`) on both hosts: an
/// instance serves three requests one at a time and keeps its guest's state between them (a
/// counter in a global); a trap retires it and the next request gets a fresh one; the same
/// answers, instance counts and failed workers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_p2_instance_keeps_its_state_until_reuse_or_a_trap_ends_it() {
    let (native, bridge, s) = handler_servers(P2, Some((3, 16))).await;
    let mut seen = (Vec::new(), Vec::new());
    for path in [
        "/count", "/count", "/count", "/count", "/trap", "/count", "/count",
    ] {
        let (native, bridge) = both(&s, |a| get(a, path)).await;
        for (seen, answer) in [(&mut seen.0, native), (&mut seen.1, bridge)] {
            let status = match &answer {
                Seen::Response { status, .. } => *status,
                Seen::Failed { status, .. } => status.unwrap_or(0),
            };
            seen.push(format!("{status} {}", body_of(&answer).trim_end()));
        }
        // The response leaves during the guest's call: let the instance finish it, so the
        // next request finds it waiting (well within the 1 s idle timeout).
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(seen.0, seen.1);
    assert_eq!(
        seen.1,
        [
            "200 count 1",
            "200 count 2",
            "200 count 3",
            "200 count 1",
            "500 handler failed",
            "200 count 1",
            "200 count 2",
        ]
    );
    let load = |a: &std::sync::atomic::AtomicUsize| a.load(std::sync::atomic::Ordering::SeqCst);
    let (n, b) = (native.state(), bridge.state());
    assert_eq!(
        (load(&n.instances), load(&n.failed_workers)),
        (3, 1),
        "native: instances, failed workers (the trap)"
    );
    assert_eq!(
        (load(&b.instances), load(&b.failed_workers)),
        (3, 1),
        "wasi-bridge: instances, failed workers (the trap)"
    );
}

/// A p3 handler that never blocks (the callback style) serves requests concurrently on one
/// instance, on both hosts: with one instance up and idle, 8 requests that each wait 400 ms,
/// sent 25 ms apart, all go to it (wasmtime serve's limits: 16 at once) and finish in about
/// one wait, not eight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_style_handler_serves_requests_concurrently_on_one_instance() {
    let (native, bridge, s) = handler_servers(P3_CALLBACK, None).await;
    let instances = |host: &str| {
        let counter = match host {
            "native" => &native.state().instances,
            _ => &bridge.state().instances,
        };
        counter.load(std::sync::atomic::Ordering::SeqCst)
    };
    for (host, addr) in [("native", s.native), ("wasi-bridge", s.bridge)] {
        assert_eq!(
            body_of(&fetch(addr, get(addr, "/")).await),
            "hello\n",
            "{host}"
        );
        assert_eq!(instances(host), 1, "{host}");
        let start = std::time::Instant::now();
        let mut sleeping = Vec::new();
        for _ in 0..8 {
            sleeping.push(tokio::spawn(fetch(addr, get(addr, "/sleep/400"))));
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        for request in sleeping {
            let seen = request.await.unwrap();
            assert_eq!(body_of(&seen), "slept 400 ms\n", "{host}");
        }
        let took = start.elapsed();
        assert!(
            took < Duration::from_millis(2000),
            "{host}: 8 requests of 400 ms on one instance took {took:?}"
        );
        assert_eq!(instances(host), 1, "{host}: one instance served them all");
    }
}
