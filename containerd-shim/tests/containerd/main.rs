//! The shim under a real containerd: each test starts a containerd of its own (root, state and
//! socket under a temp dir, the shim on its `PATH`), imports an image built from a committed
//! guest and runs it with `ctr run --runtime io.containerd.wasi-bridge.v1`. The daemon is
//! stopped and its directories removed when the test ends, passed or failed.
//!
//! Needs root and Debian's `containerd`; elsewhere the tests are skipped, except under
//! `CI=true`, where that is a failure (`.ci/run` installs containerd).

mod cri;
mod daemon;
mod image;
#[path = "../../../tests/common/ports.rs"]
#[allow(dead_code)] // closed_port: the suite's
mod ports;

use daemon::Daemon;
use image::Image;
use ports::free_port;
use std::io::Read;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn guest(name: &str) -> Vec<u8> {
    let path = format!("{}/../tests/guests/wasm/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Builds and imports an image holding `wasm` as `/app.wasm` (its entrypoint).
fn import(daemon: &Daemon, name: &str, wasm: &str) -> String {
    let image = Image {
        name,
        files: vec![("app.wasm", guest(wasm))],
        artifact: None,
        entrypoint: vec!["/app.wasm"],
        env: vec!["FROM_IMAGE=yes"],
        executable: false,
    };
    import_image(daemon, &image, &[])
}

/// Writes `image`'s tar and imports it with `ctr images import OPTIONS`: its reference.
fn import_image(daemon: &Daemon, image: &Image, options: &[&str]) -> String {
    let tar = daemon.scratch("images").join(format!("{}.tar", image.name));
    image.write(&tar);
    daemon.import_with(options, &tar);
    image.reference()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The output's stdout, after checking the exit status; the daemon's log on a mismatch.
fn expect_status(daemon: &Daemon, out: &Output, status: i32) -> String {
    assert_eq!(
        out.status.code(),
        Some(status),
        "ctr run: stdout:\n{}\nstderr:\n{}\ncontainerd's log:\n{}",
        text(&out.stdout),
        text(&out.stderr),
        daemon.log()
    );
    text(&out.stdout)
}

#[test]
fn a_p2_command_gets_its_arguments_and_environment_and_its_exit_code_is_the_containers() {
    let Some(daemon) = Daemon::start("p2") else {
        return;
    };
    let image = import(&daemon, "p2-cli", "p2-cli.wasm");
    let out = daemon.run(
        &[
            "--env",
            "GREETING=hi",
            "--env",
            "WASI_BRIDGE_OPTIONS=-W max-memory-size=67108864",
        ],
        &image,
        "p2-env",
        &["/app.wasm", "env", "two words"],
    );
    let stdout = expect_status(&daemon, &out, 0);
    for line in [
        "arg: /app.wasm",
        "arg: env",
        "arg: two words",
        "env: GREETING=hi",
        "env: FROM_IMAGE=yes",
    ] {
        assert!(stdout.lines().any(|l| l == line), "{line:?} in:\n{stdout}");
    }
    // The shim's own settings are not the guest's.
    assert!(!stdout.contains("WASI_BRIDGE_OPTIONS"), "{stdout}");
    let out = daemon.run(&[], &image, "p2-exit", &["/app.wasm", "exit-code", "7"]);
    assert_eq!(expect_status(&daemon, &out, 7), "exiting with code\n");
    // With no arguments, the image's entrypoint runs (env mode, argv[0] only).
    let out = daemon.run(&[], &image, "p2-entry", &[]);
    let stdout = expect_status(&daemon, &out, 0);
    assert!(stdout.starts_with("arg: /app.wasm\nenv: "), "{stdout}");
}

#[test]
fn a_wasm_oci_artifact_runs_its_wasm_layer() {
    // Debian bookworm's containerd 1.6 cannot unpack a wasm artifact; `.ci/run` gives this
    // test a 1.7 (Debian trixie's).
    let Some(daemon) = Daemon::start_1_7("artifact") else {
        return;
    };
    let platform = ["--platform", "wasip2/wasm"];
    // The two layer types runwasi takes: a component's, and any wasm's.
    for (name, wasm, media_type) in [
        (
            "p2-artifact",
            "p2-cli.wasm",
            "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm",
        ),
        ("p1-artifact", "hello.p1.wasm", "application/wasm"),
    ] {
        let image = Image {
            name,
            files: vec![("app.wasm", guest(wasm))],
            artifact: Some(media_type),
            entrypoint: vec!["app.wasm"],
            env: vec!["FROM_IMAGE=yes"],
            executable: false,
        };
        let reference = import_image(&daemon, &image, &platform);
        if wasm == "p2-cli.wasm" {
            let options = [&platform[..], &["--env", "GREETING=hi"]].concat();
            let out = daemon.run(&options, &reference, name, &["app.wasm", "env"]);
            let stdout = expect_status(&daemon, &out, 0);
            for line in [
                "arg: app.wasm",
                "arg: env",
                "env: GREETING=hi",
                "env: FROM_IMAGE=yes",
            ] {
                assert!(stdout.lines().any(|l| l == line), "{line:?} in:\n{stdout}");
            }
            let args = ["app.wasm", "exit-code", "7"];
            let out = daemon.run(&platform, &reference, "p2-artifact-exit", &args);
            assert_eq!(expect_status(&daemon, &out, 7), "exiting with code\n");
        } else {
            let out = daemon.run(&platform, &reference, name, &[]);
            assert_eq!(
                expect_status(&daemon, &out, 0),
                "hello from wasip1\nargv[0]=app.wasm\nGREETING=(unset)\nstdin bytes: 0\n"
            );
        }
    }
}

#[test]
fn a_missing_or_non_wasm_program_is_refused_in_one_line() {
    let Some(daemon) = Daemon::start("refused") else {
        return;
    };
    let image = Image {
        name: "refused",
        files: vec![("notes.txt", b"not a program\n".to_vec())],
        artifact: None,
        entrypoint: vec!["/missing.wasm"],
        env: vec![],
        executable: false,
    };
    let reference = import_image(&daemon, &image, &[]);
    for (id, program, reason) in [
        (
            "missing",
            "/missing.wasm",
            "cannot read the program `/missing.wasm`",
        ),
        ("text", "/notes.txt", "/notes.txt"),
    ] {
        let out = daemon.run(&[], &reference, id, &[program]);
        expect_status(&daemon, &out, 2);
        let stderr = text(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("wasi-bridge: ") && stderr.contains(reason),
            "{stderr}"
        );
    }
}

#[test]
fn a_p1_module_runs_on_the_same_core() {
    let Some(daemon) = Daemon::start("p1") else {
        return;
    };
    let image = import(&daemon, "hello-p1", "hello.p1.wasm");
    let out = daemon.run(
        &["--env", "GREETING=from ctr"],
        &image,
        "p1",
        &["/app.wasm", "3"],
    );
    assert_eq!(
        expect_status(&daemon, &out, 3),
        "hello from wasip1\nargv[0]=/app.wasm\nargv[1]=3\nGREETING=from ctr\nstdin bytes: 0\n"
    );
    assert_eq!(text(&out.stderr), "a line on stderr\n");
}

#[test]
fn a_p3_component_runs_on_the_same_core() {
    let Some(daemon) = Daemon::start("p3") else {
        return;
    };
    let image = import(&daemon, "p3-cli", "p3-cli.wasm");
    let out = daemon.run(
        &["--env", "GREETING=p3"],
        &image,
        "p3",
        &["/app.wasm", "env"],
    );
    let stdout = expect_status(&daemon, &out, 0);
    for line in ["arg: /app.wasm", "arg: env", "env: GREETING=p3"] {
        assert!(stdout.lines().any(|l| l == line), "{line:?} in:\n{stdout}");
    }
    // The same guest built against WASI 0.3.2 prints the same (but its per-process seed).
    let newer = import(&daemon, "p3-cli-0.3.2", "p3-cli-0.3.2.wasm");
    let out = daemon.run(
        &["--env", "GREETING=p3"],
        &newer,
        "p3-0.3.2",
        &["/app.wasm", "env"],
    );
    let unseeded = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| !l.starts_with("seed: "))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        unseeded(&expect_status(&daemon, &out, 0)),
        unseeded(&stdout)
    );
    // A wasmtime 48.0.8 bug the guest reaches (GHSA-xrvr-8678-5wp8) ends that container with
    // status 1 and one error; the next container runs as before.
    let out = daemon.run(&[], &image, "p3-bug", &["/app.wasm", "cancel-wrong-end"]);
    assert_eq!(expect_status(&daemon, &out, 1), "read: blocked\n");
    // GHSA-5gh2-8r5m-vwxm as reconstructed (tests/guests/wat/subtask-reuse.wat): a subtask
    // handle outlives its cancelled task; wasmtime 48.0.8 ends that container with status 1,
    // a fixed runtime with 0. Either way the next container runs.
    let reuse = import(&daemon, "subtask-reuse", "subtask-reuse.wasm");
    let out = daemon.run(&[], &reuse, "p3-reuse", &["/app.wasm"]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{:?}: {}\n{}",
        out.status,
        text(&out.stderr),
        daemon.log()
    );
    let out = daemon.run(&[], &image, "p3-exit", &["/app.wasm", "exit-code", "42"]);
    assert_eq!(expect_status(&daemon, &out, 42), "exiting with code\n");
}

/// GHSA-xrvr-8678-5wp8 in a pod's HTTP component: the request that reaches the runtime bug
/// gets a 500, the container serves the next request and stops with status 0.
#[test]
fn a_runtime_bug_one_request_reaches_fails_that_request_only() {
    let Some(daemon) = Daemon::start("http-bug") else {
        return;
    };
    let image = import(&daemon, "p3-http-bug", "p3-http.wasm");
    let port = free_port();
    let ctr = serve(&daemon, &image, "http-bug", port);
    let (status, _) = get(port, "/cancel-wrong-end");
    assert_eq!(status, "500");
    let (status, body) = get(port, "/hello");
    assert_eq!(
        (status.as_str(), body.as_str()),
        ("200", "Hello, wasi:http/proxy world!\n")
    );
    daemon.stop_task("http-bug");
    let (code, _, stderr) = finish(ctr, Duration::from_secs(30));
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    assert!(
        stderr.contains("write state is already dropped") || stderr.contains("passed read end"),
        "{stderr}"
    );
}

#[test]
fn mounts_are_read_and_written_and_read_only_ones_refuse_writes() {
    let Some(daemon) = Daemon::start("mounts") else {
        return;
    };
    let image = import(&daemon, "mounts", "mounts.p1.wasm");
    let input = daemon.scratch("input");
    let output = daemon.scratch("output");
    std::fs::write(input.join("in.txt"), "from the host\n").unwrap();
    let ro = format!("type=bind,src={},dst=/in,options=rbind:ro", input.display());
    let rw = format!(
        "type=bind,src={},dst=/out,options=rbind:rw",
        output.display()
    );
    let mounts = ["--mount", ro.as_str(), "--mount", rw.as_str()];

    let out = daemon.run(
        &mounts,
        &image,
        "read",
        &["/app.wasm", "read", "/in/in.txt"],
    );
    assert_eq!(expect_status(&daemon, &out, 0), "from the host\n");

    let args = ["/app.wasm", "write", "/out/new.txt", "from the guest"];
    let out = daemon.run(&mounts, &image, "write", &args);
    assert_eq!(expect_status(&daemon, &out, 0), "wrote /out/new.txt\n");
    assert_eq!(
        std::fs::read_to_string(output.join("new.txt")).unwrap(),
        "from the guest"
    );

    // Refused by the read-only preopen, in WASI's terms (`not-permitted`, as `--dir ::ro`),
    // before the kernel's read-only mount would.
    let args = ["/app.wasm", "write", "/in/new.txt", "refused"];
    let out = daemon.run(&mounts, &image, "write-ro", &args);
    assert_eq!(
        expect_status(&daemon, &out, 1),
        "error: Operation not permitted\n"
    );
    assert!(!input.join("new.txt").exists());
}

/// `curl URL`: the status code and the body.
fn curl(url: &str) -> Command {
    let mut command = Command::new("curl");
    command
        .args(["-sS", "--max-time", "30", "-w", "\n%{http_code}", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// `curl http://127.0.0.1:PORT/PATH`: the status code and the body.
fn get(port: u16, path: &str) -> (String, String) {
    answer(
        curl(&format!("http://127.0.0.1:{port}{path}"))
            .output()
            .unwrap(),
    )
}

fn answer(out: Output) -> (String, String) {
    let all = text(&out.stdout);
    let (body, status) = all.rsplit_once('\n').unwrap_or(("", &all));
    (status.to_string(), body.to_string())
}

/// Starts `ctr run` of an http component with `--net-host` on `port`, and waits until it
/// answers `/hello`.
fn serve(daemon: &Daemon, image: &str, id: &str, port: u16) -> Child {
    let mut child = daemon
        .serve_command(image, id, port)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, _) = get(port, "/hello");
        if status == "200" {
            return child;
        }
        if Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            let _ = daemon.ctr(&["tasks", "kill", "--signal", "SIGKILL", id]);
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "no answer on port {port}; ctr run's stderr:\n{}\ncontainerd's log:\n{}",
                text(&out.stderr),
                daemon.log()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits for `ctr run` to end: its status, stdout and stderr.
fn finish(mut child: Child, within: Duration) -> (Option<i32>, String, String) {
    let deadline = Instant::now() + within;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ctr run did not end within {within:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let (mut stdout, mut stderr) = (String::new(), String::new());
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).unwrap();
    }
    if let Some(mut err) = child.stderr.take() {
        err.read_to_string(&mut stderr).unwrap();
    }
    (child.wait().unwrap().code(), stdout, stderr)
}

#[test]
fn a_p3_http_component_answers_curl_and_stops_gracefully_with_its_requests_finished() {
    let Some(daemon) = Daemon::start("http-p3") else {
        return;
    };
    let image = import(&daemon, "p3-http", "p3-http-cb.wasm");
    let port = free_port();
    let ctr = serve(&daemon, &image, "http-p3", port);
    let (status, body) = get(port, "/hello");
    assert_eq!((status.as_str(), body.as_str()), ("200", "hello\n"));
    // A request in flight when the container is told to stop is answered, then it exits 0.
    let slow = curl(&format!("http://127.0.0.1:{port}/sleep/1500"))
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    daemon.stop_task("http-p3");
    let (status, body) = answer(slow.wait_with_output().unwrap());
    assert_eq!((status.as_str(), body.as_str()), ("200", "slept 1500 ms\n"));
    let (code, _, stderr) = finish(ctr, Duration::from_secs(30));
    assert_eq!(
        code,
        Some(0),
        "stderr:\n{stderr}\ncontainerd's log:\n{}",
        daemon.log()
    );
    assert!(
        stderr.contains(&format!("Serving HTTP on http://127.0.0.1:{port}/")),
        "{stderr}"
    );
    // Stopped: nothing listens there any more.
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn a_p2_http_component_answers_curl() {
    let Some(daemon) = Daemon::start("http-p2") else {
        return;
    };
    let image = import(&daemon, "p2-http", "p2-http.wasm");
    let port = free_port();
    let ctr = serve(&daemon, &image, "http-p2", port);
    let (status, body) = get(port, "/hello");
    assert_eq!(status, "200");
    assert!(body.starts_with("Hello"), "{body:?}");
    daemon.stop_task("http-p2");
    let (code, stdout, stderr) = finish(ctr, Duration::from_secs(30));
    assert_eq!(code, Some(0), "stderr:\n{stderr}");
    // The guest's output reaches the container's stdout, with serve's instance prefixes.
    assert!(stdout.contains("stdout [0] :: request: /hello"), "{stdout}");
}

#[test]
fn a_command_told_to_stop_ends_with_the_signals_status() {
    let Some(daemon) = Daemon::start("stop") else {
        return;
    };
    let image = import(&daemon, "p2-stop", "p2-cli.wasm");
    // `prompt` waits for a line on stdin, which this test holds open and never writes.
    let args = ["run", "--rm", "--runtime", daemon::RUNTIME, &image, "stop"];
    let mut ctr = daemon
        .ctr_command(&[&args[..], &["/app.wasm", "prompt"]].concat())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = ctr.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte).unwrap_or(0) == 1 {
            seen.push(byte[0]);
            if seen.ends_with(b"name? ") {
                let _ = tx.send(());
            }
        }
    });
    if rx.recv_timeout(Duration::from_secs(60)).is_err() {
        let _ = ctr.kill();
        let _ = ctr.wait();
        panic!(
            "the program did not prompt; containerd's log:\n{}",
            daemon.log()
        );
    }
    daemon.stop_task("stop");
    let (code, _, stderr) = finish(ctr, Duration::from_secs(30));
    // SIGTERM (15): 128 + 15, as a Linux process the signal ended.
    assert_eq!(code, Some(143), "stderr:\n{stderr}");
}

#[test]
fn an_entrypoint_function_is_invoked_and_a_busy_one_stops_on_its_signal() {
    let Some(daemon) = Daemon::start("invoke") else {
        return;
    };
    let image = import(&daemon, "reactor", "reactor.wasm");
    // `PATH#name`: the component's export `name`, called with no arguments.
    let out = daemon.run(&[], &image, "answer", &["/app.wasm#answer"]);
    assert_eq!(expect_status(&daemon, &out, 0), "42\n");
    // `spin` loops without ever awaiting anything; the stop signal still ends it at once.
    let args = ["run", "--rm", "--runtime", daemon::RUNTIME, &image, "spin"];
    let ctr = daemon
        .ctr_command(&[&args[..], &["/app.wasm#spin"]].concat())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !text(&daemon.ctr(&["tasks", "ls"]).stdout)
        .lines()
        .any(|l| l.starts_with("spin ") && l.contains("RUNNING"))
    {
        assert!(Instant::now() < deadline, "the task did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // Inside the loop by now (compiling and instantiating take milliseconds).
    std::thread::sleep(Duration::from_millis(500));
    daemon.stop_task("spin");
    let (code, _, stderr) = finish(ctr, Duration::from_secs(10));
    assert_eq!(code, Some(143), "stderr:\n{stderr}");
}
