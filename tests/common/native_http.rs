//! The same HTTP host (`handler_host.rs`) against the oracle — wasmtime-wasi 48 +
//! wasmtime-wasi-http 48 behind wasmtime-wasi-http's own `ProxyHandler` — and against
//! wasi-bridge's drop-in API, with only the crate paths changed.

/// The oracle.
pub mod native {
    use wasmtime_wasi as wasi;
    use wasmtime_wasi_http as wasi_http;
    include!("handler_host.rs");
    include!("p3_service_host.rs");
}

/// wasi-bridge, through `wasi_bridge` / `wasi_bridge::http`.
pub mod bridge {
    use wasi_bridge as wasi;
    use wasi_bridge::http as wasi_http;
    include!("handler_host.rs");
    include!("p3_service_host.rs");
}

pub use native::handler as native_handler;

/// Serves HTTP/1 connections from `listener` (keep-alive, no Nagle, a task per connection),
/// each request through `handle`; an `Err` becomes a 500 `handler failed` and a line on stderr.
pub async fn serve_on<F, Fut>(listener: tokio::net::TcpListener, handle: F)
where
    F: Fn(hyper::Request<hyper::body::Incoming>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = wasmtime::Result<hyper::Response<wasi_bridge::http::WasiBody>>>
        + Send
        + 'static,
{
    use http_body_util::BodyExt;
    let handle = std::sync::Arc::new(handle);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let _ = stream.set_nodelay(true);
        let handle = handle.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let fut = handle(req);
                async move {
                    Ok::<_, std::convert::Infallible>(match fut.await {
                        Ok(r) => r,
                        Err(e) => {
                            eprintln!("handler failed: {e:?}");
                            let mut r = hyper::Response::new(
                                http_body_util::Full::new(bytes::Bytes::from_static(
                                    b"handler failed",
                                ))
                                .map_err(|never| match never {})
                                .boxed_unsync(),
                            );
                            *r.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
                            r
                        }
                    })
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .keep_alive(true)
                .serve_connection(wasi_bridge::http::io::TokioIo::new(stream), service)
                .await;
        });
    }
}
