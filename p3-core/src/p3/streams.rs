//! The two generic adapters between the core's byte streams and wasmtime's component-model
//! streams: any [`ByteSource`] becomes a [`StreamProducer`] and any [`ByteSink`] a
//! [`StreamConsumer`], reading and writing guest memory directly.
//!
//! Every p3 function that hands out or takes a byte stream with a result future is one call to
//! `read_stream` or `write_stream`.

use crate::error::CoreError;
use crate::io::{ByteSink, ByteSource};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::oneshot;
use wasmtime::component::{
    Destination, FutureReader, Lift, Lower, Source, StreamConsumer, StreamProducer, StreamReader,
    StreamResult,
};
use wasmtime::{AsContextMut, StoreContextMut};

/// Capacity used when the reader is the host rather than a guest (no guest buffer to fill).
const HOST_READ_CAPACITY: usize = 64 * 1024;

/// Turns a [`ByteSource`] into a `stream<u8>` producer; a read error is sent on `result`.
pub(crate) struct SourceProducer<S> {
    source: S,
    result: Option<oneshot::Sender<CoreError>>,
}

impl<S> SourceProducer<S> {
    /// A producer reading from `source`, reporting its error (if any) on `result`.
    pub fn new(source: S, result: oneshot::Sender<CoreError>) -> Self {
        SourceProducer {
            source,
            result: Some(result),
        }
    }
}

impl<S> SourceProducer<S> {
    /// The source back (a host stream handed back to the host, read no further).
    #[cfg(feature = "http")]
    pub fn into_source(self) -> S {
        self.source
    }
}

impl<S: ByteSource + Unpin + 'static, D> StreamProducer<D> for SourceProducer<S> {
    type Item = u8;
    type Buffer = Option<u8>;

    fn poll_produce<'a>(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        dst: Destination<'a, u8, Self::Buffer>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let remaining = dst.remaining(&mut store);
        if remaining == Some(0) {
            // A zero-length read asks for readiness: answer it exactly.
            return match self.source.poll_ready(cx) {
                Poll::Ready(()) => Poll::Ready(Ok(StreamResult::Completed)),
                Poll::Pending if finish => Poll::Ready(Ok(StreamResult::Cancelled)),
                Poll::Pending => Poll::Pending,
            };
        }
        let mut dst = dst.as_direct(store, remaining.unwrap_or(HOST_READ_CAPACITY));
        match self.source.poll_read(cx, dst.remaining()) {
            Poll::Ready(Ok(0)) => Poll::Ready(Ok(StreamResult::Dropped)),
            Poll::Ready(Ok(n)) => {
                dst.mark_written(n);
                Poll::Ready(Ok(StreamResult::Completed))
            }
            Poll::Ready(Err(e)) => {
                if let Some(tx) = self.result.take() {
                    let _ = tx.send(e);
                }
                Poll::Ready(Ok(StreamResult::Dropped))
            }
            Poll::Pending if finish => Poll::Ready(Ok(StreamResult::Cancelled)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// How a `SinkConsumer` ended: with its sink handed back to be closed, or with an error.
pub enum SinkEnd<S> {
    /// The guest closed its end; the sink still has to be flushed and closed.
    Finished(S),
    /// A write failed.
    Failed(CoreError),
}

/// Turns a [`ByteSink`] into a `stream<u8>` consumer.
///
/// It does not flush after every write: when the stream ends the sink is handed back on the
/// `end` channel, and [`finish`] flushes it, so the result future resolves only after the data
/// has really been flushed.
pub(crate) struct SinkConsumer<S> {
    sink: Option<S>,
    end: Option<Box<dyn FnOnce(SinkEnd<S>) + Send>>,
}

impl<S: Send + 'static> SinkConsumer<S> {
    /// A consumer writing into `sink`; how it ended is sent on `end`.
    pub fn new(sink: S, end: oneshot::Sender<SinkEnd<S>>) -> Self {
        Self::with_end(sink, move |e| {
            let _ = end.send(e);
        })
    }

    /// A consumer writing into `sink`; `end` is called with how it ended.
    pub fn with_end(sink: S, end: impl FnOnce(SinkEnd<S>) + Send + 'static) -> Self {
        SinkConsumer {
            sink: Some(sink),
            end: Some(Box::new(end)),
        }
    }
}

impl<S> SinkConsumer<S> {
    fn fail(&mut self, err: CoreError) -> Poll<wasmtime::Result<StreamResult>> {
        self.sink = None;
        if let Some(end) = self.end.take() {
            end(SinkEnd::Failed(err));
        }
        Poll::Ready(Ok(StreamResult::Dropped))
    }
}

impl<S> Drop for SinkConsumer<S> {
    fn drop(&mut self) {
        if let (Some(sink), Some(end)) = (self.sink.take(), self.end.take()) {
            end(SinkEnd::Finished(sink));
        }
    }
}

impl<S: ByteSink + Unpin + 'static, D> StreamConsumer<D> for SinkConsumer<S> {
    type Item = u8;

    fn poll_consume(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        store: StoreContextMut<D>,
        src: Source<u8>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let Some(sink) = self.sink.as_mut() else {
            return Poll::Ready(Ok(StreamResult::Dropped));
        };
        let mut src = src.as_direct(store);
        let buf = src.remaining();
        let polled = if buf.is_empty() {
            // A zero-length write asks for readiness.
            sink.poll_write_ready(cx).map_ok(|_| 0)
        } else {
            sink.poll_write(cx, buf)
        };
        match polled {
            Poll::Ready(Ok(n)) => {
                src.mark_read(n);
                Poll::Ready(Ok(StreamResult::Completed))
            }
            Poll::Ready(Err(e)) => self.fail(e),
            Poll::Pending if finish => Poll::Ready(Ok(StreamResult::Cancelled)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Waits for a `SinkConsumer` to end and closes its sink: `Ok` once everything is flushed.
pub async fn finish<S: ByteSink>(end: oneshot::Receiver<SinkEnd<S>>) -> Result<(), CoreError> {
    match end.await {
        Ok(SinkEnd::Finished(mut sink)) => std::future::poll_fn(|cx| sink.poll_close(cx)).await,
        Ok(SinkEnd::Failed(e)) => Err(e),
        // The consumer was dropped without its sink (it had already failed and reported).
        Err(_) => Ok(()),
    }
}

/// A byte stream handed to the guest and the future of its result.
pub(crate) type StreamWithResult<E> = (StreamReader<u8>, FutureReader<Result<(), E>>);

/// A `stream<u8>` reading `source`, and the future of its result: `ok` at the end of the
/// stream, `code` of the error when a read fails. When the source could not be had (`Err`),
/// the stream is empty and the future carries that error.
pub(crate) fn read_stream<S, Src, E>(
    mut store: S,
    source: Result<Src, E>,
    code: fn(CoreError) -> E,
) -> wasmtime::Result<StreamWithResult<E>>
where
    S: AsContextMut,
    Src: ByteSource + Unpin + 'static,
    E: Send + Sync + 'static,
    Result<(), E>: Lower + Lift,
{
    match source {
        Ok(source) => {
            let (tx, rx) = oneshot::channel();
            let stream = StreamReader::new(&mut store, SourceProducer::new(source, tx))?;
            Ok((stream, result_future(&mut store, rx, code)?))
        }
        Err(e) => Ok((
            StreamReader::new(&mut store, std::iter::empty())?,
            failed_future(&mut store, e)?,
        )),
    }
}

/// Pipes the guest's `data` into `sink`, and returns the future of the result: `ok` once
/// everything is written and flushed, `code` of the error when a write fails. When the sink
/// could not be had (`Err`), `data` is closed and the future carries that error.
pub(crate) fn write_stream<S, Snk, E>(
    mut store: S,
    data: StreamReader<u8>,
    sink: Result<Snk, E>,
    code: fn(CoreError) -> E,
) -> wasmtime::Result<FutureReader<Result<(), E>>>
where
    S: AsContextMut,
    Snk: ByteSink + Unpin + 'static,
    E: Send + Sync + 'static,
    Result<(), E>: Lower + Lift,
{
    match pipe_or_close(&mut store, data, sink)? {
        Ok(written) => FutureReader::new(&mut store, async move {
            Ok::<_, wasmtime::Error>(finish(written).await.map_err(code))
        }),
        Err(e) => failed_future(&mut store, e),
    }
}

/// [`pipe`] when the sink could be had; otherwise `data` is closed and the sink's error given
/// back. What [`write_stream`] and the candidates' `async func` writes (which await [`finish`]
/// of the receiver themselves) share.
pub(crate) fn pipe_or_close<S, Snk, E>(
    mut store: S,
    mut data: StreamReader<u8>,
    sink: Result<Snk, E>,
) -> wasmtime::Result<Result<oneshot::Receiver<SinkEnd<Snk>>, E>>
where
    S: AsContextMut,
    Snk: ByteSink + Unpin + 'static,
{
    match sink {
        Ok(sink) => Ok(Ok(pipe(store, data, sink)?)),
        Err(e) => {
            data.close(&mut store)?;
            Ok(Err(e))
        }
    }
}

/// Pipes the guest's `data` into `sink`; [`finish`] of the returned receiver is `Ok` once
/// everything is written and flushed, the error when a write fails. [`write_stream`] hands that
/// to the guest as a result future; an `async func` that returns the result itself (the
/// `0.3.0-rc-2026-01-06` candidate's `write-via-stream`) awaits it.
pub(crate) fn pipe<S, Snk>(
    mut store: S,
    data: StreamReader<u8>,
    sink: Snk,
) -> wasmtime::Result<oneshot::Receiver<SinkEnd<Snk>>>
where
    S: AsContextMut,
    Snk: ByteSink + Unpin + 'static,
{
    let (tx, rx) = oneshot::channel();
    data.pipe(&mut store, SinkConsumer::new(sink, tx))?;
    Ok(rx)
}

/// The future of a producer's result: `ok` when the producer ends without sending an error,
/// `code` of the error it sent otherwise.
pub(crate) fn result_future<S, X, E>(
    store: S,
    errors: oneshot::Receiver<X>,
    code: fn(X) -> E,
) -> wasmtime::Result<FutureReader<Result<(), E>>>
where
    S: AsContextMut,
    X: Send + 'static,
    E: Send + Sync + 'static,
    Result<(), E>: Lower + Lift,
{
    FutureReader::new(store, async move {
        Ok::<_, wasmtime::Error>(match errors.await {
            Ok(err) => Err(code(err)),
            Err(_) => Ok(()),
        })
    })
}

/// A future that carries `err` at once.
pub(crate) fn failed_future<S, E>(store: S, err: E) -> wasmtime::Result<FutureReader<Result<(), E>>>
where
    S: AsContextMut,
    E: Send + Sync + 'static,
    Result<(), E>: Lower + Lift,
{
    FutureReader::new(store, async move { Ok::<_, wasmtime::Error>(Err(err)) })
}
