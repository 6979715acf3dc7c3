//! Instance scheduling, as `wasmtime serve` (wasmtime-wasi-http's `HandlerState`): the store
//! of each instance, how many requests it takes and for how long, and when it expires.

use super::output::{LogStream, Output};
use crate::command::common::{Failure, RunCommon};
use crate::command::host::CliHost;
use crate::http::WasiHttpView;
use crate::http::handler::{
    HandlerState, Instance, ProxyPre, ShouldAccept, WorkerExpiration, WorkerState, WorkerStatus,
};
use crate::p1::WasiP1Ctx;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use wasmtime::component::GuestTaskId;
use wasmtime::{Engine, Store, StoreContextMut};

/// What makes a store for an instance.
pub struct Stores {
    /// The options each store and context is made from (without `-W timeout`).
    pub run: RunCommon,
    /// The guests' arguments.
    pub argv: Vec<String>,
    /// The engine the stores belong to.
    pub engine: Engine,
    /// `--no-logging-prefix`.
    pub no_logging_prefix: bool,
    /// The number of the next instance (its `INSTANCE_ID` and output prefix).
    pub next_instance: AtomicU64,
    /// Epoch ticks a WASIp2 request may run (`-W timeout`).
    pub deadline_ticks: Option<u64>,
    /// WASIp3 instances serve many requests: they yield on each tick instead, and each
    /// request is bounded by `timeout`.
    pub p3: bool,
}

impl Stores {
    /// A store for one instance, its output prefixed with the instance's number.
    fn new_store(&self) -> wasmtime::Result<Store<CliHost>> {
        let id = self.next_instance.fetch_add(1, Ordering::Relaxed);
        let failed = |f: Failure| match f {
            Failure::Usage(msg) => wasmtime::format_err!("{msg}"),
            Failure::Guest(e) => e,
        };
        let mut builder = self.run.context(&self.argv).map_err(failed)?;
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

/// `wasmtime serve`'s scheduling, as wasmtime-wasi-http's `HandlerState`: a WASIp2 instance
/// serves one request; a WASIp3 instance up to `reuse` (default 128), `concurrent` (16) at a
/// time, and is dropped after `idle` (1 s) without a request; with `-W timeout` a request
/// expires after it, and so does an instance whose latest request has run that long.
pub struct ServeState {
    /// The handler, ready to instantiate.
    pub pre: ProxyPre<CliHost>,
    /// What makes each instance's store.
    pub stores: Stores,
    /// Requests per instance.
    pub reuse: usize,
    /// Requests at once per instance.
    pub concurrent: usize,
    /// How long an idle instance is kept.
    pub idle: Duration,
    /// `-W timeout`: how long a request may run.
    pub timeout: Option<Duration>,
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
pub struct Expiration {
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
pub struct Reuse {
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
