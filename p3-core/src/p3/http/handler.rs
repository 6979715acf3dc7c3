//! Calling a guest's `wasi:http/handler@0.3.0` export for a request hyper received: [`start`]
//! puts the request in the table and queues the call, [`finish`] completes it with the
//! response. (The `@0.2.x` side is the p2 adapter's `http::handler`;
//! `wasi_bridge::http::handler::Prepared` holds either.)

use super::bindings::Service;
use super::bindings::http::types::ErrorCode;
use super::body::Getter;
use super::body::Request;
use crate::http::{self as core, HttpError, WasiBody, WasiHttpView};
use bytes::Bytes;
use http_body_util::BodyExt;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::oneshot;
use wasmtime::AsContextMut;
use wasmtime::component::{Accessor, GuestTaskId, Resource, TypedFuncCallConcurrent};

/// The `handle` call's typed function: `request` in, `result<response, error-code>` out.
type HandleCall<T> = TypedFuncCallConcurrent<
    T,
    (Resource<Request>,),
    (Result<Resource<super::Response>, ErrorCode>,),
>;

/// A `handle` call that [`start`] queued on a store and [`finish`] completes.
pub struct StartedCall<T: 'static> {
    call: HandleCall<T>,
}

impl<T: 'static> StartedCall<T> {
    /// The guest task that runs the call.
    pub fn task(&self) -> GuestTaskId {
        self.call.task()
    }
}

/// Puts `request` (arrived over `scheme`) in the store's table and queues `service`'s
/// `handle` call with it; `view` is the store data's wasi:http view.
pub fn start<T, B>(
    mut store: impl AsContextMut<Data = T>,
    service: &Service,
    view: Getter<T>,
    scheme: http::uri::Scheme,
    request: http::Request<B>,
) -> wasmtime::Result<StartedCall<T>>
where
    T: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<HttpError>,
{
    let mut store = store.as_context_mut();
    let http = view(store.data_mut());
    let request = core::incoming_request(http.hooks, scheme, request);
    let request = http.table.push(Request::incoming(request))?;
    let call = service
        .wasi_http_handler()
        .func_handle()
        .start_call_concurrent(store, (request,))?;
    Ok(StartedCall { call })
}

/// Completes a call [`start`] queued: the guest's response (or why there is none) once
/// `handle` returns it, and a [`BodyDone`] that resolves once hyper is done with its body
/// (keep the store's event loop turning until then: the guest may go on writing it). `Err` is a
/// trap (the instance is unusable from then on).
pub async fn finish<T>(
    accessor: &Accessor<T>,
    service: &Service,
    view: Getter<T>,
    call: StartedCall<T>,
) -> wasmtime::Result<(wasmtime::Result<http::Response<WasiBody>>, BodyDone)>
where
    T: Send + 'static,
{
    let result = service
        .wasi_http_handler()
        .func_handle()
        .finish_call_concurrent(accessor, call.call)
        .await?
        .0;
    let handed: Resource<super::Response> = match result {
        Ok(handed) => handed,
        Err(code) => return Ok((Err(error(code)), BodyDone::none())),
    };
    let (done_tx, done_rx) = oneshot::channel();
    let converted = accessor.with(|mut access| -> wasmtime::Result<_> {
        let handed = view(access.get()).table.delete(handed)?;
        handed.into_hyper(access.as_context_mut(), view)
    });
    let converted = converted.map(|response| {
        response.map(|body| {
            NotifyOnDrop {
                body,
                done: Some(done_tx),
            }
            .boxed_unsync()
        })
    });
    Ok((converted, BodyDone(Some(done_rx))))
}

/// Resolves once hyper has dropped a response body [`finish`] made (at once when there is
/// none).
pub struct BodyDone(Option<oneshot::Receiver<()>>);

impl BodyDone {
    /// A `BodyDone` for a response without a body from [`finish`]: ready at once.
    pub fn none() -> Self {
        BodyDone(None)
    }
}

impl Future for BodyDone {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match self.0.as_mut() {
            Some(done) => Pin::new(done).poll(cx).map(|_| ()),
            None => Poll::Ready(()),
        }
    }
}

fn error(code: ErrorCode) -> wasmtime::Error {
    wasmtime::format_err!("guest returned an error: {code:?}")
}

/// A body that says when hyper has dropped it.
struct NotifyOnDrop {
    body: core::Body,
    done: Option<oneshot::Sender<()>>,
}

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
    }
}

impl http_body::Body for NotifyOnDrop {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

impl Service {
    /// Calls the guest's `wasi:http/handler#handle` with `request` on the store's event loop
    /// (inside `run_concurrent`), as wasmtime-wasi-http's `Service::handle`: the guest's
    /// response, taken out of the table, or the `error-code` it returned, typed.
    pub async fn handle<T: WasiHttpView>(
        &self,
        store: &Accessor<T>,
        request: impl Into<Request>,
    ) -> wasmtime::Result<Result<super::Response, ErrorCode>> {
        let request = store.with(|mut s| s.data_mut().http().table.push(request.into()))?;
        match self.wasi_http_handler().call_handle(store, request).await? {
            Ok(response) => {
                let response = store.with(|mut s| s.data_mut().http().table.delete(response))?;
                Ok(Ok(response))
            }
            Err(code) => Ok(Err(code)),
        }
    }
}
