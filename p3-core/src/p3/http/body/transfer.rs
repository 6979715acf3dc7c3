//! How bodies and trailers cross between the host and a guest: the producer a host body reaches
//! a guest through, and the producers and consumers of trailers futures.

use super::super::bindings::http::types::ErrorCode;
use super::Getter;
use crate::http::{self as core, BodyReader, FieldMap, HttpError as CoreHttpError, TrailersFuture};
use crate::p3::streams::SourceProducer;
use http::HeaderMap;
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use tokio::sync::oneshot;
use wasmtime::StoreContextMut;
use wasmtime::component::{FutureConsumer, FutureProducer, Resource, Source};

/// The stream a host body reaches a guest through (a distinct type, so a guest that hands it
/// back as another message's body can be recognised).
pub(super) struct HostBodyProducer(pub(super) SourceProducer<BodyReader>);

impl<D> wasmtime::component::StreamProducer<D> for HostBodyProducer {
    type Item = u8;
    type Buffer = Option<u8>;

    fn try_into(
        me: Pin<Box<Self>>,
        ty: std::any::TypeId,
    ) -> Result<Box<dyn std::any::Any>, Pin<Box<Self>>> {
        if ty == std::any::TypeId::of::<Self>() {
            let me: Box<Self> = Pin::into_inner(me);
            Ok(me)
        } else {
            Err(me)
        }
    }

    fn poll_produce<'a>(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        store: StoreContextMut<'a, D>,
        dst: wasmtime::component::Destination<'a, u8, Self::Buffer>,
        finish: bool,
    ) -> Poll<wasmtime::Result<wasmtime::component::StreamResult>> {
        Pin::new(&mut self.get_mut().0).poll_produce(cx, store, dst, finish)
    }
}

/// Resolves a host body's trailers future for the guest.
pub(super) struct TrailersProducer<T> {
    pub(super) trailers: TrailersFuture,
    pub(super) getter: Getter<T>,
}

impl<T: 'static> FutureProducer<T> for TrailersProducer<T> {
    type Item = Result<Option<Resource<FieldMap>>, ErrorCode>;

    fn poll_produce(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<T>,
        finish: bool,
    ) -> Poll<wasmtime::Result<Option<Self::Item>>> {
        let this = self.get_mut();
        if this.trailers.poll_ready(cx).is_pending() {
            return if finish {
                Poll::Ready(Ok(None))
            } else {
                Poll::Pending
            };
        }
        let Some(result) = this.trailers.take() else {
            return Poll::Ready(Ok(None));
        };
        let view = (this.getter)(store.data_mut());
        Poll::Ready(Ok(Some(match result {
            Ok(None) => Ok(None),
            Ok(Some(map)) => {
                let fields = FieldMap::new_immutable(view.hooks, map);
                Ok(Some(view.table.push(fields)?))
            }
            Err(e) => Err(ErrorCode::from(e)),
        })))
    }
}

/// What a guest's trailers future resolved to.
pub(super) type TrailersResult = Result<Option<HeaderMap>, ErrorCode>;

/// Reads a guest's trailers future into a header map for the core.
pub(super) struct TrailersConsumer<T> {
    pub(super) on: Option<Box<dyn FnOnce(TrailersResult) + Send>>,
    pub(super) getter: Getter<T>,
}

/// The end of a guest body on its way to the host: the stream's end and the trailers arrive
/// separately; the body is finished (or aborted) once both have. The transmission result goes
/// to the guest's future once: the first of the finish (ok, or a content-length mismatch), an
/// abort, or the receiver's report of a peer that left before the end.
pub(super) struct Ending {
    /// `Some(None)`: the stream ended; `Some(Some(code))`: it failed.
    pub(super) stream: Option<Option<ErrorCode>>,
    pub(super) trailers: Option<TrailersResult>,
    pub(super) finisher: Option<core::BodyFinisher>,
    pub(super) result: Option<oneshot::Sender<Result<(), ErrorCode>>>,
}

impl Ending {
    fn lock(ending: &Mutex<Ending>) -> std::sync::MutexGuard<'_, Ending> {
        ending.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn report(ending: &Mutex<Ending>, result: Result<(), ErrorCode>) {
        let tx = Self::lock(ending).result.take();
        if let Some(tx) = tx {
            let _ = tx.send(result);
        }
    }

    pub(super) fn stream_ended(ending: &Mutex<Ending>, failed: Option<ErrorCode>) {
        let mut e = Self::lock(ending);
        e.stream = Some(failed.clone());
        match failed {
            Some(code) => {
                let finisher = e.finisher.take();
                drop(e);
                if let Some(f) = finisher {
                    f.abort(CoreHttpError::from(code.clone()));
                }
                Self::report(ending, Err(code));
            }
            None => Self::complete(ending, e),
        }
    }

    pub(super) fn trailers_done(ending: &Mutex<Ending>, trailers: TrailersResult) {
        let mut e = Self::lock(ending);
        e.trailers = Some(trailers);
        Self::complete(ending, e);
    }

    /// Finishes the body once both halves are in. The pipe's lock is taken only after this
    /// one is released (the pipe reports into this one while holding its own).
    fn complete(ending: &Mutex<Ending>, mut e: std::sync::MutexGuard<'_, Ending>) {
        if !matches!(e.stream, Some(None)) || e.trailers.is_none() {
            return;
        }
        let (Some(finisher), Some(trailers)) = (e.finisher.take(), e.trailers.take()) else {
            return;
        };
        drop(e);
        match trailers {
            // The whole body is the host's now: the transmission succeeded as far as the guest
            // can tell (as on native, which reports the peer's fate to nobody either); a peer
            // that left before this point was reported already.
            Ok(trailers) => {
                Self::report(ending, finisher.finish(trailers).map_err(ErrorCode::from))
            }
            Err(code) => {
                // A trailer *error* aborts the transmission.
                finisher.abort(CoreHttpError::from(code.clone()));
                Self::report(ending, Err(code));
            }
        }
    }
}

impl<T: 'static> FutureConsumer<T> for TrailersConsumer<T> {
    type Item = Result<Option<Resource<FieldMap>>, ErrorCode>;

    fn poll_consume(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        mut store: StoreContextMut<T>,
        mut src: Source<'_, Self::Item>,
        _finish: bool,
    ) -> Poll<wasmtime::Result<()>> {
        let this = self.get_mut();
        let mut value = None;
        src.read(&mut store, &mut value)?;
        let result = match value {
            Some(Ok(Some(fields))) => {
                let view = (this.getter)(store.data_mut());
                Ok(Some(HeaderMap::from(view.table.delete(fields)?)))
            }
            Some(Ok(None)) | None => Ok(None),
            Some(Err(code)) => Err(code),
        };
        if let Some(on) = this.on.take() {
            on(result);
        }
        Poll::Ready(Ok(()))
    }
}

/// Forwards a guest's result future to a body's transmission future.
pub(super) struct Forward {
    pub(super) tx: Option<oneshot::Sender<Result<(), ErrorCode>>>,
}

impl<T: 'static> FutureConsumer<T> for Forward {
    type Item = Result<(), ErrorCode>;

    fn poll_consume(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        mut store: StoreContextMut<T>,
        mut src: Source<'_, Self::Item>,
        _finish: bool,
    ) -> Poll<wasmtime::Result<()>> {
        let mut value = None;
        src.read(&mut store, &mut value)?;
        if let (Some(tx), Some(value)) = (self.get_mut().tx.take(), value) {
            let _ = tx.send(value);
        }
        Poll::Ready(Ok(()))
    }
}
