//! `wasmtime run` command lines with the word `wasmtime` replaced: every `-S` and `-W` option
//! of wasmtime 48 (as listed by wasmtime's own parser) is honoured with an observable effect,
//! accepted, or refused with one line; the table in `docs/cli.md` lists exactly those options.

use crate::binary::{self, guest};
use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn bridge(args: &[String], stdin: &[u8]) -> Output {
    let mut command = binary::command(&[]);
    command.args(args).env("GREETING", "inherited");
    binary::output(command, stdin)
}

/// The option names `wasi-bridge -S help` / `-W help` print (wasmtime-cli-flags' own list).
fn help_names(group: &str) -> BTreeSet<String> {
    let o = bridge(&[group.to_string(), "help".to_string()], b"");
    assert_eq!(o.status.code(), Some(0));
    let prefix = format!("  {group} ");
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|rest| {
            let name = rest.trim_start();
            let end = name.find(['[', '=', ' ']).unwrap_or(name.len());
            name[..end].to_string()
        })
        .collect()
}

/// `(group, name, what wasi-bridge does)` from the option table in `docs/cli.md`.
fn table_rows() -> Vec<(String, String, String)> {
    let doc = std::fs::read_to_string(format!("{}/docs/cli.md", env!("CARGO_MANIFEST_DIR")))
        .expect("docs/cli.md");
    doc.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("| `")?;
            let (opt, rest) = rest.split_once("` | ")?;
            let (group, name) = opt.split_once(' ')?;
            if group != "-S" && group != "-W" {
                return None;
            }
            let status = rest.split(" |").next()?.to_string();
            Some((group.to_string(), name.to_string(), status))
        })
        .collect()
}

#[test]
fn the_option_table_lists_every_option_of_wasmtime_48_once() {
    let rows = table_rows();
    for group in ["-S", "-W"] {
        let in_table: Vec<_> = rows
            .iter()
            .filter(|(g, _, _)| g == group)
            .map(|(_, n, _)| n.clone())
            .collect();
        let unique: BTreeSet<_> = in_table.iter().cloned().collect();
        assert_eq!(unique.len(), in_table.len(), "{group}: a row is repeated");
        assert_eq!(
            unique,
            help_names(group),
            "the {group} rows of docs/cli.md and `wasi-bridge {group} help` differ"
        );
    }
    for (group, name, status) in rows {
        assert!(
            ["honoured", "no-op", "refused"]
                .iter()
                .any(|s| status.starts_with(s)),
            "{group} {name}: `{status}` is not honoured / no-op / refused"
        );
    }
}

/// What a command line must do.
#[derive(Clone, Copy)]
enum Expect {
    /// Exit 0 with this on stdout.
    Stdout(&'static str),
    /// Exit 0 without this on stdout (an output turned off).
    NotOnStdout(&'static str),
    /// Exit 0 with this on stderr (a warning).
    Warns(&'static str),
    /// Refused: one line on stderr containing this, exit status 2.
    Refused(&'static str),
    /// The run fails with this status and this on stderr.
    Fails(i32, &'static str),
}

struct Case {
    /// The option this case covers.
    option: &'static str,
    args: Vec<String>,
    stdin: &'static [u8],
    expect: Expect,
}

fn case(option: &'static str, args: &[&str], expect: Expect) -> Case {
    Case {
        option,
        args: args
            .iter()
            .map(|a| match a.strip_prefix('@') {
                Some(g) => guest(g),
                None => a.to_string(),
            })
            .collect(),
        stdin: b"",
        expect,
    }
}

fn cases() -> Vec<Case> {
    use Expect::*;
    let hello = Stdout("hello from p2\n");
    let gc = Refused("support for gc was disabled");
    let mut v = vec![
        // ---- -S ----
        case("cli", &["-Scli", "@p2-cli.wasm", "hello"], hello),
        case(
            "cli",
            &["-Scli=n", "@p2-cli.wasm", "hello"],
            Refused("always links WASI"),
        ),
        case(
            "cli-exit-with-code",
            &["-Scli-exit-with-code", "@p2-cli.wasm", "exit-code", "3"],
            Fails(3, ""),
        ),
        case(
            "cli-exit-with-code",
            &["-Scli-exit-with-code=n", "@p2-cli.wasm", "hello"],
            Warns("cannot disable `-Scli-exit-with-code`"),
        ),
        case("common", &["-Scommon", "@p2-cli.wasm", "hello"], hello),
        case(
            "common",
            &["-Scommon,cli", "@p2-cli.wasm", "hello"],
            Refused("deprecated alias"),
        ),
        case("nn", &["-Snn", "@p2-cli.wasm", "hello"], Refused("wasi-nn")),
        case(
            "nn-graph",
            &["-Snn-graph=openvino::/tmp", "@p2-cli.wasm", "hello"],
            Refused("wasi-nn"),
        ),
        case(
            "threads",
            &["-Sthreads", "@p2-cli.wasm", "hello"],
            Refused("wasi-threads has been removed"),
        ),
        case("http", &["-Shttp", "@p2-cli.wasm", "hello"], hello),
        case(
            "http-outgoing-body-buffer-chunks",
            &[
                "-Shttp-outgoing-body-buffer-chunks=2",
                "@p2-cli.wasm",
                "hello",
            ],
            Warns("is ignored: wasi-bridge buffers a p2 outgoing body"),
        ),
        case(
            "http-outgoing-body-chunk-size",
            &[
                "-Shttp-outgoing-body-chunk-size=64",
                "@p2-cli.wasm",
                "hello",
            ],
            Warns("is ignored: wasi-bridge buffers a p2 outgoing body"),
        ),
        case(
            "max-http-fields-size",
            &[
                "-Smax-http-fields-size=64",
                "-Shttp",
                "@p2-cli.wasm",
                "hello",
            ],
            hello,
        ),
        case(
            "config",
            &[
                "-Sconfig",
                "-Sconfig-var=greeting=hi",
                "-Skeyvalue",
                "@extras.wasm",
            ],
            Stdout("config greeting: hi\nconfig missing: none\n"),
        ),
        case(
            "config",
            &["@extras.wasm"],
            Refused("linked with -S config / -S keyvalue"),
        ),
        case(
            "config",
            &["-Sconfig", "@hello.p1.wasm"],
            Refused("Cannot enable wasi-config for core wasm modules"),
        ),
        case(
            "config-var",
            &[
                "-Sconfig,keyvalue",
                "-Sconfig-var=missing=here",
                "@extras.wasm",
            ],
            Stdout("config missing: here\n"),
        ),
        case(
            "keyvalue",
            &["-Sconfig,keyvalue", "@extras.wasm"],
            Stdout("keyvalue k: none\nkeyvalue set n: exists\n"),
        ),
        case(
            "keyvalue-in-memory-data",
            &[
                "-Sconfig,keyvalue",
                "-Skeyvalue-in-memory-data=k=v1",
                "@extras.wasm",
            ],
            Stdout("keyvalue k: v1\n"),
        ),
        case(
            "listenfd",
            &["-Slistenfd", "@p2-cli.wasm"],
            Refused("components do not support --listenfd"),
        ),
        // With no inherited listeners, a module runs as usual (see `listenfd_...` below).
        case(
            "listenfd",
            &["-Slistenfd", "@hello.p1.wasm"],
            Stdout("hello from wasip1\n"),
        ),
        case(
            "tcplisten",
            &["-Stcplisten=127.0.0.1:0", "@p2-cli.wasm"],
            Refused("components do not support --tcplisten"),
        ),
        case(
            "tcplisten",
            &["-Stcplisten=256.0.0.1:1", "@server.p1.wasm"],
            Refused("-S tcplisten=256.0.0.1:1: cannot listen there"),
        ),
        case("tls", &["-Stls", "@p2-cli.wasm"], Refused("wasi-tls")),
        case(
            "preview2",
            &["-Spreview2", "@hello.p1.wasm"],
            Stdout("hello from wasip1\n"),
        ),
        case(
            "preview2",
            &["-Spreview2=n", "@hello.p1.wasm"],
            Refused("the `-Spreview2=n` flag is no longer supported"),
        ),
        case(
            "inherit-network",
            &["-Sinherit-network", "@p2-sockets.wasm", "denied"],
            Stdout("create tcp: ok\ntcp bind: ok\n"),
        ),
        case(
            "allow-ip-name-lookup",
            &[
                "-Sinherit-network,allow-ip-name-lookup",
                "@p2-sockets.wasm",
                "lookup",
            ],
            Stdout("localhost resolves to 127.x: yes"),
        ),
        case(
            "tcp",
            &["-Stcp", "@p2-sockets.wasm", "denied"],
            Stdout("create tcp: ok\ntcp bind: access-denied\n"),
        ),
        case(
            "udp",
            &["-Sudp", "@p2-sockets.wasm", "denied"],
            Stdout("create tcp: access-denied\ncreate udp: ok\nudp bind: access-denied\n"),
        ),
        case(
            "network-error-code",
            &["-Snetwork-error-code", "@p2-sockets.wasm", "denied"],
            Stdout("create tcp: access-denied\n"),
        ),
        case(
            "preview0",
            &["-Spreview0=n", "@p2-cli.wasm", "hello"],
            hello,
        ),
        // Components ignore it, as wasmtime does; core modules get `wasi_unstable` unless
        // `-Spreview0=n`.
        case("preview0", &["-Spreview0", "@p2-cli.wasm", "hello"], hello),
        case(
            "preview0",
            &["-Spreview0=n", "@hello.p0.wasm"],
            Refused("-S preview0=n turned that off"),
        ),
        case(
            "preview0",
            &["@hello.p0.wasm"],
            Stdout("hello from wasi_unstable\npoll clock: ok\nopen: bad\n"),
        ),
        case(
            "inherit-env",
            &["-Sinherit-env", "@hello.p1.wasm"],
            Stdout("GREETING=inherited\n"),
        ),
        case(
            "inherit-env",
            &["@hello.p1.wasm"],
            Stdout("GREETING=(unset)\n"),
        ),
        case(
            "inherit-stdout",
            &["-Sinherit-stdout=n", "@p2-cli.wasm", "hello"],
            NotOnStdout("hello"),
        ),
        case(
            "inherit-stderr",
            &["-Sinherit-stderr=n", "@hello.p1.wasm"],
            Stdout("hello from wasip1\n"),
        ),
        case(
            "cwd",
            &["-Scwd=/work", "@p2-cli.wasm", "env"],
            Stdout("cwd: /work\n"),
        ),
        case(
            "p3",
            &["-Sp3", "@mixed.wasm"],
            Stdout("entered through run@0.3.0\n"),
        ),
        case(
            "p3",
            &["-Sp3=n", "@mixed.wasm"],
            Refused("it imports wasi:cli/types@0.3.0, and -S p3=n turns WASIp3 off"),
        ),
        case(
            "p3",
            &["-Sp3=n", "@p2-cli.wasm", "hello"],
            Stdout("hello from p2\n"),
        ),
        case(
            "p3",
            &["-Sp3=n", "@p3-cli.wasm"],
            Refused("-S p3=n turns WASIp3 off"),
        ),
        case(
            "max-resources",
            &["-Smax-resources=10", "@p2-cli.wasm", "poll", "1000"],
            Fails(1, "resource table has no free keys"),
        ),
        case(
            "hostcall-fuel",
            &["-Shostcall-fuel=1", "@p2-cli.wasm", "env"],
            Fails(1, "fuel allocated for hostcalls has been exhausted"),
        ),
        case(
            "max-component-handles",
            &["-Smax-component-handles=2", "@p3-cli.wasm", "env"],
            Fails(1, "store handle limit exceeded"),
        ),
        case(
            "max-random-size",
            &["-Smax-random-size=10", "@p2-cli.wasm", "env"],
            Fails(1, "requested len 64 exceeds limit 10"),
        ),
        // ---- -W ----
        case(
            "fuel",
            &["-Wfuel=1000", "--invoke", "count(100000)", "@reactor.wasm"],
            Fails(134, "all fuel consumed by WebAssembly"),
        ),
        case(
            "fuel",
            &["-Wfuel=100000", "--invoke", "count(100)", "@reactor.wasm"],
            Stdout("0\n"),
        ),
        case(
            "max-memory-size",
            &[
                "-Wmax-memory-size=131072",
                "--invoke",
                "grow(2)",
                "@reactor.wasm",
            ],
            Stdout("-1\n"),
        ),
        case(
            "max-memory-size",
            &[
                "-Wmax-memory-size=131072",
                "--invoke",
                "grow(1)",
                "@reactor.wasm",
            ],
            Stdout("1\n"),
        ),
        case(
            "trap-on-grow-failure",
            &[
                "-Wmax-memory-size=131072,trap-on-grow-failure",
                "--invoke",
                "grow(2)",
                "@reactor.wasm",
            ],
            Fails(1, "forcing trap when growing memory"),
        ),
        case(
            "max-instances",
            &["-Wmax-instances=1", "@p2-cli.wasm", "hello"],
            Fails(1, "instance count too high"),
        ),
        case(
            "max-memories",
            &["-Wmax-memories=0", "@p2-cli.wasm", "hello"],
            Fails(1, "memory count too high"),
        ),
        case(
            "max-tables",
            &["-Wmax-tables=0", "@p2-cli.wasm", "hello"],
            Fails(1, "table count too high"),
        ),
        case(
            "max-table-elements",
            &["-Wmax-table-elements=0", "@p2-cli.wasm", "hello"],
            Fails(1, "exceeds table limits"),
        ),
        case(
            "timeout",
            &["-Wtimeout=100ms", "--invoke", "spin()", "@reactor.wasm"],
            Fails(134, "wasm trap: interrupt"),
        ),
        case(
            "epoch-interruption",
            &["-Wepoch-interruption", "@p2-cli.wasm", "hello"],
            Fails(134, "wasm trap: interrupt"),
        ),
        case(
            "unknown-imports-trap",
            &[
                "-Wunknown-imports-trap",
                "--invoke",
                "ok()",
                "@unknown-import.wasm",
            ],
            Stdout("1\n"),
        ),
        case(
            "unknown-imports-trap",
            &[
                "-Wunknown-imports-trap",
                "--invoke",
                "call-missing()",
                "@unknown-import.wasm",
            ],
            Fails(
                1,
                "unknown import: `example:missing/api@0.1.0#ping` has not been defined",
            ),
        ),
        case(
            "unknown-imports-trap",
            &["--invoke", "ok()", "@unknown-import.wasm"],
            Refused("example:missing/api@0.1.0"),
        ),
        case(
            "unknown-exports-allow",
            &["-Wunknown-exports-allow", "@p2-cli.wasm"],
            Refused("--allow-unknown-exports not supported with components"),
        ),
        case(
            "unknown-exports-allow",
            &["-Wunknown-exports-allow", "@hello.p1.wasm"],
            Stdout("hello from wasip1\n"),
        ),
        case(
            "unknown-imports-default",
            &["-Wunknown-imports-default", "@p2-cli.wasm"],
            Refused("--default-values-unknown-imports"),
        ),
        case(
            "unknown-imports-default",
            &["-Wunknown-imports-default", "@unknown-import.p1.wasm"],
            Stdout("answer: zero\n"),
        ),
        case(
            "unknown-imports-trap",
            &["-Wunknown-imports-trap", "@unknown-import.p1.wasm"],
            Fails(1, "unknown import: `env::answer` has not been defined"),
        ),
        case(
            "unknown-imports-trap",
            &["@unknown-import.p1.wasm"],
            Refused("env::answer"),
        ),
        case(
            "component-model",
            &["-Wcomponent-model=n", "@p2-cli.wasm"],
            Refused("cannot execute a component without `--wasm component-model`"),
        ),
        case(
            "component-model",
            &["-Wcomponent-model=n", "@hello.p1.wasm"],
            Stdout("hello from wasip1\n"),
        ),
        case(
            "component-model-async",
            &["-Wcomponent-model-async", "@p3-cli.wasm", "exit-code", "5"],
            Fails(5, ""),
        ),
        case(
            "component-model-async",
            &["-Wcomponent-model-async=n", "@p3-cli.wasm"],
            Refused("requires the component model async feature"),
        ),
        case(
            "wmemcheck",
            &["-Wwmemcheck", "@p2-cli.wasm"],
            Refused("wmemcheck"),
        ),
        case(
            "threads",
            &["-Wthreads", "@p2-cli.wasm"],
            Refused("support for threads was disabled"),
        ),
        case(
            "stack-switching",
            &["-Wstack-switching", "@p2-cli.wasm"],
            Refused("support for stack-switching was disabled"),
        ),
        case(
            "component-model-gc",
            &["-Wcomponent-model-gc", "@p2-cli.wasm"],
            Refused("component-model-gc"),
        ),
        case(
            "gc-support",
            &["-Wgc-support", "@p2-cli.wasm"],
            Refused("support for GC was disabled"),
        ),
        case(
            "max-wasm-stack",
            &["-Wmax-wasm-stack=1000000", "@p2-cli.wasm", "hello"],
            hello,
        ),
        case(
            "async-stack-size",
            &["-Wasync-stack-size=4194304", "@p2-cli.wasm", "hello"],
            hello,
        ),
        case(
            "async-stack-size",
            &["-Wasync-stack-size=1024", "@p2-cli.wasm", "hello"],
            Refused("max_wasm_stack size cannot exceed the async_stack_size"),
        ),
    ];
    for gc_option in ["gc", "reference-types", "function-references", "exceptions"] {
        v.push(case(
            gc_option,
            &[&format!("-W{gc_option}"), "@p2-cli.wasm"],
            gc,
        ));
    }
    // Engine settings whose effect is the engine's own (proposals this build compiles in):
    // the program runs with each one given.
    for engine in [
        "nan-canonicalization",
        "async-stack-zeroing",
        "all-proposals",
        "bulk-memory",
        "multi-memory",
        "multi-value",
        "simd",
        "relaxed-simd",
        "relaxed-simd-deterministic",
        "tail-call",
        "shared-memory",
        "shared-everything-threads",
        "memory64",
        "component-model-more-async-builtins",
        "component-model-async-stackful",
        "component-model-threading",
        "component-model-error-context",
        "component-model-map",
        "component-model-memory64",
        "custom-page-sizes",
        "wide-arithmetic",
        "branch-hinting",
        "extended-const",
        "component-model-fixed-length-lists",
        "component-model-implements",
        "concurrency-support",
    ] {
        let name = engine.split('=').next().unwrap();
        v.push(Case {
            option: Box::leak(name.to_string().into_boxed_str()),
            args: vec![format!("-W{engine}"), guest("p2-cli.wasm"), "hello".into()],
            stdin: b"",
            expect: Expect::Stdout("hello from p2\n"),
        });
    }
    v.push(Case {
        option: "inherit-stdin",
        args: vec!["-Sinherit-stdin=n".into(), guest("hello.p1.wasm")],
        stdin: b"abc",
        expect: Expect::Stdout("stdin bytes: 0\n"),
    });
    v.push(Case {
        option: "inherit-stdin",
        args: vec![guest("hello.p1.wasm")],
        stdin: b"abc",
        expect: Expect::Stdout("abcstdin bytes: 3\n"),
    });
    v
}

#[test]
fn every_s_and_w_option_is_honoured_accepted_or_refused() {
    let cases = cases();
    let covered: BTreeSet<String> = cases.iter().map(|c| c.option.to_string()).collect();
    let mut all = help_names("-S");
    all.extend(help_names("-W"));
    let missing: Vec<_> = all.difference(&covered).collect();
    assert!(missing.is_empty(), "options without a case: {missing:?}");
    for c in &cases {
        let o = bridge(&c.args, c.stdin);
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        let what = format!(
            "{:?}: status {:?}\nstdout: {out}\nstderr: {err}",
            c.args, o.status
        );
        match c.expect {
            Expect::Stdout(s) => {
                assert_eq!(o.status.code(), Some(0), "{what}");
                assert!(out.contains(s), "{what}");
            }
            Expect::NotOnStdout(s) => {
                assert_eq!(o.status.code(), Some(0), "{what}");
                assert!(!out.contains(s), "{what}");
            }
            Expect::Warns(s) => {
                assert_eq!(o.status.code(), Some(0), "{what}");
                assert!(err.contains(s), "{what}");
            }
            Expect::Refused(s) => {
                assert_eq!(o.status.code(), Some(2), "{what}");
                assert!(err.contains(s), "{what}");
                assert_eq!(err.lines().count(), 1, "{what}");
                assert!(out.is_empty(), "{what}");
            }
            Expect::Fails(code, s) => {
                assert_eq!(o.status.code(), Some(code), "{what}");
                assert!(err.contains(s), "{what}");
            }
        }
    }
}

/// Command lines from wasmtime's documentation and common use, with the word replaced.
#[test]
fn wasmtime_command_lines_run_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("input.txt"), "input file\n").unwrap();
    let host = dir.path().display().to_string();
    for (args, stdout) in [
        (
            vec![guest("p2-cli.wasm"), "hello".into()],
            "hello from p2\n",
        ),
        (
            vec![
                "run".into(),
                "-Sp3".into(),
                "-Wcomponent-model-async".into(),
                guest("p3-cli.wasm"),
                "env".into(),
            ],
            "arg: env\n",
        ),
        (
            vec![
                "run".into(),
                "--dir".into(),
                format!("{host}::/"),
                "-Sinherit-env".into(),
                guest("files.p1.wasm"),
                "/".into(),
                "work".into(),
            ],
            "read: hello file\n",
        ),
        (
            vec!["--invoke".into(), "add(1, 2)".into(), guest("reactor.wasm")],
            "3\n",
        ),
        (
            vec![
                "run".into(),
                "--invoke".into(),
                "example:calc/ops.mul@0.1.0(6, 7)".into(),
                guest("reactor.wasm"),
            ],
            "42\n",
        ),
        (
            vec![
                "run".into(),
                "-O".into(),
                "opt-level=0".into(),
                "-C".into(),
                "cache=n".into(),
                "-D".into(),
                "debug-info".into(),
                "--wasm".into(),
                "max-wasm-stack=2000000".into(),
                "--wasi".into(),
                "inherit-env".into(),
                guest("hello.p1.wasm"),
            ],
            "GREETING=inherited\n",
        ),
        // The pooling allocator is compiled in, as in the `wasmtime` binary: `run` honours
        // `-O pooling-allocator` and its limits, for components and p1 modules alike.
        (
            vec![
                "run".into(),
                "-O".into(),
                "pooling-allocator=y,pooling-total-component-instances=4,pooling-total-memories=8"
                    .into(),
                "-Sp3".into(),
                guest("p3-cli.wasm"),
                "env".into(),
            ],
            "arg: env\n",
        ),
        (
            vec![
                "run".into(),
                "-Opooling-allocator".into(),
                "--wasi".into(),
                "inherit-env".into(),
                guest("hello.p1.wasm"),
            ],
            "GREETING=inherited\n",
        ),
    ] {
        let o = bridge(&args, b"");
        let out = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {o:?}");
        assert!(out.contains(stdout), "{args:?}: {out}");
    }
}

#[test]
fn a_toml_config_file_sets_options_like_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wasmtime.toml");
    std::fs::write(&config, "[wasm]\nfuel = 1000\n").unwrap();
    let o = bridge(
        &[
            "--config".into(),
            config.display().to_string(),
            "--invoke".into(),
            "count(100000)".into(),
            guest("reactor.wasm"),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(134), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("all fuel consumed"));
}

#[test]
fn invoke_results_and_errors_are_wasmtimes() {
    for (call, out) in [
        ("answer()", "42\n"),
        ("neg()", "-7\n"),
        ("add(40, 2)", "42\n"),
        ("mul(3, 3)", "9\n"),
        ("spin", ""),
    ] {
        let o = bridge(
            &["--invoke".into(), call.into(), guest("reactor.wasm")],
            b"",
        );
        if out.is_empty() {
            // not a WAVE call: one line, exit 2
            assert_eq!(o.status.code(), Some(2), "{call}: {o:?}");
            assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
        } else {
            assert_eq!(String::from_utf8_lossy(&o.stdout), out, "{call}: {o:?}");
        }
    }
    for call in ["add(1)", "nope()", "add(\"x\", 1)"] {
        let o = bridge(
            &["--invoke".into(), call.into(), guest("reactor.wasm")],
            b"",
        );
        assert_eq!(o.status.code(), Some(2), "{call}: {o:?}");
        assert_eq!(
            String::from_utf8_lossy(&o.stderr).lines().count(),
            1,
            "{call}: {o:?}"
        );
    }
}

#[test]
fn logging_shows_the_cores_events_with_either_variable() {
    for var in ["WASMTIME_LOG", "WASI_BRIDGE_LOG"] {
        let o = binary::command(&[])
            .args([
                "-Sinherit-network,allow-ip-name-lookup".to_string(),
                guest("p2-sockets.wasm"),
                "lookup".into(),
            ])
            .env(var, "p3_core=debug")
            .env_remove(if var == "WASMTIME_LOG" {
                "WASI_BRIDGE_LOG"
            } else {
                "WASMTIME_LOG"
            })
            .env("WASMTIME_LOG_NO_CONTEXT", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{var}: {o:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("WASI context built"), "{var}: {err}");
    }
    // -D logging=n: no subscriber, nothing logged.
    let o = binary::command(&[])
        .args([
            "-Dlogging=n".to_string(),
            "-Sinherit-network,allow-ip-name-lookup".into(),
            guest("p2-sockets.wasm"),
            "lookup".into(),
        ])
        .env("WASMTIME_LOG", "p3_core=debug")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&o.stderr).contains("WASI context built"));
}

/// A free loopback port (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Connects (retrying while the server starts), sends `msg`, returns the whole answer.
fn ask(port: u16, msg: &[u8]) -> Vec<u8> {
    use std::io::Read;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut s = loop {
        match std::net::TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => break s,
            Err(e) if std::time::Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("server on {port} never came up: {e}"),
        }
    };
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    s.write_all(msg).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    out
}

/// `-S tcplisten=ADDR` hands a WASIp1 module a listener at fd 3, served by `sock_accept`,
/// `sock_recv`, `sock_send` and `sock_shutdown` on wasi-bridge's p1.
#[test]
fn tcplisten_hands_a_p1_module_its_listener() {
    let port = free_port();
    let child = binary::command(&[])
        .args([
            format!("-Stcplisten=127.0.0.1:{port}"),
            guest("server.p1.wasm"),
            "2".into(),
        ])
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(ask(port, b"first"), b"echo: first");
    assert_eq!(ask(port, b"second"), b"echo: second");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "served 5 bytes\nserved 6 bytes\naccept on stdout: Not a socket\n\
         shutdown stdout: Not a socket\n"
    );
}

/// `-S listenfd`: listeners passed in systemd's way (LISTEN_FDS, fds from 3) reach the
/// module. A small Python parent opens the listener and execs wasi-bridge with it.
#[test]
fn listenfd_passes_inherited_listeners_to_a_p1_module() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("python3 not found: skipping the socket-activation test");
        return;
    }
    let port = free_port();
    let script = format!(
        "import os, socket\n\
         s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n\
         s.bind(('127.0.0.1', {port})); s.listen(8)\n\
         if s.fileno() != 3: os.dup2(s.fileno(), 3)\n\
         os.set_inheritable(3, True)\n\
         os.environ['LISTEN_FDS'] = '1'; os.environ['LISTEN_PID'] = str(os.getpid())\n\
         os.execv({bin:?}, [{bin:?}, '-Slistenfd', {wasm:?}, '1'])\n",
        bin = env!("CARGO_BIN_EXE_wasi-bridge"),
        wasm = guest("server.p1.wasm"),
    );
    let child = Command::new("python3")
        .args(["-c", &script])
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(ask(port, b"activated"), b"echo: activated");
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("served 9 bytes\n"));
}

#[test]
fn preload_links_a_core_module_under_its_name() {
    let o = bridge(
        &[
            "--preload".into(),
            format!("env={}", guest("answer.wasm")),
            guest("unknown-import.p1.wasm"),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    assert_eq!(String::from_utf8_lossy(&o.stdout), "answer: nonzero\n");
    let o = bridge(
        &[
            "--preload".into(),
            format!("env={}", guest("answer.wasm")),
            guest("p2-cli.wasm"),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("components cannot be loaded"));
}
