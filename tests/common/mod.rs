//! Differential harness: run the same guest with the same args/env/stdin under wasmtime-wasi 48
//! (the oracle) and under wasi-bridge, and compare stdout, stderr and exit status.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};

/// How a guest ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Returned or exited with this status.
    Code(i32),
    /// Trapped, with the guest-visible reason (the innermost error's message, without the
    /// wasm backtrace): two traps are the same only if their reasons are.
    Trap(String),
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit: Exit,
}

impl Outcome {
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn trapped(&self) -> bool {
        matches!(self.exit, Exit::Trap(_))
    }
}

/// A preopen of a case: guest name, permissions, and how to populate a fresh host directory.
pub type Preopen = (String, wasmtime_wasi::FsPerms, fn(&Path));

/// The inputs of one run.
#[derive(Clone, Default)]
pub struct Case {
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    pub cwd: Option<String>,
    /// A preopened directory: guest name, permissions, and how to populate a fresh copy.
    pub preopen: Option<Preopen>,
    /// The network policy (default: everything refused).
    pub net: Net,
    /// The cap on one request for random bytes (default: the builders' own).
    pub max_random: Option<u64>,
    /// A failing stdout instead of the memory pipe.
    pub stdout_fault: Option<StdoutFault>,
    /// A tree with several preopens (instead of `preopen`).
    pub layout: Option<Layout>,
}

/// A directory tree and the parts of it that are preopened.
#[derive(Clone, Copy)]
pub struct Layout {
    /// Populates the fresh root.
    pub setup: fn(&Path),
    /// (host path under the root, guest name, permissions), in preopen order.
    pub preopens: &'static [(&'static str, &'static str, wasmtime_wasi::FsPerms)],
}

/// A stdout that fails, for fault injection.
#[derive(Clone, Copy, Debug)]
pub enum StdoutFault {
    /// `/dev/full`: every write fails with ENOSPC.
    DevFull,
    /// A pipe whose reader is gone: every write fails with EPIPE.
    ClosedPipe,
}

impl StdoutFault {
    /// A fresh file for the fault.
    pub fn file(self) -> std::fs::File {
        match self {
            StdoutFault::DevFull => std::fs::OpenOptions::new()
                .write(true)
                .open("/dev/full")
                .expect("/dev/full"),
            StdoutFault::ClosedPipe => {
                let (reader, writer) = std::io::pipe().expect("pipe");
                drop(reader);
                std::fs::File::from(std::os::fd::OwnedFd::from(writer))
            }
        }
    }
}

/// A network policy, applied the same way to the oracle and to wasi-bridge.
#[derive(Clone, Copy, Default)]
pub struct Net {
    pub tcp: bool,
    pub udp: bool,
    pub lookup: bool,
    /// Every address allowed (`inherit_network`).
    pub inherit: bool,
    /// A host-provided (asynchronous) check allowing loopback addresses only.
    pub loopback_check: bool,
}

impl Net {
    /// Everything allowed.
    pub fn all() -> Net {
        Net {
            tcp: true,
            udp: true,
            lookup: true,
            inherit: true,
            loopback_check: false,
        }
    }
}

impl Case {
    pub fn new(args: &[&str]) -> Case {
        Case {
            args: args.iter().map(|s| s.to_string()).collect(),
            ..Case::default()
        }
    }
    pub fn env(mut self, k: &str, v: &str) -> Case {
        self.env.push((k.into(), v.into()));
        self
    }
    pub fn stdin(mut self, bytes: &[u8]) -> Case {
        self.stdin = bytes.to_vec();
        self
    }
    pub fn net(mut self, net: Net) -> Case {
        self.net = net;
        self
    }
    pub fn cwd(mut self, cwd: &str) -> Case {
        self.cwd = Some(cwd.into());
        self
    }
    pub fn stdout_fault(mut self, fault: StdoutFault) -> Case {
        self.stdout_fault = Some(fault);
        self
    }
    pub fn max_random(mut self, max: u64) -> Case {
        self.max_random = Some(max);
        self
    }
    pub fn preopen(mut self, guest: &str, perms: wasmtime_wasi::FsPerms, setup: fn(&Path)) -> Case {
        self.preopen = Some((guest.into(), perms, setup));
        self
    }
}

/// A fresh directory for one run, populated by the case's setup, and its preopens.
pub struct RunDir {
    pub dir: Option<tempfile::TempDir>,
    pub preopens: Vec<(PathBuf, String, wasmtime_wasi::FsPerms)>,
}

impl RunDir {
    pub fn new(case: &Case) -> RunDir {
        if let Some(layout) = case.layout {
            let d = tempfile::tempdir().unwrap();
            (layout.setup)(d.path());
            let preopens = layout
                .preopens
                .iter()
                .map(|(host, guest, perms)| (d.path().join(host), guest.to_string(), *perms))
                .collect();
            return RunDir {
                dir: Some(d),
                preopens,
            };
        }
        let mut preopens = Vec::new();
        let dir = case.preopen.as_ref().map(|(guest, perms, setup)| {
            let d = tempfile::tempdir().unwrap();
            setup(d.path());
            preopens.push((d.path().to_path_buf(), guest.clone(), *perms));
            d
        });
        RunDir { dir, preopens }
    }
    /// The root of the tree (compared after a run).
    pub fn path(&self) -> Option<&Path> {
        self.dir.as_ref().map(|d| d.path())
    }
}

/// A description of a directory tree: every entry with its type and (for files) contents.
pub fn tree(root: &Path) -> Vec<String> {
    fn walk(root: &Path, rel: &Path, out: &mut Vec<String>) {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(rel))
            .unwrap()
            .map(|e| e.unwrap())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let rel = rel.join(e.file_name());
            let meta = std::fs::symlink_metadata(root.join(&rel)).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(root.join(&rel)).unwrap();
                out.push(format!("{} -> {}", rel.display(), target.display()));
            } else if meta.is_dir() {
                out.push(format!("{}/", rel.display()));
                walk(root, &rel, out);
            } else if !meta.is_file() {
                out.push(format!("{} (special)", rel.display()));
            } else if meta.len() <= 4096 {
                let data = std::fs::read(root.join(&rel)).unwrap();
                out.push(format!(
                    "{} = {:?}",
                    rel.display(),
                    String::from_utf8_lossy(&data)
                ));
            } else {
                // Large (often sparse) files: the size, and a hash of the first and last MiB.
                use std::hash::{DefaultHasher, Hasher};
                use std::io::{Read, Seek, SeekFrom};
                let mut f = std::fs::File::open(root.join(&rel)).unwrap();
                let mut h = DefaultHasher::new();
                let mut buf = vec![0; 1 << 20];
                for from in [0, meta.len().saturating_sub(1 << 20)] {
                    f.seek(SeekFrom::Start(from)).unwrap();
                    let n = f.read(&mut buf).unwrap();
                    h.write(&buf[..n]);
                }
                out.push(format!(
                    "{} = {} bytes, hash {:x}",
                    rel.display(),
                    meta.len(),
                    h.finish()
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, Path::new(""), &mut out);
    out
}

/// How many file descriptors this process has open.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Asserts the process's descriptor count comes back to `before` (waiting up to 5 s for
/// descriptors closed in the background): a run leaked none.
pub async fn assert_no_fd_leak(before: usize, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while open_fds() > before && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(open_fds(), before, "{what}: host descriptors leaked");
}

/// A fixed seed so `insecure-seed` output is comparable across hosts.
pub const SEED: u128 = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210;
const OUT_CAPACITY: usize = 256 << 20;

pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| wasi_bridge::run::engine().expect("engine"))
}

pub fn guest_path(name: &str) -> PathBuf {
    // The repository root: this crate's, or the parent of `fuzz/` (which includes this file).
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = if here.ends_with("fuzz") {
        here.parent().unwrap()
    } else {
        here
    };
    root.join("tests/guests/wasm").join(name)
}

/// Compiles (once per test binary) a fixture component.
pub fn component(name: &str) -> Component {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: OnceLock<Mutex<HashMap<String, Component>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(c) = cache.lock().unwrap().get(name) {
        return c.clone();
    }
    let bytes =
        std::fs::read(guest_path(name)).expect("fixture exists (run tests/guests/build.sh)");
    let bytes = if wasi_bridge::run::is_core_module(&bytes) {
        wasi_bridge::run::componentize_p1(&bytes).expect("componentize")
    } else {
        bytes
    };
    let c = Component::new(engine(), &bytes).expect("compile fixture");
    cache.lock().unwrap().insert(name.to_string(), c.clone());
    c
}

/// The reason of a trap as the guest sees it: the innermost error's message. The outer
/// context (wasm backtrace, "error while executing at ...") depends on code addresses, not on
/// the host's behaviour.
pub fn trap_reason(e: &wasmtime::Error) -> String {
    e.root_cause().to_string()
}

/// How a run ended, from `run`'s result (wasmtime-wasi's `I32Exit` is wasi-bridge's).
pub fn exit_of(result: wasmtime::Result<Result<(), ()>>) -> Exit {
    match wasi_bridge::run::exit_status(result) {
        Ok(c) => Exit::Code(c),
        Err(e) => Exit::Trap(trap_reason(&e)),
    }
}

// ---------------- the oracle: wasmtime-wasi 48 ----------------

/// Store data for wasmtime-wasi, the oracle.
pub struct NativeHost {
    pub ctx: wasmtime_wasi::WasiCtx,
    pub table: ResourceTable,
}

impl wasmtime_wasi::WasiView for NativeHost {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// Configures a context builder from a case: args, env, stdio pipes, seed, cwd, preopen and
/// network policy. wasmtime-wasi's builder and wasi-bridge's have the same methods, so this one
/// macro configures the oracle and wasi-bridge identically.
macro_rules! configure {
    ($b:expr, $case:expr, $dir:expr) => {{
        let (b, case, dir) = ($b, $case, $dir);
        let stdout = MemoryOutputPipe::new(OUT_CAPACITY);
        let stderr = MemoryOutputPipe::new(OUT_CAPACITY);
        b.args(&case.args)
            .envs(&case.env)
            .stdin(MemoryInputPipe::new(case.stdin.clone()))
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .insecure_random_seed(SEED);
        if let Some(fault) = case.stdout_fault {
            b.stdout(wasmtime_wasi::cli::OutputFile::new(fault.file()));
        }
        if let Some(cwd) = &case.cwd {
            b.initial_cwd(cwd);
        }
        if let Some(max) = case.max_random {
            b.max_random_size(max);
        }
        for (path, guest, perms) in &dir.preopens {
            b.preopened_dir(path, guest, *perms).unwrap();
        }
        if case.net.inherit {
            b.inherit_network();
        }
        if case.net.loopback_check {
            b.socket_addr_check(|addr, _| {
                Box::pin(async move {
                    tokio::task::yield_now().await;
                    addr.ip().is_loopback() || addr.ip().is_unspecified()
                })
            });
        }
        b.allow_tcp(case.net.tcp)
            .allow_udp(case.net.udp)
            .allow_ip_name_lookup(case.net.lookup);
        (stdout, stderr)
    }};
}

/// The oracle's store for a case, with its stdout and stderr pipes.
pub fn native_store(
    case: &Case,
    dir: &RunDir,
) -> (Store<NativeHost>, MemoryOutputPipe, MemoryOutputPipe) {
    let mut b = wasmtime_wasi::WasiCtxBuilder::new();
    let (stdout, stderr) = configure!(&mut b, case, dir);
    let host = NativeHost {
        ctx: b.build(),
        table: ResourceTable::new(),
    };
    (Store::new(engine(), host), stdout, stderr)
}

/// wasi-bridge's context for a case, with its stdout and stderr pipes.
pub fn bridge_ctx(
    case: &Case,
    dir: &RunDir,
) -> (wasi_bridge::WasiCtx, MemoryOutputPipe, MemoryOutputPipe) {
    let mut b = wasi_bridge::WasiCtx::builder();
    let (stdout, stderr) = configure!(&mut b, case, dir);
    (b.build(), stdout, stderr)
}

/// wasi-bridge's store for a case, with its stdout and stderr pipes.
pub fn bridge_store(
    case: &Case,
    dir: &RunDir,
) -> (
    Store<wasi_bridge::run::Host>,
    MemoryOutputPipe,
    MemoryOutputPipe,
) {
    let (ctx, stdout, stderr) = bridge_ctx(case, dir);
    let host = wasi_bridge::run::Host {
        ctx,
        table: ResourceTable::new(),
    };
    (Store::new(engine(), host), stdout, stderr)
}

/// Runs a p2 component under wasmtime-wasi's native p2.
pub async fn native_p2(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    static LINKER: OnceLock<Linker<NativeHost>> = OnceLock::new();
    let linker = LINKER.get_or_init(|| {
        let mut linker = Linker::<NativeHost>::new(engine());
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
        linker
    });
    let (mut store, stdout, stderr) = native_store(case, dir);
    let component = component(name);
    let result = match wasmtime_wasi::p2::bindings::Command::instantiate_async(
        &mut store, &component, linker,
    )
    .await
    {
        Ok(cmd) => cmd.wasi_cli_run().call_run(&mut store).await,
        Err(e) => Err(e),
    };
    drop(store);
    Outcome {
        stdout: stdout.contents().to_vec(),
        stderr: stderr.contents().to_vec(),
        exit: exit_of(result),
    }
}

/// Runs a p3 component under wasmtime-wasi's p3.
pub async fn native_p3(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    static LINKER: OnceLock<Linker<NativeHost>> = OnceLock::new();
    let linker = LINKER.get_or_init(|| {
        let mut linker = Linker::<NativeHost>::new(engine());
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
        wasmtime_wasi::p3::add_to_linker(&mut linker).unwrap();
        linker
    });
    let (mut store, stdout, stderr) = native_store(case, dir);
    let component = component(name);
    let result = match wasmtime_wasi::p3::bindings::Command::instantiate_async(
        &mut store, &component, linker,
    )
    .await
    {
        Ok(cmd) => store
            .run_concurrent(async move |s| cmd.wasi_cli_run().call_run(s).await)
            .await
            .and_then(|r| r),
        Err(e) => Err(e),
    };
    drop(store);
    Outcome {
        stdout: stdout.contents().to_vec(),
        stderr: stderr.contents().to_vec(),
        exit: exit_of(result),
    }
}

/// Compiles (once per test binary) a fixture core module.
pub fn module(name: &str) -> wasmtime::Module {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static CACHE: OnceLock<Mutex<HashMap<String, wasmtime::Module>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(m) = cache.lock().unwrap().get(name) {
        return m.clone();
    }
    let m = wasmtime::Module::from_file(engine(), guest_path(name)).expect("compile fixture");
    cache.lock().unwrap().insert(name.to_string(), m.clone());
    m
}

/// Instantiates a p1 command module and runs `_start`; `Ok(0)` when it returns.
pub async fn start_p1<T: Send + 'static>(
    store: &mut Store<T>,
    linker: &wasmtime::Linker<T>,
    name: &str,
) -> wasmtime::Result<i32> {
    let instance = linker.instantiate_async(&mut *store, &module(name)).await?;
    let start = instance.get_typed_func::<(), ()>(&mut *store, "_start")?;
    wasi_bridge::run::exit_status(start.call_async(&mut *store, ()).await.map(|()| Ok(())))
}

/// Runs a p1 core module under wasmtime-wasi's native p1.
pub async fn native_p1(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    let mut b = wasmtime_wasi::WasiCtxBuilder::new();
    let (stdout, stderr) = configure!(&mut b, case, dir);
    let mut linker = wasmtime::Linker::<wasmtime_wasi::p1::WasiP1Ctx>::new(engine());
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |t| t).unwrap();
    wasmtime_wasi::p0::add_to_linker_async(&mut linker, |t| t).unwrap();
    let mut store = Store::new(engine(), b.build_p1());
    let code = start_p1(&mut store, &linker, name).await;
    drop(store);
    outcome(code, stdout, stderr)
}

// ---------------- wasi-bridge ----------------

/// Runs a p1 core module under wasi-bridge's p1 adapter.
pub async fn bridge_p1(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    let mut b = wasi_bridge::WasiCtx::builder();
    let (stdout, stderr) = configure!(&mut b, case, dir);
    let mut linker = wasmtime::Linker::<wasi_bridge::p1::WasiP1Ctx>::new(engine());
    wasi_bridge::p1::add_to_linker_async(&mut linker, |t| t).unwrap();
    wasi_bridge::p0::add_to_linker_async(&mut linker, |t| t).unwrap();
    let mut store = Store::new(engine(), b.build_p1::<wasi_bridge::p1::WasiP1Ctx>());
    let code = start_p1(&mut store, &linker, name).await;
    wasi_bridge::WasiView::ctx(store.data_mut())
        .ctx
        .flush_stdio()
        .await;
    drop(store);
    outcome(code, stdout, stderr)
}

/// Runs a component under wasi-bridge with only the p2 adapter linked.
pub async fn bridge_p2(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    static LINKER: OnceLock<Linker<wasi_bridge::run::Host>> = OnceLock::new();
    let linker = LINKER.get_or_init(|| {
        let mut linker = Linker::<wasi_bridge::run::Host>::new(engine());
        wasi_bridge::p2::add_to_linker_async(&mut linker).unwrap();
        linker
    });
    let (ctx, stdout, stderr) = bridge_ctx(case, dir);
    let code = wasi_bridge::run::run(
        engine(),
        linker,
        &component(name),
        ctx,
        wasi_bridge::run::Entry::P2,
    )
    .await;
    outcome(code, stdout, stderr)
}

/// Runs a component under wasi-bridge with both ABIs linked, through `run@0.3.0`.
pub async fn bridge_p3(name: &str, case: &Case, dir: &RunDir) -> Outcome {
    static LINKER: OnceLock<Linker<wasi_bridge::run::Host>> = OnceLock::new();
    let linker = LINKER.get_or_init(|| wasi_bridge::run::linker(engine()).unwrap());
    let (ctx, stdout, stderr) = bridge_ctx(case, dir);
    let code = wasi_bridge::run::run(
        engine(),
        linker,
        &component(name),
        ctx,
        wasi_bridge::run::Entry::P3,
    )
    .await;
    outcome(code, stdout, stderr)
}

fn outcome(
    code: wasmtime::Result<i32>,
    stdout: MemoryOutputPipe,
    stderr: MemoryOutputPipe,
) -> Outcome {
    Outcome {
        stdout: stdout.contents().to_vec(),
        stderr: stderr.contents().to_vec(),
        exit: match code {
            Ok(c) => Exit::Code(c),
            Err(e) => Exit::Trap(trap_reason(&e)),
        },
    }
}

/// Trap reasons that name the same guest error in different words. Each entry is (stable
/// substring of a reason, the class it belongs to); reasons not listed are compared verbatim.
///
/// - TCP: the message counts the bytes written, one past the permit, and the permits differ
///   deliberately (README: 64 KiB native, 256 KiB ours).
pub const EQUIVALENT_TRAPS: &[(&str, &str)] =
    &[("not permitted to write ", "TCP write over permit")];

/// The reason a trap is compared by: its class in [`EQUIVALENT_TRAPS`], or itself.
pub fn trap_class(reason: &str) -> &str {
    EQUIVALENT_TRAPS
        .iter()
        .find(|(substring, _)| reason.contains(substring))
        .map_or(reason, |(_, class)| class)
}

/// Asserts two outcomes are the same: stdout and stderr byte for byte, and the same exit
/// status (two traps only with the same reason, up to [`EQUIVALENT_TRAPS`]).
pub fn assert_same(oracle: &Outcome, ours: &Outcome) {
    assert_eq!(
        oracle.stdout_str(),
        ours.stdout_str(),
        "stdout differs (left: wasmtime-wasi, right: wasi-bridge)"
    );
    assert_eq!(
        String::from_utf8_lossy(&oracle.stderr),
        String::from_utf8_lossy(&ours.stderr),
        "stderr differs"
    );
    match (&oracle.exit, &ours.exit) {
        (Exit::Trap(a), Exit::Trap(b)) => assert_eq!(
            trap_class(a),
            trap_class(b),
            "trap reason differs (left: wasmtime-wasi {a:?}, right: wasi-bridge {b:?})"
        ),
        (a, b) => assert_eq!(a, b, "exit status differs"),
    }
}

fn assert_same_tree(oracle: &RunDir, ours: &RunDir) -> Vec<String> {
    match (oracle.path(), ours.path()) {
        (Some(a), Some(b)) => {
            let (a, b) = (tree(a), tree(b));
            assert_eq!(
                a, b,
                "directory trees differ (left: wasmtime-wasi, right: wasi-bridge)"
            );
            b
        }
        _ => Vec::new(),
    }
}

/// Runs a p2 fixture under both hosts (each on a fresh copy of the case's directory) and
/// asserts they agree on output, exit status and the resulting tree; returns ours.
pub async fn differential_p2(name: &str, case: Case) -> Outcome {
    differential_p2_tree(name, case).await.0
}

/// [`differential_p2`], also returning the resulting directory tree.
pub async fn differential_p2_tree(name: &str, case: Case) -> (Outcome, Vec<String>) {
    let (da, db) = (RunDir::new(&case), RunDir::new(&case));
    let oracle = native_p2(name, &case, &da).await;
    let ours = bridge_p2(name, &case, &db).await;
    assert_same(&oracle, &ours);
    let t = assert_same_tree(&da, &db);
    (ours, t)
}

/// Runs a p1 module under wasmtime-wasi's native p1 and wasi-bridge's p1 adapter and asserts
/// they agree on output, exit status and the resulting tree; returns ours and the tree.
pub async fn differential_p1_tree(name: &str, case: Case) -> (Outcome, Vec<String>) {
    let (da, db) = (RunDir::new(&case), RunDir::new(&case));
    let oracle = native_p1(name, &case, &da).await;
    let ours = bridge_p1(name, &case, &db).await;
    assert_same(&oracle, &ours);
    let t = assert_same_tree(&da, &db);
    (ours, t)
}

/// [`differential_p1_tree`] without the tree.
pub async fn differential_p1(name: &str, case: Case) -> Outcome {
    differential_p1_tree(name, case).await.0
}

/// Runs a p3 fixture under both hosts and asserts they agree; returns ours.
pub async fn differential_p3(name: &str, case: Case) -> Outcome {
    differential_p3_tree(name, case).await.0
}

/// [`differential_p3`], also returning the resulting directory tree.
pub async fn differential_p3_tree(name: &str, case: Case) -> (Outcome, Vec<String>) {
    let (da, db) = (RunDir::new(&case), RunDir::new(&case));
    let oracle = native_p3(name, &case, &da).await;
    let ours = bridge_p3(name, &case, &db).await;
    assert_same(&oracle, &ours);
    let t = assert_same_tree(&da, &db);
    (ours, t)
}

/// Loopback peers the socket fixtures talk to, run on plain threads.
pub mod peers {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    /// A TCP echo server: every connection gets its bytes back until it half-closes.
    pub struct TcpEcho {
        pub addr: String,
    }

    impl TcpEcho {
        pub fn start() -> TcpEcho {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = l.local_addr().unwrap().to_string();
            std::thread::spawn(move || {
                for conn in l.incoming() {
                    let Ok(mut c) = conn else { continue };
                    std::thread::spawn(move || {
                        let mut buf = vec![0; 256 * 1024];
                        loop {
                            match c.read(&mut buf) {
                                Ok(0) | Err(_) => break,
                                Ok(n) => {
                                    if c.write_all(&buf[..n]).is_err() {
                                        break;
                                    }
                                }
                            }
                        }
                        let _ = c.shutdown(Shutdown::Write);
                    });
                }
            });
            TcpEcho { addr }
        }
    }

    /// A UDP echo server; stops when dropped.
    pub struct UdpEcho {
        pub addr: String,
        stop: Arc<AtomicBool>,
    }

    impl UdpEcho {
        pub fn start() -> UdpEcho {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
            let addr = s.local_addr().unwrap().to_string();
            let stop = Arc::new(AtomicBool::new(false));
            let flag = stop.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0; 70000];
                while !flag.load(Ordering::Relaxed) {
                    if let Ok((n, from)) = s.recv_from(&mut buf) {
                        let _ = s.send_to(&buf[..n], from);
                    }
                }
            });
            UdpEcho { addr, stop }
        }
    }

    impl Drop for UdpEcho {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::Relaxed);
        }
    }

    /// A loopback port nothing listens on.
    pub fn closed_port() -> String {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    }

    /// A free port for a guest server to listen on.
    pub fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// `n` clients of a guest server on `port`, each sending `len` bytes, half-closing and
    /// reading the echo back; returns how many got their bytes back intact.
    pub fn clients(port: u16, n: usize, len: usize) -> std::thread::JoinHandle<usize> {
        std::thread::spawn(move || {
            let handles: Vec<_> = (0..n)
                .map(|i| {
                    std::thread::spawn(move || {
                        let deadline = std::time::Instant::now() + Duration::from_secs(30);
                        let mut c = loop {
                            match TcpStream::connect(("127.0.0.1", port)) {
                                Ok(c) => break c,
                                Err(_) if std::time::Instant::now() < deadline => {
                                    std::thread::sleep(Duration::from_millis(20))
                                }
                                Err(e) => panic!("guest server never came up: {e}"),
                            }
                        };
                        let msg: Vec<u8> = (0..len).map(|k| (k * 31 + i) as u8).collect();
                        c.write_all(&msg).unwrap();
                        c.shutdown(Shutdown::Write).unwrap();
                        let mut back = Vec::new();
                        c.read_to_end(&mut back).unwrap();
                        back == msg
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(false) as usize)
                .sum()
        })
    }
}
pub mod ops;
