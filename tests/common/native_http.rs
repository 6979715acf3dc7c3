//! The oracle's HTTP server: wasmtime-wasi 48 + wasmtime-wasi-http 48 behind
//! wasmtime-wasi-http's own `ProxyHandler`, scheduled as `wasmtime serve` 48 schedules it (p2:
//! one request per instance; p3: up to 128 requests per instance, 16 at a time, 1 s idle).

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use wasmtime::component::{Component, GuestTaskId, Linker, ResourceTable};
use wasmtime::{Engine, Store, StoreContextMut};
use wasmtime_wasi_http::handler::{
    HandlerState, Instance, ProxyHandler, ProxyPre, ShouldAccept, WorkerExpiration, WorkerState,
    WorkerStatus,
};

/// The store data of the oracle.
pub struct NativeHost {
    wasi: wasmtime_wasi::WasiCtx,
    http: wasmtime_wasi_http::WasiHttpCtx,
    table: ResourceTable,
}

impl wasmtime_wasi::WasiView for NativeHost {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wasmtime_wasi_http::WasiHttpView for NativeHost {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        wasmtime_wasi_http::WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

/// The handler state: the prepared component and `wasmtime serve`'s reuse limits.
pub struct NativeState {
    engine: Engine,
    pre: ProxyPre<NativeHost>,
    reuse: usize,
    concurrent: usize,
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
}

impl WorkerState for Reuse {
    type StoreData = NativeHost;
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
        _store: StoreContextMut<'_, NativeHost>,
        _data: (),
        _task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + 'static + Send + Sync>> {
        Box::pin(std::future::pending())
    }

    fn drop(&self, store: Store<NativeHost>, _result: wasmtime::Result<()>) {
        drop(store);
    }
}

impl HandlerState for NativeState {
    type StoreData = NativeHost;
    type WorkerExpiration = IdleExpiration;
    type WorkerState = Reuse;

    async fn instantiate(&self) -> wasmtime::Result<Instance<NativeHost, IdleExpiration, Reuse>> {
        let mut store = Store::new(
            &self.engine,
            NativeHost {
                wasi: wasmtime_wasi::WasiCtx::builder().build(),
                http: wasmtime_wasi_http::WasiHttpCtx::new(),
                table: ResourceTable::new(),
            },
        );
        let proxy = self.pre.instantiate_async(&mut store).await?;
        Ok(Instance {
            store,
            proxy,
            view: wasmtime_wasi_http::WasiHttpView::http,
            expiration: IdleExpiration {
                sleep: Box::pin(tokio::time::sleep(Duration::MAX / 4)),
            },
            state: Reuse {
                reuse: self.reuse,
                concurrent: self.concurrent,
            },
        })
    }
}

/// The oracle's handler for the component at `path`: p3 when it exports a p3 handler, as
/// `wasmtime serve` decides.
pub fn native_handler(engine: &Engine, path: &str) -> Arc<ProxyHandler<NativeState>> {
    let component = Component::from_file(engine, path).unwrap();
    let mut linker = Linker::new(engine);
    wasmtime_wasi_http::p2::add_to_linker_async(&mut linker).unwrap();
    wasmtime_wasi_http::p3::add_to_linker(&mut linker).unwrap();
    wasmtime_wasi::p3::clocks::add_to_linker(&mut linker).unwrap();
    wasmtime_wasi::p3::random::add_to_linker(&mut linker).unwrap();
    wasmtime_wasi::p3::cli::add_to_linker(&mut linker).unwrap();
    let instance = linker.instantiate_pre(&component).unwrap();
    let (pre, reuse, concurrent) =
        match wasmtime_wasi_http::p3::bindings::ServicePre::new(instance.clone()) {
            Ok(pre) => (ProxyPre::P3(pre), 128, 16),
            Err(_) => (
                ProxyPre::P2(wasmtime_wasi_http::p2::bindings::ProxyPre::new(instance).unwrap()),
                1,
                1,
            ),
        };
    Arc::new(ProxyHandler::new(NativeState {
        engine: engine.clone(),
        pre,
        reuse,
        concurrent,
    }))
}
