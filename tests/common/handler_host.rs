// A host written against wasmtime-wasi-http 48's `handler` API (`HandlerState`, `WorkerState`,
// `WorkerExpiration`, `ProxyHandler`), scheduled as `wasmtime serve` 48 schedules (p2: one
// request per instance; p3: up to 128 requests per instance, 16 at a time, 1 s idle). It names
// the crates only as `wasi` and `wasi_http`, which the module including it binds: to
// wasmtime-wasi + wasmtime-wasi-http (the oracle) or to wasi-bridge + wasi_bridge::http. The
// same text compiling and serving against both is the drop-in claim, tested.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, GuestTaskId, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreContextMut};
use wasi_http::handler::{
    HandlerState, Instance, ProxyHandler, ProxyPre, ShouldAccept, WorkerExpiration, WorkerState,
    WorkerStatus,
};

/// The store data.
pub struct Host {
    wasi: wasi::WasiCtx,
    http: wasi_http::WasiHttpCtx,
    table: ResourceTable,
}

impl wasi::WasiView for Host {
    fn ctx(&mut self) -> wasi::WasiCtxView<'_> {
        wasi::WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wasi_http::WasiHttpView for Host {
    fn http(&mut self) -> wasi_http::WasiHttpCtxView<'_> {
        wasi_http::WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

/// The handler state: the prepared component and `wasmtime serve`'s reuse limits.
pub struct State {
    engine: Engine,
    pre: ProxyPre<Host>,
    reuse: usize,
    concurrent: usize,
    /// Workers that ended with an error (a trap, an expiration, a panic).
    pub failed_workers: Arc<std::sync::atomic::AtomicUsize>,
    /// Instances made so far.
    pub instances: std::sync::atomic::AtomicUsize,
    /// What every instance wrote to stdout (1 MiB at most).
    pub stdout: wasi::p2::pipe::MemoryOutputPipe,
    /// What every instance wrote to stderr (1 MiB at most).
    pub stderr: wasi::p2::pipe::MemoryOutputPipe,
}

/// Expires an idle instance after `wasmtime serve`'s default second.
pub struct IdleExpiration {
    sleep: Pin<Box<tokio::time::Sleep>>,
}

impl WorkerExpiration for IdleExpiration {
    fn poll(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        status: WorkerStatus,
        start: Instant,
    ) -> Poll<()> {
        if status != WorkerStatus::Idle {
            return Poll::Pending;
        }
        let deadline = tokio::time::Instant::from_std(start + Duration::from_secs(1));
        if self.sleep.deadline() != deadline {
            self.sleep.as_mut().reset(deadline);
        }
        self.sleep.as_mut().poll(cx)
    }
}

/// Accepts up to the reuse limits.
pub struct Reuse {
    reuse: usize,
    concurrent: usize,
    failed_workers: Arc<std::sync::atomic::AtomicUsize>,
}

impl WorkerState for Reuse {
    type StoreData = Host;
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
        _store: StoreContextMut<'_, Host>,
        _data: (),
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + 'static + Send + Sync>> {
        Box::pin(std::future::pending())
    }

    fn drop(&self, store: Store<Host>, result: wasmtime::Result<()>) {
        drop(store);
        if result.is_err() {
            self.failed_workers
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl HandlerState for State {
    type StoreData = Host;
    type WorkerExpiration = IdleExpiration;
    type WorkerState = Reuse;

    async fn instantiate(&self) -> wasmtime::Result<Instance<Host, IdleExpiration, Reuse>> {
        self.instances
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut store = Store::new(
            &self.engine,
            Host {
                wasi: wasi::WasiCtx::builder()
                    .stdout(self.stdout.clone())
                    .stderr(self.stderr.clone())
                    .build(),
                http: wasi_http::WasiHttpCtx::new(),
                table: ResourceTable::new(),
            },
        );
        let proxy = self.pre.instantiate_async(&mut store).await?;
        Ok(Instance {
            store,
            proxy,
            view: wasi_http::WasiHttpView::http,
            expiration: IdleExpiration {
                sleep: Box::pin(tokio::time::sleep(Duration::MAX / 4)),
            },
            state: Reuse {
                reuse: self.reuse,
                concurrent: self.concurrent,
                failed_workers: self.failed_workers.clone(),
            },
        })
    }
}

/// A handler for the component at `path`: p3 when it exports a p3 handler, as `wasmtime serve`
/// decides.
pub fn handler(engine: &Engine, path: &str) -> Arc<ProxyHandler<State>> {
    handler_with(engine, path, None)
}

/// [`handler`] with the limits `(reuse, concurrent)` instead of wasmtime serve's defaults (p2:
/// one request per instance; p3: 128, 16 at a time). As in `wasmtime serve`, a p2 instance
/// takes one request at a time whatever `concurrent` says.
pub fn handler_with(
    engine: &Engine,
    path: &str,
    limits: Option<(usize, usize)>,
) -> Arc<ProxyHandler<State>> {
    let component = Component::from_file(engine, path).unwrap();
    let mut linker = Linker::new(engine);
    wasi_http::p2::add_to_linker_async(&mut linker).unwrap();
    wasi_http::p3::add_to_linker(&mut linker).unwrap();
    wasi::p3::clocks::add_to_linker(&mut linker).unwrap();
    wasi::p3::random::add_to_linker(&mut linker).unwrap();
    wasi::p3::cli::add_to_linker(&mut linker).unwrap();
    let instance = linker.instantiate_pre(&component).unwrap();
    let (pre, reuse, concurrent) =
        match wasi_http::p3::bindings::ServicePre::new(instance.clone()) {
            Ok(pre) => {
                let (reuse, concurrent) = limits.unwrap_or((128, 16));
                (ProxyPre::P3(pre), reuse, concurrent)
            }
            Err(_) => (
                ProxyPre::P2(wasi_http::p2::bindings::ProxyPre::new(instance).unwrap()),
                limits.map_or(1, |(reuse, _)| reuse),
                1,
            ),
        };
    Arc::new(ProxyHandler::new(State {
        engine: engine.clone(),
        pre,
        reuse,
        concurrent,
        failed_workers: Default::default(),
        instances: Default::default(),
        stdout: wasi::p2::pipe::MemoryOutputPipe::new(1 << 20),
        stderr: wasi::p2::pipe::MemoryOutputPipe::new(1 << 20),
    }))
}
