//! [`SharedSource`]: one read-ahead input source shared by every stdin handle.

use crate::error::CoreError;
use crate::io::ByteSource;
use bytes::{BufMut, BytesMut};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, ReadBuf};
/// How many bytes a [`SharedSource`] reads ahead when asked for readiness.
const SOURCE_READ_AHEAD: usize = 16 * 1024;

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
