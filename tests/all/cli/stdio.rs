//! The guest's stdio through the binary's real pipes: a prompt without a newline, a 64 MiB
//! write.

use crate::binary::{self, guest, run};
use std::io::Write;
use std::process::Stdio;

/// Runs `args` with pipes, waits (bounded) until the guest has printed `name? ` on the chosen
/// stream — the prompt has no newline and the guest does not close or flush its stream — and
/// only then answers on stdin, as a user or an `expect`-style driver would.
fn answer_prompt(args: &[&str], on_stderr: bool) {
    use std::io::Read;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};
    let mut child = binary::command(&[])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wasi-bridge");
    let mut stdin = child.stdin.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let mut readers = Vec::new();
    for (is_stderr, mut pipe) in [
        (
            false,
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        ),
        (true, Box::new(child.stderr.take().unwrap())),
    ] {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            let mut buf = [0u8; 256];
            let mut all = Vec::new();
            while let Ok(n @ 1..) = pipe.read(&mut buf) {
                all.extend_from_slice(&buf[..n]);
                let _ = tx.send((is_stderr, buf[..n].to_vec()));
            }
            all
        }));
    }
    drop(tx);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while !seen.ends_with(b"name? ") {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((is_stderr, bytes)) if is_stderr == on_stderr => seen.extend_from_slice(&bytes),
            Ok(_) => {}
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "{args:?}: the prompt never reached the pipe; saw {:?}",
                    String::from_utf8_lossy(&seen)
                );
            }
        }
    }
    stdin.write_all(b"bob\n").unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    let out = readers.remove(0).join().unwrap();
    let err = readers.remove(0).join().unwrap();
    assert_eq!(status.code(), Some(0), "{args:?}");
    let (prompted, answered) = if on_stderr {
        (err, out)
    } else {
        (out.clone(), out)
    };
    assert!(prompted.starts_with(b"name? "), "{args:?}");
    assert!(
        answered.ends_with(b"hello, bob\n"),
        "{args:?}: {:?}",
        String::from_utf8_lossy(&answered)
    );
}

#[test]
fn a_prompt_without_newline_reaches_the_pipe_before_the_guest_reads() {
    for (g, stderr) in [
        ("p2-cli.wasm", false),
        ("p2-cli.wasm", true),
        ("p3-cli.wasm", false),
        ("p3-cli.wasm", true),
        ("mixed.wasm", false),
        ("mixed.wasm", true),
        ("calls.p1.wasm", false),
        ("calls.p1.wasm", true),
    ] {
        let g = guest(g);
        let mut args = vec!["run", g.as_str(), "prompt"];
        if stderr {
            args.push("stderr");
        }
        answer_prompt(&args, stderr);
    }
}

/// wasmtime-wasi's inherited stdout takes a `write` of any size; so does wasi-bridge's (a
/// guest that runs under wasmtime must not trap here).
#[test]
fn a_64_mib_write_without_check_write_reaches_stdout() {
    let o = run(
        &["run", &guest("p2-cli.wasm"), "write-unasked", "67108864"],
        b"",
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{:?}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(
        o.stdout.len(),
        (64 << 20) + "\nwrite: ok, flush: ok\n".len()
    );
    assert!(o.stdout.ends_with(b"\nwrite: ok, flush: ok\n"));
}
