//! What the in-process benches share: one workload run on both hosts alternately, compared as a
//! ratio of medians (the machine is shared and noisy: ratios measured in one run hold,
//! absolute times drift).

use super::hosts::Host;
use std::time::Duration;

/// Runs `once` on each host once to warm up (code cache, allocator, page cache), then `rounds`
/// times alternately, and prints the median of each and the ratio bridge/native (below 1.0:
/// wasi-bridge is faster). `once` returns the time it measured.
pub async fn compare_hosts<F, Fut>(label: &str, rounds: usize, mut once: F)
where
    F: FnMut(Host) -> Fut,
    Fut: Future<Output = Duration>,
{
    once(Host::Native).await;
    once(Host::Bridge).await;
    let (mut native, mut bridge) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        native.push(once(Host::Native).await);
        bridge.push(once(Host::Bridge).await);
    }
    let (n, b) = (median(native), median(bridge));
    println!(
        "{label:<44} native {:>10.3} ms   bridge {:>10.3} ms   ratio bridge/native {:.2}",
        n.as_secs_f64() * 1e3,
        b.as_secs_f64() * 1e3,
        b.as_secs_f64() / n.as_secs_f64()
    );
}

/// The median of `v` (the upper one for an even count).
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}
