//! The two generic adapters between the core's byte streams and wasmtime's component-model
//! streams: any [`ByteSource`] becomes a [`StreamProducer`] and any [`ByteSink`] a
//! [`StreamConsumer`], reading and writing guest memory directly.

use crate::error::CoreError;
use crate::io::{ByteSink, ByteSource};
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::oneshot;
use wasmtime::StoreContextMut;
use wasmtime::component::{Destination, Source, StreamConsumer, StreamProducer, StreamResult};

/// Capacity used when the reader is the host rather than a guest (no guest buffer to fill).
const HOST_READ_CAPACITY: usize = 64 * 1024;

/// Turns a [`ByteSource`] into a `stream<u8>` producer; a read error is sent on `result`.
pub struct SourceProducer<S> {
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

/// How a [`SinkConsumer`] ended: with its sink handed back to be closed, or with an error.
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
pub struct SinkConsumer<S> {
    sink: Option<S>,
    end: Option<oneshot::Sender<SinkEnd<S>>>,
}

impl<S> SinkConsumer<S> {
    /// A consumer writing into `sink`.
    pub fn new(sink: S, end: oneshot::Sender<SinkEnd<S>>) -> Self {
        SinkConsumer {
            sink: Some(sink),
            end: Some(end),
        }
    }

    fn fail(&mut self, err: CoreError) -> Poll<wasmtime::Result<StreamResult>> {
        self.sink = None;
        if let Some(tx) = self.end.take() {
            let _ = tx.send(SinkEnd::Failed(err));
        }
        Poll::Ready(Ok(StreamResult::Dropped))
    }
}

impl<S> Drop for SinkConsumer<S> {
    fn drop(&mut self) {
        if let (Some(sink), Some(tx)) = (self.sink.take(), self.end.take()) {
            let _ = tx.send(SinkEnd::Finished(sink));
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

/// Waits for a [`SinkConsumer`] to end and closes its sink: `Ok` once everything is flushed.
pub async fn finish<S: ByteSink>(end: oneshot::Receiver<SinkEnd<S>>) -> Result<(), CoreError> {
    match end.await {
        Ok(SinkEnd::Finished(mut sink)) => std::future::poll_fn(|cx| sink.poll_close(cx)).await,
        Ok(SinkEnd::Failed(e)) => Err(e),
        // The consumer was dropped without its sink (it had already failed and reported).
        Err(_) => Ok(()),
    }
}
