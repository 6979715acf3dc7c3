//! Every WASI version a guest may import, on the one core (issue: WASI 0.3.N, the release
//! candidates). A guest built against a newer WASI 0.3 release (`wasi:*@0.3.2`, as wasip3 0.10
//! makes them) runs wherever its `@0.3.0` twin runs, as wasmtime's linker takes it; a function
//! a newer release adds that the core lacks is refused by name before the program runs. A
//! guest built against `0.3.0-rc-2026-03-15`, whose WIT has 0.3.0's shape, runs as its twin
//! too (its names renamed, `run::final_names`), and so do guests of the WASI 0.2.0 release
//! candidates of 2023 (`0.2.0-rc-2023-11-10`, `-12-05`), but for `-11-10`'s wasi:http. Guests
//! of `0.3.0-rc-2026-01-06`, whose cli, filesystem, sockets and wasi:http types differ in shape,
//! run through the core's veneer for that candidate as their 0.3.0 twins.

use crate::binary::{guest, run};

/// `run` of the 0.3.2 and the rc-2026-03-15 guests prints what their 0.3.0 twin prints, byte
/// for byte, for each mode
/// (arguments, environment, stdin, stdout and stderr streams, exit codes), with the same status.
#[test]
fn guests_of_wasi_0_3_2_and_0_3_0_rc_2026_03_15_run_as_their_0_3_0_twin() {
    for (args, stdin) in [
        (&["env"][..], &b""[..]),
        (&["stdin"][..], &b"from stdin\n"[..]),
        (&["stdout"][..], &b""[..]),
        (&["exit-code", "7"][..], &b""[..]),
        (&["return-err"][..], &b""[..]),
    ] {
        let twin = |program: &str| {
            let path = guest(program);
            let mut line = vec!["run", "--env", "GREETING=hi", path.as_str()];
            line.extend_from_slice(args);
            let o = run(&line, stdin);
            // The program's own name (its first argument) and the per-process insecure seed
            // are the only differences.
            let stdout: String = String::from_utf8_lossy(&o.stdout)
                .replace(program, "PROGRAM")
                .lines()
                .filter(|l| !l.starts_with("seed: "))
                .map(|l| format!("{l}\n"))
                .collect();
            (
                o.status.code(),
                stdout,
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )
        };
        let old = twin("p3-cli.wasm");
        assert!(!old.1.is_empty() || old.0 != Some(0), "{args:?}: {old:?}");
        for other in ["p3-cli-0.3.2.wasm", "p3-cli-rc-2026-03-15.wasm"] {
            assert_eq!(twin(other), old, "{other} {args:?}");
        }
    }
}

/// The library: the import check takes `@0.3.2`, `entry_of` finds `wasi:cli/run@0.3.2`, and
/// `run::run` on the library's linker runs it.
#[tokio::test(flavor = "multi_thread")]
async fn the_library_runs_a_guest_of_wasi_0_3_2() {
    use wasi_bridge::run as lib;
    let engine = lib::engine().unwrap();
    let linker = lib::linker(&engine).unwrap();
    let component =
        wasmtime::component::Component::from_file(&engine, guest("p3-cli-0.3.2.wasm")).unwrap();
    lib::check_imports(&engine, &component).unwrap();
    let entry = lib::entry_of(&engine, &component).unwrap();
    assert!(matches!(entry, lib::Entry::P3));
    crate::survival::exits_with_code_3(&engine, &linker, &component).await;
}

/// A function no release of the core has (`get-random-u128` in `wasi:random/random@0.3.9`,
/// `tests/guests/wat/newer-p3-function.wat`) is refused before the program runs, in one line
/// naming the interface and the function, status 2 — as an import of an interface the host
/// does not serve is. The interface's version alone is not a reason to refuse it.
#[test]
fn a_function_a_newer_0_3_release_adds_is_refused_by_name() {
    let o = run(&["run", &guest("newer-p3-function.wasm")], b"");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for said in ["wasi:random/random@0.3.9", "get-random-u128"] {
        assert!(err.contains(said), "{err}");
    }
    let problem = wasi_bridge::run::check_import_names(["wasi:random/random@0.3.9"]);
    assert_eq!(problem, Ok(()));
    // Not a 0.3 release: refused by the import check, as before.
    for name in ["wasi:random/random@0.4.0", "wasi:random/random@0.3"] {
        assert!(
            wasi_bridge::run::check_import_names([name]).is_err(),
            "{name}"
        );
    }
}

/// `0.3.0-rc-2026-03-15`'s WIT (vendored from wasmtime-wasi-http 45.0.0) is 0.3.0's but for
/// its version, its comments and its `@since` gates: every package, line by line. This is what
/// lets `run::final_names` serve its guests with 0.3.0's bindings.
#[test]
fn the_rc_2026_03_15_wit_has_the_shape_of_0_3_0() {
    let root = env!("CARGO_MANIFEST_DIR");
    let shape = |text: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("//") && !l.starts_with("@since"))
            .filter(|l| !l.starts_with("@unstable"))
            .map(|l| l.replace("@0.3.0-rc-2026-03-15", "@0.3.0"))
            .collect()
    };
    for package in ["cli", "clocks", "filesystem", "http", "random", "sockets"] {
        let rc = std::fs::read_to_string(format!("{root}/wit/p3-rc-2026-03-15/deps/{package}.wit"))
            .unwrap();
        let release =
            std::fs::read_to_string(format!("{root}/p3-core/wit/deps/{package}.wit")).unwrap();
        assert!(rc.contains("@0.3.0-rc-2026-03-15;"), "{package}");
        assert_eq!(shape(&rc), shape(&release), "{package}");
    }
    // The renaming touches only those names: a candidate of another shape is still refused.
    let o = run(&["run", &guest("wasi-rc.wasm")], b"");
    assert_eq!(o.status.code(), Some(2));
}

/// Every function of `0.3.0-rc-2026-01-06` (the WIT p3-core's veneer is generated from,
/// `p3-core/wit-rc-2026-01-06`, as wasmtime-wasi 41 ships it) links on the library's p3 linker:
/// for every interface, a component importing all of it — renamed by `run::final_names` where
/// the candidate has 0.3.0's shape, kept where the veneer serves the candidate's own — passes
/// the import check and instantiates (wasi:http: with wasi:http linked, as 0.3.0's); the
/// interfaces that keep their names are exactly those the veneer lists.
#[test]
fn every_function_of_rc_2026_01_06_links() {
    let rc = [
        wasi_bridge::p3::rc_2026_01_06::INTERFACES,
        wasi_bridge::p3::rc_2026_01_06::http::INTERFACES,
    ];
    every_function_links(
        "wit-rc-2026-01-06",
        "0.3.0-rc-2026-01-06",
        &rc.concat(),
        &[],
        false,
    );
}

/// The same for `0.3.0-rc-2025-09-16` (`p3-core/wit-rc-2025-09-16`, as wasmtime-wasi 38 ships
/// it): renamed to 0.3.0 or to `0.3.0-rc-2026-01-06` where it has their shape
/// (`run::RENAMED_TO`), its `wall-clock`, filesystem and imported `wasi:http/handler` (its way
/// to send a request) served under their own names; its unstable `timezone`, which no version
/// served here has, is refused as a release candidate.
#[test]
fn every_function_of_rc_2025_09_16_links() {
    let kept = [
        wasi_bridge::p3::rc_2025_09_16::INTERFACES,
        wasi_bridge::p3::rc_2025_09_16::http::INTERFACES,
    ];
    every_function_links(
        "wit-rc-2025-09-16",
        "0.3.0-rc-2025-09-16",
        &kept.concat(),
        &["wasi:clocks/timezone"],
        true,
    );
}

/// For every interface of the candidate WIT in `p3-core/DIR`: a component importing it, its
/// names renamed as `run` renames them, links on the library's p3 and wasi:http linker and
/// passes the import check (wasi:http's: with wasi:http linked, as 0.3.0's) — but `refused`,
/// refused as a release candidate —; the names that stay the candidate's are exactly `kept`.
/// An imported `wasi:http/handler` is served where the candidate sends requests through one
/// (`handler_import`), not linked otherwise (as at 0.3.0).
fn every_function_links(
    dir: &str,
    version: &str,
    kept: &[&str],
    refused: &[&str],
    handler_import: bool,
) {
    use crate::interfaces::{HttpHost, importer, interface_names};
    use wasmtime::component::{Component, Linker};
    use wit_parser::{LiftLowerAbi, ManglingAndAbi};
    let engine = wasi_bridge::run::engine().unwrap();
    let mut linker = Linker::<HttpHost>::new(&engine);
    wasi_bridge::p3::add_to_linker(&mut linker).unwrap();
    wasi_bridge::http::p3::add_to_linker(&mut linker).unwrap();
    let mut resolve = wit_parser::Resolve::default();
    let dir = format!("{}/p3-core/{dir}", env!("CARGO_MANIFEST_DIR"));
    resolve.push_dir(&dir).expect("vendored WIT parses");
    let (resolve, names) = interface_names(resolve);
    assert!(names.len() >= 20, "{names:?}");
    let mut veneered = Vec::new();
    for name in &names {
        assert!(name.ends_with(&format!("@{version}")), "{name}");
        if name.starts_with("wasi:cli/run@") {
            continue; // a guest's export
        }
        let abi = ManglingAndAbi::Legacy(LiftLowerAbi::AsyncCallback);
        let bytes = importer(&resolve, name, abi);
        let bytes = wasi_bridge::run::final_names(&bytes).unwrap_or(bytes);
        let component = Component::new(&engine, &bytes).unwrap();
        let linked = linker.instantiate_pre(&component);
        let checked = wasi_bridge::run::check_imports(&engine, &component);
        let iface = name.split_once('@').unwrap().0;
        if name.starts_with("wasi:http/handler@") && !handler_import {
            // An import only a middleware makes; not served at 0.3.0 either.
            assert!(linked.is_err(), "{name}");
            continue;
        }
        if refused.contains(&iface) {
            assert!(linked.is_err(), "{name}");
            assert!(
                matches!(
                    checked,
                    Err(wasi_bridge::run::ImportProblem::ReleaseCandidate(_))
                ),
                "{name}: {checked:?}"
            );
            continue;
        }
        assert!(linked.is_ok(), "{name}: {:?}", linked.err());
        if name.starts_with("wasi:http/") {
            // Served with wasi:http (`-S http`, `serve`), as wasi:http@0.3.0 is.
            assert!(
                matches!(
                    checked,
                    Err(wasi_bridge::run::ImportProblem::Unsupported(_))
                ),
                "{name}: {checked:?}"
            );
        } else {
            assert!(checked.is_ok(), "{name}: {checked:?}");
        }
        let imports = component.component_type();
        if imports.imports(&engine).any(|(i, _)| i == name.as_str()) {
            veneered.push(iface.to_string());
        }
    }
    // The interfaces that kept the candidate's name are exactly those its veneer serves.
    veneered.sort();
    let mut listed: Vec<String> = kept.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(veneered, listed);
}

/// Guests built with `wit-bindgen c` against `0.3.0-rc-2026-01-06` — `p3-fs` and `p3-sockets`
/// compiled for the candidate's enums and `async func`s (`tests/guests/p3-*-rc-2026-01-06`) —
/// and `p3-fs` against `0.3.0-rc-2025-09-16` (`tests/guests/p3-fs-rc-2025-09-16`) run as their
/// 0.3.0 twins: the same stdout and status (file work under a preopen, with the
/// same tree left behind; a read-only preopen's error codes; TCP against an echo peer and its
/// own listener, UDP, name lookup, every option, bad input's error codes).
#[test]
fn guests_of_rc_2026_01_06_run_as_their_0_3_0_twin() {
    use crate::common::peers::{TcpEcho, UdpEcho, closed_port};
    let files = |program: &str, mode: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("existing.txt"), "there before\n").unwrap();
        let preopen = if mode.is_empty() {
            format!("{}::/", dir.path().display())
        } else {
            format!("{}::/::ro", dir.path().display())
        };
        let mut line = vec!["run", "--dir", &preopen];
        let path = guest(program);
        line.push(&path);
        line.extend_from_slice(mode);
        let o = run(&line, b"");
        let mut tree = walk(dir.path());
        tree.sort();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stdout).into_owned(),
            tree,
        )
    };
    for mode in [&[][..], &["readonly"][..]] {
        let twin = files("p3-fs.wasm", mode);
        assert_eq!(twin.0, Some(0), "{mode:?} {twin:?}");
        assert!(twin.1.lines().count() > 10, "{mode:?} {twin:?}");
        assert_eq!(files("p3-fs-rc-2026-01-06.wasm", mode), twin, "{mode:?}");
        assert_eq!(files("p3-fs-rc-2025-09-16.wasm", mode), twin, "{mode:?}");
    }
    let tcp = TcpEcho::start();
    let udp = UdpEcho::start();
    let closed = closed_port();
    // Each mode, and a line its output must have.
    let modes: [(&[&str], &str); 6] = [
        (&["echo", &tcp.addr], "300000 bytes echoed intact: yes"),
        (&["self", "10"], "echoes matching their client: 10/10"),
        (&["udp", &udp.addr], "from the peer: yes"),
        (&["lookup"], "resolve 127.0.0.1: 127.0.0.1"),
        (&["options"], "family is ipv6: no"),
        (
            &["errors", &closed],
            "connect to a closed port: connection-refused",
        ),
    ];
    for (mode, expected) in modes {
        let sockets = |program: &str| {
            let path = guest(program);
            let mut line = vec!["run", "-S", "inherit-network", "-S", "allow-ip-name-lookup"];
            line.push(path.as_str());
            line.extend_from_slice(mode);
            let o = run(&line, b"");
            (
                o.status.code(),
                String::from_utf8_lossy(&o.stdout).into_owned(),
            )
        };
        let twin = sockets("p3-sockets.wasm");
        assert_eq!(twin.0, Some(0), "{mode:?} {twin:?}");
        assert!(twin.1.lines().any(|l| l == expected), "{mode:?} {twin:?}");
        assert_eq!(sockets("p3-sockets-rc-2026-01-06.wasm"), twin, "{mode:?}");
    }
}

/// The vendored WIT of the 2023 candidates: `0.2.0-rc-2023-11-10` (wasmtime-wasi 15.0.0) and
/// `-12-05` (wasmtime-wasi 16.0.0: its wasi:cli and wasi:http, the rest is `-11-10`'s).
fn candidate_2023_wit(rc: &str) -> wit_parser::Resolve {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut resolve = wit_parser::Resolve::default();
    let order = [
        "io",
        "clocks",
        "random",
        "filesystem",
        "sockets",
        "cli",
        "http",
    ];
    for package in order {
        let own = format!("{root}/wit/p2-{rc}/deps/{package}");
        let dir = if std::path::Path::new(&own).is_dir() {
            own
        } else {
            format!("{root}/wit/p2-rc-2023-11-10/deps/{package}")
        };
        resolve.push_dir(&dir).expect("vendored WIT parses");
    }
    resolve
}

/// Every function of the 2023 candidates links after `run::final_names`: for every interface
/// of their WIT, a component importing all of it (every function, `ipv6-only` included) is
/// renamed and instantiates against the p2 and wasi:http linker exactly where the interface
/// is served — but `-11-10`'s wasi:http, whose shape differs (`run::KEPT_NAMES`), keeps
/// its name and is refused as a release candidate.
#[test]
fn every_function_of_the_2023_candidates_links_once_renamed() {
    use crate::interfaces::{HttpHost, importer, interface_names};
    use wasmtime::component::{Component, Linker};
    let engine = wasi_bridge::run::engine().unwrap();
    let mut linker = Linker::<HttpHost>::new(&engine);
    wasi_bridge::p2::add_to_linker_async(&mut linker).unwrap();
    wasi_bridge::http::p2::add_only_http_to_linker_async(&mut linker).unwrap();
    let served = [
        wasi_bridge::run::SUPPORTED_P2,
        wasi_bridge::http::p2::INTERFACES,
    ]
    .concat();
    for rc in ["rc-2023-11-10", "rc-2023-12-05"] {
        let (resolve, names) = interface_names(candidate_2023_wit(rc));
        assert!(names.len() > 25, "{names:?}");
        for name in &names {
            let (iface, version) = name.split_once('@').unwrap();
            let bytes = importer(&resolve, name, wit_parser::ManglingAndAbi::Standard32);
            let renamed = wasi_bridge::run::final_names(&bytes).expect("a candidate");
            let component = Component::new(&engine, &renamed).unwrap();
            let refused = version == "0.2.0-rc-2023-11-10" && iface.starts_with("wasi:http/");
            let expected = served.contains(&iface) && !refused;
            let linked = linker.instantiate_pre(&component);
            assert_eq!(linked.is_ok(), expected, "{name}: {:?}", linked.err());
            if refused {
                let problem = wasi_bridge::run::check_imports(&engine, &component).unwrap_err();
                assert!(
                    matches!(
                        problem,
                        wasi_bridge::run::ImportProblem::ReleaseCandidate(_)
                    ),
                    "{name}: {problem}"
                );
            }
        }
    }
}

/// Guests as the 2023 candidates' toolchains made them — our p1 programs wrapped with the
/// preview1 adapters of cargo-component 0.5 (`-11-10`) and 0.6 (`-12-05`) — run as their twin
/// wrapped with wasmtime 48's adapter: the same stdout, stderr and status (arguments,
/// environment, stdin; file work under a preopen, with the same tree left behind).
#[test]
fn guests_of_the_2023_release_candidates_run_as_their_0_2_twin() {
    let hello = |program: &str| {
        let path = guest(program);
        let o = run(
            &["run", "--env", "GREETING=hi", &path, "a", "b c"],
            b"from stdin\n",
        );
        let stdout = String::from_utf8_lossy(&o.stdout).replace(program, "PROGRAM");
        (o.status.code(), stdout, o.stderr)
    };
    let files = |program: &str| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("input.txt"), "input file\n").unwrap();
        let preopen = format!("{}::/data", dir.path().display());
        let o = run(
            &["run", "--dir", &preopen, &guest(program), "/data", "work"],
            b"",
        );
        let mut tree: Vec<String> = walk(dir.path());
        tree.sort();
        (o.status.code(), o.stdout, o.stderr, tree)
    };
    let twin = (
        hello("hello.p1-component.wasm"),
        files("files.p1-component.wasm"),
    );
    assert_eq!(twin.0.0, Some(0));
    assert!(
        twin.0.1.contains("argv[2]=b c\nGREETING=hi\nfrom stdin\n"),
        "{}",
        twin.0.1
    );
    assert_eq!(twin.1.0, Some(0));
    assert!(twin.1.3.len() > 3, "{:?}", twin.1.3);
    for rc in ["rc-2023-11-10", "rc-2023-12-05"] {
        let program = format!("hello.{rc}.wasm");
        assert_eq!(hello(&program), twin.0, "{program}");
        let program = format!("files.{rc}.wasm");
        assert_eq!(files(&program), twin.1, "{program}");
    }
}

/// What a tree holds: each path under `root` with its kind and, for a file, its bytes.
fn walk(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_symlink() {
                out.push(format!(
                    "{name} -> {}",
                    std::fs::read_link(&path).unwrap().display()
                ));
            } else if meta.is_dir() {
                out.push(format!("{name}/"));
                dirs.push(path);
            } else {
                out.push(format!("{name} = {:?}", std::fs::read(&path).unwrap()));
            }
        }
    }
    out
}

/// `ipv6-only` and `set-ipv6-only`, which 0.2.0 dropped, answered from the core for a guest
/// built with `wit-bindgen c` against the `-11-10` WIT (`tests/guests/p2-rc-sockets`): IPv6
/// sockets are IPv6-only (the core never opens a dual-stack one, so asking for one is
/// `not-supported`, which the candidate allows), IPv4 sockets have no such option.
#[test]
fn the_2023_candidates_ipv6_only_is_answered_by_the_core() {
    let o = run(
        &["run", "-S", "inherit-network", &guest("p2-rc-sockets.wasm")],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    let v4 = "  ipv6-only: not-supported\n  set-ipv6-only true: not-supported\n  \
              set-ipv6-only false: not-supported\n";
    let v6 = "  ipv6-only: true\n  set-ipv6-only true: ok\n  set-ipv6-only false: not-supported\n";
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("tcp ipv4\n{v4}tcp ipv6\n{v6}udp ipv4\n{v4}udp ipv6\n{v6}")
    );
}

/// A component of the mid-2025 encoding (`[async]`-named functions, made by the toolchains of
/// the WASI 0.3 release candidates before wit-bindgen 0.48; `tests/guests/wat/async-names.wat`),
/// which wasmtime 48 cannot read, is refused by `run` and `serve` in one line that says which
/// toolchains made it and what to rebuild it with.
#[test]
fn a_component_of_the_mid_2025_async_encoding_is_told_what_to_rebuild_with() {
    let program = guest("async-names.wasm");
    for args in [
        vec!["run", program.as_str()],
        vec!["serve", "--addr", "127.0.0.1:0", program.as_str()],
    ] {
        let o = run(&args, b"");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        for said in [
            "async-names.wasm",
            "`[async]",
            "wit-bindgen before 0.48",
            "rebuild it against WASI 0.3.0",
        ] {
            assert!(err.contains(said), "{args:?}: {err}");
        }
    }
}
