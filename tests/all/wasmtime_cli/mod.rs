//! `wasmtime run` command lines with the word `wasmtime` replaced: every `-S` and `-W` option
//! of wasmtime 48 (as listed by wasmtime's own parser) is honoured with an observable effect,
//! accepted, or refused with one line; the table in `docs/cli.md` lists exactly those options.

mod cases;

use crate::binary::{self, guest};
use crate::common::ports::free_port;
use cases::{Expect, cases};
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
