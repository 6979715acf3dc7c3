//! p2 stream semantics over the core's byte sources and sinks.
//!
//! [`SourceStream`] and [`SinkStream`] implement wasmtime-wasi-io's `InputStream` /
//! `OutputStream` / `Pollable`, so they live in the resource table as the very
//! `DynInputStream` / `DynOutputStream` types every wasi:io user shares. All they add is p2's
//! bookkeeping: non-blocking reads (a no-op waker), permits, flush state, sticky errors.

use bytes::{Bytes, BytesMut};
use p3_core::error::CoreError;
use p3_core::io::{ByteSink, ByteSource};
use std::task::{Context, Poll, Waker};
use wasmtime::format_err;
use wasmtime_wasi_io::poll::Pollable;
use wasmtime_wasi_io::streams::{InputStream, OutputStream, StreamError, StreamResult};

/// Most bytes one p2 `read` returns. The guest's length is capped so a huge request never
/// becomes a huge host allocation; the bytes are read into the returned buffer's spare capacity,
/// so a small read costs a small read whatever the guest asked for.
pub const MAX_READ: usize = 1 << 20;

fn noop_cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

/// Maps a core error to p2's: a closed stream is `closed`, anything else is
/// `last-operation-failed` carrying the `std::io::Error` (so `filesystem-error-code` and
/// `network-error-code` can downcast it later).
pub fn stream_error(err: CoreError) -> StreamError {
    match err {
        CoreError::Closed => StreamError::Closed,
        other => StreamError::LastOperationFailed(wasmtime::Error::new(other.into_io_error())),
    }
}

/// A p2 `input-stream` over a core [`ByteSource`].
pub struct SourceStream<S> {
    source: S,
    closed: bool,
}

impl<S> SourceStream<S> {
    /// Wraps `source`.
    pub fn new(source: S) -> Self {
        SourceStream {
            source,
            closed: false,
        }
    }
}

#[async_trait::async_trait]
impl<S: ByteSource + Sync + 'static> Pollable for SourceStream<S> {
    async fn ready(&mut self) {
        if self.closed {
            return;
        }
        std::future::poll_fn(|cx| self.source.poll_ready(cx)).await
    }
}

#[async_trait::async_trait]
impl<S: ByteSource + Sync + 'static> InputStream for SourceStream<S> {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        if size == 0 {
            // `read(0)` never waits and returns nothing, but reports a stream already at its
            // end as `closed`, as wasmtime-wasi does.
            let _ = self.source.poll_ready(&mut noop_cx());
            if self.source.is_at_end() {
                self.closed = true;
                return Err(StreamError::Closed);
            }
            return Ok(Bytes::new());
        }
        let mut buf = BytesMut::new();
        match self
            .source
            .poll_read_buf(&mut noop_cx(), size.min(MAX_READ), &mut buf)
        {
            Poll::Ready(Ok(0)) => {
                self.closed = true;
                Err(StreamError::Closed)
            }
            Poll::Ready(Ok(_)) => Ok(buf.freeze()),
            Poll::Ready(Err(e)) => {
                // Reported once as last-operation-failed; closed from then on.
                self.closed = true;
                Err(stream_error(e))
            }
            Poll::Pending => Ok(Bytes::new()),
        }
    }
}

/// A p2 `output-stream` over a core [`ByteSink`].
pub struct SinkStream<S> {
    sink: S,
    /// Bytes the guest may still write under the permits it was granted.
    permit: usize,
    flush_pending: bool,
    state: SinkState,
}

enum SinkState {
    Open,
    /// Failed; the error has not been reported yet.
    Failed(CoreError),
    Closed,
}

impl<S: ByteSink> SinkStream<S> {
    /// Wraps `sink`.
    pub fn new(sink: S) -> Self {
        SinkStream {
            sink,
            permit: 0,
            flush_pending: false,
            state: SinkState::Open,
        }
    }

    /// Reports a pending error once, then `closed`.
    fn check_state(&mut self) -> StreamResult<()> {
        match std::mem::replace(&mut self.state, SinkState::Closed) {
            SinkState::Open => {
                self.state = SinkState::Open;
                Ok(())
            }
            SinkState::Failed(e) => Err(stream_error(e)),
            SinkState::Closed => Err(StreamError::Closed),
        }
    }

    fn failed(&mut self, e: CoreError) -> StreamResult<usize> {
        self.state = SinkState::Closed;
        self.permit = 0;
        Err(stream_error(e))
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !matches!(self.state, SinkState::Open) {
            return Poll::Ready(());
        }
        let res: Result<(), CoreError> = if self.flush_pending {
            match self.sink.poll_flush(cx) {
                Poll::Ready(Ok(())) => {
                    self.flush_pending = false;
                    return Poll::Ready(());
                }
                Poll::Ready(Err(e)) => Err(e),
                Poll::Pending => return Poll::Pending,
            }
        } else {
            match self.sink.poll_write_ready(cx) {
                Poll::Ready(Ok(_)) => return Poll::Ready(()),
                Poll::Ready(Err(e)) => Err(e),
                Poll::Pending => return Poll::Pending,
            }
        };
        if let Err(e) = res {
            self.state = SinkState::Failed(e);
        }
        Poll::Ready(())
    }
}

#[async_trait::async_trait]
impl<S: ByteSink + Sync + 'static> Pollable for SinkStream<S> {
    async fn ready(&mut self) {
        std::future::poll_fn(|cx| self.poll_ready(cx)).await
    }
}

#[async_trait::async_trait]
impl<S: ByteSink + Sync + 'static> OutputStream for SinkStream<S> {
    fn check_write(&mut self) -> StreamResult<usize> {
        self.check_state()?;
        if self.flush_pending {
            match self.sink.poll_flush(&mut noop_cx()) {
                Poll::Ready(Ok(())) => self.flush_pending = false,
                Poll::Ready(Err(e)) => return self.failed(e),
                Poll::Pending => return Ok(0),
            }
        }
        match self.sink.poll_write_ready(&mut noop_cx()) {
            Poll::Ready(Ok(n)) => {
                self.permit = self.permit.max(n);
                Ok(self.permit)
            }
            Poll::Ready(Err(e)) => self.failed(e),
            Poll::Pending => Ok(self.permit),
        }
    }

    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.check_state()?;
        if self.flush_pending {
            return Err(StreamError::Trap(format_err!(
                "write not permitted while flush pending"
            )));
        }
        if bytes.len() > self.permit {
            // A guest may write without asking first if the room is there anyway.
            self.permit = 0;
            self.check_write()?;
            if bytes.len() > self.permit {
                return Err(StreamError::Trap(format_err!("write exceeded budget")));
            }
        }
        self.permit -= bytes.len();
        match self.sink.write_granted(&bytes) {
            Ok(true) => {}
            Ok(false) => {
                return Err(StreamError::Trap(format_err!(
                    "output stream refused bytes within its permit"
                )));
            }
            // Reported by the next call, as p2 reports a failed write.
            Err(e) => self.state = SinkState::Failed(e),
        }
        Ok(())
    }

    /// The same contract as the trait's default (write in chunks as room allows, flush, wait for
    /// the flush; a `closed` flush is not an error) without the per-step bookkeeping calls.
    async fn blocking_write_and_flush(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.check_state()?;
        if self.flush_pending {
            std::future::poll_fn(|cx| self.poll_ready(cx)).await;
            self.check_state()?;
        }
        let mut rest: &[u8] = &bytes;
        while !rest.is_empty() {
            match std::future::poll_fn(|cx| self.sink.poll_write(cx, rest)).await {
                Ok(n) => rest = &rest[n..],
                Err(e) => {
                    self.state = SinkState::Closed;
                    return Err(stream_error(e));
                }
            }
        }
        self.permit = self.permit.saturating_sub(bytes.len());
        match std::future::poll_fn(|cx| self.sink.poll_flush(cx)).await {
            Ok(()) | Err(CoreError::Closed) => Ok(()),
            Err(e) => {
                self.state = SinkState::Closed;
                Err(stream_error(e))
            }
        }
    }

    fn flush(&mut self) -> StreamResult<()> {
        self.check_state()?;
        self.flush_pending = true;
        self.permit = 0;
        if let Poll::Ready(res) = self.sink.poll_flush(&mut noop_cx()) {
            self.flush_pending = false;
            if let Err(e) = res {
                self.state = SinkState::Failed(e);
            }
        }
        Ok(())
    }
}
