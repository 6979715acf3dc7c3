//! A connection's I/O: the receive [`TcpSource`] and the send [`TcpSink`], sharing one
//! [`Conn`]. Bytes granted to a WASIp2 writer that the socket cannot take at once wait in the
//! connection's [`WriteBehind`] queue and are sent by its background task; the send side is
//! shut only after them, so nothing written is lost.

use crate::error::CoreError;
use crate::io::{ByteSink, ByteSource, Drain, WriteBehind};
use crate::sockets::ErrorCode;
use bytes::{BufMut, BytesMut};
use rustix::io::Errno;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use tokio::net::TcpStream;

/// How many bytes a send sink offers a WASIp2 writer at a time (wasmtime-wasi offers 64 KiB;
/// a larger permit lets a guest hand over bigger writes, with fewer calls).
pub const SEND_PERMIT: usize = 256 * 1024;

/// The most a send sink ever holds for the OS: granted writes beyond what the socket took at
/// once. Permits are only granted while nothing is held, so this bound is never reached by a
/// guest that follows p2's rules; past it a write fails instead of growing host memory.
const MAX_SEND_BACKLOG: usize = 4 * SEND_PERMIT;

/// The most one WASIp2 read takes from the socket at once (wasmtime-wasi: 64 KiB, zero-filled).
const MAX_READ_CHUNK: usize = 256 * 1024;

/// A connection shared by its socket, its receive side and its send side.
pub(super) struct Conn {
    pub(super) stream: Arc<TcpStream>,
    pub(super) receive_taken: AtomicBool,
    pub(super) send_taken: AtomicBool,
    receive_shut: AtomicBool,
    send: WriteBehind<SendHalf>,
}

/// The send direction as the write-behind queue's destination: the socket, and whether
/// sending was shut down.
struct SendHalf {
    stream: Arc<TcpStream>,
    /// No more writes are accepted; the OS side is shut once the queue is empty.
    shut: bool,
    os_shut: bool,
}

impl Drain for SendHalf {
    type Error = ErrorCode;

    fn poll_drain(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, ErrorCode>> {
        loop {
            match self.stream.try_write(buf) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Err(e) = ready!(self.stream.poll_write_ready(cx)) {
                        return Poll::Ready(Err(send_error(&e)));
                    }
                }
                Err(e) => return Poll::Ready(Err(send_error(&e))),
            }
        }
    }

    /// Shuts the OS side down once nothing is left to send.
    fn on_empty(&mut self) {
        if self.shut && !self.os_shut {
            self.os_shut = true;
            let _ = rustix::net::shutdown(&*self.stream, rustix::net::Shutdown::Write);
        }
    }
}

impl Conn {
    pub(super) fn new(stream: TcpStream) -> Arc<Conn> {
        let stream = Arc::new(stream);
        Arc::new(Conn {
            send: WriteBehind::new(SendHalf {
                stream: stream.clone(),
                shut: false,
                os_shut: false,
            }),
            stream,
            receive_taken: AtomicBool::new(false),
            send_taken: AtomicBool::new(false),
            receive_shut: AtomicBool::new(false),
        })
    }

    pub(super) fn shut_receive(&self) {
        if !self.receive_shut.swap(true, Ordering::SeqCst) {
            let _ = rustix::net::shutdown(&*self.stream, rustix::net::Shutdown::Read);
        }
    }

    /// Stops accepting writes; the OS side is shut once the bytes already accepted are out.
    pub(super) fn shut_send(&self) {
        let mut q = self.send.lock();
        q.writer.shut = true;
        if q.is_empty() {
            q.writer.on_empty();
            q.wake_waiters();
        }
    }
}

fn send_error(e: &io::Error) -> ErrorCode {
    match Errno::from_io_error(e) {
        Some(Errno::PIPE) => ErrorCode::ConnectionBroken,
        _ => e.into(),
    }
}

/// The receive side of a connection. Dropping it shuts reading down.
pub struct TcpSource {
    conn: Arc<Conn>,
    at_end: bool,
}

impl TcpSource {
    pub(super) fn new(conn: Arc<Conn>) -> Self {
        TcpSource {
            conn,
            at_end: false,
        }
    }

    fn ended(&self) -> bool {
        self.at_end || self.conn.receive_shut.load(Ordering::SeqCst)
    }

    fn read_result(&mut self, r: io::Result<usize>) -> Option<Result<usize, CoreError>> {
        match r {
            Ok(n) => {
                if n == 0 {
                    self.at_end = true;
                }
                Some(Ok(n))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
            Err(e) => {
                self.at_end = true;
                Some(Err(CoreError::Network((&e).into())))
            }
        }
    }

    fn poll_read_with(
        &mut self,
        cx: &mut Context<'_>,
        mut read: impl FnMut(&TcpStream) -> io::Result<usize>,
    ) -> Poll<Result<usize, CoreError>> {
        if self.ended() {
            return Poll::Ready(Ok(0));
        }
        loop {
            let r = read(&self.conn.stream);
            if let Some(res) = self.read_result(r) {
                return Poll::Ready(res);
            }
            match ready!(self.conn.stream.poll_read_ready(cx)) {
                Ok(()) => continue,
                Err(e) => {
                    self.at_end = true;
                    return Poll::Ready(Err(CoreError::Network((&e).into())));
                }
            }
        }
    }
}

impl ByteSource for TcpSource {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.ended() {
            return Poll::Ready(());
        }
        self.conn.stream.poll_read_ready(cx).map(drop)
    }

    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<Result<usize, CoreError>> {
        if dst.is_empty() {
            return Poll::Ready(Ok(0));
        }
        self.poll_read_with(cx, |s| s.try_read(dst))
    }

    fn is_at_end(&self) -> bool {
        self.ended()
    }

    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        buf: &mut BytesMut,
    ) -> Poll<Result<usize, CoreError>> {
        if max == 0 {
            return Poll::Ready(Ok(0));
        }
        // Reads into spare capacity: a 3-byte read costs a 3-byte read, not a zeroed buffer.
        buf.reserve(max.min(MAX_READ_CHUNK));
        self.poll_read_with(cx, |s| {
            let room = buf.capacity() - buf.len();
            s.try_read_buf(&mut (&mut *buf).limit(room.min(max)))
        })
    }
}

impl Drop for TcpSource {
    fn drop(&mut self) {
        self.conn.shut_receive();
    }
}

/// The send side of a connection. Closing or dropping it shuts sending down once every byte
/// already accepted has been handed to the OS.
pub struct TcpSink {
    conn: Arc<Conn>,
}

impl TcpSink {
    pub(super) fn new(conn: Arc<Conn>) -> Self {
        TcpSink { conn }
    }

    /// Waits for the queue to be handed to the OS: `Ready(Ok)` once it is empty.
    fn poll_queue(&self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        let mut q = self.conn.send.lock();
        self.conn
            .send
            .poll_empty(&mut q, cx)
            .map_err(CoreError::from)
    }

    /// Whether writes are still accepted: not after an error, nor after sending was shut down.
    fn check_open(&self) -> Result<(), CoreError> {
        let q = self.conn.send.lock();
        match q.error() {
            Some(e) => Err((*e).into()),
            None if q.writer.shut => Err(CoreError::Closed),
            None => Ok(()),
        }
    }

    /// A socket error: it sticks for every later call.
    fn fail(&self, e: &io::Error) -> CoreError {
        self.conn.send.lock().fail(send_error(e)).into()
    }
}

impl ByteSink for TcpSink {
    fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize, CoreError>> {
        self.check_open()?;
        ready!(self.poll_queue(cx))?;
        match ready!(self.conn.stream.poll_write_ready(cx)) {
            Ok(()) => Poll::Ready(Ok(SEND_PERMIT)),
            Err(e) => Poll::Ready(Err(self.fail(&e))),
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<Result<usize, CoreError>> {
        self.check_open()?;
        ready!(self.poll_queue(cx))?;
        loop {
            match self.conn.stream.try_write(src) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if let Err(e) = ready!(self.conn.stream.poll_write_ready(cx)) {
                        return Poll::Ready(Err(self.fail(&e)));
                    }
                }
                Err(e) => return Poll::Ready(Err(self.fail(&e))),
            }
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        self.poll_queue(cx)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        ready!(self.poll_flush(cx))?;
        self.conn.shut_send();
        Poll::Ready(Ok(()))
    }

    fn write_granted(&mut self, mut src: &[u8]) -> Result<bool, CoreError> {
        self.check_open()?;
        let mut q = self.conn.send.lock();
        if q.is_empty() {
            // Straight to the socket while nothing is queued ahead (without registering a
            // waker: the drain task, if one is needed, does that).
            while !src.is_empty() {
                match self.conn.stream.try_write(src) {
                    Ok(n) => src = &src[n..],
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(q.fail(send_error(&e)).into()),
                }
            }
        }
        if !q.enqueue(src, MAX_SEND_BACKLOG) {
            return Ok(false);
        }
        self.conn.send.ensure_draining(&mut q);
        Ok(true)
    }
}

impl Drop for TcpSink {
    fn drop(&mut self) {
        self.conn.shut_send();
    }
}
