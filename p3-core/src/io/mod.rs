//! Byte sources and sinks: the core's stream abstraction.
//!
//! Every stream in the core is a poll-based, restartable object that reads into a borrowed
//! `&mut [u8]` or writes from a borrowed `&[u8]`. Polling with a no-op waker gives WASIp2's
//! non-blocking semantics; polling from a real task gives WASIp3's. Readiness is separate from
//! data (`poll_ready` / `poll_write_ready`) so both ABIs can ask for it exactly.

mod write_behind;

pub(crate) use write_behind::{Drain, WriteBehind};

use crate::error::CoreError;
use bytes::{Bytes, BytesMut};
use std::task::{Context, Poll, Waker};

/// A source of bytes.
pub trait ByteSource: Send {
    /// Resolves when a read would make progress (data, end of stream, or an error).
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()>;
    /// Reads into `dst`; `Ok(0)` with a non-empty `dst` means end of stream.
    fn poll_read(&mut self, cx: &mut Context<'_>, dst: &mut [u8])
    -> Poll<Result<usize, CoreError>>;

    /// True once the source is known to have nothing more to give (end of stream, or an error
    /// already reported). A source that cannot tell says `false`.
    fn is_at_end(&self) -> bool {
        false
    }

    /// Reads at most `max` bytes, appending them to `buf`; `Ok(0)` for `max > 0` is end of stream.
    ///
    /// Sources override this to read into `buf`'s spare capacity without zero-filling it (the
    /// WASIp2 adapter returns exactly these bytes to the guest); the default zero-fills.
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        buf: &mut BytesMut,
    ) -> Poll<Result<usize, CoreError>> {
        poll_read_zeroed(self, cx, max, buf)
    }

    /// Reads at most `max` bytes as one buffer; empty for `max > 0` is end of stream.
    ///
    /// Sources that already hold their data as [`Bytes`] (an HTTP body's frames) override this
    /// to hand out a slice of it without copying; the default reads through
    /// [`ByteSource::poll_read_buf`].
    fn poll_read_bytes(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
    ) -> Poll<Result<Bytes, CoreError>> {
        let mut buf = BytesMut::new();
        match self.poll_read_buf(cx, max, &mut buf) {
            Poll::Ready(Ok(_)) => Poll::Ready(Ok(buf.freeze())),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// [`ByteSource::poll_read_buf`] through `poll_read`: appends `max` zeroed bytes to `buf`, reads
/// into them and keeps what was read.
pub(crate) fn poll_read_zeroed<S: ByteSource + ?Sized>(
    source: &mut S,
    cx: &mut Context<'_>,
    max: usize,
    buf: &mut BytesMut,
) -> Poll<Result<usize, CoreError>> {
    let start = buf.len();
    buf.resize(start + max, 0);
    let res = source.poll_read(cx, &mut buf[start..]);
    let n = match &res {
        Poll::Ready(Ok(n)) => *n,
        _ => 0,
    };
    buf.truncate(start + n);
    res
}

/// A sink for bytes.
pub trait ByteSink: Send {
    /// Resolves with how many bytes a write would accept now (never 0 when ready).
    fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize, CoreError>>;
    /// Writes a prefix of `src` and returns its length.
    fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<Result<usize, CoreError>>;
    /// Resolves once everything written so far has reached its destination.
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>>;
    /// Flushes and closes the sink.
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>>;

    /// Takes all of `src` without waiting, because the caller was already granted that much
    /// room by [`ByteSink::poll_write_ready`] (a WASIp2 permit). `Ok(false)` means the sink
    /// could not honour the grant. Sinks that buffer override this; the default writes with a
    /// no-op waker.
    fn write_granted(&mut self, mut src: &[u8]) -> Result<bool, CoreError> {
        let mut cx = Context::from_waker(Waker::noop());
        while !src.is_empty() {
            match self.poll_write(&mut cx, src) {
                Poll::Ready(Ok(n)) => src = &src[n..],
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => return Ok(false),
            }
        }
        Ok(true)
    }

    /// [`ByteSink::write_granted`] for bytes the caller owns: sinks that queue [`Bytes`] (an
    /// HTTP body) take them without a copy; the default writes from the borrowed slice.
    fn write_granted_bytes(&mut self, src: Bytes) -> Result<bool, CoreError> {
        self.write_granted(&src)
    }
}

/// Writes all of `src` into `sink`, waiting for room as it goes.
pub async fn write_all<S: ByteSink + ?Sized>(
    sink: &mut S,
    mut src: &[u8],
) -> Result<(), CoreError> {
    while !src.is_empty() {
        let n = std::future::poll_fn(|cx| sink.poll_write(cx, src)).await?;
        src = &src[n..];
    }
    Ok(())
}

/// How many bytes a buffering sink (stdio, files) offers a writer at once: the write budget
/// its `poll_write_ready` reports, and what a stdio sink queues before it pushes back.
pub(crate) const SINK_BUFFER: usize = 64 * 1024;

/// Runs `f` where a tokio runtime is current: the embedder's, or wasmtime-wasi's fallback
/// runtime for synchronous hosts. Sockets register with its reactor; background tasks run on it.
pub(crate) fn in_runtime<R>(f: impl FnOnce() -> R) -> R {
    wasmtime_wasi::runtime::with_ambient_tokio_runtime(f)
}

/// Spawns a detached background task on the current (or fallback) runtime, so it runs whether
/// or not the caller is inside one.
pub(crate) fn spawn_detached(fut: impl std::future::Future<Output = ()> + Send + 'static) {
    in_runtime(|| drop(tokio::spawn(fut)));
}
