//! p2 stream semantics over the core's byte sources and sinks.
//!
//! [`SourceStream`] and [`SinkStream`] implement wasmtime-wasi-io's `InputStream` /
//! `OutputStream` / `Pollable`, so they live in the resource table as the very
//! `DynInputStream` / `DynOutputStream` types every wasi:io user shares. All they add is p2's
//! bookkeeping: non-blocking reads (a no-op waker), permits, flush state, sticky errors.

use bytes::Bytes;
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

/// A context whose waker does nothing: p2's "poll once, never wait".
pub(crate) fn noop_cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

/// Maps a core error to p2's: a closed stream is `closed`, anything else is
/// `last-operation-failed` carrying the [`CoreError`] itself, which `filesystem-error-code` and
/// `network-error-code` read their codes back from.
pub fn stream_error(err: CoreError) -> StreamError {
    match err {
        CoreError::Closed => StreamError::Closed,
        other => StreamError::LastOperationFailed(wasmtime::Error::new(other)),
    }
}

/// How far a `read(0)` after a wait looks ahead (wasmtime-wasi's read-ahead size).
const LOOK_AHEAD: usize = 4096;

/// A p2 `input-stream` over a core [`ByteSource`].
pub struct SourceStream<S> {
    source: S,
    closed: bool,
    /// The guest waited on the stream since its last read: a `read(0)` then looks ahead.
    waited: bool,
    /// What a look-ahead took, handed out by the next reads.
    stash: Option<Bytes>,
}

impl<S> SourceStream<S> {
    /// Wraps `source`.
    pub fn new(source: S) -> Self {
        SourceStream {
            source,
            closed: false,
            waited: false,
            stash: None,
        }
    }
}

#[async_trait::async_trait]
impl<S: ByteSource + Sync + 'static> Pollable for SourceStream<S> {
    async fn ready(&mut self) {
        if self.closed || self.stash.is_some() {
            return;
        }
        std::future::poll_fn(|cx| self.source.poll_ready(cx)).await;
        self.waited = true;
    }
}

impl<S: ByteSource> SourceStream<S> {
    /// `read(0)`: never waits and returns nothing, but reports a stream already known to be at
    /// its end as `closed`. After the guest waited on the stream it also reads ahead (up to
    /// 4 KiB, kept for the next reads), so an end or an error is reported as wasmtime-wasi
    /// reports what its read-ahead, started by the wait, found.
    fn read_nothing(&mut self) -> StreamResult<Bytes> {
        if self.stash.is_some() {
            return Ok(Bytes::new());
        }
        let _ = self.source.poll_ready(&mut noop_cx());
        if self.source.is_at_end() {
            self.closed = true;
            return Err(StreamError::Closed);
        }
        if std::mem::take(&mut self.waited) {
            match self.source.poll_read_bytes(&mut noop_cx(), LOOK_AHEAD) {
                Poll::Ready(Ok(b)) if b.is_empty() => {
                    self.closed = true;
                    return Err(StreamError::Closed);
                }
                Poll::Ready(Ok(b)) => self.stash = Some(b),
                Poll::Ready(Err(e)) => {
                    self.closed = true;
                    return Err(stream_error(e));
                }
                Poll::Pending => {}
            }
        }
        Ok(Bytes::new())
    }
}

#[async_trait::async_trait]
impl<S: ByteSource + Sync + 'static> InputStream for SourceStream<S> {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        if self.closed {
            return Err(StreamError::Closed);
        }
        if size == 0 {
            return self.read_nothing();
        }
        self.waited = false;
        if let Some(b) = &mut self.stash {
            let chunk = b.split_to(size.min(b.len()));
            if b.is_empty() {
                self.stash = None;
            }
            return Ok(chunk);
        }
        match self
            .source
            .poll_read_bytes(&mut noop_cx(), size.min(MAX_READ))
        {
            Poll::Ready(Ok(buf)) if buf.is_empty() => {
                self.closed = true;
                Err(StreamError::Closed)
            }
            Poll::Ready(Ok(buf)) => Ok(buf),
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
    state: OutputState,
    overrun: Overrun,
    /// After reporting a failed write, the stream is closed (files, sockets), or stays open
    /// and the next write tries again (stdio, as wasmtime-wasi's stdout and stderr do).
    closes_on_error: bool,
}

/// What a write over the permit does, as on the wasmtime-wasi p2 stream of the same kind.
#[derive(Clone, Copy)]
enum Overrun {
    /// stdio and files take it whole (wasmtime-wasi's inherited stdout and its file streams
    /// accept any write): the sink writes what it can at once and queues the rest within its
    /// bound (stdio: `MAX_BACKLOG`, past which the write fails instead of growing memory).
    Accept,
    /// TCP traps with "not permitted to write N bytes".
    NotPermitted,
}

enum OutputState {
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
            state: OutputState::Open,
            overrun: Overrun::Accept,
            closes_on_error: true,
        }
    }

    /// Wraps a stdout or stderr `sink`: a failed write is reported, and the next one is tried
    /// again (a full disk or a closed pipe keeps failing; each write says so).
    pub fn for_stdio(sink: S) -> Self {
        SinkStream {
            closes_on_error: false,
            ..Self::new(sink)
        }
    }

    /// Wraps a connection's send `sink`: a write over the permit traps with TCP's message.
    pub fn for_socket(sink: S) -> Self {
        SinkStream {
            overrun: Overrun::NotPermitted,
            ..Self::new(sink)
        }
    }

    /// The state after an error was reported.
    fn after_error(&self) -> OutputState {
        if self.closes_on_error {
            OutputState::Closed
        } else {
            OutputState::Open
        }
    }

    /// Reports a pending error once, then `closed` (or open again, for stdio).
    fn check_state(&mut self) -> StreamResult<()> {
        match std::mem::replace(&mut self.state, OutputState::Closed) {
            OutputState::Open => {
                self.state = OutputState::Open;
                Ok(())
            }
            OutputState::Failed(e) => {
                self.state = self.after_error();
                Err(stream_error(e))
            }
            OutputState::Closed => Err(StreamError::Closed),
        }
    }

    fn failed(&mut self, e: CoreError) -> StreamResult<usize> {
        self.state = self.after_error();
        self.permit = 0;
        Err(stream_error(e))
    }

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !matches!(self.state, OutputState::Open) {
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
            self.state = OutputState::Failed(e);
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
            if bytes.len() > self.permit && matches!(self.overrun, Overrun::NotPermitted) {
                return Err(StreamError::Trap(format_err!(
                    "not permitted to write {} bytes",
                    bytes.len()
                )));
            }
        }
        self.permit = self.permit.saturating_sub(bytes.len());
        match self.sink.write_granted_bytes(bytes) {
            Ok(true) => {}
            Ok(false) => {
                return Err(StreamError::Trap(format_err!(
                    "output stream refused bytes within its permit"
                )));
            }
            // Reported by the next call, as p2 reports a failed write.
            Err(e) => self.state = OutputState::Failed(e),
        }
        Ok(())
    }

    /// The same contract as the trait's default (write in chunks as room allows, flush, wait for
    /// the flush; a `closed` flush is not an error) without the per-step bookkeeping calls.
    async fn blocking_write_and_flush(&mut self, bytes: Bytes) -> StreamResult<()> {
        // Waits for the stream as the default does first (ready, then check-write), so an
        // earlier write's failure is reported here, even for an empty write.
        std::future::poll_fn(|cx| self.poll_ready(cx)).await;
        self.check_state()?;
        let len = bytes.len();
        let written = if len == 0 {
            // Still handed to the sink: a file reports a write it could never make.
            self.sink.write_granted_bytes(bytes).map(drop)
        } else {
            p3_core::io::write_all(&mut self.sink, &bytes).await
        };
        if let Err(e) = written {
            self.state = self.after_error();
            return Err(stream_error(e));
        }
        self.permit = self.permit.saturating_sub(len);
        match std::future::poll_fn(|cx| self.sink.poll_flush(cx)).await {
            Ok(()) | Err(CoreError::Closed) => Ok(()),
            Err(e) => {
                self.state = self.after_error();
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
                self.state = OutputState::Failed(e);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p3_core::cli::{SharedSink, SharedSource};
    use std::io;
    use std::pin::Pin;
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

    /// A writer that takes `ok` bytes, then fails every write.
    struct Failing {
        ok: usize,
    }

    impl AsyncWrite for Failing {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            if self.ok == 0 {
                return Poll::Ready(Err(io::Error::other("disk on fire")));
            }
            let n = buf.len().min(self.ok);
            self.ok -= n;
            Poll::Ready(Ok(n))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    struct FailingReader;

    impl AsyncRead for FailingReader {
        fn poll_read(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Poll::Ready(Err(io::Error::other("device gone")))
        }
    }

    #[tokio::test]
    async fn write_error_is_reported_once_then_closed() {
        let sink = SharedSink::new(Box::new(Failing { ok: 4 }), false);
        let mut s = SinkStream::new(sink.handle());
        let permit = s.check_write().unwrap();
        assert!(permit >= 8);
        s.write(Bytes::from_static(b"abcdefgh")).unwrap();
        // The failure surfaces on the next call, once, as last-operation-failed...
        match s.check_write() {
            Err(StreamError::LastOperationFailed(e)) => {
                assert!(e.to_string().contains("disk on fire"), "{e}")
            }
            other => panic!("expected last-operation-failed, got {other:?}"),
        }
        // ...and the stream is closed from then on.
        assert!(matches!(s.check_write(), Err(StreamError::Closed)));
        assert!(matches!(s.write(Bytes::new()), Err(StreamError::Closed)));
        assert!(matches!(s.flush(), Err(StreamError::Closed)));
        // A pollable on the failed stream is ready at once.
        s.ready().await;
    }

    /// As wasmtime-wasi's inherited stdout: a write over the permit is taken whole; a sink
    /// that does not drain fails it past the backlog bound instead of growing memory.
    #[tokio::test]
    async fn stdio_takes_a_write_over_the_permit_within_its_backlog_bound() {
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Collect(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl tokio::io::AsyncWrite for Collect {
            fn poll_write(
                self: Pin<&mut Self>,
                _: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                self.0.lock().unwrap().extend_from_slice(buf);
                Poll::Ready(Ok(buf.len()))
            }
            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
            fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }
        }
        let sink = SharedSink::new(Box::new(Collect(out.clone())), false);
        let mut s = SinkStream::new(sink.handle());
        let permit = s.check_write().unwrap();
        let big = Bytes::from(vec![7u8; permit * 8 + 1]);
        s.write(big).unwrap();
        s.flush().unwrap();
        s.ready().await;
        assert_eq!(out.lock().unwrap().len(), permit * 8 + 1);

        // A writer that never drains: the write fails (last-operation-failed), no trap.
        let stuck = SharedSink::new(Box::new(Stuck), false);
        let mut s = SinkStream::new(stuck.handle());
        let huge = Bytes::from(vec![0u8; p3_core::cli::MAX_BACKLOG + 1]);
        s.write(huge).unwrap();
        assert!(matches!(
            s.check_write(),
            Err(StreamError::LastOperationFailed(_))
        ));
    }

    /// A writer that never takes a byte.
    struct Stuck;

    impl tokio::io::AsyncWrite for Stuck {
        fn poll_write(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
            _: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Pending
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Pending
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Pending
        }
    }

    #[tokio::test]
    async fn read_error_is_reported_once_then_closed() {
        let source = SharedSource::new(Box::new(FailingReader), false);
        let mut s = SourceStream::new(source.handle());
        assert!(matches!(
            s.read(10),
            Err(StreamError::LastOperationFailed(_))
        ));
        assert!(matches!(s.read(10), Err(StreamError::Closed)));
        s.ready().await;
    }

    #[tokio::test]
    async fn huge_read_request_is_capped_not_allocated() {
        let source = SharedSource::new(Box::new(&b"tiny"[..]), false);
        let mut s = SourceStream::new(source.handle());
        let got = s.read(usize::MAX).unwrap();
        assert_eq!(&got[..], b"tiny");
        assert!(got.len() <= MAX_READ);
        assert!(matches!(s.read(usize::MAX), Err(StreamError::Closed)));
    }
}
