//! Calling a guest's `wasi:http/incoming-handler@0.2.x` export for a request hyper received:
//! [`start`] puts the request and its `response-outparam` in the table and queues the call,
//! [`finish`] completes it. (The `@0.3.0` side is `p3_core::p3::http`'s `start`/`finish`;
//! `wasi_bridge::http::handler::Prepared` holds either.)

use super::bindings::Proxy;
use super::types::{HostIncomingRequest, HostResponseOutparam};
use bytes::Bytes;
use http_body_util::BodyExt;
use p3_core::http::{HttpError, WasiBody, WasiHttpCtxView};
use wasmtime::AsContextMut;
use wasmtime::component::{Accessor, GuestTaskId, Resource, TypedFuncCallConcurrent};

/// The `handle` call's typed function: the request and where its response goes.
type HandleCall<T> = TypedFuncCallConcurrent<
    T,
    (
        Resource<HostIncomingRequest>,
        Resource<HostResponseOutparam>,
    ),
    (),
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

/// Puts `request` (arrived over `scheme`) in the store's table with a `response-outparam`
/// whose `set` calls `respond` (inside the guest's call, so the response leaves while the guest
/// goes on), and queues `proxy`'s `handle` call; `view` is the store data's wasi:http view. An
/// error response the guest sets reaches `respond` as an `Err`.
pub fn start<T, B>(
    mut store: impl AsContextMut<Data = T>,
    proxy: &Proxy,
    view: fn(&mut T) -> WasiHttpCtxView<'_>,
    scheme: http::uri::Scheme,
    request: http::Request<B>,
    respond: impl FnOnce(wasmtime::Result<http::Response<WasiBody>>) + Send + Sync + 'static,
) -> wasmtime::Result<StartedCall<T>>
where
    T: Send + 'static,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<HttpError>,
{
    let mut store = store.as_context_mut();
    let mut http = view(store.data_mut());
    let request = http.new_incoming_request(scheme, request)?;
    let out = http.new_response_outparam_from_callback::<HttpError>(move |set| {
        respond(
            set.map(|response| response.map(|body| body.boxed_unsync()))
                .map_err(|e| wasmtime::format_err!("guest set an error response: {e:?}")),
        )
    })?;
    let call = proxy
        .wasi_http_incoming_handler()
        .func_handle()
        .start_call_concurrent(store, (request, out))?;
    Ok(StartedCall { call })
}

/// Completes a call [`start`] queued: `Ok` once `handle` returned (whether or not it set a
/// response: `respond` is called only if it did), `Err` on a trap (the instance is unusable
/// from then on).
pub async fn finish<T>(
    accessor: &Accessor<T>,
    proxy: &Proxy,
    call: StartedCall<T>,
) -> wasmtime::Result<()>
where
    T: Send + 'static,
{
    proxy
        .wasi_http_incoming_handler()
        .func_handle()
        .finish_call_concurrent(accessor, call.call)
        .await
}
