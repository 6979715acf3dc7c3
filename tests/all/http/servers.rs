//! The servers the wasi:http tests compare: the oracle (wasmtime-wasi-http's `ProxyHandler`,
//! scheduled as `wasmtime serve`) and wasi-bridge behind the same host text, plus wasi-bridge's
//! p2 through the low-level API; each on 127.0.0.1:0.

use crate::native_http;
use http_body_util::BodyExt;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store};

pub(super) const P2: &str = "tests/guests/wasm/p2-http.wasm";
pub(super) const P3: &str = "tests/guests/wasm/p3-http.wasm";
pub(super) const P3_CALLBACK: &str = "tests/guests/wasm/p3-http-cb.wasm";
pub(super) const GUEST: &str = P2;

pub(super) fn engine() -> Engine {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model_async(true);
    Engine::new(&config).unwrap()
}

/// A server: accepts connections on 127.0.0.1:0 and hands each request to `handle`.
pub(super) async fn serve<F, Fut>(handle: F) -> SocketAddr
where
    F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = wasmtime::Result<hyper::Response<wasi_bridge::http::WasiBody>>>
        + Send
        + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(native_http::serve_on(listener, handle));
    addr
}

/// Serves with a `handler_host` handler, of either crate.
macro_rules! serve_handler {
    ($handler:expr) => {{
        let handler = $handler.clone();
        serve(move |req| {
            let handler = handler.clone();
            async move {
                handler
                    .handle((), req.map(|b| b.map_err(Into::into).boxed_unsync()))
                    .await
            }
        })
        .await
    }};
}

/// Both hosts' `handler_host` handlers for `guest` with `limits` (see `handler_with`), each
/// serving on its own address.
pub(super) async fn handler_servers(
    guest: &str,
    limits: Option<(usize, usize)>,
) -> (
    Arc<wasmtime_wasi_http::handler::ProxyHandler<native_http::native::State>>,
    Arc<wasi_bridge::http::handler::ProxyHandler<native_http::bridge::State>>,
    Servers,
) {
    let engine = engine();
    let native = native_http::native::handler_with(&engine, guest, limits);
    let bridge = native_http::bridge::handler_with(&engine, guest, limits);
    let servers = Servers {
        native: serve_handler!(native),
        bridge: serve_handler!(bridge),
    };
    (native, bridge, servers)
}

// ---- the oracle: wasmtime-wasi-http's ProxyHandler, scheduled as `wasmtime serve` ----

pub(super) async fn native_server(engine: &Engine, guest: &str) -> SocketAddr {
    let handler = native_http::native_handler(engine, guest);
    serve(move |req| {
        let handler = handler.clone();
        async move {
            handler
                .handle((), req.map(|b| b.map_err(Into::into).boxed_unsync()))
                .await
        }
    })
    .await
}

// ---- wasi-bridge, through its drop-in API (the same host with the paths changed) ----

pub(super) struct BridgeHost {
    wasi: wasi_bridge::WasiCtx,
    http: wasi_bridge::http::WasiHttpCtx,
    table: ResourceTable,
}

impl wasi_bridge::WasiView for BridgeHost {
    fn ctx(&mut self) -> wasi_bridge::WasiCtxView<'_> {
        wasi_bridge::WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl wasi_bridge::http::WasiHttpView for BridgeHost {
    fn http(&mut self) -> wasi_bridge::http::WasiHttpCtxView<'_> {
        wasi_bridge::http::WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

/// wasi-bridge's p2 through the low-level API a host without `ProxyHandler` uses
/// (`new_incoming_request`, `new_response_outparam`, `call_handle` on a store per request).
pub(super) async fn bridge_p2_low_level_server(engine: &Engine, guest: &str) -> SocketAddr {
    use wasi_bridge::http::WasiHttpView;
    let component = Component::from_file(engine, guest).unwrap();
    let mut linker = Linker::new(engine);
    wasi_bridge::http::p2::add_to_linker_async(&mut linker).unwrap();
    let pre =
        wasi_bridge::http::p2::bindings::ProxyPre::new(linker.instantiate_pre(&component).unwrap())
            .unwrap();
    let engine = engine.clone();
    serve(move |req| {
        let pre = pre.clone();
        let engine = engine.clone();
        async move {
            let mut store = Store::new(
                &engine,
                BridgeHost {
                    wasi: wasi_bridge::WasiCtx::builder().build(),
                    http: wasi_bridge::http::WasiHttpCtx::new(),
                    table: ResourceTable::new(),
                },
            );
            let (sender, receiver) = tokio::sync::oneshot::channel::<
                Result<
                    hyper::Response<wasi_bridge::http::p2::body::HyperOutgoingBody>,
                    wasi_bridge::http::p2::bindings::http::types::ErrorCode,
                >,
            >();
            let req = store.data_mut().http().new_incoming_request(
                wasi_bridge::http::p2::bindings::http::types::Scheme::Http,
                req,
            )?;
            let out = store.data_mut().http().new_response_outparam(sender)?;
            let task = tokio::spawn(async move {
                let proxy = pre.instantiate_async(&mut store).await?;
                proxy
                    .wasi_http_incoming_handler()
                    .call_handle(&mut store, req, out)
                    .await
            });
            match receiver.await {
                Ok(Ok(resp)) => {
                    Ok(resp.map(|b| b.map_err(wasi_bridge::http::Error::from).boxed_unsync()))
                }
                Ok(Err(e)) => Err(e.into()),
                Err(_) => {
                    let _ = task.await;
                    wasmtime::bail!("guest never invoked `response-outparam::set` method")
                }
            }
        }
    })
    .await
}

/// wasi-bridge behind the oracle's own host text (`common/handler_host.rs`), paths changed.
pub(super) async fn bridge_server(engine: &Engine, guest: &str) -> SocketAddr {
    let handler = native_http::bridge::handler(engine, guest);
    serve(move |req| {
        let handler = handler.clone();
        async move {
            handler
                .handle((), req.map(|b| b.map_err(Into::into).boxed_unsync()))
                .await
        }
    })
    .await
}

pub(super) struct Servers {
    pub(super) native: SocketAddr,
    pub(super) bridge: SocketAddr,
}

pub(super) async fn servers_for(guest: &str) -> Servers {
    let engine = engine();
    Servers {
        native: native_server(&engine, guest).await,
        bridge: bridge_server(&engine, guest).await,
    }
}
