//! `wasi:http/client@0.3.0`: a guest's request through the core's client.

use super::bindings::http::client;
use super::bindings::http::types::ErrorCode;
use super::body::{Body, Request, Response};
use super::types::HttpError;
use crate::http::{self as core, Direction, WasiHttp, WasiHttpCtxView};
use tokio::sync::oneshot;
use wasmtime::AsContextMut;
use wasmtime::component::{Accessor, Resource};

impl client::Host for WasiHttpCtxView<'_> {}

impl<U: 'static> client::HostWithStore<U> for WasiHttp {
    async fn send(
        store: &Accessor<U, Self>,
        request: Resource<Request>,
    ) -> Result<Resource<Response>, HttpError> {
        let getter = store.getter();
        // The guest's transmission future (from `request.new`) takes the body's result once
        // the request is on its way, and the send's error code when it never got there
        // (wasmtime#14112: wasmtime 48 reports `ok` for a request that failed to send).
        let mut transmission = None;
        let mut pending = store.with(|mut access| -> Result<_, HttpError> {
            let Request { mut head, mut body } = access.get().table.delete(request)?;
            if let Body::Guest { result, .. } = &mut body {
                let (tx, rx) = oneshot::channel();
                transmission = Some((std::mem::replace(result, tx), rx));
            }
            let content_length = match core::content_length(&head.headers) {
                Ok(n) => n,
                Err(e) => {
                    return Err(HttpError::code(ErrorCode::InternalError(Some(
                        e.to_string(),
                    ))));
                }
            };
            let body = body
                .into_core(
                    access.as_context_mut(),
                    getter,
                    Direction::Request,
                    content_length,
                )
                .map_err(HttpError::trap)?;
            head.body = Some(body);
            Ok(core::send(access.get().hooks, head).map_err(ErrorCode::from))
        })?;
        let sent = match &mut pending {
            Ok(pending) => {
                std::future::poll_fn(|cx| pending.poll_ready(cx)).await;
                match pending.take() {
                    Some(Ok(sent)) => Ok(sent),
                    Some(Err(e)) => Err(ErrorCode::from(e)),
                    None => Err(ErrorCode::InternalError(None)),
                }
            }
            Err(code) => Err(code.clone()),
        };
        let (response, worker) = match sent {
            Ok(sent) => sent,
            Err(code) => {
                if let Some((guest, _)) = transmission {
                    let _ = guest.send(Err(code.clone()));
                }
                return Err(HttpError::code(code));
            }
        };
        if let Some((guest, body)) = transmission {
            crate::io::spawn_detached(async move {
                // Never reported (the body's sender dropped): the guest's future says
                // "never sent" when `guest` drops.
                if let Ok(result) = body.await {
                    let _ = guest.send(result);
                }
            });
        }
        store.with(|mut access| {
            let view = access.get();
            let head = core::Response::incoming(view.hooks, response, Some(worker));
            let mut head = head;
            let body = head.body.take().unwrap_or(core::Body::Empty);
            Ok(view.table.push(Response {
                head,
                body: Body::Host { body, result: None },
            })?)
        })
    }
}
