//! Requests, responses and their bodies as `wasi:http@0.3.0` resources.

mod transfer;

use super::bindings::http::types::{self, ErrorCode};
use super::types::RequestOptions;
use crate::http::{
    self as core, Direction, FieldMap, HttpError as CoreHttpError, TrailersFuture, WasiBody,
    WasiHttp, WasiHttpCtxView, WasiHttpView,
};
use crate::p3::streams::{SinkConsumer, SinkEnd, SourceProducer};
use http_body_util::BodyExt as _;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;
use transfer::{Ending, Forward, HostBodyProducer, TrailersConsumer, TrailersProducer};
use wasmtime::component::{Access, FutureReader, Resource, StreamReader};
use wasmtime::{AsContextMut, StoreContextMut};

/// The guest's trailers future.
type GuestTrailers = FutureReader<Result<Option<Resource<FieldMap>>, ErrorCode>>;
/// A transmission result future.
type ResultFuture = FutureReader<Result<(), ErrorCode>>;

/// Bytes of a guest's body stream the host queues before the guest's write waits. A p3
/// guest sees no permits, so this is only how far the guest runs ahead of the peer; 512 KiB
/// was the best of 128 KiB … 2 MiB for the 1 MiB GET in docs/performance.md (2 MiB, the p2
/// budget, queued whole bodies and cost page faults and cold copies).
const P3_BODY_BUDGET: usize = 512 << 10;

/// How a store's data gives its wasi:http view.
pub type Getter<T> = fn(&mut T) -> WasiHttpCtxView<'_>;

/// A body as `wasi:http@0.3.0` holds it.
pub enum Body {
    /// Built by a guest: its stream and trailers future, untouched until someone reads them,
    /// and where the transmission result goes.
    Guest {
        /// The guest's `stream<u8>`, if it gave one.
        contents: Option<StreamReader<u8>>,
        /// The guest's trailers future.
        trailers: GuestTrailers,
        /// The result of transmitting it, for the future `new` returned.
        result: oneshot::Sender<Result<(), ErrorCode>>,
    },
    /// From the host (an inbound request, a client's response).
    Host {
        /// The body.
        body: core::Body,
        /// Where the result a consuming guest reports goes (`Request::from_http`'s future),
        /// if a host asked for it.
        result: Option<oneshot::Sender<Result<(), ErrorCode>>>,
    },
}

/// A `request` resource: the core's request head and a body.
pub struct Request {
    /// Method, scheme, authority, path, headers and options (its `body` is unused).
    pub head: core::Request,
    /// The body.
    pub body: Body,
}

/// A `response` resource: the core's response head and a body.
pub struct Response {
    /// Status and headers (its `body` is unused).
    pub head: core::Response,
    /// The body.
    pub body: Body,
}

impl Request {
    /// An inbound request for a guest's handler.
    pub fn incoming(mut head: core::Request) -> Self {
        let body = head.body.take().unwrap_or(core::Body::Empty);
        Request {
            head,
            body: Body::Host { body, result: None },
        }
    }

    /// A request for a guest's handler from a host's `http` request, as wasmtime-wasi-http's
    /// `Request::from_http`: its headers immutable (checked by `hooks`), its scheme the URI's
    /// (or none), its body read lazily as the guest consumes it. The future resolves with
    /// what the guest reported when it consumed the body (`Ok(())` if it never did).
    pub fn from_http<B>(
        hooks: &mut dyn crate::http::WasiHttpHooks,
        request: http::Request<B>,
    ) -> (
        Self,
        impl Future<Output = Result<(), CoreHttpError>> + Send + 'static + use<B>,
    )
    where
        B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
        B::Error: Into<CoreHttpError>,
    {
        let scheme = request.uri().scheme().cloned();
        let mut head = core::incoming_request(hooks, http::uri::Scheme::HTTP, request);
        head.scheme = scheme;
        let body = head.body.take().unwrap_or(core::Body::Empty);
        let (tx, rx) = oneshot::channel();
        let request = Request {
            head,
            body: Body::Host {
                body,
                result: Some(tx),
            },
        };
        let consumed = async move {
            match rx.await {
                Ok(Err(code)) => Err(CoreHttpError::from(code)),
                Ok(Ok(())) | Err(_) => Ok(()),
            }
        };
        (request, consumed)
    }
}

/// A guest-built body's transmission future: the result the host reports, or an error if the
/// body was never sent.
fn result_future<S: AsContextMut>(
    store: S,
    never_sent: &'static str,
) -> wasmtime::Result<(oneshot::Sender<Result<(), ErrorCode>>, ResultFuture)>
where
    S::Data: 'static,
{
    let (tx, rx) = oneshot::channel();
    let future = FutureReader::new(store, async move {
        Ok::<_, wasmtime::Error>(match rx.await {
            Ok(result) => result,
            Err(_) => Err(ErrorCode::InternalError(Some(never_sent.to_string()))),
        })
    })?;
    Ok((tx, future))
}

impl<U: 'static> types::HostRequestWithStore<U> for WasiHttp {
    fn new(
        mut store: Access<U, Self>,
        headers: Resource<FieldMap>,
        contents: Option<StreamReader<u8>>,
        trailers: GuestTrailers,
        options: Option<Resource<RequestOptions>>,
    ) -> wasmtime::Result<(Resource<Request>, ResultFuture)> {
        let view = store.get();
        let mut headers = view.table.delete(headers)?;
        headers.set_immutable();
        let options = match options {
            Some(opts) => Some(view.table.delete(opts)?.options),
            None => None,
        };
        let (result, future) = result_future(&mut store, "the request was never sent")?;
        let mut head = core::Request::new(headers);
        head.options = options;
        let request = Request {
            head,
            body: Body::Guest {
                contents,
                trailers,
                result,
            },
        };
        Ok((store.get().table.push(request)?, future))
    }

    fn consume_body(
        mut store: Access<U, Self>,
        request: Resource<Request>,
        res: ResultFuture,
    ) -> wasmtime::Result<(StreamReader<u8>, GuestTrailers)> {
        let getter = store.getter();
        let body = store.get().table.delete(request)?.body;
        consume(&mut store, getter, body, res)
    }

    fn drop(mut store: Access<U, Self>, request: Resource<Request>) -> wasmtime::Result<()> {
        let body = store.get().table.delete(request)?.body;
        body.close(&mut store)
    }
}

impl<U: 'static> types::HostResponseWithStore<U> for WasiHttp {
    fn new(
        mut store: Access<U, Self>,
        headers: Resource<FieldMap>,
        contents: Option<StreamReader<u8>>,
        trailers: GuestTrailers,
    ) -> wasmtime::Result<(Resource<Response>, ResultFuture)> {
        let mut headers = store.get().table.delete(headers)?;
        headers.set_immutable();
        let (result, future) = result_future(&mut store, "the response was never sent")?;
        let response = Response {
            head: core::Response::new(headers),
            body: Body::Guest {
                contents,
                trailers,
                result,
            },
        };
        Ok((store.get().table.push(response)?, future))
    }

    fn consume_body(
        mut store: Access<U, Self>,
        response: Resource<Response>,
        res: ResultFuture,
    ) -> wasmtime::Result<(StreamReader<u8>, GuestTrailers)> {
        let getter = store.getter();
        let body = store.get().table.delete(response)?.body;
        consume(&mut store, getter, body, res)
    }

    fn drop(mut store: Access<U, Self>, response: Resource<Response>) -> wasmtime::Result<()> {
        let body = store.get().table.delete(response)?.body;
        body.close(&mut store)
    }
}

/// `consume-body`: a guest body's own stream and future back (the consumer's result goes to
/// the body's transmission future); a host body through the core's reader / trailers split.
fn consume<T: 'static, S: AsContextMut<Data = T>>(
    mut store: S,
    getter: Getter<T>,
    body: Body,
    mut res: ResultFuture,
) -> wasmtime::Result<(StreamReader<u8>, GuestTrailers)> {
    match body {
        Body::Guest {
            contents,
            trailers,
            result,
        } => {
            let contents = match contents {
                Some(stream) => stream,
                None => StreamReader::new(&mut store, std::iter::empty())?,
            };
            res.pipe(&mut store, Forward { tx: Some(result) })?;
            Ok((contents, trailers))
        }
        Body::Host { body, result } => {
            // Tell the host how the guest fared with its body, if it asked.
            match result {
                Some(tx) => res.pipe(&mut store, Forward { tx: Some(tx) })?,
                None => res.close(&mut store)?,
            }
            let (reader, trailers) = match body {
                core::Body::Incoming(body) => {
                    let (reader, trailers) = body.split(crate::http::EarlyDrop::NoTrailers);
                    (Some(reader), trailers)
                }
                // An outgoing body never reaches here: the core hands those to hyper.
                core::Body::Empty | core::Body::Outgoing(_) => (
                    None,
                    TrailersFuture::failed(CoreHttpError::InternalError(None)),
                ),
            };
            let stream = match reader {
                Some(reader) => {
                    let (tx, _rx) = oneshot::channel();
                    StreamReader::new(
                        &mut store,
                        HostBodyProducer(SourceProducer::new(reader, tx)),
                    )?
                }
                None => StreamReader::new(&mut store, std::iter::empty())?,
            };
            let trailers = FutureReader::new(&mut store, TrailersProducer { trailers, getter })?;
            Ok((stream, trailers))
        }
    }
}

impl Body {
    /// Closes a guest body's stream and future (its transmission future reports "never sent").
    pub fn close(self, mut store: impl AsContextMut) -> wasmtime::Result<()> {
        if let Body::Guest {
            contents,
            mut trailers,
            ..
        } = self
        {
            if let Some(mut contents) = contents {
                contents.close(&mut store)?;
            }
            trailers.close(&mut store)?;
        }
        Ok(())
    }

    /// The body as the core's, for hyper: a host body as it comes (a guest forwarding one copies
    /// nothing), held to `content_length` and its trailers filtered ([`core::Body::forwarded`]);
    /// a guest body piped into the core's byte-exact body pipe as the peer reads it, ended by
    /// the guest's trailers future. Either way the transmission result is reported back.
    pub fn into_core<T: 'static>(
        self,
        mut store: StoreContextMut<'_, T>,
        getter: Getter<T>,
        direction: Direction,
        content_length: Option<u64>,
    ) -> wasmtime::Result<core::Body> {
        let is_forbidden = getter(store.data_mut()).hooks.forbidden_header_filter();
        let (contents, trailers, result) = match self {
            // A host body the guest did not build a body around (a client's response returned
            // as the guest's own, an inbound request sent on): no one awaits its result.
            Body::Host { body, .. } => {
                return Ok(body.forwarded(direction, content_length, is_forbidden, |_| {}));
            }
            Body::Guest {
                contents,
                trailers,
                result,
            } => (contents, trailers, result),
        };
        // A host body handed back (a guest forwarding the body it was given): the host takes
        // it with its own trailers, and no byte passes through the guest.
        let contents = match contents.map(|c| c.try_into::<HostBodyProducer>(&mut store)) {
            Some(Ok(producer)) => {
                let mut trailers = trailers;
                trailers.close(&mut store)?;
                let body = core::Body::Incoming(producer.0.into_source().into_inner());
                return Ok(
                    body.forwarded(direction, content_length, is_forbidden, move |r| {
                        let _ = result.send(r.map_err(ErrorCode::from));
                    }),
                );
            }
            Some(Err(contents)) => Some(contents),
            None => None,
        };
        let Some(contents) = contents else {
            // No stream: no body (and so no trailers).
            let mut trailers = trailers;
            trailers.close(&mut store)?;
            let _ = result.send(Ok(()));
            return Ok(core::Body::Empty);
        };
        let (sink, finisher, mut receiver) =
            core::body_pipe_with_budget(direction, content_length, P3_BODY_BUDGET);
        // The body ends when both the stream has ended and the trailers future resolved,
        // whichever comes last; no task waits for either.
        let ending = Arc::new(Mutex::new(Ending {
            stream: None,
            trailers: None,
            finisher: Some(finisher),
            result: Some(result),
        }));
        receiver.on_transmitted({
            let ending = ending.clone();
            move |r| Ending::report(&ending, r.map_err(|e| ErrorCode::from(&e)))
        });
        contents.pipe(
            &mut store,
            SinkConsumer::with_end(sink.strict_length(), {
                let ending = ending.clone();
                move |end| {
                    let failed = match end {
                        SinkEnd::Failed(crate::CoreError::Http(e)) => Some(ErrorCode::from(&e)),
                        SinkEnd::Failed(other) => {
                            Some(ErrorCode::InternalError(Some(other.to_string())))
                        }
                        SinkEnd::Finished(_) => None,
                    };
                    Ending::stream_ended(&ending, failed)
                }
            }),
        )?;
        trailers.pipe(
            &mut store,
            TrailersConsumer {
                on: Some(Box::new(move |t| Ending::trailers_done(&ending, t))),
                getter,
            },
        )?;
        Ok(core::Body::Outgoing(receiver))
    }
}

impl Response {
    /// The response as `http`'s, as wasmtime-wasi-http's `Response::into_http`. `io` is the
    /// host's side of sending it (for example its connection task): a guest body's
    /// transmission future resolves once the body is through and `io` has finished, with the
    /// first error. A host body (a guest forwarding one) is handed over as it is, and `io` is
    /// dropped.
    pub fn into_http<T: WasiHttpView + 'static>(
        self,
        store: impl AsContextMut<Data = T>,
        io: impl Future<Output = Result<(), CoreHttpError>> + Send + 'static,
    ) -> wasmtime::Result<http::Response<WasiBody>> {
        self.into_http_with_getter(store, io, T::http)
    }

    /// [`Response::into_http`] with the store data's wasi:http view given by `getter`.
    pub fn into_http_with_getter<T: 'static>(
        mut self,
        mut store: impl AsContextMut<Data = T>,
        io: impl Future<Output = Result<(), CoreHttpError>> + Send + 'static,
        getter: Getter<T>,
    ) -> wasmtime::Result<http::Response<WasiBody>> {
        if let Body::Guest { result, .. } = &mut self.body {
            let (tx, rx) = oneshot::channel();
            let guest = std::mem::replace(result, tx);
            tokio::spawn(async move {
                let outcome = match rx.await {
                    Ok(Ok(())) => io.await.map_err(ErrorCode::from),
                    Ok(Err(code)) => Err(code),
                    // Never sent: the guest's future says so when `guest` drops.
                    Err(_) => return,
                };
                let _ = guest.send(outcome);
            });
        }
        let response = self.into_hyper(store.as_context_mut(), getter)?;
        Ok(response.map(|body| body.boxed_unsync()))
    }

    /// The response as `http`'s with the core's body, for hyper (see [`Body::into_core`]).
    pub fn into_hyper<T: 'static>(
        self,
        store: StoreContextMut<'_, T>,
        getter: Getter<T>,
    ) -> wasmtime::Result<http::Response<core::Body>> {
        let content_length =
            core::content_length(&self.head.headers).map_err(|e| wasmtime::format_err!("{e}"))?;
        let body = self
            .body
            .into_core(store, getter, Direction::Response, content_length)?;
        let mut head = self.head;
        head.body = Some(body);
        head.into_http()
            .map_err(|e| wasmtime::format_err!("the guest's response cannot be sent: {e}"))
    }
}
