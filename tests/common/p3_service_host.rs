// A host driving a p3 `wasi:http/service` component through wasmtime-wasi-http 48's p3 host
// API, as its own tests do: `p3::Request::from_http`, the bindings' `Service::handle` (the
// guest's `error-code` typed), `p3::Response::into_http` and `handler::Prepared`. It is
// included after `handler_host.rs` in the same module (`native_http.rs`), whose store data
// (`Host`) and imports it uses, so it too names the crates only as `wasi` and `wasi_http`.

use http_body_util::BodyExt as _;
use wasmtime::AsContextMut as _;

/// A fresh store for `guest`'s service, with the p3 WASI and wasi:http linked.
#[allow(dead_code)]
fn service_store(engine: &Engine, guest: &str) -> (Store<Host>, Linker<Host>, Component) {
    let mut linker = Linker::new(engine);
    wasi::p3::add_to_linker(&mut linker).unwrap();
    wasi_http::p3::add_to_linker(&mut linker).unwrap();
    let component = Component::from_file(engine, guest).unwrap();
    let host = Host {
        wasi: wasi::WasiCtx::builder().build(),
        http: wasi_http::WasiHttpCtx::new(),
        table: ResourceTable::new(),
    };
    (Store::new(engine, host), linker, component)
}

/// What the host got for a GET of `path`: the response's status and whole body (or the
/// error reading it), or the guest's `error-code`, as debug text.
#[allow(dead_code)] // (the http bench includes this file for the handlers only)
pub async fn get_with_service(engine: &Engine, guest: &str, path: &str) -> String {
    let (mut store, linker, component) = service_store(engine, guest);
    let service =
        wasi_http::p3::bindings::Service::instantiate_async(&mut store, &component, &linker)
            .await
            .unwrap();
    let request = http::Request::get(format!("http://localhost{path}"))
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    store
        .run_concurrent(async move |store| -> wasmtime::Result<String> {
            // The future `from_http` returns borrows the hooks (in both crates' signatures), so
            // it stays in here; this host does not ask how the guest fared with the body.
            let request = store.with(|mut s| {
                let hooks = wasi_http::WasiHttpView::http(s.data_mut()).hooks;
                wasi_http::p3::Request::from_http(hooks, request).0
            });
            let response = match service.handle(store, request).await? {
                Ok(response) => response,
                Err(code) => return Ok(format!("error-code {code:?}")),
            };
            let response = store.with(|mut s| response.into_http(&mut s, async { Ok(()) }))?;
            let status = response.status().as_u16();
            Ok(match response.into_body().collect().await {
                Ok(body) => format!(
                    "{status} {:?}",
                    String::from_utf8_lossy(&body.to_bytes())
                ),
                Err(e) => format!("{status} body error {e:?}"),
            })
        })
        .await
        .unwrap()
        .unwrap()
}

/// The same GET through `handler::Prepared`, one request on one instance without a
/// `ProxyHandler`: the response's status and body, or `error` when the guest gave none.
#[allow(dead_code)]
pub async fn get_prepared(engine: &Engine, guest: &str, path: &str) -> String {
    let (mut store, linker, component) = service_store(engine, guest);
    let pre = linker.instantiate_pre(&component).unwrap();
    let pre = wasi_http::handler::ProxyPre::P3(
        wasi_http::p3::bindings::ServicePre::new(pre).unwrap(),
    );
    let proxy = pre.instantiate_async(&mut store).await.unwrap();
    let request = http::Request::get(format!("http://localhost{path}"))
        .body(
            http_body_util::Empty::<bytes::Bytes>::new()
                .map_err(|e| match e {})
                .boxed_unsync(),
        )
        .unwrap();
    let (tx, rx) = futures_channel::oneshot::channel();
    store
        .run_concurrent(async move |store| -> wasmtime::Result<String> {
            let prepared = store.with(|mut s| {
                wasi_http::handler::Prepared::new(
                    s.as_context_mut(),
                    &proxy,
                    request,
                    <Host as wasi_http::WasiHttpView>::http,
                    tx,
                )
            })?;
            assert!(prepared.run(store, std::future::pending()).await?);
            Ok(match rx.await? {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.into_body().collect().await.unwrap().to_bytes();
                    format!("{status} {:?}", String::from_utf8_lossy(&body))
                }
                Err(_) => "error".to_string(),
            })
        })
        .await
        .unwrap()
        .unwrap()
}
