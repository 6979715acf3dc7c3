//! wasmtime 48.0.x's WASI security advisories, re-checked on wasi-bridge's own code (the fixes
//! in wasmtime-wasi do not reach a re-implementation through the dependency). Each test is
//! named in `docs/security.md`; the advisories whose attack is a core module are in
//! `tests/all/p1.rs` (the p1/p0 differential harness), listed there too.

use p3_core::sockets::udp::UdpSocket;
use p3_core::sockets::{ErrorCode, Family, SocketAddrUse};
use wasi_bridge::WasiCtx;

/// GHSA-hmmr-87qq-258j (wasmtime 48.0.8): UDP `connect` (p2 `stream(remote)`, p3 `connect`)
/// was allowed when the host's check permitted the remote address for sending *or* receiving.
/// A connected socket does both, so both must be permitted: denying either one refuses it.
#[tokio::test(flavor = "multi_thread")]
async fn udp_connect_needs_the_remote_permitted_for_sending_and_receiving() {
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let remote = peer.local_addr().unwrap();
    for (denied, expect) in [
        (Some(SocketAddrUse::UdpSend), Err(ErrorCode::AccessDenied)),
        (
            Some(SocketAddrUse::UdpReceive),
            Err(ErrorCode::AccessDenied),
        ),
        (None, Ok(())),
    ] {
        let mut ctx = WasiCtx::builder()
            .allow_udp(true)
            .socket_addr_check(move |_, addr_use| {
                let allowed = !matches!(
                    (addr_use, denied),
                    (SocketAddrUse::UdpSend, Some(SocketAddrUse::UdpSend))
                        | (SocketAddrUse::UdpReceive, Some(SocketAddrUse::UdpReceive))
                );
                Box::pin(async move { allowed })
            })
            .build();
        let mut socket = UdpSocket::new(ctx.sockets(), Family::Ipv4).unwrap();
        assert_eq!(
            socket.connect(remote).await,
            expect,
            "connect with {denied:?} denied"
        );
    }
}

/// GHSA-5qpp-g3j2-8frx (wasmtime 48.0.6): a guest's absolute-form `path-with-query`
/// (`http://other/x`) sent the request to `other` instead of the request's authority. Both
/// ABIs' `set-path-with-query` take it through this one function, which accepts only what
/// addresses the request's own authority — under p3's rule too, which also takes relative
/// references (`a/b`, `../..`): those are sent resolved against `/`, never as another form.
/// The end-to-end attack by a guest is `http::paths_with_query_are_taken_as_each_abi_takes_them`.
#[test]
fn a_path_with_query_cannot_address_another_host() {
    use p3_core::http::{PathRule, parse_path_with_query};
    for rule in [PathRule::Rooted, PathRule::Relative] {
        for absolute in [
            "http://evil.example/x",
            "https://evil.example",
            "evil.example:80",
            "evil.example:80/x",
            "*",
            "HTTP://evil.example/",
            "mailto:x@evil.example",
        ] {
            assert!(
                parse_path_with_query(absolute, rule).is_none(),
                "{absolute:?} was accepted under {rule:?}"
            );
        }
        for origin in ["", "/", "/a/b?c=d", "?q=1", "//evil.example/x"] {
            assert!(
                parse_path_with_query(origin, rule).is_some(),
                "{origin:?} was refused under {rule:?}"
            );
        }
    }
    for relative in [
        "a/b/c",
        "../..",
        "a?x=http://evil.example/",
        "evil.example/x",
    ] {
        assert!(parse_path_with_query(relative, PathRule::Rooted).is_none());
        assert!(parse_path_with_query(relative, PathRule::Relative).is_some());
    }
}

/// GHSA-r8xh-cgf7-392j (48.0.7) and GHSA-h4wp-g4x3-7398 (48.0.8): conflicting or malformed
/// `content-length` values reached the peer. The length a body is held to is read by this one
/// function for both ABIs, and anything but exactly one plain decimal number is refused.
#[test]
fn content_length_is_one_decimal_number_or_refused() {
    use p3_core::http::content_length;
    let headers = |values: &[&str]| {
        let mut h = http::HeaderMap::new();
        for v in values {
            h.append(http::header::CONTENT_LENGTH, v.parse().unwrap());
        }
        h
    };
    assert_eq!(content_length(&headers(&[])).unwrap(), None);
    assert_eq!(content_length(&headers(&["42"])).unwrap(), Some(42));
    for bad in [
        &["5", "5"][..],
        &["5", "6"],
        &["+5"],
        &["-1"],
        &["5, 5"],
        &[" 5"],
        &["0x10"],
        &["99999999999999999999999"],
    ] {
        assert!(content_length(&headers(bad)).is_err(), "{bad:?} was taken");
    }
}

/// GHSA-w4qr-p94g-mjhv (wasmtime 48.0.4): a guest's zero timeout panicked the host's HTTP
/// client (tokio refuses a zero interval). Both ABIs send through `p3_core::http::send`, which
/// hands the guest's options to wasmtime-wasi-http 48.0.8's `default_send_request`; a request
/// whose every timeout is zero must end in a response or an error code, never a panic.
#[tokio::test(flavor = "multi_thread")]
async fn zero_timeouts_do_not_panic_the_http_client() {
    use std::io::{Read, Write};
    use std::time::Duration;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8];
        while !head.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap() == 1 {
            head.push(byte[0]);
        }
        let _ = conn.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok");
    });
    let hooks = wasi_bridge::http::default_hooks();
    let mut request = p3_core::http::Request::new(p3_core::http::FieldMap::new_mutable(1 << 16));
    request
        .set_authority(
            Some(addr.to_string()),
            p3_core::http::AuthorityRule::PortChecked,
        )
        .unwrap();
    request
        .set_scheme(Some(Some(http::uri::Scheme::HTTP)))
        .unwrap();
    request.options = Some(wasi_bridge::http::RequestOptions {
        connect_timeout: Some(Duration::ZERO),
        first_byte_timeout: Some(Duration::ZERO),
        between_bytes_timeout: Some(Duration::ZERO),
    });
    let mut pending = p3_core::http::send(hooks, request).unwrap();
    std::future::poll_fn(|cx| pending.poll_ready(cx)).await;
    match pending.take().expect("a result once ready") {
        Ok((response, io)) => {
            assert_eq!(response.status(), 200);
            // Reading the body runs the zero between-bytes timer; an error is fine, a panic not.
            let _ = http_body_util::BodyExt::collect(response.into_body()).await;
            let _ = io.await;
            server.join().unwrap();
        }
        // (The peer thread, never connected to, ends with the test process.)
        Err(code) => eprintln!("zero timeouts: {code:?}"),
    }
}

/// The fixture tree with the file `a`, the directory `d`, the file `d/e` and the preopen
/// itself dated before 1970: `a` and `d` in 1960, `d/e` one second before the epoch, the
/// preopen 1.5 s before it.
fn dated_before_1970(root: &std::path::Path) {
    use std::time::{Duration, SystemTime};
    crate::common::ops::populate(root);
    let epoch = SystemTime::UNIX_EPOCH;
    for (path, before) in [
        ("pre/a", Duration::from_secs(315_619_200)),
        ("pre/d", Duration::from_secs(315_619_200)),
        ("pre/d/e", Duration::from_secs(1)),
        ("pre", Duration::from_millis(1500)),
    ] {
        let t = epoch - before;
        let f = std::fs::File::open(root.join(path)).unwrap();
        f.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))
            .unwrap();
        assert_eq!(f.metadata().unwrap().modified().unwrap(), t, "{path}");
    }
}

/// GHSA-mr2v-56j5-cmfc (wasmtime 48.0.4): `stat` of a file whose timestamps are before 1970
/// panicked a p3 host converting them. The op guests (p3 and p2) `stat-at` such files and a
/// directory and `stat` the preopen: every call answered, the guest runs to its end, and the
/// lines are wasmtime-wasi 48.0.8's.
#[tokio::test(flavor = "multi_thread")]
async fn timestamps_before_1970_are_answered_not_a_host_panic() {
    use crate::common::ops::{Abi, differential_in};
    const STAT: u8 = 4;
    const STAT_AT: u8 = 5;
    // Descriptor slot 0 is the preopen `.`; path indices: 0 "a", 3 "d", 4 "d/e".
    let program = [
        STAT_AT, 0, 1, 0, STAT_AT, 0, 1, 3, STAT_AT, 0, 0, 4, STAT, 0,
    ];
    for abi in [Abi::P3, Abi::P2] {
        let run = differential_in(abi, &program, dated_before_1970).await;
        let out = run.outcome.stdout_str();
        let stats: Vec<_> = out.lines().filter(|l| l.contains(" stat")).collect();
        assert_eq!(stats.len(), 4, "{abi:?}: {out}");
        for line in stats {
            assert!(line.contains(" ok "), "{abi:?}: {line}");
        }
        assert_eq!(
            run.outcome.exit,
            crate::common::Exit::Code(0),
            "{abi:?}: {out}"
        );
    }
}

/// GHSA-j2g9-4prp-pf6h (wasmtime 48.0.3): a `set-times` / `set-times-at` with a datetime the
/// host cannot represent panicked it. The p3 op guest sets a file's modification time to
/// `i64::MIN + 1` and `i64::MAX` seconds, one second and ten years before 1970, each with and
/// without 1 999 999 999 ns to carry into the seconds, through both calls (and a symlink's
/// own times, not followed), and stats it after
/// each: every call answered (`overflow` where the time does not fit), the guest runs to its
/// end, and the lines are wasmtime-wasi 48.0.8's. (p2's `u64` seconds: the p2-fs `edge` mode,
/// `tests/all/filesystem.rs`.)
#[tokio::test(flavor = "multi_thread")]
async fn out_of_range_set_times_are_answered_not_a_host_panic() {
    use crate::common::ops::{Abi, differential};
    const OPEN: u8 = 0;
    const STAT_AT: u8 = 5;
    const SET_TIMES: u8 = 38;
    // Slot 0 is the preopen `.`, path 0 is "a"; `w` = 6 sets only the modification time by
    // `set-times-at`, 6 | 0x40 sets it (and the access time to now) on the open descriptor.
    let mut program = vec![OPEN, 0, 1, 0, 0, 0]; // open "a" for reading: slot 2
    for k in 1u8..=4 {
        for carry in [0, 0x80] {
            let follow = 1 | (k << 1) | carry;
            program.extend([SET_TIMES, 0, follow, 0, 6, STAT_AT, 0, 1, 0]);
            program.extend([SET_TIMES, 2, follow, 0, 6 | 0x40, STAT_AT, 0, 1, 0]);
            // The symlink `l` (path 13) itself, not followed.
            program.extend([SET_TIMES, 0, follow & !1, 13, 6, STAT_AT, 0, 0, 13]);
        }
    }
    // Times before 1970 through the ways out of the sandbox: the symlinks `out`
    // (`../canary/secret`, path 15) and `abs` (`/etc/passwd`, 16), and `..` (8), followed.
    let escapes = [15u8, 16, 8];
    for path in escapes {
        program.extend([SET_TIMES, 0, 1 | (3 << 1), path, 6]);
    }
    let run = differential(Abi::P3, &program).await;
    let out = run.outcome.stdout_str();
    assert_eq!(run.outcome.exit, crate::common::Exit::Code(0), "{out}");
    let set: Vec<_> = out.lines().filter(|l| l.contains(" set-times ")).collect();
    assert_eq!(set.len(), 24 + escapes.len(), "{out}");
    for line in &set[24..] {
        assert!(line.contains(" err "), "a way out was taken: {line}");
    }
    // Only the two ends of the range with nanoseconds to carry do not fit (`overflow`, code
    // 29 in the guest's numbering), by each call; every other time is set.
    let refused = set.iter().filter(|l| l.ends_with(" err 29")).count();
    assert_eq!(refused, 6, "{out}");
    let set_ok = set.iter().filter(|l| l.ends_with(" ok")).count();
    assert_eq!(set_ok, 18, "{out}");
    let stats = out
        .lines()
        .filter(|l| l.contains(" stat-at ") && l.contains(" ok "));
    assert_eq!(stats.count(), 24, "{out}");
}

/// GHSA-m9f7-9w4p-gv38 (wasmtime 48.0.6): renaming a symlink named with a trailing slash
/// escaped the sandbox where `renameat` follows such a symlink (macOS, FreeBSD), and on every
/// platform a trailing slash on the *new* path did not require the source to be a directory.
/// The op guests (p3 and p2) plant symlinks to `..`, to `/` and to a file, and rename them
/// with trailing slashes on either side: every rename refused as by wasmtime-wasi 48.0.8
/// (`not-directory`), and the tree, the canary beside the preopen and the read-only preopen as
/// they were (the differential checks all three).
#[tokio::test(flavor = "multi_thread")]
async fn renaming_symlinks_with_trailing_slashes_stays_in_the_sandbox() {
    use crate::common::ops::{Abi, differential};
    const RENAME: u8 = 7;
    const UNLINK: u8 = 8;
    const SYMLINK: u8 = 11;
    // Paths: 0 "a", 1 "b", 2 "c", 13 "l" (-> a), 19 "d/", 20 "a/". Targets: 3 "..", 11 "/".
    let program = [
        UNLINK, 0, 0, // a gone
        SYMLINK, 0, 3, 0, // a -> ..
        RENAME, 0, 20, 0, 1, // a/ -> b
        RENAME, 0, 0, 0, 19, // a -> d/
        SYMLINK, 0, 11, 2, // c -> /
        RENAME, 0, 2, 0, 19, // c -> d/
        RENAME, 0, 13, 0, 19, // l -> d/ (l -> a -> ..)
    ];
    for abi in [Abi::P3, Abi::P2] {
        let run = differential(abi, &program).await;
        let out = run.outcome.stdout_str();
        let renames: Vec<_> = out.lines().filter(|l| l.contains(" rename-at ")).collect();
        assert_eq!(renames.len(), 4, "{abi:?}: {out}");
        for line in renames {
            assert!(
                !line.ends_with(" ok"),
                "{abi:?}: a rename went through: {line}"
            );
        }
        assert!(
            run.tree.iter().any(|l| l.starts_with("pre/a ->")),
            "{abi:?}: {:?}",
            run.tree
        );
    }
}

/// GHSA-93g3-36p8-x2gc (wasmtime 48.0.6): a zero-length stream write (or read) whose pointer
/// is past the end of the guest's memory panicked the host. The check is the runtime's, but
/// the streams are wasi-bridge's: a p3 guest does it on its stdout stream and on its stdin
/// stream: each completes with nothing moved and the run goes on, as under wasmtime-wasi
/// 48.0.8 (no trap, no host panic). The http body stream: `http::advisories::a_zero_length_body_write_past_memory_is_answered`.
#[tokio::test(flavor = "multi_thread")]
async fn zero_length_stream_io_past_memory_is_answered_not_a_host_panic() {
    use crate::common::{Case, RunDir, assert_same, bridge_p3, native_p3};
    for way in ["write", "read"] {
        let case = Case::new(&["p3-cli", "oob-zero", way]);
        let (da, db) = (RunDir::new(&case), RunDir::new(&case));
        let oracle = native_p3("p3-cli.wasm", &case, &da).await;
        let ours = bridge_p3("p3-cli.wasm", &case, &db).await;
        assert_same(&oracle, &ours);
        let said = format!("oob zero-length {way}: 0\n");
        assert!(ours.stdout_str().contains(&said), "{}", ours.stdout_str());
    }
}

/// GHSA-9pvw-hwfg-92h5 (wasmtime 48.0.7): lowering a host-created stream into a guest that
/// reads it as another payload type panicked the host. The check is the runtime's; the
/// stream is wasi-bridge's: a p3 guest reads `listen`'s stream of sockets through the byte
/// streams' `stream.read`: it traps ("handle is a stream of a different type") as under
/// wasmtime-wasi 48.0.8, no host panic.
#[tokio::test(flavor = "multi_thread")]
async fn a_host_stream_read_as_another_payload_type_is_answered_not_a_host_panic() {
    use crate::common::{Case, Net, RunDir, assert_same, bridge_p3, native_p3};
    let case = Case::new(&["g", "confused"]).net(Net::all());
    let (da, db) = (RunDir::new(&case), RunDir::new(&case));
    let oracle = native_p3("p3-sockets.wasm", &case, &da).await;
    let ours = bridge_p3("p3-sockets.wasm", &case, &db).await;
    assert_same(&oracle, &ours);
    assert!(
        matches!(&ours.exit, crate::common::Exit::Trap(t) if t.contains("different type")),
        "{:?}",
        ours.exit
    );
}

/// The tree with `a`'s modification and access times at exactly `i64::MIN` seconds (`touch`;
/// only a file system that keeps 64-bit times, such as tmpfs, holds them — ext4 clamps to
/// 1901).
fn dated_at_i64_min(root: &std::path::Path) {
    crate::common::ops::populate(root);
    let status = std::process::Command::new("touch")
        .args(["-a", "-m", "-d", "@-9223372036854775808"])
        .arg(root.join("pre/a"))
        .status()
        .unwrap();
    assert!(status.success());
}

/// Found comparing wasmtime-wasi 48.0.8's copy of cap-primitives with cap-primitives 4.0.3
/// (docs/security.md): 4.0.3's path `stat` converts a timestamp of exactly `i64::MIN` seconds
/// with `-sec`, which overflows and panicked the host (wasmtime's copy takes `unsigned_abs`).
/// On a tmpfs, which keeps such times (and where a p3 guest can set them), the op guests
/// `stat-at` the file (followed and not) and `stat` it open: answered as wasmtime-wasi 48.0.8
/// answers, p3 and p2. Skipped where `/dev/shm` is not a tmpfs.
#[tokio::test(flavor = "multi_thread")]
async fn a_timestamp_of_i64_min_seconds_is_answered_not_a_host_panic() {
    use crate::common::ops::{Abi, differential_on};
    let shm = std::fs::read_to_string("/proc/mounts")
        .unwrap_or_default()
        .lines()
        .any(|l| l.split_whitespace().nth(1) == Some("/dev/shm") && l.contains(" tmpfs "));
    if !shm {
        eprintln!("skipped: /dev/shm is not a tmpfs here");
        return;
    }
    const OPEN: u8 = 0;
    const STAT: u8 = 4;
    const STAT_AT: u8 = 5;
    // Descriptor slot 0 is the preopen `.`; path index 0 is "a"; the open lands in slot 2.
    let program = [
        STAT_AT, 0, 1, 0, STAT_AT, 0, 0, 0, OPEN, 0, 1, 0, 0, 1, STAT, 2,
    ];
    for abi in [Abi::P3, Abi::P2] {
        let run = differential_on(abi, &program, dated_at_i64_min, Some("/dev/shm")).await;
        let out = run.outcome.stdout_str();
        let stats: Vec<_> = out.lines().filter(|l| l.contains(" stat")).collect();
        assert_eq!(stats.len(), 3, "{abi:?}: {out}");
        assert_eq!(
            run.outcome.exit,
            crate::common::Exit::Code(0),
            "{abi:?}: {out}"
        );
    }
}

/// The tree for the sandbox walks: the preopen `pre/` with the two symlinks a guest cannot
/// plant (absolute targets: `abs` -> `/`, `abscanary` -> the canary's directory) and, beside
/// it, `canary/secret`.
fn walk_tree(root: &std::path::Path) {
    std::fs::create_dir(root.join("pre")).unwrap();
    std::fs::create_dir(root.join("canary")).unwrap();
    std::fs::write(root.join("canary/secret"), crate::common::ops::CANARY).unwrap();
    std::os::unix::fs::symlink("/", root.join("pre/abs")).unwrap();
    std::os::unix::fs::symlink(root.join("canary"), root.join("pre/abscanary")).unwrap();
}

/// issue 22, item 2: a symlink planted by the guest never takes a call outside its preopen.
/// The p1 walk (`tests/guests/p1/walk.c`) plants `up` -> `..`, `root` -> `/` (refused),
/// `chain` -> `up`, `d/deep` -> `../..` and `sec` -> `../canary/secret` beside the host's `abs`
/// -> `/` and `abscanary` -> the canary's directory, then makes every path-taking preview1
/// call (through wasi-libc: stat, lstat, readlink, open plain / no-follow / directory,
/// opendir, utimensat followed and not, open for append and to create, mkdir, rmdir, unlink,
/// rename from and to, link from and to, symlink) on each of them and on `..`, with trailing
/// `/`, `/.` and `/..`: every line as wasmtime-wasi 48.0.8's, the tree the same, and
/// `canary/secret` untouched.
#[tokio::test(flavor = "multi_thread")]
async fn p1_calls_on_planted_symlinks_stay_in_the_preopen() {
    use crate::common::{Case, Exit, Layout, differential_p1_tree};
    let mut case = Case::new(&["walk", "/data"]);
    case.layout = Some(Layout {
        setup: walk_tree,
        preopens: &[("pre", "/data", wasmtime_wasi::FsPerms::ReadWrite)],
    });
    let (out, tree) = differential_p1_tree("walk.p1.wasm", case).await;
    let text = out.stdout_str();
    assert_eq!(out.exit, Exit::Code(0), "{text}");
    let calls = text.lines().filter(|l| !l.starts_with(' ')).count();
    assert!(calls > 500, "{calls} calls:\n{text}");
    assert!(
        !text.contains(crate::common::ops::CANARY),
        "the canary was read"
    );
    let canary: Vec<_> = tree.iter().filter(|l| l.starts_with("canary")).collect();
    assert_eq!(
        canary,
        [
            "canary/",
            &format!("canary/secret = {:?}", crate::common::ops::CANARY)
        ],
        "{tree:?}"
    );
}

/// issue 22, item 2, for p2 and p3: the op guests plant `up` -> `..`, `root` -> `/`
/// (refused), `chain` -> `up`, `d/deep` -> `../..` and `sec` -> `../canary/secret` (beside the
/// fixture's `l`, `dl`, `out` -> `../canary/secret`, `abs` -> `/etc/passwd`, `loop1`), then
/// every path-taking call (open-at for reading and to create, stat-at, rename-at from and to,
/// unlink-file-at, remove-directory-at, create-directory-at, symlink-at, link-at from and to,
/// readlink-at, set-times-at; followed and not) on every way out through them, with trailing
/// `/`, `/.` and `/..` (the op vocabulary's paths 32 on). Each program is differential with
/// wasmtime-wasi 48.0.8: the same lines, the same tree, the canary and the read-only preopen
/// untouched and the canary never read.
#[tokio::test(flavor = "multi_thread")]
async fn p2_and_p3_calls_on_planted_symlinks_stay_in_the_preopen() {
    use crate::common::ops::{Abi, differential_in, populate};
    // Indices into the op vocabulary (tests/guests/ops/vocab.h).
    const A: u8 = 0;
    const B: u8 = 1;
    const PLANT: [[u8; 4]; 5] = [
        [11, 0, 3, 32],  // up -> ..
        [11, 0, 11, 33], // root -> / (refused)
        [11, 0, 12, 34], // chain -> up
        [11, 0, 13, 35], // d/deep -> ../..
        [11, 0, 4, 36],  // sec -> ../canary/secret
    ];
    // The planted names themselves (looked at only: a change to one is a change inside), then
    // the ways out.
    let looked: Vec<u8> = (32..37).collect();
    let ways_out: Vec<u8> = [8, 9, 12, 15, 16, 18, 24, 26, 28, 29]
        .into_iter()
        .chain(37..62)
        .collect();
    let mut calls: Vec<Vec<u8>> = Vec::new();
    for &p in looked.iter().chain(&ways_out) {
        for follow in [0, 1] {
            calls.push(vec![0, 0, follow, p, 0, 1]); // open-at for reading
            calls.push(vec![5, 0, follow, p]); // stat-at
            calls.push(vec![38, 0, follow, p, 8]); // set-times-at
        }
        calls.push(vec![15, 0, p]); // readlink-at
    }
    for &p in &ways_out {
        calls.push(vec![0, 0, 0, p, 1, 2]); // open-at to create, for writing
        calls.push(vec![7, 0, p, 0, B]); // rename-at from
        calls.push(vec![7, 0, A, 0, p]); // rename-at to (then back)
        calls.push(vec![7, 0, p, 0, A]);
        calls.push(vec![8, 0, p]); // unlink-file-at
        calls.push(vec![9, 0, p]); // remove-directory-at
        calls.push(vec![10, 0, p]); // create-directory-at
        calls.push(vec![11, 0, 0, p]); // symlink-at (to "a")
        for follow in [0, 1] {
            calls.push(vec![12, 0, follow, p, 0, B]); // link-at from
        }
        calls.push(vec![12, 0, 0, A, 0, p]); // link-at to
    }
    let total = calls.len();
    let mut programs = 0;
    for chunk in calls.chunks(64 - PLANT.len()) {
        let mut program: Vec<u8> = PLANT.iter().flatten().copied().collect();
        program.extend(chunk.iter().flatten());
        for abi in [Abi::P3, Abi::P2] {
            let run = differential_in(abi, &program, populate).await;
            let out = run.outcome.stdout_str();
            assert!(
                out.contains("0 symlink-at d0 ->.. 'up' ok"),
                "{abi:?}: {out}"
            );
            assert!(out.contains("->../.. 'd/deep' ok"), "{abi:?}: {out}");
        }
        programs += 1;
    }
    assert!(
        total > 600 && programs > 10,
        "{total} calls in {programs} programs"
    );
}
