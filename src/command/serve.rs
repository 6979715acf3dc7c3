//! `wasi-bridge serve`: `wasmtime serve`'s command line and behaviour, on the one core.
//!
//! hyper HTTP/1 with keep-alive, one task per connection, `listen(100)`, no Nagle; the first
//! stderr line is `Serving HTTP on http://ADDR/`; Ctrl-C stops accepting and waits for the
//! connections in flight (a second Ctrl-C quits at once); a handler that fails or never answers
//! gives a 500 and one `error:` line on stderr, and the server goes on. A WASIp2 handler gets a
//! fresh store per request, as `wasmtime serve` gives it.

use super::{CliHost, Failure, RunCommand, usage};
use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use std::time::Instant;
use tokio::sync::{Notify, Semaphore};
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
    /// Socket address for the web server to bind to.
    #[arg(long, value_name = "SOCKADDR", default_value_t = DEFAULT_ADDR)]
    addr: SocketAddr,
    /// Socket address where, when connected to, will initiate a graceful shutdown (as well as
    /// Ctrl-C).
    #[arg(long, value_name = "SOCKADDR")]
    shutdown_addr: Option<SocketAddr>,
    /// Disable the `stdout [N] :: ` / `stderr [N] :: ` prefixes of the guests' output lines.
    #[arg(long)]
    no_logging_prefix: bool,
    /// Maximum number of requests to send to one component instance before dropping it
    /// (WASIp2 handlers: 1).
    #[arg(long)]
    max_instance_reuse_count: Option<usize>,
    /// Maximum number of concurrent requests to send to one component instance (WASIp2
    /// handlers: 1).
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
        _store: StoreContextMut<'_, CliHost>,
        _data: (),
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + Send + Sync>> {
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
            addr: self.addr,
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
        // Each request gets its own deadline on a shared epoch ticker, not `run`'s one-shot
        // timer (which would interrupt every store of the engine).
        let timeout = run.common.wasm.timeout.take();
        let mut engine = run.engine()?;
        if timeout.is_some() {
            let mut config = run
                .common
                .config(None)
                .map_err(|e| usage(format!("{e:#}")))?;
            config.wasm_component_model_async(run.common.wasm.component_model_async != Some(false));
            config.epoch_interruption(true);
            engine = Engine::new(&config).map_err(|e| usage(format!("{e:#}")))?;
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
        // instance serves one request, a p3 one 128 (16 at a time) unless told otherwise.
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
            if let Some(n) = options.max_instance_reuse_count
                && n != 1
            {
                eprintln!(
                    "warning: --max-instance-reuse-count={n}: a WASIp2 handler serves one \
                     request per instance"
                );
            }
            (ProxyPre::P2(pre), 1, 1)
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
    addr: SocketAddr,
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

/// Shutdown bookkeeping: a request to stop, and the connections still open.
#[derive(Default)]
struct Shutdown {
    requested: Notify,
    done: Notify,
    active: Mutex<(usize, bool)>,
}

struct Active(Arc<Shutdown>);

impl Shutdown {
    fn enter(self: &Arc<Self>) -> Active {
        self.active.lock().unwrap_or_else(|e| e.into_inner()).0 += 1;
        Active(self.clone())
    }

    /// Stops counting new work; true when nothing is left.
    fn close(&self) -> bool {
        let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
        active.1 = true;
        active.0 == 0
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        let mut active = self.0.active.lock().unwrap_or_else(|e| e.into_inner());
        active.0 -= 1;
        if active.1 && active.0 == 0 {
            self.0.done.notify_one();
        }
    }
}

async fn serve(server: Arc<Server>, options: &ServeOptions) -> Result<i32, Failure> {
    let shutdown = Arc::new(Shutdown::default());
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
    let addr = options.addr;
    let listen = || -> std::io::Result<tokio::net::TcpListener> {
        let socket = match addr {
            SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(true)?;
        socket.bind(addr)?;
        socket.listen(100)
    };
    let listener = listen().map_err(|e| {
        usage(format!(
            "--addr {addr}: cannot listen there: {e} (pick a free address, or port 0 for any)"
        ))
    })?;
    let local = listener.local_addr().map_err(|e| usage(e.to_string()))?;
    eprintln!("Serving HTTP on http://{local}/");
    let connections = Arc::new(Semaphore::new(options.max_concurrent_connections));
    loop {
        let (permit, stream) = tokio::select! {
            _ = shutdown.requested.notified() => break,
            accepted = async {
                let permit = connections.clone().acquire_owned().await.ok()?;
                Some((permit, listener.accept().await))
            } => match accepted {
                Some((permit, Ok((stream, _)))) => (permit, stream),
                Some((_, Err(e))) => {
                    eprintln!("error: accept failed: {e}");
                    continue;
                }
                None => break,
            },
        };
        let _ = stream.set_nodelay(true);
        let active = shutdown.enter();
        let server = server.clone();
        tokio::spawn(async move {
            serve_connection(server, stream).await;
            drop(active);
            drop(permit);
        });
    }
    server.requests.close();
    if shutdown.close() {
        return Ok(0);
    }
    eprintln!("Waiting for child tasks to exit, ctrl-c again to quit sooner...");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = shutdown.done.notified() => {}
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

async fn serve_connection(server: Arc<Server>, stream: tokio::net::TcpStream) {
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
        let (out, err) = if self.no_logging_prefix {
            (String::new(), String::new())
        } else {
            (format!("stdout [{id}] :: "), format!("stderr [{id}] :: "))
        };
        builder.stdout(LogStream::new(out, Output::Stdout));
        builder.stderr(LogStream::new(err, Output::Stderr));
        let mut store = self
            .run
            .store(&self.engine, WasiP1Ctx::new(builder.build()))
            .map_err(failed)?;
        if let Some(ticks) = self.deadline_ticks {
            if self.p3 {
                store.epoch_deadline_async_yield_and_update(1);
                store.set_epoch_deadline(1);
            } else {
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

/// A guest's stdout or stderr, each line prefixed with its instance (as `wasmtime serve`).
#[derive(Clone)]
struct LogStream {
    output: Output,
    prefix: Arc<str>,
    at_line_start: Arc<AtomicBool>,
}

impl LogStream {
    fn new(prefix: String, output: Output) -> Self {
        LogStream {
            output,
            prefix: prefix.into(),
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
            if self.at_line_start.swap(false, Ordering::Relaxed) {
                out.write_all(self.prefix.as_bytes())?;
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
