//! Hostile guests (`tests/guests/p2-ops` `hostile MODE N`), each run under wasmtime-wasi 48 and
//! under wasi-bridge: both must end the same way (same output line, same exit or trap), and
//! the host's peak memory growth during wasi-bridge's run must stay below the bound stated
//! here and in docs/reliability.md. Peak memory is this process's high-water mark (`VmHWM`),
//! reset before each run through `/proc/self/clear_refs`, so the cases run one after another
//! in a single test. The process's open descriptors are counted before and after each of
//! wasi-bridge's runs: nothing may leak.

use crate::common::{
    Case, Layout, RunDir, assert_no_fd_leak, assert_same, bridge_p2, native_p2, open_fds,
};
use std::path::Path;
use wasmtime_wasi::FsPerms;

fn kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().strip_suffix(" kB"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Runs `f`, returning its result and how far the process's peak RSS rose above the RSS
/// before it (MiB).
pub(crate) async fn peak_growth<T>(f: impl std::future::Future<Output = T>) -> (T, u64) {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak RSS");
    let before = kib("VmRSS:");
    let out = f.await;
    let peak = kib("VmHWM:");
    (out, peak.saturating_sub(before) / 1024)
}

fn small(root: &Path) {
    std::fs::create_dir(root.join("pre")).unwrap();
    std::fs::write(root.join("pre/a"), "hello").unwrap();
}
fn hundred_thousand_entries(root: &Path) {
    small(root);
    let big = root.join("pre/big");
    std::fs::create_dir(&big).unwrap();
    for i in 0..100_000 {
        std::fs::File::create(big.join(format!("entry-{i:06}"))).unwrap();
    }
}
fn big_file(root: &Path) {
    small(root);
    let f = std::fs::File::create(root.join("pre/big")).unwrap();
    f.set_len(256 << 20).unwrap();
}

struct Hostile {
    mode: &'static str,
    n: u64,
    setup: fn(&Path),
    /// The most the host's RSS may grow while wasi-bridge runs it (MiB).
    bound_mib: u64,
}

const CASES: &[Hostile] = &[
    Hostile {
        mode: "poll",
        n: 1_000_000,
        setup: small,
        bound_mib: 64,
    },
    Hostile {
        mode: "poll",
        n: 10_000,
        setup: small,
        bound_mib: 64,
    },
    Hostile {
        mode: "descriptors",
        n: 100_000,
        setup: small,
        bound_mib: 64,
    },
    Hostile {
        mode: "readdir",
        n: 0,
        setup: hundred_thousand_entries,
        bound_mib: 64,
    },
    Hostile {
        mode: "long-path",
        n: 1 << 20,
        setup: small,
        bound_mib: 32,
    },
    Hostile {
        mode: "never-drain",
        n: 50,
        setup: big_file,
        bound_mib: 32,
    },
    Hostile {
        mode: "over-permit",
        n: 64 << 20,
        setup: small,
        // The 64 MiB the guest hands over are lifted into host memory (as by native).
        bound_mib: 192,
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_guests_end_like_native_within_memory_bounds() {
    let _alone = crate::alone().await;
    let mut report = Vec::new();
    for h in CASES {
        let n = h.n.to_string();
        let layout = Layout {
            setup: h.setup,
            preopens: &[("pre", ".", FsPerms::ReadWrite)],
        };
        let mut case = Case::new(&["ops", "hostile", h.mode, &n]);
        case.layout = Some(layout);
        let (da, db) = (RunDir::new(&case), RunDir::new(&case));
        let (oracle, native_mib) = peak_growth(native_p2("p2-ops.wasm", &case, &da)).await;
        let fds = open_fds();
        let (ours, ours_mib) = peak_growth(bridge_p2("p2-ops.wasm", &case, &db)).await;
        // Every descriptor the run opened is closed once its store is gone.
        assert_no_fd_leak(fds, h.mode).await;
        report.push(format!(
            "{} {}: {:?} {} — peak growth native {native_mib} MiB, wasi-bridge {ours_mib} MiB",
            h.mode,
            h.n,
            ours.exit,
            ours.stdout_str().trim(),
        ));
        assert_same(&oracle, &ours);
        assert!(
            ours_mib <= h.bound_mib,
            "{}: wasi-bridge's peak RSS grew {ours_mib} MiB (bound {} MiB)",
            h.mode,
            h.bound_mib
        );
    }
    eprintln!("{}", report.join("\n"));
}

/// GHSA-gqmc-89g8-p25r (wasmtime 48.0.4): a guest given no stdio (the builders' defaults:
/// stdin closed, stdout and stderr discarded) could make the host allocate what it asked for —
/// a discarded stdout granted any `write-zeroes`, which built the zeroes in host memory. The
/// p2 op guest asks stdin and stdout for 64 KiB, 1 GiB and 1 TiB each way (`no-stdio`): the
/// same answers and exit as wasmtime-wasi 48.0.8 (its report goes to a file), and the host's
/// peak RSS grows at most 32 MiB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_without_stdio_gets_what_native_gives_within_bounded_memory() {
    let _alone = crate::alone().await;
    for n in [64u64 << 10, 1 << 30, 1 << 40] {
        let n = n.to_string();
        let mut case = Case::new(&["ops", "hostile", "no-stdio", &n]);
        case.layout = Some(Layout {
            setup: small,
            preopens: &[("pre", ".", FsPerms::ReadWrite)],
        });
        case.no_stdio = true;
        let (da, db) = (RunDir::new(&case), RunDir::new(&case));
        let oracle = native_p2("p2-ops.wasm", &case, &da).await;
        let (ours, ours_mib) = peak_growth(bridge_p2("p2-ops.wasm", &case, &db)).await;
        let report = |d: &RunDir| std::fs::read_to_string(d.preopens[0].0.join("report")).unwrap();
        let (native_report, our_report) = (report(&da), report(&db));
        eprintln!(
            "no-stdio {n}: {:?} {our_report} — wasi-bridge peak growth {ours_mib} MiB",
            ours.exit
        );
        assert_eq!(native_report, our_report, "no-stdio {n}");
        assert_eq!(oracle.exit, ours.exit, "no-stdio {n}");
        assert!(ours_mib <= 32, "no-stdio {n}: peak RSS grew {ours_mib} MiB");
    }
}

/// GHSA-5m8g-xhq4-4h93 and GHSA-f8mm-ggr3-89wh (wasmtime 48.0.9–48.0.11): empty writes grew
/// host memory, each one queued as an entry of its own. A p2 guest
/// (`tests/guests/wat/empty-writes.wat`) writes nothing to its stdout 1 000 000 times, every
/// write within any permit: both hosts run it to the end, and wasi-bridge's peak RSS grows at
/// most 16 MiB, with stdout captured and with no stdio at all. Every sink of the core keeps
/// bytes, not writes (the stdio and TCP queues are byte queues, a file write is a system call,
/// a body pipe skips an empty write): p3-core `io::write_behind::tests` and
/// `http::sink::tests` hold that for the queues a guest cannot reach this way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_empty_writes_keep_host_memory_flat() {
    let _alone = crate::alone().await;
    for no_stdio in [false, true] {
        let mut case = Case::new(&["empty-writes"]);
        case.no_stdio = no_stdio;
        let (da, db) = (RunDir::new(&case), RunDir::new(&case));
        let (oracle, native_mib) = peak_growth(native_p2("empty-writes.wasm", &case, &da)).await;
        let (ours, ours_mib) = peak_growth(bridge_p2("empty-writes.wasm", &case, &db)).await;
        eprintln!(
            "empty writes (no stdio: {no_stdio}): {:?} — peak growth native {native_mib} MiB, \
             wasi-bridge {ours_mib} MiB",
            ours.exit
        );
        assert_same(&oracle, &ours);
        assert_eq!(ours.exit, crate::common::Exit::Code(0));
        assert!(ours_mib <= 16, "peak RSS grew {ours_mib} MiB");
    }
}
