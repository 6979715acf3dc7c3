//! [`SharedSink`]: one ordered output sink shared by every stdout (or stderr) handle.

use crate::error::CoreError;
use crate::io::{ByteSink, Drain, SINK_BUFFER, WriteBehind};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker, ready};
use tokio::io::AsyncWrite;

/// The most a [`SharedSink`] ever queues, permits included. Each handle's permit is at most
/// `SINK_BUFFER`, so only a guest holding hundreds of handles with granted permits on a
/// writer that does not drain can reach it; that write fails instead of growing host memory.
pub const MAX_BACKLOG: usize = 256 * SINK_BUFFER;

/// One ordered output sink (a guest's stdout or stderr) shared by every handle of every ABI.
///
/// Writes go straight to the underlying writer when it is ready; what it does not take at once
/// is queued (up to `SINK_BUFFER`, or up to a permit already granted) in a `WriteBehind`
/// queue drained in order by a background task, so no caller ever waits while holding the lock
/// and bytes come out in call order whichever handle wrote them.
#[derive(Clone)]
pub struct SharedSink {
    queue: WriteBehind<StdioWriter>,
    is_terminal: bool,
}

/// The writer behind a [`SharedSink`].
struct StdioWriter(Pin<Box<dyn AsyncWrite + Send + Sync>>);

impl Drain for StdioWriter {
    type Error = StickyError;

    fn poll_drain(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, StickyError>> {
        match ready!(self.0.as_mut().poll_write(cx, buf)) {
            Ok(0) => Poll::Ready(Err(StickyError::new(&io::ErrorKind::WriteZero.into()))),
            Ok(n) => Poll::Ready(Ok(n)),
            Err(e) => Poll::Ready(Err(StickyError::new(&e))),
        }
    }

    fn poll_flush_dest(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), StickyError>> {
        self.0
            .as_mut()
            .poll_flush(cx)
            .map_err(|e| StickyError::new(&e))
    }
}

/// A write error remembered for every later operation of every handle: its OS code, or its
/// kind and message when it has none (an `io::Error` itself cannot be cloned).
#[derive(Clone)]
struct StickyError {
    kind: io::ErrorKind,
    os: Option<i32>,
    message: String,
}

impl StickyError {
    fn new(e: &io::Error) -> Self {
        StickyError {
            kind: e.kind(),
            os: e.raw_os_error(),
            message: e.to_string(),
        }
    }

    /// The error as the OS gave it — a broken pipe too: a guest writing to a stdout whose
    /// reader is gone gets `last-operation-failed` (p2) or `pipe` (p3) on every write, as
    /// from wasmtime-wasi's stdout, rather than a closed stream.
    fn to_core(&self) -> CoreError {
        CoreError::Stdio(match self.os {
            Some(code) => io::Error::from_raw_os_error(code),
            None => io::Error::new(self.kind, self.message.clone()),
        })
    }
}

impl SharedSink {
    /// Wraps a writer as a shared sink.
    pub fn new(writer: Box<dyn AsyncWrite + Send + Sync>, is_terminal: bool) -> Self {
        SharedSink {
            queue: WriteBehind::new(StdioWriter(Box::into_pin(writer))),
            is_terminal,
        }
    }

    /// Whether the sink is a terminal.
    pub fn is_terminal(&self) -> bool {
        self.is_terminal
    }

    /// Writes all of `src` without waiting: what the writer does not take at once is queued.
    ///
    /// This is for writes the caller has already been granted room for (a WASIp2 permit); the
    /// queue may then exceed `SINK_BUFFER` by at most that permit, and never [`MAX_BACKLOG`].
    pub fn write_all_nonblocking(&self, src: &[u8]) -> Result<(), CoreError> {
        let mut q = self.queue.lock();
        if let Some(e) = q.error() {
            return Err(e.to_core());
        }
        let n = q
            .write_direct(&mut Context::from_waker(Waker::noop()), src)
            .map_err(|e| e.to_core())?;
        if !q.enqueue(&src[n..], MAX_BACKLOG) {
            return Err(CoreError::stdio(io::Error::other(format!(
                "output backlog would exceed {MAX_BACKLOG} bytes: the writer is not draining"
            ))));
        }
        self.queue.settle(&mut q);
        Ok(())
    }

    /// Polls for room in the sink: how many bytes a write would take now.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<Result<usize, CoreError>> {
        let mut q = self.queue.lock();
        if let Some(e) = q.error() {
            return Poll::Ready(Err(e.to_core()));
        }
        if q.len() < SINK_BUFFER {
            Poll::Ready(Ok(SINK_BUFFER - q.len()))
        } else {
            self.queue.ensure_draining(&mut q);
            q.wait(cx);
            Poll::Pending
        }
    }

    /// Writes a prefix of `src`, queueing what the writer does not take up to `SINK_BUFFER`.
    pub fn poll_write(&self, cx: &mut Context<'_>, src: &[u8]) -> Poll<Result<usize, CoreError>> {
        let mut q = self.queue.lock();
        if let Some(e) = q.error() {
            return Poll::Ready(Err(e.to_core()));
        }
        let mut n = match q.write_direct(cx, src) {
            Ok(n) => n,
            Err(e) => return Poll::Ready(Err(e.to_core())),
        };
        let room = SINK_BUFFER.saturating_sub(q.len());
        let queued = room.min(src.len() - n);
        q.enqueue(&src[n..n + queued], SINK_BUFFER);
        n += queued;
        self.queue.settle(&mut q);
        if n == 0 && !src.is_empty() {
            q.wait(cx);
            return Poll::Pending;
        }
        Poll::Ready(Ok(n))
    }

    /// Resolves once every byte written so far, by any handle, has been flushed.
    pub fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        let mut q = self.queue.lock();
        if let Err(e) = ready!(self.queue.poll_empty(&mut q, cx)) {
            return Poll::Ready(Err(e.to_core()));
        }
        q.poll_flush_now(cx).map_err(|e| e.to_core())
    }

    /// Flushes the sink, waiting as long as it takes.
    pub async fn flush(&self) -> Result<(), CoreError> {
        std::future::poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// Returns a [`ByteSink`] handle onto this shared sink.
    pub fn handle(&self) -> SinkHandle {
        SinkHandle { sink: self.clone() }
    }
}

/// One handle onto a [`SharedSink`]; closing it does not close the shared sink.
pub struct SinkHandle {
    sink: SharedSink,
}

impl SinkHandle {
    /// The shared sink behind this handle.
    pub fn shared(&self) -> &SharedSink {
        &self.sink
    }
}

impl ByteSink for SinkHandle {
    fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize, CoreError>> {
        self.sink.poll_write_ready(cx)
    }
    fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<Result<usize, CoreError>> {
        self.sink.poll_write(cx, src)
    }
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        self.sink.poll_flush(cx)
    }
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        self.sink.poll_flush(cx)
    }
    fn write_granted(&mut self, src: &[u8]) -> Result<bool, CoreError> {
        self.sink.write_all_nonblocking(src).map(|()| true)
    }
}
