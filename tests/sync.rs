//! The synchronous p2 linker: same fixture, same output, under wasmtime-wasi's
//! `add_to_linker_sync` and ours, with a plain (non-async) `call`.

mod common;

use common::NativeHost;

use common::{Case, Exit, Outcome};
use wasmtime::Store;
use wasmtime::component::{Linker, ResourceTable};

fn exit(result: wasmtime::Result<Result<(), ()>>) -> Exit {
    match wasi_bridge::run::exit_status(result) {
        Ok(c) => Exit::Code(c),
        Err(e) => Exit::Trap(format!("{e:?}")),
    }
}

fn native_sync(name: &str, case: &Case, dir: &common::RunDir) -> Outcome {
    use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
    let stdout = MemoryOutputPipe::new(1 << 20);
    let stderr = MemoryOutputPipe::new(1 << 20);
    let mut b = wasmtime_wasi::WasiCtxBuilder::new();
    b.args(&case.args)
        .stdin(MemoryInputPipe::new(case.stdin.clone()))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .insecure_random_seed(common::SEED);
    if let (Some(path), Some((guest, perms, _))) = (dir.path(), &case.preopen) {
        b.preopened_dir(path, guest, *perms).unwrap();
    }
    if case.net.inherit {
        b.inherit_network();
    }
    b.allow_tcp(case.net.tcp)
        .allow_udp(case.net.udp)
        .allow_ip_name_lookup(case.net.lookup);
    let mut store = Store::new(
        common::engine(),
        NativeHost {
            ctx: b.build(),
            table: ResourceTable::new(),
        },
    );
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
        exit: exit(result),
    }
}

fn bridge_sync(name: &str, case: &Case, dir: &common::RunDir) -> Outcome {
    let (ctx, stdout, stderr) = common::bridge_ctx(case, dir);
    let mut store = Store::new(
        common::engine(),
        wasi_bridge::run::Host {
            ctx,
            table: ResourceTable::new(),
        },
    );
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
        exit: exit(result),
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
