//! `wasi-bridge serve`: `wasmtime serve`'s command line and behaviour, on the one core.
//!
//! hyper HTTP/1 with keep-alive, one task per connection, `listen(100)`, no Nagle; the first
//! stderr line is `Serving HTTP on http://ADDR/`; Ctrl-C stops accepting and waits for the
//! connections in flight (a second Ctrl-C quits at once); a handler that fails or never answers
//! gives a 500 and one `error:` line on stderr, and the server goes on. The engine is
//! `wasmtime serve`'s (the pooling allocator when the machine can reserve it), and so is the
//! scheduling: a WASIp2 instance serves `--max-instance-reuse-count` requests (default 1), one
//! at a time; a WASIp3 one 128, 16 at a time — except that an instance's pooled memory is reset
//! in place when it ends ([`reset_slots_in_place`]). Beside wasmtime 48's options: several `--addr`,
//! `--systemd-listenfd` and `--idle-process-timeout` (wasmtime 50's).
//!
//! [`server`] accepts connections and shuts down, [`instances`] schedules requests onto
//! instances and makes their stores, [`output`] prefixes the guests' output lines, [`headers`]
//! is `-H`.

mod headers;
mod instances;
mod output;
mod queue;
mod server;

use super::common::{Failure, RunCommon, file_name, usage};
use super::linked::Linked;
use super::options::Program;
use crate::http::handler::{ProxyHandler, ProxyPre};
use headers::RequestHeaders;
use instances::{ServeState, Stores};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use wasmtime::Engine;
use wasmtime::component::Component;

/// How often the epoch ticks when `-W timeout` bounds each request.
const EPOCH_PERIOD: Duration = Duration::from_millis(50);

fn parse_duration(s: &str) -> Result<Duration, String> {
    use wasmtime_cli_flags::opt::WasmtimeOptionValue;
    Duration::parse(Some(s)).map_err(|e| e.to_string())
}

/// `wasi-bridge serve`: `wasmtime serve`'s options.
#[derive(clap::Args)]
pub struct ServeCommand {
    #[command(flatten)]
    pub run: RunCommon,
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
    /// Maximum number of connections waiting to be accepted on each `--addr` (the listen
    /// backlog; default 100, as `wasmtime serve`).
    #[arg(long, default_value_t = 100, value_name = "N")]
    backlog: u32,
    /// The WebAssembly component to serve.
    #[arg(value_name = "WASM", required = true)]
    component: PathBuf,
}

/// Bytes of each pooled linear memory that `serve` resets in place when its instance ends
/// (`-O pooling-memory-keep-resident`, 0 in `wasmtime serve`).
pub const MEMORY_KEEP_RESIDENT: usize = 1 << 20;
/// Bytes of each pooled table reset in place (`-O pooling-table-keep-resident`).
pub const TABLE_KEEP_RESIDENT: usize = 64 << 10;

/// `serve`'s one engine default that differs from `wasmtime serve`'s (docs/differences.md):
/// when an instance ends, the first [`MEMORY_KEEP_RESIDENT`] bytes of its pooled linear
/// memory (and [`TABLE_KEEP_RESIDENT`] of its tables) are set back to their initial contents
/// in place — zeroes and the module's data image, written by wasmtime — instead of being
/// handed back to the kernel with `madvise` and faulted in again, page by page, by the next
/// instance in that slot. Every instance still starts from fresh memory (isolation is the
/// same: wasmtime rewrites every byte of that range); what goes is a fifth of a small
/// handler's CPU in page faults. The memory stays resident in the pool's warm slots (at
/// most 1 MiB each). wasmtime's `-O pooling-pagemap-scan`, which resets only the pages it
/// finds written, is left off: in 48 it can skip a written page that was swapped out
/// (wasmtime#14357), which would leave one tenant's data to the next. A value given with
/// `-O` (or in `--config`) wins.
fn reset_slots_in_place(common: &mut wasmtime_cli_flags::CommonOptions) {
    // Merges `--config` and `-O` into `opts` (it does so once; `engine` builds from the
    // result), so that what the user gave is seen. An error is reported by `engine`.
    let _ = common.config(None);
    let opts = &mut common.opts;
    opts.pooling_memory_keep_resident
        .get_or_insert(MEMORY_KEEP_RESIDENT);
    opts.pooling_table_keep_resident
        .get_or_insert(TABLE_KEEP_RESIDENT);
}

/// A served component's handler, ready to instantiate, and its ABI's scheduling.
struct Handler {
    pre: ProxyPre<super::host::CliHost>,
    /// Requests per instance.
    reuse: usize,
    /// Requests at once per instance.
    concurrent: usize,
}

impl ServeCommand {
    /// Serves until Ctrl-C, a connection to `--shutdown-addr` or `stop` completing; `Ok(0)`
    /// after a graceful stop.
    pub async fn execute(
        mut self,
        stop: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> Result<i32, Failure> {
        self.run.refuse_unsupported_flags()?;
        self.run.check_options(Program::Component)?;
        // The `--dir`s are opened now, once: a bad one is refused at start, and every
        // instance shares the open directories (no system calls per request for them).
        self.run.open_dirs()?;
        if self.run.common.wasi.http == Some(false) {
            return Err(usage(
                "-S http=n: wasi-http is required for the serve command, and must not be \
                 disabled",
            ));
        }
        reset_slots_in_place(&mut self.run.common);
        // As `wasmtime serve`: the pooling allocator unless `-O pooling-allocator` says
        // otherwise or the machine cannot reserve its address space.
        let engine = self
            .run
            .engine(crate::run::pooling_allocator_by_default())?;
        // Each request gets its own deadline on a shared epoch ticker, not `run`'s one-shot
        // timer (which would interrupt every store of the engine).
        let timeout = self.run.common.wasm.timeout.take();
        if timeout.is_some() {
            let ticker = engine.clone();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(EPOCH_PERIOD);
                    ticker.increment_epoch();
                }
            });
        }
        let handler = self.load(&engine)?;
        let p3 = matches!(handler.pre, ProxyPre::P3(_));
        let stores = Stores {
            deadline_ticks: timeout
                .map(|t| (t.as_millis() / EPOCH_PERIOD.as_millis()).max(1) as u64),
            argv: vec![file_name(&self.component)],
            run: self.run,
            engine,
            no_logging_prefix: self.no_logging_prefix,
            next_instance: Default::default(),
            p3,
        };
        let state = ServeState {
            pre: handler.pre,
            stores,
            reuse: handler.reuse,
            concurrent: handler.concurrent,
            idle: self.idle_instance_timeout,
            timeout,
        };
        let server = server::Server::new(
            ProxyHandler::new(state),
            RequestHeaders::parse(&self.headers)?,
            self.max_concurrent_requests.unwrap_or(1000),
        );
        let options = server::Options {
            addrs: self.addrs,
            systemd_listenfd: self.systemd_listenfd,
            idle_process_timeout: self.idle_process_timeout,
            shutdown_addr: self.shutdown_addr,
            max_concurrent_connections: self.max_concurrent_connections.unwrap_or(1000),
            backlog: self.backlog,
        };
        let served = server::serve(server, &options, stop).await;
        queue::flush();
        served
    }

    /// Reads and compiles the component, links it and finds its handler: a p3 handler is
    /// served as p3 even beside a p2 one (as `wasmtime serve`).
    fn load(&mut self, engine: &Engine) -> Result<Handler, Failure> {
        let path = self.component.display().to_string();
        let bytes = self
            .run
            .read_wasm(&self.component, "a wasi:http component")?;
        if crate::run::is_core_module(&bytes) {
            return Err(usage(format!(
                "{path} is a core module; the serve command needs a wasi:http component"
            )));
        }
        // A same-shape release candidate's names, as its release's.
        let bytes = crate::run::final_names(&bytes).unwrap_or(bytes);
        let component = Component::new(engine, &bytes)
            .map_err(|e| usage(format!("{path}: {}", crate::run::explain_compile_error(&e))))?;
        let linked = Linked::for_serve(&self.run.common.wasi);
        let linker = linked.linker(engine, &component)?;
        let exports: Vec<String> = component
            .component_type()
            .exports(engine)
            .map(|(name, _)| name.to_string())
            .collect();
        let p3 = exports
            .iter()
            .any(|e| crate::run::is_p3_name(e, "wasi:http/handler"));
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
        // A release candidate not renamed above: said as `run` says it, not as a link error.
        if let Err(rc @ crate::run::ImportProblem::ReleaseCandidate(_)) =
            crate::run::check_imports(engine, &component)
        {
            return Err(usage(format!("cannot serve {path}: {rc}")));
        }
        let instance_pre = linked.instantiate_pre(&linker, &component, "serve", &path)?;
        let cannot = |e: wasmtime::Error| usage(format!("cannot serve {path}: {e:#}"));
        // A p2 instance serves one request unless told otherwise, always one at a time; a p3
        // one 128, 16 at a time.
        Ok(if p3 {
            Handler {
                pre: ProxyPre::P3(
                    crate::http::p3::bindings::ServicePre::new(instance_pre).map_err(cannot)?,
                ),
                reuse: self.max_instance_reuse_count.unwrap_or(128).max(1),
                concurrent: self
                    .max_instance_concurrent_reuse_count
                    .unwrap_or(16)
                    .max(1),
            }
        } else {
            Handler {
                pre: ProxyPre::P2(
                    crate::http::p2::bindings::ProxyPre::new(instance_pre).map_err(cannot)?,
                ),
                reuse: self.max_instance_reuse_count.unwrap_or(1).max(1),
                concurrent: 1,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use wasmtime_cli_flags::CommonOptions;

    fn reset(args: &[&str]) -> (Option<usize>, Option<usize>) {
        let mut common =
            CommonOptions::try_parse_from(std::iter::once("serve").chain(args.iter().copied()))
                .unwrap();
        reset_slots_in_place(&mut common);
        (
            common.opts.pooling_memory_keep_resident,
            common.opts.pooling_table_keep_resident,
        )
    }

    /// `serve` resets pooled memories and tables in place unless `-O` says otherwise.
    #[test]
    fn slots_are_reset_in_place_unless_the_user_says_otherwise() {
        assert_eq!(
            reset(&[]),
            (Some(MEMORY_KEEP_RESIDENT), Some(TABLE_KEEP_RESIDENT))
        );
        assert_eq!(
            reset(&["-O", "pooling-memory-keep-resident=0"]),
            (Some(0), Some(TABLE_KEEP_RESIDENT))
        );
        assert_eq!(
            reset(&[
                "-O",
                "pooling-table-keep-resident=4096,pooling-memory-keep-resident=8192"
            ]),
            (Some(8192), Some(4096))
        );
    }
}
