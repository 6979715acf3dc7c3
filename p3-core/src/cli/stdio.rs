//! The two shared stdio objects: [`SharedSink`], one ordered sink that all stdout (or stderr)
//! handles of every ABI write into, and [`SharedSource`], one read-ahead source that all stdin
//! handles read from. Neither holds its lock across `Pending`.

use crate::error::CoreError;
use crate::io::{ByteSink, ByteSource, Drain, SINK_BUFFER, WriteBehind};
use bytes::{BufMut, BytesMut};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The most a [`SharedSink`] ever queues, permits included. Each handle's permit is at most
/// [`SINK_BUFFER`], so only a guest holding hundreds of handles with granted permits on a
/// writer that does not drain can reach it; that write fails instead of growing host memory.
pub const MAX_BACKLOG: usize = 256 * SINK_BUFFER;

/// One ordered output sink (a guest's stdout or stderr) shared by every handle of every ABI.
///
/// Writes go straight to the underlying writer when it is ready; what it does not take at once
/// is queued (up to [`SINK_BUFFER`], or up to a permit already granted) in a [`WriteBehind`]
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
    /// queue may then exceed [`SINK_BUFFER`] by at most that permit, and never [`MAX_BACKLOG`].
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

    /// Writes a prefix of `src`, queueing what the writer does not take up to [`SINK_BUFFER`].
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

/// How many bytes a [`SharedSource`] reads ahead when asked for readiness.
pub const SOURCE_READ_AHEAD: usize = 16 * 1024;

/// One input source (a guest's stdin) shared by every handle of every ABI.
///
/// Reads go straight into the caller's buffer; a readiness check reads ahead into a small
/// queue that the next read of any handle drains first, so no byte is lost or duplicated.
#[derive(Clone)]
pub struct SharedSource {
    shared: Arc<SourceShared>,
}

struct SourceShared {
    state: Mutex<SourceState>,
    is_terminal: bool,
    /// Everyone waiting on the reader. The reader keeps only the waker of its last poll, so
    /// it is polled with a waker that wakes them all: a p2 pollable and a p3 read waiting on
    /// stdin at the same time both hear about new input.
    waiters: Arc<FanOut>,
}

#[derive(Default)]
struct FanOut {
    waiters: Mutex<Vec<Waker>>,
}

impl FanOut {
    fn register(self: &Arc<Self>, cx: &Context<'_>) -> Waker {
        let mut w = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        if !w.iter().any(|x| x.will_wake(cx.waker())) {
            w.push(cx.waker().clone());
        }
        Waker::from(self.clone())
    }
}

impl std::task::Wake for FanOut {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref()
    }
    fn wake_by_ref(self: &Arc<Self>) {
        let waiters = std::mem::take(&mut *self.waiters.lock().unwrap_or_else(|p| p.into_inner()));
        for w in waiters {
            w.wake();
        }
    }
}

struct SourceState {
    reader: Pin<Box<dyn AsyncRead + Send + Sync>>,
    ahead: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    error: Option<io::Error>,
}

impl SharedSource {
    /// Wraps a reader as a shared source.
    pub fn new(reader: Box<dyn AsyncRead + Send + Sync>, is_terminal: bool) -> Self {
        SharedSource {
            shared: Arc::new(SourceShared {
                state: Mutex::new(SourceState {
                    reader: Box::into_pin(reader),
                    ahead: Vec::new(),
                    pos: 0,
                    end: 0,
                    eof: false,
                    error: None,
                }),
                is_terminal,
                waiters: Arc::default(),
            }),
        }
    }

    /// Whether the source is a terminal.
    pub fn is_terminal(&self) -> bool {
        self.shared.is_terminal
    }

    fn lock(&self) -> MutexGuard<'_, SourceState> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Resolves when a read would return data, end of stream or an error.
    pub fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut state = self.lock();
        if state.pos < state.end || state.eof || state.error.is_some() {
            return Poll::Ready(());
        }
        let SourceState {
            reader,
            ahead,
            pos,
            end,
            ..
        } = &mut *state;
        *end = 0;
        // The read-ahead buffer is allocated once, on the first readiness check.
        ahead.resize(SOURCE_READ_AHEAD, 0);
        *pos = 0;
        let mut buf = ReadBuf::new(ahead);
        let waker = self.shared.waiters.register(cx);
        match reader
            .as_mut()
            .poll_read(&mut Context::from_waker(&waker), &mut buf)
        {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len();
                if n == 0 {
                    state.eof = true;
                } else {
                    state.pos = 0;
                    state.end = n;
                }
                Poll::Ready(())
            }
            Poll::Ready(Err(e)) => {
                state.error = Some(e);
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Reads into `dst`; `Ok(0)` for a non-empty `dst` means end of stream.
    pub fn poll_read(
        &self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<Result<usize, CoreError>> {
        let mut state = self.lock();
        if state.pos < state.end {
            let n = dst.len().min(state.end - state.pos);
            dst[..n].copy_from_slice(&state.ahead[state.pos..state.pos + n]);
            state.pos += n;
            return Poll::Ready(Ok(n));
        }
        if let Some(e) = state.error.take() {
            state.eof = true;
            return Poll::Ready(Err(CoreError::stdio(e)));
        }
        if state.eof || dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let mut buf = ReadBuf::new(dst);
        let waker = self.shared.waiters.register(cx);
        match state
            .reader
            .as_mut()
            .poll_read(&mut Context::from_waker(&waker), &mut buf)
        {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len();
                if n == 0 {
                    state.eof = true;
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => {
                state.eof = true;
                Poll::Ready(Err(CoreError::stdio(e)))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Reads at most `max` bytes into `buf`'s spare capacity (no zero-fill).
    pub fn poll_read_buf(
        &self,
        cx: &mut Context<'_>,
        max: usize,
        buf: &mut BytesMut,
    ) -> Poll<Result<usize, CoreError>> {
        let mut state = self.lock();
        if state.pos < state.end {
            let n = max.min(state.end - state.pos);
            buf.extend_from_slice(&state.ahead[state.pos..state.pos + n]);
            state.pos += n;
            return Poll::Ready(Ok(n));
        }
        if let Some(e) = state.error.take() {
            state.eof = true;
            return Poll::Ready(Err(CoreError::stdio(e)));
        }
        if state.eof || max == 0 {
            return Poll::Ready(Ok(0));
        }
        buf.reserve(max);
        let mut limited = buf.limit(max);
        let waker = self.shared.waiters.register(cx);
        let cx = &mut Context::from_waker(&waker);
        match tokio_util::io::poll_read_buf(state.reader.as_mut(), cx, &mut limited) {
            Poll::Ready(Ok(n)) => {
                if n == 0 {
                    state.eof = true;
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => {
                state.eof = true;
                Poll::Ready(Err(CoreError::stdio(e)))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// True once end of stream was seen and no read-ahead bytes are left.
    pub fn is_at_end(&self) -> bool {
        let state = self.lock();
        state.eof && state.pos >= state.end && state.error.is_none()
    }

    /// Returns a [`ByteSource`] handle onto this shared source.
    pub fn handle(&self) -> SourceHandle {
        SourceHandle {
            source: self.clone(),
        }
    }
}

/// One handle onto a [`SharedSource`].
pub struct SourceHandle {
    source: SharedSource,
}

impl ByteSource for SourceHandle {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.source.poll_ready(cx)
    }
    fn is_at_end(&self) -> bool {
        self.source.is_at_end()
    }
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<Result<usize, CoreError>> {
        self.source.poll_read(cx, dst)
    }
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        buf: &mut BytesMut,
    ) -> Poll<Result<usize, CoreError>> {
        self.source.poll_read_buf(cx, max, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Chunky {
        out: Arc<Mutex<Vec<u8>>>,
        max: usize,
        pending_every_other: bool,
        flip: bool,
    }

    impl AsyncWrite for Chunky {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            if self.pending_every_other {
                self.flip = !self.flip;
                if self.flip {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
            let n = buf.len().min(self.max);
            self.out.lock().unwrap().extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
        }
        fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn sink_keeps_call_order_across_handles_and_slow_writer() {
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = SharedSink::new(
            Box::new(Chunky {
                out: out.clone(),
                max: 3,
                pending_every_other: true,
                flip: false,
            }),
            false,
        );
        let mut a = sink.handle();
        let b = sink.clone();
        b.write_all_nonblocking(b"hello ").unwrap();
        let mut rest: &[u8] = b"p3 world ";
        while !rest.is_empty() {
            let n = std::future::poll_fn(|cx| a.poll_write(cx, rest))
                .await
                .unwrap();
            rest = &rest[n..];
        }
        b.write_all_nonblocking(b"and p2 again").unwrap();
        sink.flush().await.unwrap();
        assert_eq!(&*out.lock().unwrap(), b"hello p3 world and p2 again");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn every_waiter_on_the_source_is_woken() {
        let (mut tx, rx) = tokio::io::duplex(64);
        let src = SharedSource::new(Box::new(rx), false);
        let waits: Vec<_> = (0..2)
            .map(|_| {
                let mut h = src.handle();
                tokio::spawn(async move { std::future::poll_fn(|cx| h.poll_ready(cx)).await })
            })
            .collect();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        tokio::io::AsyncWriteExt::write_all(&mut tx, b"x")
            .await
            .unwrap();
        for w in waits {
            tokio::time::timeout(std::time::Duration::from_secs(5), w)
                .await
                .expect("a waiter was not woken")
                .unwrap();
        }
    }

    /// A granted write (polled with a no-op waker, as p2's `write` is) while the drain task
    /// waits on a full writer must not take the task's waker: the queue still drains once the
    /// reader makes room, with nobody polling the sink.
    #[tokio::test(flavor = "multi_thread")]
    async fn granted_writes_do_not_strand_the_drain_task() {
        let (mut reader, writer) = tokio::io::duplex(16);
        let sink = SharedSink::new(Box::new(writer), false);
        sink.write_all_nonblocking(&[1u8; 64]).unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        sink.write_all_nonblocking(&[2u8; 64]).unwrap();
        let mut got = Vec::new();
        let read = async {
            while got.len() < 128 {
                let mut buf = [0u8; 64];
                let n = tokio::io::AsyncReadExt::read(&mut reader, &mut buf)
                    .await
                    .unwrap();
                got.extend_from_slice(&buf[..n]);
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(5), read)
            .await
            .expect("queued bytes were stranded");
        assert_eq!(&got[..64], &[1u8; 64][..]);
        assert_eq!(&got[64..], &[2u8; 64][..]);
    }

    /// A writer that keeps bytes in its own buffer until flushed (like a line-buffered
    /// stdout), and whose flush waits once when `slow_flush` is set.
    struct Buffered {
        buf: Vec<u8>,
        out: Arc<Mutex<Vec<u8>>>,
        slow_flush: bool,
    }

    impl AsyncWrite for Buffered {
        fn poll_write(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            self.buf.extend_from_slice(buf);
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            if std::mem::take(&mut self.slow_flush) {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let bytes = std::mem::take(&mut self.buf);
            self.out.lock().unwrap().extend_from_slice(&bytes);
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// A prompt without a newline reaches the writer's destination without the guest
    /// flushing, by either kind of write, also when the writer's flush has to wait.
    #[tokio::test(flavor = "multi_thread")]
    async fn written_bytes_do_not_sit_in_the_writers_buffer() {
        for slow_flush in [false, true] {
            let out = Arc::new(Mutex::new(Vec::new()));
            let sink = SharedSink::new(
                Box::new(Buffered {
                    buf: Vec::new(),
                    out: out.clone(),
                    slow_flush,
                }),
                false,
            );
            let mut h = sink.handle();
            let n = std::future::poll_fn(|cx| h.poll_write(cx, b"name? "))
                .await
                .unwrap();
            assert_eq!(n, 6);
            sink.write_all_nonblocking(b"> ").unwrap();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while out.lock().unwrap().len() < 8 {
                assert!(
                    std::time::Instant::now() < deadline,
                    "prompt stuck in the writer's buffer (slow_flush={slow_flush})"
                );
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            assert_eq!(&*out.lock().unwrap(), b"name? > ");
        }
    }

    /// A writer that never takes a byte.
    struct Stuck;

    impl AsyncWrite for Stuck {
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

    #[test]
    fn granted_writes_to_a_stuck_writer_are_bounded() {
        let sink = SharedSink::new(Box::new(Stuck), false);
        let chunk = vec![0u8; SINK_BUFFER];
        for _ in 0..MAX_BACKLOG / SINK_BUFFER {
            sink.write_all_nonblocking(&chunk).unwrap();
        }
        let err = sink.write_all_nonblocking(&chunk).unwrap_err();
        assert!(err.to_string().contains("backlog"), "{err}");
    }

    #[tokio::test]
    async fn source_read_ahead_is_shared_not_lost() {
        let src = SharedSource::new(Box::new(&b"abcdefgh"[..]), false);
        let mut h1 = src.handle();
        let mut h2 = src.handle();
        std::future::poll_fn(|cx| h1.poll_ready(cx)).await;
        let mut buf = [0u8; 3];
        let n = std::future::poll_fn(|cx| h2.poll_read(cx, &mut buf))
            .await
            .unwrap();
        assert_eq!(&buf[..n], b"abc");
        let mut rest = [0u8; 16];
        let n = std::future::poll_fn(|cx| h1.poll_read(cx, &mut rest))
            .await
            .unwrap();
        assert_eq!(&rest[..n], b"defgh");
        let n = std::future::poll_fn(|cx| h1.poll_read(cx, &mut rest))
            .await
            .unwrap();
        assert_eq!(n, 0, "end of stream");
    }
}
