//! The synchronous p2 linker: same fixture, same output, under wasmtime-wasi's
//! `add_to_linker_sync` and ours, with a plain (non-async) `call`.

use crate::common;

use crate::common::{Case, Exit, Outcome};
use wasmtime::component::Linker;

fn native_sync(name: &str, case: &Case, dir: &common::RunDir) -> Outcome {
    let (mut store, stdout, stderr) = common::native_store(case, dir);
    let mut linker = Linker::new(common::engine());
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    let cmd = wasmtime_wasi::p2::bindings::sync::Command::instantiate(
        &mut store,
        &common::component(name),
        &linker,
    )
    .unwrap();
    let result = cmd.wasi_cli_run().call_run(&mut store);
    drop(store);
    Outcome {
        stdout: stdout.contents().to_vec(),
        stderr: stderr.contents().to_vec(),
        exit: common::exit_of(result),
    }
}

fn bridge_sync(name: &str, case: &Case, dir: &common::RunDir) -> Outcome {
    let (mut store, stdout, stderr) = common::bridge_store(case, dir);
    let mut linker = Linker::new(common::engine());
    wasi_bridge::p2::add_to_linker_sync(&mut linker).unwrap();
    let cmd = wasi_bridge::p2::bindings::sync::Command::instantiate(
        &mut store,
        &common::component(name),
        &linker,
    )
    .unwrap();
    let result = cmd.wasi_cli_run().call_run(&mut store);
    drop(store);
    Outcome {
        stdout: stdout.contents().to_vec(),
        stderr: stderr.contents().to_vec(),
        exit: common::exit_of(result),
    }
}

#[test]
fn sync_linker_matches_native_sync() {
    for mode in ["env", "stdout", "stdin", "poll"] {
        let case = Case::new(&["p2-cli", mode]).stdin(b"some stdin for the sync linker\n");
        let dir = common::RunDir::new(&case);
        let oracle = native_sync("p2-cli.wasm", &case, &dir);
        let ours = bridge_sync("p2-cli.wasm", &case, &dir);
        common::assert_same(&oracle, &ours);
        assert_eq!(ours.exit, Exit::Code(0), "{mode}: {}", ours.stdout_str());
    }
}

#[test]
fn sync_linker_runs_p1_file_work_like_native_sync() {
    let case = Case::new(&["files", "/data", "work"]).preopen(
        "/data",
        wasmtime_wasi::FsPerms::ReadWrite,
        |d| std::fs::write(d.join("input.txt"), "input file\n").unwrap(),
    );
    let (da, db) = (common::RunDir::new(&case), common::RunDir::new(&case));
    let oracle = native_sync("files.p1.wasm", &case, &da);
    let ours = bridge_sync("files.p1.wasm", &case, &db);
    common::assert_same(&oracle, &ours);
    assert_eq!(ours.exit, Exit::Code(0));
    assert_eq!(
        common::tree(da.path().unwrap()),
        common::tree(db.path().unwrap())
    );
    assert!(ours.stdout_str().contains("ls sub: c.txt\n"));
}

#[test]
fn sync_linker_serves_sockets_like_native_sync() {
    let peer = common::peers::UdpEcho::start();
    for args in [
        vec!["p2-sockets", "self", "6"],
        vec!["p2-sockets", "udp", &peer.addr],
        vec!["p2-sockets", "options"],
    ] {
        let case = Case::new(&args).net(common::Net::all());
        let dir = common::RunDir::new(&case);
        let oracle = native_sync("p2-sockets.wasm", &case, &dir);
        let ours = bridge_sync("p2-sockets.wasm", &case, &dir);
        common::assert_same(&oracle, &ours);
        assert_eq!(ours.exit, Exit::Code(0), "{args:?}: {}", ours.stdout_str());
    }
}
