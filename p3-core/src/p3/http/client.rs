//! `wasi:http/client@0.3.0`: a guest's request through the core's client.

use super::bindings::http::client;
use super::bindings::http::types::ErrorCode;
use super::body::{Body, Request, Response, code_error};
use super::types::HttpError;
use crate::http::{self as core, Direction, WasiHttp, WasiHttpCtxView};
use wasmtime::AsContextMut;
use wasmtime::component::{Accessor, Resource};

impl client::Host for WasiHttpCtxView<'_> {}

impl<U: 'static> client::HostWithStore<U> for WasiHttp {
    async fn send(
        store: &Accessor<U, Self>,
        request: Resource<Request>,
    ) -> Result<Resource<Response>, HttpError> {
        let getter = store.getter();
        let mut pending = store.with(|mut access| -> Result<_, HttpError> {
            let Request { mut head, body } = access.get().table.delete(request)?;
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
            core::send(access.get().hooks, head).map_err(code_error)
        })?;
        std::future::poll_fn(|cx| pending.poll_ready(cx)).await;
        let (response, worker) = match pending.take() {
            Some(Ok(sent)) => sent,
            Some(Err(e)) => return Err(code_error(e)),
            None => return Err(HttpError::code(ErrorCode::InternalError(None))),
        };
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
