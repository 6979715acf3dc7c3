//! `wasi-bridge serve`: `wasmtime serve`'s command line and behaviour, on the one core.
//!
//! hyper HTTP/1 with keep-alive, one task per connection, `listen(100)`, no Nagle; the first
//! stderr line is `Serving HTTP on http://ADDR/`; Ctrl-C stops accepting and waits for the
//! connections in flight (a second Ctrl-C quits at once); a handler that fails or never answers
//! gives a 500 and one `error:` line on stderr, and the server goes on. The engine is
//! `wasmtime serve`'s (the pooling allocator when the machine can reserve it), and so is the
//! scheduling: a WASIp2 instance serves `--max-instance-reuse-count` requests (default 1), one
//! at a time; a WASIp3 one 128, 16 at a time. Beside wasmtime 48's options: several `--addr`,
//! `--systemd-listenfd` and `--idle-process-timeout` (wasmtime 50's).

use super::{CliHost, Failure, RunCommand, usage};
use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use std::time::Instant;
use tokio::sync::{Notify, Semaphore, watch};
use wasi_bridge::http::WasiBody;
use wasi_bridge::http::WasiHttpView;
use wasi_bridge::http::handler::{
    HandlerState, Instance, ProxyHandler, ProxyPre, ShouldAccept, TrapOrPanicError,
    WorkerExpiration, WorkerState, WorkerStatus,
};
use wasi_bridge::p1::WasiP1Ctx;
use wasmtime::component::GuestTaskId;
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store, StoreContextMut};
use wasmtime_cli_flags::CommonOptions;

const DEFAULT_ADDR: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(0, 0, 0, 0)),
    8080,
);

/// How often the epoch ticks when `-W timeout` bounds each request.
const EPOCH_PERIOD: Duration = Duration::from_millis(50);

fn parse_duration(s: &str) -> Result<Duration, String> {
    use wasmtime_cli_flags::opt::WasmtimeOptionValue;
    Duration::parse(Some(s)).map_err(|e| e.to_string())
}

/// `wasi-bridge serve`: `wasmtime serve`'s options.
#[derive(Args)]
pub struct ServeCommand {
    #[command(flatten)]
    pub(super) common: CommonOptions,
    /// Grant access of a host directory to a guest: HOST, HOST::GUEST, or HOST::GUEST::ro
    /// for read-only (repeatable).
    #[arg(long = "dir", value_name = "HOST_DIR[::GUEST_DIR[::ro]]")]
    dirs: Vec<String>,
    /// Pass an environment variable to the guest: NAME=VAL, or NAME to inherit it
    /// (repeatable).
    #[arg(long = "env", number_of_values = 1, value_name = "NAME[=VAL]")]
    vars: Vec<String>,
    /// Socket address for the web server to bind to (repeatable: one listener each, e.g. an
    /// IPv4 and an IPv6 one; default 0.0.0.0:8080 unless `--systemd-listenfd` gives sockets).
    #[arg(long = "addr", value_name = "SOCKADDR")]
    addrs: Vec<SocketAddr>,
    /// Serve on the listening sockets systemd-style socket activation passes in (`LISTEN_FDS`,
    /// `LISTEN_PID`): TCP and Unix-domain stream sockets, beside any `--addr`.
    #[arg(long)]
    systemd_listenfd: bool,
    /// Exit (status 0) once no connection has been open for this long (`30s`, `5m`, ...):
    /// scale to zero under socket activation.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    idle_process_timeout: Option<Duration>,
    /// Socket address where, when connected to, will initiate a graceful shutdown (as well as
    /// Ctrl-C).
    #[arg(long, value_name = "SOCKADDR")]
    shutdown_addr: Option<SocketAddr>,
    /// Disable the `stdout [N] :: ` / `stderr [N] :: ` prefixes of the guests' output lines.
    #[arg(long)]
    no_logging_prefix: bool,
    /// Maximum number of requests to send to one component instance before dropping it
    /// (default: 1 for WASIp2 handlers, 128 for WASIp3 ones).
    #[arg(long)]
    max_instance_reuse_count: Option<usize>,
    /// Maximum number of concurrent requests to send to one component instance (default 16;
    /// always 1 for WASIp2 handlers).
    #[arg(long)]
    max_instance_concurrent_reuse_count: Option<usize>,
    /// Time to hold an idle component instance for possible reuse before dropping it
    /// (`1s`, `500ms`, ...).
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    idle_instance_timeout: Duration,
    /// Replace or add a request header before forwarding it to the component: `name: value`,
    /// or `@FILE` with one header per line (repeatable).
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    headers: Vec<String>,
    /// Maximum number of concurrent requests processed at once (default 1000).
    #[arg(long)]
    max_concurrent_requests: Option<usize>,
    /// Maximum number of connections held at once (default 1000).
    #[arg(long)]
    max_concurrent_connections: Option<usize>,
    /// The WebAssembly component to serve.
    #[arg(value_name = "WASM", required = true)]
    component: PathBuf,
}

/// Headers `-H` sets on every request.
#[derive(Default)]
struct RequestHeaders(Vec<(http::HeaderName, http::HeaderValue)>);

impl RequestHeaders {
    fn parse(args: &[String]) -> Result<Self, Failure> {
        let mut out = Vec::new();
        let mut parse = |line: &str| -> Result<(), Failure> {
            let (name, value) = line.split_once(':').ok_or_else(|| {
                usage(format!(
                    "-H {line}: a header is `name: value` (missing `:`)"
                ))
            })?;
            let name = http::HeaderName::from_bytes(name.trim().as_bytes())
                .map_err(|_| usage(format!("-H {line}: `{}` is not a header name", name.trim())))?;
            let value = http::HeaderValue::from_str(value.trim_start())
                .map_err(|_| usage(format!("-H {line}: the value is not a valid header value")))?;
            out.push((name, value));
            Ok(())
        };
        for arg in args {
            if let Some(path) = arg.strip_prefix('@') {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| usage(format!("-H @{path}: cannot read the header file: {e}")))?;
                for line in text.lines().filter(|l| !l.trim().is_empty()) {
                    parse(line)?;
                }
            } else {
                parse(arg)?;
            }
        }
        Ok(RequestHeaders(out))
    }

    fn apply(&self, headers: &mut http::HeaderMap) {
        for (name, _) in &self.0 {
            headers.remove(name);
        }
        for (name, value) in &self.0 {
            headers.append(name, value.clone());
        }
    }
}

/// What makes a store for an instance.
struct Stores {
    run: RunCommand,
    engine: Engine,
    no_logging_prefix: bool,
    next_instance: AtomicU64,
    /// Epoch ticks a WASIp2 request may run (`-W timeout`).
    deadline_ticks: Option<u64>,
    /// WASIp3 instances serve many requests: they yield on each tick instead, and each
    /// request is bounded by `timeout`.
    p3: bool,
}

struct Server {
    handler: ProxyHandler<ServeState>,
    headers: RequestHeaders,
    requests: Semaphore,
}

/// `wasmtime serve`'s scheduling, as wasmtime-wasi-http's `HandlerState`: a WASIp2 instance
/// serves one request; a WASIp3 instance up to `reuse` (default 128), `concurrent` (16) at a
/// time, and is dropped after `idle` (1 s) without a request; with `-W timeout` a request
/// expires after it, and so does an instance whose latest request has run that long.
struct ServeState {
    pre: ProxyPre<CliHost>,
    stores: Stores,
    reuse: usize,
    concurrent: usize,
    idle: Duration,
    timeout: Option<Duration>,
}

impl HandlerState for ServeState {
    type StoreData = CliHost;
    type WorkerExpiration = Expiration;
    type WorkerState = Reuse;

    async fn instantiate(&self) -> wasmtime::Result<Instance<CliHost, Expiration, Reuse>> {
        let mut store = self.stores.new_store()?;
        let proxy = self.pre.instantiate_async(&mut store).await?;
        Ok(Instance {
            store,
            proxy,
            view: <CliHost as WasiHttpView>::http,
            expiration: Expiration {
                idle: self.idle,
                timeout: self.timeout,
                sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
            },
            state: Reuse {
                reuse: self.reuse,
                concurrent: self.concurrent,
                timeout: self.timeout,
                p2_deadline_ticks: self.stores.deadline_ticks.filter(|_| !self.stores.p3),
            },
        })
    }
}

/// When an instance expires: idle too long, or its latest request past the timeout.
struct Expiration {
    idle: Duration,
    timeout: Option<Duration>,
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl WorkerExpiration for Expiration {
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        status: WorkerStatus,
        start: Instant,
    ) -> Poll<()> {
        let limit = match status {
            WorkerStatus::Idle => self.idle,
            WorkerStatus::Requests | WorkerStatus::PostReturn => match self.timeout {
                Some(limit) => limit,
                None => return Poll::Pending,
            },
        };
        let deadline = tokio::time::Instant::from_std(start + limit);
        if self.sleep.deadline() != deadline {
            self.sleep.as_mut().reset(deadline);
        }
        self.sleep.as_mut().poll(cx)
    }
}

/// How many requests one instance takes, and how long each may take.
struct Reuse {
    reuse: usize,
    concurrent: usize,
    timeout: Option<Duration>,
    /// A WASIp2 request traps at its store's epoch deadline, this many ticks after it starts
    /// (the deadline is reset for each request of a reused instance).
    p2_deadline_ticks: Option<u64>,
}

impl WorkerState for Reuse {
    type StoreData = CliHost;
    type RequestData = ();

    fn should_accept_request(&self, concurrent: usize, total: usize) -> ShouldAccept {
        if total >= self.reuse {
            ShouldAccept::Never
        } else if concurrent >= self.concurrent {
            ShouldAccept::No
        } else {
            ShouldAccept::Yes
        }
    }

    fn on_request_start(
        &self,
        mut store: StoreContextMut<'_, CliHost>,
        _data: (),
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
        if let Some(ticks) = self.p2_deadline_ticks {
            store.set_epoch_deadline(ticks);
        }
        match self.timeout {
            Some(limit) => Box::pin(tokio::time::sleep(limit)),
            None => Box::pin(std::future::pending()),
        }
    }

    /// An instance that ended on a trap or a timeout: one `error:` line (its requests in
    /// flight get a 500 without one of their own).
    fn drop(&self, store: Store<CliHost>, result: wasmtime::Result<()>) {
        drop(store);
        if let Err(e) = result {
            eprintln!("error: {e:?}");
        }
    }
}

impl ServeCommand {
    fn into_run(self) -> (RunCommand, ServeOptions) {
        let run = RunCommand {
            common: self.common,
            dirs: self.dirs,
            vars: self.vars,
            argv0: None,
            invoke: None,
            allow_precompiled: false,
            profile: None,
            preloads: Vec::new(),
            wasi_run: None,
            p1_adapter: false,
            no_cache: false,
            module_and_args: vec![self.component.clone().into_os_string()],
        };
        let options = ServeOptions {
            addrs: self.addrs,
            systemd_listenfd: self.systemd_listenfd,
            idle_process_timeout: self.idle_process_timeout,
            shutdown_addr: self.shutdown_addr,
            no_logging_prefix: self.no_logging_prefix,
            max_instance_reuse_count: self.max_instance_reuse_count,
            max_instance_concurrent_reuse_count: self.max_instance_concurrent_reuse_count,
            idle_instance_timeout: self.idle_instance_timeout,
            headers: self.headers,
            max_concurrent_requests: self.max_concurrent_requests.unwrap_or(1000),
            max_concurrent_connections: self.max_concurrent_connections.unwrap_or(1000),
        };
        (run, options)
    }

    /// Serves until Ctrl-C (or a connection to `--shutdown-addr`); `Ok(0)` after a graceful
    /// stop.
    pub async fn execute(self) -> Result<i32, Failure> {
        let (mut run, options) = self.into_run();
        run.refuse_unsupported_flags()?;
        for warning in super::options::check_wasi(&run.common.wasi, false, false).map_err(usage)? {
            eprintln!("{warning}");
        }
        super::options::check_wasm(&run.common.wasm, false).map_err(usage)?;
        if run.common.wasi.http == Some(false) {
            return Err(usage(
                "-S http=n: wasi-http is required for the serve command, and must not be \
                 disabled",
            ));
        }
        // As `wasmtime serve`: the pooling allocator unless `-O pooling-allocator` says
        // otherwise or the machine cannot reserve its address space.
        let engine = run.engine(wasi_bridge::run::pooling_allocator_by_default())?;
        // Each request gets its own deadline on a shared epoch ticker, not `run`'s one-shot
        // timer (which would interrupt every store of the engine).
        let timeout = run.common.wasm.timeout.take();
        if timeout.is_some() {
            let ticker = engine.clone();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(EPOCH_PERIOD);
                    ticker.increment_epoch();
                }
            });
        }
        let path = run.path().display().to_string();
        let bytes = std::fs::read(run.path()).map_err(|e| {
            usage(format!(
                "cannot read {path}: {e} (check the path to the .wasm file)"
            ))
        })?;
        if !bytes.starts_with(b"\0asm") {
            return Err(usage(format!(
                "{path} is not a WebAssembly binary (expected a wasi:http component)"
            )));
        }
        if wasi_bridge::run::is_core_module(&bytes) {
            return Err(usage(format!(
                "{path} is a core module; the serve command needs a wasi:http component"
            )));
        }
        let component =
            Component::new(&engine, &bytes).map_err(|e| usage(format!("{path}: {e:#}")))?;
        let linker = run.serve_linker(&engine)?;
        let exports: Vec<String> = component
            .component_type()
            .exports(&engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let p3 = exports.iter().any(|e| e == "wasi:http/handler@0.3.0");
        let p2 = exports
            .iter()
            .any(|e| e.starts_with("wasi:http/incoming-handler@0.2."));
        if !p3 && !p2 {
            return Err(usage(format!(
                "{path} does not export wasi:http/handler@0.3.0 or \
                 wasi:http/incoming-handler@0.2.x (it exports: {}); serve needs an HTTP \
                 handler component",
                if exports.is_empty() {
                    "nothing".to_string()
                } else {
                    exports.join(", ")
                }
            )));
        }
        let cli = run.common.wasi.cli == Some(true);
        let instance_pre = linker.instantiate_pre(&component).map_err(|e| {
            let hint = if cli {
                ""
            } else {
                " (serve links only the HTTP proxy worlds' imports; -S cli links all of WASI)"
            };
            usage(format!("cannot serve {path}: {e:#}{hint}"))
        })?;
        // As `wasmtime serve`: a p3 handler is served as p3 even beside a p2 one; a p2
        // instance serves one request unless told otherwise, always one at a time; a p3 one
        // 128, 16 at a time.
        let (pre, reuse, concurrent) = if p3 {
            let pre = wasi_bridge::http::p3::bindings::ServicePre::new(instance_pre)
                .map_err(|e| usage(format!("cannot serve {path}: {e:#}")))?;
            (
                ProxyPre::P3(pre),
                options.max_instance_reuse_count.unwrap_or(128).max(1),
                options
                    .max_instance_concurrent_reuse_count
                    .unwrap_or(16)
                    .max(1),
            )
        } else {
            let pre = wasi_bridge::http::p2::bindings::ProxyPre::new(instance_pre)
                .map_err(|e| usage(format!("cannot serve {path}: {e:#}")))?;
            (
                ProxyPre::P2(pre),
                options.max_instance_reuse_count.unwrap_or(1).max(1),
                1,
            )
        };
        let stores = Stores {
            deadline_ticks: timeout
                .map(|t| (t.as_millis() / EPOCH_PERIOD.as_millis()).max(1) as u64),
            run,
            engine,
            no_logging_prefix: options.no_logging_prefix,
            next_instance: AtomicU64::new(0),
            p3,
        };
        let handler = ProxyHandler::new(ServeState {
            pre,
            stores,
            reuse,
            concurrent,
            idle: options.idle_instance_timeout,
            timeout,
        });
        let server = Arc::new(Server {
            handler,
            headers: RequestHeaders::parse(&options.headers)?,
            requests: Semaphore::new(options.max_concurrent_requests),
        });
        serve(server, &options).await
    }
}

/// The options that shape the server rather than each request.
struct ServeOptions {
    addrs: Vec<SocketAddr>,
    systemd_listenfd: bool,
    idle_process_timeout: Option<Duration>,
    shutdown_addr: Option<SocketAddr>,
    no_logging_prefix: bool,
    max_instance_reuse_count: Option<usize>,
    max_instance_concurrent_reuse_count: Option<usize>,
    idle_instance_timeout: Duration,
    headers: Vec<String>,
    max_concurrent_requests: usize,
    max_concurrent_connections: usize,
}

impl RunCommand {
    /// The linker of a served component: the `proxy` world's WASI (and WASIp3's), or all of
    /// WASI with `-S cli`, plus wasi:http at both versions.
    fn serve_linker(&self, engine: &Engine) -> Result<Linker<CliHost>, Failure> {
        let mut linker = Linker::new(engine);
        let p3 = self.common.wasi.p3 != Some(false);
        let mut link = || -> wasmtime::Result<()> {
            if self.common.wasi.cli == Some(true) {
                wasi_bridge::run::add_to_linker_with(
                    &mut linker,
                    p3,
                    self.common.wasi.network_error_code == Some(true),
                )?;
                wasi_bridge::http::p2::add_only_http_to_linker_async(&mut linker)?;
            } else {
                // As `wasmtime serve`: the proxy worlds' imports only (for p3: cli, clocks,
                // random); `-S cli` links the rest.
                wasi_bridge::http::p2::add_to_linker_async(&mut linker)?;
                if p3 {
                    wasi_bridge::p3::cli::add_to_linker(&mut linker)?;
                    wasi_bridge::p3::clocks::add_to_linker(&mut linker)?;
                    wasi_bridge::p3::random::add_to_linker(&mut linker)?;
                }
            }
            if p3 {
                wasi_bridge::http::p3::add_to_linker(&mut linker)?;
            }
            Ok(())
        };
        link().map_err(Failure::Guest)?;
        Ok(linker)
    }
}

/// Shutdown bookkeeping: a request to stop, and how many connections are open.
struct Shutdown {
    requested: Notify,
    open: watch::Sender<usize>,
}

/// One open connection, counted while it lives.
struct Open(Arc<Shutdown>);

impl Shutdown {
    fn new() -> Arc<Self> {
        Arc::new(Shutdown {
            requested: Notify::new(),
            open: watch::Sender::new(0),
        })
    }

    fn enter(self: &Arc<Self>) -> Open {
        self.open.send_modify(|n| *n += 1);
        Open(self.clone())
    }

    /// Completes once no connection has been open for `limit` (`--idle-process-timeout`).
    async fn idle_for(&self, limit: Duration) {
        let mut open = self.open.subscribe();
        loop {
            if open.wait_for(|n| *n == 0).await.is_err() {
                return std::future::pending().await;
            }
            // Any change (a connection opening) restarts the wait.
            if tokio::time::timeout(limit, open.changed()).await.is_err() {
                return;
            }
        }
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.send_modify(|n| *n -= 1);
    }
}

/// A socket `serve` accepts connections on.
enum Listener {
    Tcp(tokio::net::TcpListener),
    Unix(tokio::net::UnixListener),
}

/// An accepted connection.
enum Connection {
    Tcp(tokio::net::TcpStream),
    Unix(tokio::net::UnixStream),
}

impl Listener {
    /// Binds `addr` as `wasmtime serve` does: `SO_REUSEADDR`, a backlog of 100.
    fn bind(addr: SocketAddr) -> Result<Self, Failure> {
        let listen = || -> std::io::Result<tokio::net::TcpListener> {
            let socket = match addr {
                SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
                SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
            };
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            socket.listen(100)
        };
        listen().map(Listener::Tcp).map_err(|e| {
            usage(format!(
                "--addr {addr}: cannot listen there: {e} (pick a free address, or port 0 for any)"
            ))
        })
    }

    /// The listening sockets systemd-style activation passed in, in order.
    fn inherited() -> Result<Vec<Self>, Failure> {
        let mut fds = listenfd::ListenFd::from_env();
        if fds.len() == 0 {
            return Err(usage(
                "--systemd-listenfd: no sockets were passed in (LISTEN_FDS is unset or 0, or \
                 LISTEN_PID names another process); start wasi-bridge from a systemd socket \
                 unit (or `systemd-socket-activate`), or serve on --addr instead",
            ));
        }
        let mut out = Vec::new();
        for i in 0..fds.len() {
            let fd = i + 3;
            let adopt = |e: std::io::Error| {
                usage(format!(
                    "--systemd-listenfd: cannot serve on inherited fd {fd}: {e}"
                ))
            };
            let listener = match fds.take_tcp_listener(i) {
                Ok(Some(l)) => {
                    l.set_nonblocking(true).map_err(adopt)?;
                    Listener::Tcp(tokio::net::TcpListener::from_std(l).map_err(adopt)?)
                }
                Ok(None) => continue,
                Err(_) => match fds.take_unix_listener(i) {
                    Ok(Some(l)) => {
                        l.set_nonblocking(true).map_err(adopt)?;
                        Listener::Unix(tokio::net::UnixListener::from_std(l).map_err(adopt)?)
                    }
                    Ok(None) => continue,
                    Err(_) => {
                        return Err(usage(format!(
                            "--systemd-listenfd: inherited fd {fd} is not a listening TCP or \
                             Unix-domain stream socket (datagram sockets cannot serve HTTP)"
                        )));
                    }
                },
            };
            out.push(listener);
        }
        Ok(out)
    }

    /// Where it listens, as the `Serving HTTP on ...` line says it.
    fn describe(&self) -> std::io::Result<String> {
        Ok(match self {
            Listener::Tcp(l) => format!("http://{}/", l.local_addr()?),
            Listener::Unix(l) => match l.local_addr()?.as_pathname() {
                Some(path) => format!("unix:{}", path.display()),
                None => "unix:(unnamed)".to_string(),
            },
        })
    }

    async fn accept(&self) -> std::io::Result<Connection> {
        Ok(match self {
            Listener::Tcp(l) => {
                let (stream, _) = l.accept().await?;
                // As `wasmtime serve`: no Nagle (small, intermittent body chunks).
                let _ = stream.set_nodelay(true);
                Connection::Tcp(stream)
            }
            Listener::Unix(l) => Connection::Unix(l.accept().await?.0),
        })
    }
}

async fn serve(server: Arc<Server>, options: &ServeOptions) -> Result<i32, Failure> {
    let shutdown = Shutdown::new();
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                shutdown.requested.notify_one();
            }
        }
    });
    if let Some(addr) = options.shutdown_addr {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| usage(format!("--shutdown-addr {addr}: cannot listen there: {e}")))?;
        let local = listener.local_addr().map_err(|e| usage(e.to_string()))?;
        eprintln!("Listening for shutdown on tcp://{local}/");
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _ = listener.accept().await;
            shutdown.requested.notify_one();
        });
    }
    let mut listeners = if options.systemd_listenfd {
        Listener::inherited()?
    } else {
        Vec::new()
    };
    if options.addrs.is_empty() && !options.systemd_listenfd {
        listeners.push(Listener::bind(DEFAULT_ADDR)?);
    }
    for addr in &options.addrs {
        listeners.push(Listener::bind(*addr)?);
    }
    for listener in &listeners {
        let at = listener.describe().map_err(|e| usage(e.to_string()))?;
        eprintln!("Serving HTTP on {at}");
    }
    let connections = Arc::new(Semaphore::new(options.max_concurrent_connections));
    // One accept loop per listener; each connection is a task of its own, which outlives
    // the loop that accepted it.
    let loops: Vec<_> = listeners
        .into_iter()
        .map(|listener| {
            let (server, connections, shutdown) =
                (server.clone(), connections.clone(), shutdown.clone());
            tokio::spawn(async move {
                loop {
                    let Ok(permit) = connections.clone().acquire_owned().await else {
                        return;
                    };
                    let stream = match listener.accept().await {
                        Ok(stream) => stream,
                        Err(e) => {
                            eprintln!("error: accept failed: {e}");
                            // Out of descriptors, say: give connections a moment to close.
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    };
                    let open = shutdown.enter();
                    let server = server.clone();
                    tokio::spawn(async move {
                        match stream {
                            Connection::Tcp(s) => serve_connection(server, s).await,
                            Connection::Unix(s) => serve_connection(server, s).await,
                        }
                        drop(open);
                        drop(permit);
                    });
                }
            })
        })
        .collect();
    let idle = async {
        match options.idle_process_timeout {
            Some(limit) => shutdown.idle_for(limit).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = shutdown.requested.notified() => {}
        () = idle => {}
    }
    for accept in &loops {
        accept.abort();
    }
    server.requests.close();
    let mut open = shutdown.open.subscribe();
    if *open.borrow_and_update() == 0 {
        return Ok(0);
    }
    eprintln!("Waiting for child tasks to exit, ctrl-c again to quit sooner...");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = open.wait_for(|n| *n == 0) => {}
    }
    Ok(0)
}

const ERROR_HTML: &str = "\
<!doctype html>
<html>
<head>
    <title>500 Internal Server Error</title>
</head>
<body>
    <center>
        <h1>500 Internal Server Error</h1>
        <hr>
        wasi-bridge
    </center>
</body>
</html>";

async fn serve_connection<S>(server: Arc<Server>, stream: S)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |req| {
        let server = server.clone();
        async move {
            match server.handle(req).await {
                Ok(response) => Ok::<_, std::convert::Infallible>(response),
                Err(e) => {
                    // An instance that trapped or timed out says why when it ends.
                    if !e.is::<TrapOrPanicError>() {
                        eprintln!("error: {e:?}");
                    }
                    let mut response = http::Response::new(
                        Full::new(Bytes::from_static(ERROR_HTML.as_bytes()))
                            .map_err(|never| match never {})
                            .boxed_unsync(),
                    );
                    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                    response.headers_mut().insert(
                        http::header::CONTENT_TYPE,
                        http::HeaderValue::from_static("text/html; charset=UTF-8"),
                    );
                    Ok(response)
                }
            }
        }
    });
    if let Err(e) = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(wasi_bridge::http::io::TokioIo::new(stream), service)
        .await
    {
        eprintln!("error: {e:?}");
    }
}

impl Stores {
    /// A store for one instance, its output prefixed with the instance's number.
    fn new_store(&self) -> wasmtime::Result<Store<CliHost>> {
        let id = self.next_instance.fetch_add(1, Ordering::Relaxed);
        let failed = |f: Failure| match f {
            Failure::Usage(msg) => wasmtime::format_err!("{msg}"),
            Failure::Guest(e) => e,
        };
        let mut builder = self.run.context().map_err(failed)?;
        builder.env("INSTANCE_ID", id.to_string());
        let prefix = (!self.no_logging_prefix).then_some(id);
        builder.stdout(LogStream::new(prefix, Output::Stdout));
        builder.stderr(LogStream::new(prefix, Output::Stderr));
        let mut store = self
            .run
            .store(&self.engine, WasiP1Ctx::new(builder.build()))
            .map_err(failed)?;
        if let Some(ticks) = self.deadline_ticks {
            if self.p3 {
                store.epoch_deadline_async_yield_and_update(1);
                store.set_epoch_deadline(1);
            } else {
                // Bounds instantiation; each request then starts its own deadline.
                store.set_epoch_deadline(ticks);
            }
        }
        Ok(store)
    }
}

impl Server {
    async fn handle(
        self: Arc<Self>,
        mut request: hyper::Request<hyper::body::Incoming>,
    ) -> wasmtime::Result<http::Response<WasiBody>> {
        let _permit = self.requests.acquire().await?;
        self.headers.apply(request.headers_mut());
        let request = request.map(|body| body.map_err(Into::into).boxed_unsync());
        self.handler.handle((), request).await
    }
}

/// Which of the process's streams a guest stream goes to.
#[derive(Clone, Copy)]
enum Output {
    Stdout,
    Stderr,
}

/// A guest's stdout or stderr, each line prefixed with its instance (as `wasmtime serve`:
/// `stdout [N] :: `), or not (`--no-logging-prefix`). The prefix is written as the line starts,
/// not kept as a string: a store per request costs no formatting until its guest prints.
#[derive(Clone)]
struct LogStream {
    output: Output,
    instance: Option<u64>,
    at_line_start: Arc<AtomicBool>,
}

impl LogStream {
    fn new(instance: Option<u64>, output: Output) -> Self {
        LogStream {
            output,
            instance,
            at_line_start: Arc::new(AtomicBool::new(true)),
        }
    }

    fn write_all(&self, mut bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        let mut out: Box<dyn Write> = match self.output {
            Output::Stdout => Box::new(std::io::stdout().lock()),
            Output::Stderr => Box::new(std::io::stderr().lock()),
        };
        while !bytes.is_empty() {
            if self.at_line_start.swap(false, Ordering::Relaxed)
                && let Some(id) = self.instance
            {
                let name = match self.output {
                    Output::Stdout => "stdout",
                    Output::Stderr => "stderr",
                };
                write!(out, "{name} [{id}] :: ")?;
            }
            match bytes.iter().position(|b| *b == b'\n') {
                Some(i) => {
                    out.write_all(&bytes[..=i])?;
                    bytes = &bytes[i + 1..];
                    self.at_line_start.store(true, Ordering::Relaxed);
                }
                None => {
                    out.write_all(bytes)?;
                    break;
                }
            }
        }
        out.flush()
    }
}

impl wasi_bridge::cli::IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasi_bridge::cli::StdoutStream for LogStream {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for LogStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(self.write_all(buf).map(|()| buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
