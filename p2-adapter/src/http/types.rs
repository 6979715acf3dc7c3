//! `wasi:http/types@0.2.x`: p2's resource shapes around the core's objects.

use super::bindings::http::types::{self, ErrorCode, Method, Scheme, StatusCode};
use super::{method_from_http, method_to_http, scheme_from_http, scheme_to_http};
use crate::streams::{SinkStream, SourceStream};
use p3_core::CoreError;
use p3_core::http::{
    self as core, Body, BodyFinisher, BodySink, Direction, FieldMap, RequestOptions,
    TrailersFuture, WasiHttpCtxView,
};
use std::task::Context;
use std::time::Duration;
use wasmtime::component::Resource;
use wasmtime::format_err;
use wasmtime_wasi_io::poll::{DynPollable, Pollable, subscribe};
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

/// An `error-code` for the guest, or a trap.
pub type HttpError = p3_core::TrappableError<ErrorCode>;
/// A `header-error` for the guest, or a trap.
pub type HeaderError = p3_core::TrappableError<types::HeaderError>;
/// The result of a wasi:http call (wasmtime-wasi-http's `HttpResult`).
pub type HttpResult<T, E = HttpError> = Result<T, E>;
/// The result of a `fields` call (wasmtime-wasi-http's `HeaderResult`).
pub type HeaderResult<T, E = HeaderError> = Result<T, E>;

fn code(e: impl Into<ErrorCode>) -> HttpError {
    HttpError::code(e.into())
}

impl p3_core::veneer::HeaderErrorCodes for types::HeaderError {
    const IMMUTABLE: Self = types::HeaderError::Immutable;
    const INVALID_SYNTAX: Self = types::HeaderError::InvalidSyntax;
    const FORBIDDEN: Self = types::HeaderError::Forbidden;
    // wasi:http@0.2 has no code for too many or too large fields: a trap, as in
    // wasmtime-wasi-http.
    const SIZE_EXCEEDED: Option<Self> = None;
}

impl From<Scheme> for http::uri::Scheme {
    /// The listener's scheme for `new_incoming_request` (an invalid `other` becomes `http`).
    fn from(s: Scheme) -> Self {
        scheme_to_http(&s).unwrap_or(http::uri::Scheme::HTTP)
    }
}

/// An inbound request (the core's request, as `new_incoming_request` builds it).
pub type HostIncomingRequest = core::Request;
/// Where the guest puts its response.
pub type HostResponseOutparam = core::ResponseOutparam;

/// A request the guest builds and sends.
pub struct HostOutgoingRequest(pub core::Request);
/// A response the guest builds for an inbound request.
pub struct HostOutgoingResponse(pub core::Response);
/// A response a guest's request received.
pub struct HostIncomingResponse(pub core::Response);

/// A body coming from the host, before and after its stream is taken.
pub struct HostIncomingBody {
    body: Option<core::IncomingBody>,
    /// The trailers half, once the stream was taken.
    trailers: Option<TrailersFuture>,
}

/// A body's trailers: waits for the rest of the body to pass.
pub struct HostFutureTrailers(TrailersFuture);

/// A body the guest writes: its stream once, then `finish` or drop (abort).
pub struct HostOutgoingBody {
    sink: Option<BodySink>,
    finisher: BodyFinisher,
}

/// A sent request's response, on its way.
pub struct HostFutureIncomingResponse {
    response: core::FutureResponse,
    consumed: bool,
}

impl HostOutgoingBody {
    fn new(direction: Direction, content_length: Option<u64>) -> (Self, Body) {
        let (sink, finisher, receiver) = core::body_pipe(direction, content_length);
        (
            HostOutgoingBody {
                sink: Some(sink),
                finisher,
            },
            Body::Outgoing(receiver),
        )
    }
}

#[async_trait::async_trait]
impl Pollable for HostFutureTrailers {
    async fn ready(&mut self) {
        std::future::poll_fn(|cx| self.0.poll_ready(cx)).await
    }
}

#[async_trait::async_trait]
impl Pollable for HostFutureIncomingResponse {
    async fn ready(&mut self) {
        std::future::poll_fn(|cx| self.response.poll_ready(cx)).await
    }
}

impl types::Host for WasiHttpCtxView<'_> {
    fn convert_error_code(&mut self, err: HttpError) -> wasmtime::Result<ErrorCode> {
        err.downcast()
    }

    fn convert_header_error(&mut self, err: HeaderError) -> wasmtime::Result<types::HeaderError> {
        err.downcast()
    }

    fn http_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        let err = self.table.get(&err)?;
        if let Some(code) = err.downcast_ref::<ErrorCode>() {
            return Ok(Some(code.clone()));
        }
        Ok(match err.downcast_ref::<CoreError>() {
            Some(CoreError::Http(e)) => Some(e.into()),
            _ => None,
        })
    }
}

impl types::HostFields for WasiHttpCtxView<'_> {
    // new, from-list, get, has, set, delete, append, clone, drop (p3_core::veneer's).
    p3_core::http_fields_methods!(types::HeaderError);

    fn entries(&mut self, fields: Resource<FieldMap>) -> wasmtime::Result<Vec<(String, Vec<u8>)>> {
        self.field_entries(&fields)
    }
}

impl types::HostIncomingRequest for WasiHttpCtxView<'_> {
    fn method(&mut self, id: Resource<HostIncomingRequest>) -> wasmtime::Result<Method> {
        Ok(method_from_http(&self.table.get(&id)?.method))
    }

    fn path_with_query(
        &mut self,
        id: Resource<HostIncomingRequest>,
    ) -> wasmtime::Result<Option<String>> {
        Ok(self.table.get(&id)?.path_with_query.clone())
    }

    fn scheme(&mut self, id: Resource<HostIncomingRequest>) -> wasmtime::Result<Option<Scheme>> {
        Ok(self.table.get(&id)?.scheme.as_ref().map(scheme_from_http))
    }

    fn authority(&mut self, id: Resource<HostIncomingRequest>) -> wasmtime::Result<Option<String>> {
        Ok(self.table.get(&id)?.authority.clone())
    }

    fn headers(
        &mut self,
        id: Resource<HostIncomingRequest>,
    ) -> wasmtime::Result<Resource<FieldMap>> {
        let headers = self.table.get(&id)?.headers.clone();
        Ok(self.table.push(headers)?)
    }

    fn consume(
        &mut self,
        id: Resource<HostIncomingRequest>,
    ) -> wasmtime::Result<Result<Resource<HostIncomingBody>, ()>> {
        let body = self.table.get_mut(&id)?.body.take();
        consume_incoming(self.table, body)
    }

    fn drop(&mut self, id: Resource<HostIncomingRequest>) -> wasmtime::Result<()> {
        self.table.delete(id)?;
        Ok(())
    }
}

fn consume_incoming(
    table: &mut wasmtime::component::ResourceTable,
    body: Option<Body>,
) -> wasmtime::Result<Result<Resource<HostIncomingBody>, ()>> {
    Ok(match body {
        Some(Body::Incoming(body)) => Ok(table.push(HostIncomingBody {
            body: Some(body),
            trailers: None,
        })?),
        _ => Err(()),
    })
}

impl types::HostOutgoingRequest for WasiHttpCtxView<'_> {
    fn new(
        &mut self,
        headers: Resource<FieldMap>,
    ) -> wasmtime::Result<Resource<HostOutgoingRequest>> {
        let mut headers = self.table.delete(headers)?;
        headers.set_immutable();
        Ok(self
            .table
            .push(HostOutgoingRequest(core::Request::new(headers)))?)
    }

    fn body(
        &mut self,
        id: Resource<HostOutgoingRequest>,
    ) -> wasmtime::Result<Result<Resource<HostOutgoingBody>, ()>> {
        let req = &mut self.table.get_mut(&id)?.0;
        if req.body.is_some() {
            return Ok(Err(()));
        }
        let Ok(size) = core::content_length(&req.headers) else {
            return Ok(Err(()));
        };
        let (host, body) = HostOutgoingBody::new(Direction::Request, size);
        req.body = Some(body);
        Ok(Ok(self.table.push(host)?))
    }

    fn method(&mut self, id: Resource<HostOutgoingRequest>) -> wasmtime::Result<Method> {
        Ok(method_from_http(&self.table.get(&id)?.0.method))
    }

    fn set_method(
        &mut self,
        id: Resource<HostOutgoingRequest>,
        method: Method,
    ) -> wasmtime::Result<Result<(), ()>> {
        let req = &mut self.table.get_mut(&id)?.0;
        Ok(req.set_method(method_to_http(&method)).map_err(drop))
    }

    fn path_with_query(
        &mut self,
        id: Resource<HostOutgoingRequest>,
    ) -> wasmtime::Result<Option<String>> {
        Ok(self.table.get(&id)?.0.path_with_query.clone())
    }

    fn set_path_with_query(
        &mut self,
        id: Resource<HostOutgoingRequest>,
        path: Option<String>,
    ) -> wasmtime::Result<Result<(), ()>> {
        let req = &mut self.table.get_mut(&id)?.0;
        Ok(req
            .set_path_with_query(path, core::PathRule::Rooted)
            .map_err(drop))
    }

    fn scheme(&mut self, id: Resource<HostOutgoingRequest>) -> wasmtime::Result<Option<Scheme>> {
        Ok(self.table.get(&id)?.0.scheme.as_ref().map(scheme_from_http))
    }

    fn set_scheme(
        &mut self,
        id: Resource<HostOutgoingRequest>,
        scheme: Option<Scheme>,
    ) -> wasmtime::Result<Result<(), ()>> {
        let req = &mut self.table.get_mut(&id)?.0;
        Ok(req
            .set_scheme(scheme.as_ref().map(scheme_to_http))
            .map_err(drop))
    }

    fn authority(&mut self, id: Resource<HostOutgoingRequest>) -> wasmtime::Result<Option<String>> {
        Ok(self.table.get(&id)?.0.authority.clone())
    }

    fn set_authority(
        &mut self,
        id: Resource<HostOutgoingRequest>,
        authority: Option<String>,
    ) -> wasmtime::Result<Result<(), ()>> {
        let req = &mut self.table.get_mut(&id)?.0;
        Ok(req
            .set_authority(authority, core::AuthorityRule::Parses)
            .map_err(drop))
    }

    fn headers(
        &mut self,
        id: Resource<HostOutgoingRequest>,
    ) -> wasmtime::Result<Resource<FieldMap>> {
        let headers = self.table.get(&id)?.0.headers.clone();
        Ok(self.table.push(headers)?)
    }

    fn drop(&mut self, id: Resource<HostOutgoingRequest>) -> wasmtime::Result<()> {
        self.table.delete(id)?;
        Ok(())
    }
}

impl types::HostResponseOutparam for WasiHttpCtxView<'_> {
    fn set(
        &mut self,
        id: Resource<HostResponseOutparam>,
        response: Result<Resource<HostOutgoingResponse>, ErrorCode>,
    ) -> wasmtime::Result<()> {
        let response = match response {
            Ok(response) => Ok(self.table.delete(response)?.0),
            Err(code) => Err(code.into()),
        };
        self.table.delete(id)?.set(response);
        Ok(())
    }

    fn send_informational(
        &mut self,
        _id: Resource<HostResponseOutparam>,
        _status: u16,
        _headers: Resource<FieldMap>,
    ) -> HttpResult<()> {
        // As wasmtime-wasi-http 48: informational responses are not supported.
        Err(HttpError::trap(format_err!("not implemented")))
    }

    fn drop(&mut self, id: Resource<HostResponseOutparam>) -> wasmtime::Result<()> {
        self.table.delete(id)?;
        Ok(())
    }
}

impl types::HostIncomingResponse for WasiHttpCtxView<'_> {
    fn status(&mut self, id: Resource<HostIncomingResponse>) -> wasmtime::Result<StatusCode> {
        Ok(self.table.get(&id)?.0.status.as_u16())
    }

    fn headers(
        &mut self,
        id: Resource<HostIncomingResponse>,
    ) -> wasmtime::Result<Resource<FieldMap>> {
        let headers = self.table.get(&id)?.0.headers.clone();
        Ok(self.table.push(headers)?)
    }

    fn consume(
        &mut self,
        id: Resource<HostIncomingResponse>,
    ) -> wasmtime::Result<Result<Resource<HostIncomingBody>, ()>> {
        let body = self.table.get_mut(&id)?.0.body.take();
        consume_incoming(self.table, body)
    }

    fn drop(&mut self, id: Resource<HostIncomingResponse>) -> wasmtime::Result<()> {
        self.table.delete(id)?;
        Ok(())
    }
}

impl types::HostIncomingBody for WasiHttpCtxView<'_> {
    fn stream(
        &mut self,
        id: Resource<HostIncomingBody>,
    ) -> wasmtime::Result<Result<Resource<DynInputStream>, ()>> {
        let body = self.table.get_mut(&id)?;
        let Some(inner) = body.body.take() else {
            return Ok(Err(()));
        };
        let (reader, trailers) = inner.split(core::EarlyDrop::Drain);
        body.trailers = Some(trailers);
        let stream: DynInputStream = Box::new(SourceStream::new(reader));
        Ok(Ok(self.table.push_child(stream, &id)?))
    }

    fn finish(
        &mut self,
        id: Resource<HostIncomingBody>,
    ) -> wasmtime::Result<Resource<HostFutureTrailers>> {
        // Deleting a body whose stream still lives traps ("resource has children").
        let body = self.table.delete(id)?;
        let trailers = match (body.body, body.trailers) {
            (Some(body), _) => TrailersFuture::of(body),
            (None, Some(trailers)) => trailers,
            (None, None) => TrailersFuture::failed(core::HttpError::InternalError(None)),
        };
        Ok(self.table.push(HostFutureTrailers(trailers))?)
    }

    fn drop(&mut self, id: Resource<HostIncomingBody>) -> wasmtime::Result<()> {
        self.table.delete(id)?;
        Ok(())
    }
}

impl types::HostFutureTrailers for WasiHttpCtxView<'_> {
    fn subscribe(
        &mut self,
        id: Resource<HostFutureTrailers>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        subscribe(self.table, id)
    }

    fn get(
        &mut self,
        id: Resource<HostFutureTrailers>,
    ) -> wasmtime::Result<Option<Result<Result<Option<Resource<FieldMap>>, ErrorCode>, ()>>> {
        let trailers = &mut self.table.get_mut(&id)?.0;
        if trailers.is_taken() {
            return Ok(Some(Err(())));
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        if trailers.poll_ready(&mut cx).is_pending() {
            return Ok(None);
        }
        let Some(result) = trailers.take() else {
            return Ok(None);
        };
        Ok(Some(Ok(match result {
            Ok(None) => Ok(None),
            Ok(Some(map)) => {
                let fields = FieldMap::new_immutable(self.hooks, map);
                Ok(Some(self.table.push(fields)?))
            }
            Err(e) => Err(ErrorCode::from(e)),
        })))
    }

    fn drop(&mut self, id: Resource<HostFutureTrailers>) -> wasmtime::Result<()> {
        self.table.delete(id)?;
        Ok(())
    }
}

impl types::HostOutgoingResponse for WasiHttpCtxView<'_> {
    fn new(
        &mut self,
        headers: Resource<FieldMap>,
    ) -> wasmtime::Result<Resource<HostOutgoingResponse>> {
        let mut headers = self.table.delete(headers)?;
        headers.set_immutable();
        Ok(self
            .table
            .push(HostOutgoingResponse(core::Response::new(headers)))?)
    }

    fn body(
        &mut self,
        id: Resource<HostOutgoingResponse>,
    ) -> wasmtime::Result<Result<Resource<HostOutgoingBody>, ()>> {
        let resp = &mut self.table.get_mut(&id)?.0;
        if resp.body.is_some() {
            return Ok(Err(()));
        }
        let Ok(size) = core::content_length(&resp.headers) else {
            return Ok(Err(()));
        };
        let (host, body) = HostOutgoingBody::new(Direction::Response, size);
        resp.body = Some(body);
        Ok(Ok(self.table.push(host)?))
    }

    fn status_code(&mut self, id: Resource<HostOutgoingResponse>) -> wasmtime::Result<StatusCode> {
        Ok(self.table.get(&id)?.0.status.as_u16())
    }

    fn set_status_code(
        &mut self,
        id: Resource<HostOutgoingResponse>,
        status: StatusCode,
    ) -> wasmtime::Result<Result<(), ()>> {
        let resp = &mut self.table.get_mut(&id)?.0;
        Ok(resp
            .set_status(status, core::StatusCodes::ThreeDigit)
            .map_err(drop))
    }

    fn headers(
        &mut self,
        id: Resource<HostOutgoingResponse>,
    ) -> wasmtime::Result<Resource<FieldMap>> {
        let headers = self.table.get(&id)?.0.headers.clone();
        Ok(self.table.push(headers)?)
    }

    fn drop(&mut self, id: Resource<HostOutgoingResponse>) -> wasmtime::Result<()> {
        self.table.delete(id)?;
        Ok(())
    }
}

impl types::HostOutgoingBody for WasiHttpCtxView<'_> {
    fn write(
        &mut self,
        id: Resource<HostOutgoingBody>,
    ) -> wasmtime::Result<Result<Resource<DynOutputStream>, ()>> {
        let body = self.table.get_mut(&id)?;
        let Some(sink) = body.sink.take() else {
            return Ok(Err(()));
        };
        let stream: DynOutputStream = Box::new(SinkStream::new(sink));
        Ok(Ok(self.table.push_child(stream, &id)?))
    }

    fn finish(
        &mut self,
        id: Resource<HostOutgoingBody>,
        trailers: Option<Resource<FieldMap>>,
    ) -> HttpResult<()> {
        // Deleting a body whose stream still lives traps ("resource has children").
        let body = self.table.delete(id)?;
        let trailers = match trailers {
            Some(t) => Some(http::HeaderMap::from(self.table.delete(t)?)),
            None => None,
        };
        body.finisher.finish(trailers).map_err(code)
    }

    fn drop(&mut self, id: Resource<HostOutgoingBody>) -> wasmtime::Result<()> {
        // Unfinished: the finisher aborts the body as it drops.
        self.table.delete(id)?;
        Ok(())
    }
}

impl types::HostFutureIncomingResponse for WasiHttpCtxView<'_> {
    fn subscribe(
        &mut self,
        id: Resource<HostFutureIncomingResponse>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        subscribe(self.table, id)
    }

    fn get(
        &mut self,
        id: Resource<HostFutureIncomingResponse>,
    ) -> wasmtime::Result<Option<Result<Result<Resource<HostIncomingResponse>, ErrorCode>, ()>>>
    {
        let future = self.table.get_mut(&id)?;
        if future.consumed {
            return Ok(Some(Err(())));
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        if future.response.poll_ready(&mut cx).is_pending() {
            return Ok(None);
        }
        future.consumed = true;
        let Some(result) = future.response.take() else {
            return Ok(Some(Err(())));
        };
        Ok(Some(Ok(match result {
            Ok((response, worker)) => {
                let response = core::Response::incoming(self.hooks, response, Some(worker));
                Ok(self.table.push(HostIncomingResponse(response))?)
            }
            Err(e) => Err(ErrorCode::from(e)),
        })))
    }

    fn drop(&mut self, id: Resource<HostFutureIncomingResponse>) -> wasmtime::Result<()> {
        self.table.delete(id)?;
        Ok(())
    }
}

impl HostFutureIncomingResponse {
    pub(super) fn new(response: core::FutureResponse) -> Self {
        HostFutureIncomingResponse {
            response,
            consumed: false,
        }
    }
}

impl types::HostRequestOptions for WasiHttpCtxView<'_> {
    fn new(&mut self) -> wasmtime::Result<Resource<RequestOptions>> {
        Ok(self.table.push(RequestOptions::default())?)
    }

    fn connect_timeout(&mut self, opts: Resource<RequestOptions>) -> wasmtime::Result<Option<u64>> {
        nanos(self.table.get(&opts)?.connect_timeout)
    }

    fn set_connect_timeout(
        &mut self,
        opts: Resource<RequestOptions>,
        duration: Option<u64>,
    ) -> wasmtime::Result<Result<(), ()>> {
        self.table.get_mut(&opts)?.connect_timeout = duration.map(Duration::from_nanos);
        Ok(Ok(()))
    }

    fn first_byte_timeout(
        &mut self,
        opts: Resource<RequestOptions>,
    ) -> wasmtime::Result<Option<u64>> {
        nanos(self.table.get(&opts)?.first_byte_timeout)
    }

    fn set_first_byte_timeout(
        &mut self,
        opts: Resource<RequestOptions>,
        duration: Option<u64>,
    ) -> wasmtime::Result<Result<(), ()>> {
        self.table.get_mut(&opts)?.first_byte_timeout = duration.map(Duration::from_nanos);
        Ok(Ok(()))
    }

    fn between_bytes_timeout(
        &mut self,
        opts: Resource<RequestOptions>,
    ) -> wasmtime::Result<Option<u64>> {
        nanos(self.table.get(&opts)?.between_bytes_timeout)
    }

    fn set_between_bytes_timeout(
        &mut self,
        opts: Resource<RequestOptions>,
        duration: Option<u64>,
    ) -> wasmtime::Result<Result<(), ()>> {
        self.table.get_mut(&opts)?.between_bytes_timeout = duration.map(Duration::from_nanos);
        Ok(Ok(()))
    }

    fn drop(&mut self, opts: Resource<RequestOptions>) -> wasmtime::Result<()> {
        self.table.delete(opts)?;
        Ok(())
    }
}

fn nanos(d: Option<Duration>) -> wasmtime::Result<Option<u64>> {
    Ok(d.map(|d| u64::try_from(d.as_nanos())).transpose()?)
}
