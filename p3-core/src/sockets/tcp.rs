//! TCP: a socket state machine (bind, connect, listen), an acceptor that yields connected
//! sockets, and a connection's receive [`TcpSource`] and send [`TcpSink`].

use super::{
    Decision, ErrorCode, Family, SocketAddrUse, SocketsCtx, in_runtime, opts, spawn_detached,
    valid_family, valid_remote, valid_unicast,
};
use crate::error::CoreError;
use crate::io::{ByteSink, ByteSource};
use bytes::{Buf, BufMut, BytesMut};
use rustix::io::Errno;
use rustix::net::sockopt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// The listen backlog used until a guest sets one (Rust's standard library default).
const DEFAULT_BACKLOG: u32 = 128;

/// How many bytes a send sink offers a WASIp2 writer at a time (wasmtime-wasi offers 64 KiB;
/// a larger permit lets a guest hand over bigger writes, with fewer calls).
pub const SEND_PERMIT: usize = 256 * 1024;

/// The most a send sink ever holds for the OS: granted writes beyond what the socket took at
/// once. Permits are only granted while nothing is held, so this bound is never reached by a
/// guest that follows p2's rules; past it a write fails instead of growing host memory.
const MAX_SEND_BACKLOG: usize = 4 * SEND_PERMIT;

/// The most one WASIp2 read takes from the socket at once (wasmtime-wasi: 64 KiB, zero-filled).
const MAX_READ_CHUNK: usize = 256 * 1024;

type Connecting = Pin<Box<dyn Future<Output = Result<TcpStream, ErrorCode>> + Send>>;

enum State {
    /// Created, maybe bound.
    Default(tokio::net::TcpSocket),
    /// A connect in flight (started, not yet observed as finished).
    Connecting(Connecting),
    /// Listening; the acceptor was handed out.
    Listening(Arc<TcpListener>),
    /// Connected (by `connect` or by `accept`).
    Connected(Arc<Conn>),
    /// A connect failed; the socket is unusable.
    Closed(ErrorCode),
}

/// A TCP socket.
pub struct TcpSocket {
    state: State,
    family: Family,
    backlog: u32,
    policy: SocketsCtx,
    bound: bool,
}

impl TcpSocket {
    /// A new, unbound socket of `family`; `access-denied` when the policy forbids TCP.
    pub fn new(policy: &SocketsCtx, family: Family) -> Result<Self, ErrorCode> {
        if !policy.allow_tcp {
            return Err(ErrorCode::AccessDenied);
        }
        let socket = match family {
            Family::Ipv4 => tokio::net::TcpSocket::new_v4()?,
            Family::Ipv6 => {
                let s = tokio::net::TcpSocket::new_v6()?;
                sockopt::set_ipv6_v6only(&s, true)?;
                s
            }
        };
        Ok(TcpSocket {
            state: State::Default(socket),
            family,
            backlog: DEFAULT_BACKLOG,
            policy: policy.clone(),
            bound: false,
        })
    }

    fn fd(&self) -> Result<rustix::fd::BorrowedFd<'_>, ErrorCode> {
        use rustix::fd::AsFd;
        match &self.state {
            State::Default(s) => Ok(s.as_fd()),
            State::Listening(l) => Ok(l.as_fd()),
            State::Connected(c) => Ok(c.stream.as_fd()),
            State::Connecting(_) => Err(ErrorCode::InvalidState),
            State::Closed(e) => Err(*e),
        }
    }

    /// Whether the socket has a local address (explicitly bound, listening or connected).
    pub fn is_bound(&self) -> bool {
        self.bound
            || match &self.state {
                State::Default(s) => s.local_addr().is_ok_and(|a| a != self.family.unspecified()),
                _ => true,
            }
    }

    /// Binds to `addr` (with `SO_REUSEADDR`, so `TIME_WAIT` does not block a rebind).
    pub async fn bind(&mut self, addr: SocketAddr) -> Result<(), ErrorCode> {
        if self.is_bound() {
            return Err(ErrorCode::InvalidState);
        }
        if !matches!(self.state, State::Default(_)) {
            return Err(ErrorCode::InvalidState);
        }
        if !valid_unicast(addr.ip()) || !valid_family(addr.ip(), self.family) {
            return Err(ErrorCode::InvalidArgument);
        }
        self.policy.allow(addr, SocketAddrUse::TcpBind).await?;
        let State::Default(socket) = &self.state else {
            return Err(ErrorCode::InvalidState);
        };
        os_bind(socket, addr)?;
        self.bound = true;
        Ok(())
    }

    /// Starts connecting to `addr`; [`TcpSocket::poll_connect`] finishes it. Argument errors
    /// come back now; permission and connection errors when the connect finishes.
    pub fn start_connect(&mut self, addr: SocketAddr) -> Result<(), ErrorCode> {
        if !matches!(self.state, State::Default(_)) {
            return Err(ErrorCode::InvalidState);
        }
        if !valid_unicast(addr.ip()) || !valid_remote(addr) || !valid_family(addr.ip(), self.family)
        {
            return Err(ErrorCode::InvalidArgument);
        }
        let already_bound = self.is_bound();
        let State::Default(socket) =
            std::mem::replace(&mut self.state, State::Closed(ErrorCode::Other))
        else {
            unreachable!("checked above");
        };
        // The built-in policies answer here, so an allowed connect goes straight to the OS; a
        // host's check (once per address use) is awaited inside the connect.
        let decision = self.policy.decide_after_implicit_bind(
            already_bound,
            self.family,
            SocketAddrUse::TcpBind,
            addr,
            SocketAddrUse::TcpConnect,
        );
        let fut: Connecting = match decision {
            Decision::Now(true) => Box::pin(async move { Ok(socket.connect(addr).await?) }),
            Decision::Now(false) => Box::pin(std::future::ready(Err(ErrorCode::AccessDenied))),
            later => Box::pin(async move {
                later.allowed().await?;
                Ok(socket.connect(addr).await?)
            }),
        };
        self.state = State::Connecting(fut);
        Ok(())
    }

    /// Drives a connect started by [`TcpSocket::start_connect`]; `Ready(Ok)` once connected
    /// (and on every later call), the connect's error once it failed.
    pub fn poll_connect(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ErrorCode>> {
        let result = match &mut self.state {
            State::Connecting(fut) => ready!(in_runtime(|| fut.as_mut().poll(cx))),
            State::Connected(_) => return Poll::Ready(Ok(())),
            State::Closed(e) => return Poll::Ready(Err(*e)),
            _ => return Poll::Ready(Err(ErrorCode::InvalidState)),
        };
        match result {
            Ok(stream) => {
                self.state = State::Connected(Conn::new(stream));
                Poll::Ready(Ok(()))
            }
            Err(e) => {
                self.state = State::Closed(e);
                Poll::Ready(Err(e))
            }
        }
    }

    /// Connects to `addr`: WASIp3's one-step `connect`.
    pub async fn connect(&mut self, addr: SocketAddr) -> Result<(), ErrorCode> {
        self.start_connect(addr)?;
        std::future::poll_fn(|cx| self.poll_connect(cx)).await
    }

    /// Starts listening (binding to the unspecified address first if unbound) and returns the
    /// acceptor.
    pub async fn listen(&mut self) -> Result<TcpAcceptor, ErrorCode> {
        if !matches!(self.state, State::Default(_)) {
            return Err(ErrorCode::InvalidState);
        }
        let already_bound = self.is_bound();
        let implicit = self.family.unspecified();
        if already_bound {
            let State::Default(s) = &self.state else {
                unreachable!("checked above");
            };
            let local = s.local_addr()?;
            self.policy.allow(local, SocketAddrUse::TcpListen).await?;
        } else {
            self.policy.allow(implicit, SocketAddrUse::TcpBind).await?;
            self.policy
                .allow(implicit, SocketAddrUse::TcpListen)
                .await?;
        }
        let State::Default(socket) =
            std::mem::replace(&mut self.state, State::Closed(ErrorCode::Other))
        else {
            unreachable!("checked above");
        };
        if !already_bound && let Err(e) = os_bind(&socket, implicit) {
            self.state = State::Default(socket);
            return Err(e);
        }
        let listener = match in_runtime(|| socket.listen(self.backlog)) {
            Ok(l) => Arc::new(l),
            Err(e) => return Err(self.fail(e.into())),
        };
        self.bound = true;
        self.state = State::Listening(listener.clone());
        Ok(TcpAcceptor {
            listener,
            family: self.family,
            policy: self.policy.clone(),
            checking: None,
            ready: None,
        })
    }

    fn fail(&mut self, e: ErrorCode) -> ErrorCode {
        self.state = State::Closed(e);
        e
    }

    fn conn(&self) -> Result<&Arc<Conn>, ErrorCode> {
        match &self.state {
            State::Connected(c) => Ok(c),
            State::Closed(e) => Err(*e),
            _ => Err(ErrorCode::InvalidState),
        }
    }

    /// Takes the receive side of a connected socket (once).
    pub fn take_receive(&mut self) -> Result<TcpSource, ErrorCode> {
        let conn = self.conn()?;
        if conn.receive_taken.swap(true, Ordering::SeqCst) {
            return Err(ErrorCode::InvalidState);
        }
        Ok(TcpSource {
            conn: conn.clone(),
            at_end: false,
        })
    }

    /// Takes the send side of a connected socket (once).
    pub fn take_send(&mut self) -> Result<TcpSink, ErrorCode> {
        let conn = self.conn()?;
        if conn.send_taken.swap(true, Ordering::SeqCst) {
            return Err(ErrorCode::InvalidState);
        }
        Ok(TcpSink { conn: conn.clone() })
    }

    /// Shuts down one or both directions of a connected socket. Sending stops after the bytes
    /// already accepted have reached the OS; nothing written is dropped.
    pub fn shutdown(&self, receive: bool, send: bool) -> Result<(), ErrorCode> {
        let conn = self.conn()?;
        if receive {
            conn.shut_receive();
        }
        if send {
            conn.shut_send();
        }
        Ok(())
    }

    /// The local address.
    pub fn local_address(&self) -> Result<SocketAddr, ErrorCode> {
        if !self.is_bound() {
            return Err(ErrorCode::InvalidState);
        }
        Ok(match &self.state {
            State::Default(s) => s.local_addr()?,
            State::Listening(l) => l.local_addr()?,
            State::Connected(c) => c.stream.local_addr()?,
            State::Connecting(_) => return Err(ErrorCode::InvalidState),
            State::Closed(e) => return Err(*e),
        })
    }

    /// The remote address of a connected socket.
    pub fn remote_address(&self) -> Result<SocketAddr, ErrorCode> {
        Ok(self.conn()?.stream.peer_addr()?)
    }

    /// Whether the socket is listening.
    pub fn is_listening(&self) -> bool {
        matches!(self.state, State::Listening(_))
    }

    /// The socket's address family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// Sets the listen backlog (clamped; changing it while listening re-issues `listen`).
    pub fn set_listen_backlog_size(&mut self, value: u64) -> Result<(), ErrorCode> {
        if value == 0 {
            return Err(ErrorCode::InvalidArgument);
        }
        let value = u32::try_from(value)
            .unwrap_or(i32::MAX as u32)
            .clamp(1, i32::MAX as u32);
        match &self.state {
            State::Default(_) => {}
            State::Listening(l) => {
                if rustix::net::listen(&**l, value as i32).is_err() {
                    return Err(ErrorCode::NotSupported);
                }
            }
            State::Closed(e) => return Err(*e),
            _ => return Err(ErrorCode::InvalidState),
        }
        self.backlog = value;
        Ok(())
    }

    /// `SO_KEEPALIVE`.
    pub fn keep_alive_enabled(&self) -> Result<bool, ErrorCode> {
        Ok(sockopt::socket_keepalive(self.fd()?)?)
    }

    /// Sets `SO_KEEPALIVE`.
    pub fn set_keep_alive_enabled(&self, value: bool) -> Result<(), ErrorCode> {
        Ok(sockopt::set_socket_keepalive(self.fd()?, value)?)
    }

    /// `TCP_KEEPIDLE` in nanoseconds.
    pub fn keep_alive_idle_time(&self) -> Result<u64, ErrorCode> {
        Ok(nanos(sockopt::tcp_keepidle(self.fd()?)?))
    }

    /// Sets `TCP_KEEPIDLE` (nanoseconds, clamped to 1 s ..= 32767 s).
    pub fn set_keep_alive_idle_time(&self, value: u64) -> Result<(), ErrorCode> {
        let d = keep_alive_time(value)?;
        Ok(sockopt::set_tcp_keepidle(self.fd()?, d)?)
    }

    /// `TCP_KEEPINTVL` in nanoseconds.
    pub fn keep_alive_interval(&self) -> Result<u64, ErrorCode> {
        Ok(nanos(sockopt::tcp_keepintvl(self.fd()?)?))
    }

    /// Sets `TCP_KEEPINTVL` (nanoseconds, clamped to 1 s ..= 32767 s).
    pub fn set_keep_alive_interval(&self, value: u64) -> Result<(), ErrorCode> {
        let d = keep_alive_time(value)?;
        Ok(sockopt::set_tcp_keepintvl(self.fd()?, d)?)
    }

    /// `TCP_KEEPCNT`.
    pub fn keep_alive_count(&self) -> Result<u32, ErrorCode> {
        Ok(sockopt::tcp_keepcnt(self.fd()?)?)
    }

    /// Sets `TCP_KEEPCNT` (clamped to 1 ..= 127).
    pub fn set_keep_alive_count(&self, value: u32) -> Result<(), ErrorCode> {
        if value == 0 {
            return Err(ErrorCode::InvalidArgument);
        }
        Ok(sockopt::set_tcp_keepcnt(self.fd()?, value.clamp(1, 127))?)
    }

    /// The unicast hop limit (TTL).
    pub fn hop_limit(&self) -> Result<u8, ErrorCode> {
        opts::hop_limit(self.fd()?, self.family)
    }

    /// Sets the unicast hop limit; 0 is `invalid-argument`.
    pub fn set_hop_limit(&self, value: u8) -> Result<(), ErrorCode> {
        opts::set_hop_limit(self.fd()?, self.family, value)
    }

    /// `SO_RCVBUF`, as the guest set it.
    pub fn receive_buffer_size(&self) -> Result<u64, ErrorCode> {
        opts::receive_buffer_size(self.fd()?)
    }

    /// Sets `SO_RCVBUF` (a hint; 0 is `invalid-argument`).
    pub fn set_receive_buffer_size(&self, value: u64) -> Result<(), ErrorCode> {
        opts::set_receive_buffer_size(self.fd()?, value).map(drop)
    }

    /// `SO_SNDBUF`, as the guest set it.
    pub fn send_buffer_size(&self) -> Result<u64, ErrorCode> {
        opts::send_buffer_size(self.fd()?)
    }

    /// Sets `SO_SNDBUF` (a hint; 0 is `invalid-argument`).
    pub fn set_send_buffer_size(&self, value: u64) -> Result<(), ErrorCode> {
        opts::set_send_buffer_size(self.fd()?, value).map(drop)
    }
}

/// Binds with `SO_REUSEADDR` (WASI: a recently closed socket's `TIME_WAIT` must not block a
/// bind).
fn os_bind(socket: &tokio::net::TcpSocket, addr: SocketAddr) -> Result<(), ErrorCode> {
    let _ = sockopt::set_socket_reuseaddr(socket, true);
    socket
        .bind(addr)
        .map_err(|e| match Errno::from_io_error(&e) {
            Some(Errno::AFNOSUPPORT) => ErrorCode::InvalidArgument,
            _ => e.into(),
        })
}

fn nanos(d: Duration) -> u64 {
    d.as_nanos().try_into().unwrap_or(u64::MAX)
}

fn keep_alive_time(value: u64) -> Result<Duration, ErrorCode> {
    const NANOS_PER_SEC: u64 = 1_000_000_000;
    if value == 0 {
        return Err(ErrorCode::InvalidArgument);
    }
    let clamped = value.clamp(NANOS_PER_SEC, i16::MAX as u64 * NANOS_PER_SEC);
    Ok(Duration::from_nanos(clamped))
}

/// Accepts connections on a listening socket. Connections the socket-address check refuses are
/// reset and never reach the guest.
pub struct TcpAcceptor {
    listener: Arc<TcpListener>,
    family: Family,
    policy: SocketsCtx,
    /// A connection waiting for the host's (asynchronous) address check.
    checking: Option<(TcpStream, super::CheckFuture)>,
    /// The next result, once known.
    ready: Option<Result<TcpStream, ErrorCode>>,
}

impl TcpAcceptor {
    /// Resolves when [`TcpAcceptor::poll_accept`] would return at once.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if self.ready.is_some() {
                return Poll::Ready(());
            }
            if let Some((_, check)) = &mut self.checking {
                let ok = ready!(check.as_mut().poll(cx));
                let (stream, _) = self.checking.take().expect("checked above");
                if ok {
                    self.ready = Some(Ok(stream));
                } else {
                    reset(stream);
                }
                continue;
            }
            let (stream, peer) = match ready!(in_runtime(|| self.listener.poll_accept(cx))) {
                Ok(pair) => pair,
                Err(e) => {
                    self.ready = Some(Err(accept_error(e)));
                    continue;
                }
            };
            match self.policy.decide(peer, SocketAddrUse::TcpAccept) {
                Decision::Now(true) => self.ready = Some(Ok(stream)),
                Decision::Now(false) => reset(stream),
                Decision::Later(check) => self.checking = Some((stream, check)),
            }
        }
    }

    /// The next accepted socket: connected, or closed with the accept's error.
    pub fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<TcpSocket> {
        ready!(self.poll_ready(cx));
        let result = self.ready.take().expect("ready above");
        Poll::Ready(TcpSocket {
            state: match result {
                Ok(stream) => State::Connected(Conn::new(stream)),
                Err(e) => State::Closed(e),
            },
            family: self.family,
            backlog: DEFAULT_BACKLOG,
            policy: self.policy.clone(),
            bound: true,
        })
    }

    /// Appends up to `max` accepted sockets to `out`; `Pending` only when none is ready.
    pub fn poll_accept_batch(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        out: &mut Vec<TcpSocket>,
    ) -> Poll<()> {
        while out.len() < max {
            match self.poll_accept(cx) {
                Poll::Ready(s) => out.push(s),
                Poll::Pending if out.is_empty() => return Poll::Pending,
                Poll::Pending => break,
            }
        }
        Poll::Ready(())
    }
}

/// Linux reports some errors of the accepted connection from `accept` itself; they mean the
/// connection was aborted before it was accepted.
fn accept_error(e: io::Error) -> ErrorCode {
    match Errno::from_io_error(&e) {
        #[cfg(target_os = "linux")]
        Some(
            Errno::CONNRESET
            | Errno::NETRESET
            | Errno::HOSTUNREACH
            | Errno::HOSTDOWN
            | Errno::NETDOWN
            | Errno::NETUNREACH
            | Errno::PROTO
            | Errno::NOPROTOOPT
            | Errno::NONET
            | Errno::OPNOTSUPP,
        ) => ErrorCode::ConnectionAborted,
        _ => e.into(),
    }
}

fn reset(stream: TcpStream) {
    let _ = stream.set_zero_linger();
}

/// A connection shared by its socket, its receive side and its send side.
struct Conn {
    stream: TcpStream,
    receive_taken: AtomicBool,
    send_taken: AtomicBool,
    receive_shut: AtomicBool,
    send: Mutex<SendSide>,
}

/// The send direction: bytes granted to a WASIp2 writer that the OS has not taken yet, and
/// whether sending was shut down.
#[derive(Default)]
struct SendSide {
    backlog: BytesMut,
    draining: bool,
    /// No more writes are accepted; the OS side is shut once the backlog is out.
    shut: bool,
    os_shut: bool,
    error: Option<ErrorCode>,
    waiters: Vec<Waker>,
}

impl Conn {
    fn new(stream: TcpStream) -> Arc<Conn> {
        Arc::new(Conn {
            stream,
            receive_taken: AtomicBool::new(false),
            send_taken: AtomicBool::new(false),
            receive_shut: AtomicBool::new(false),
            send: Mutex::new(SendSide::default()),
        })
    }

    fn lock_send(&self) -> MutexGuard<'_, SendSide> {
        self.send.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn shut_receive(&self) {
        if !self.receive_shut.swap(true, Ordering::SeqCst) {
            let _ = rustix::net::shutdown(&self.stream, rustix::net::Shutdown::Read);
        }
    }

    fn shut_send(self: &Arc<Self>) {
        let mut side = self.lock_send();
        side.shut = true;
        self.finish_shut(&mut side);
    }

    /// Shuts the OS side down once nothing is left to send.
    fn finish_shut(&self, side: &mut SendSide) {
        if side.shut && side.backlog.is_empty() && !side.os_shut {
            side.os_shut = true;
            let _ = rustix::net::shutdown(&self.stream, rustix::net::Shutdown::Write);
            wake_all(&mut side.waiters);
        }
    }

    fn fail(&self, side: &mut SendSide, e: io::Error) -> ErrorCode {
        let code = send_error(&e);
        side.error = Some(code);
        side.backlog = BytesMut::new();
        wake_all(&mut side.waiters);
        code
    }

    /// Pushes the backlog into the socket; `Ready(Ok)` once it is empty.
    fn drain(&self, side: &mut SendSide, cx: &mut Context<'_>) -> Poll<Result<(), ErrorCode>> {
        if let Some(e) = side.error {
            return Poll::Ready(Err(e));
        }
        while !side.backlog.is_empty() {
            match self.stream.try_write(&side.backlog) {
                Ok(n) => side.backlog.advance(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    match self.stream.poll_write_ready(cx) {
                        Poll::Ready(Ok(())) => continue,
                        Poll::Ready(Err(e)) => return Poll::Ready(Err(self.fail(side, e))),
                        Poll::Pending => return Poll::Pending,
                    }
                }
                Err(e) => return Poll::Ready(Err(self.fail(side, e))),
            }
        }
        self.finish_shut(side);
        wake_all(&mut side.waiters);
        Poll::Ready(Ok(()))
    }

    fn ensure_draining(self: &Arc<Self>, side: &mut SendSide) {
        if side.backlog.is_empty() || side.draining {
            return;
        }
        side.draining = true;
        let conn = self.clone();
        spawn_detached(std::future::poll_fn(move |cx| {
            let mut side = conn.lock_send();
            let res = ready!(conn.drain(&mut side, cx));
            side.draining = false;
            let _ = res;
            Poll::Ready(())
        }));
    }
}

fn wake_all(waiters: &mut Vec<Waker>) {
    for w in waiters.drain(..) {
        w.wake();
    }
}

fn send_error(e: &io::Error) -> ErrorCode {
    match Errno::from_io_error(e) {
        Some(Errno::PIPE) => ErrorCode::ConnectionBroken,
        _ => e.into(),
    }
}

fn stream_error(code: ErrorCode) -> CoreError {
    CoreError::from(code)
}

/// The receive side of a connection. Dropping it shuts reading down.
pub struct TcpSource {
    conn: Arc<Conn>,
    at_end: bool,
}

impl TcpSource {
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
                Some(Err(CoreError::Network(e.into())))
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
            match self.conn.stream.poll_read_ready(cx) {
                Poll::Ready(Ok(())) => continue,
                Poll::Ready(Err(e)) => {
                    self.at_end = true;
                    return Poll::Ready(Err(CoreError::Network(e.into())));
                }
                Poll::Pending => return Poll::Pending,
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
    fn check(&self, side: &SendSide) -> Result<(), CoreError> {
        if let Some(e) = side.error {
            return Err(stream_error(e));
        }
        if side.shut {
            return Err(CoreError::Closed);
        }
        Ok(())
    }

    /// Waits for the backlog to be handed to the OS. Only the background drain task polls the
    /// socket while a backlog exists (tokio keeps one waker per direction), everyone else waits
    /// on the waiter list it wakes.
    fn poll_backlog(
        &self,
        side: &mut SendSide,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), CoreError>> {
        if let Some(e) = side.error {
            return Poll::Ready(Err(stream_error(e)));
        }
        if side.backlog.is_empty() {
            return Poll::Ready(Ok(()));
        }
        self.conn.ensure_draining(side);
        if !side.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            side.waiters.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl ByteSink for TcpSink {
    fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize, CoreError>> {
        let mut side = self.conn.lock_send();
        if let Err(e) = self.check(&side) {
            return Poll::Ready(Err(e));
        }
        ready!(self.poll_backlog(&mut side, cx))?;
        match ready!(self.conn.stream.poll_write_ready(cx)) {
            Ok(()) => Poll::Ready(Ok(SEND_PERMIT)),
            Err(e) => Poll::Ready(Err(stream_error(self.conn.fail(&mut side, e)))),
        }
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<Result<usize, CoreError>> {
        let mut side = self.conn.lock_send();
        if let Err(e) = self.check(&side) {
            return Poll::Ready(Err(e));
        }
        ready!(self.poll_backlog(&mut side, cx))?;
        loop {
            match self.conn.stream.try_write(src) {
                Ok(n) => return Poll::Ready(Ok(n)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    match ready!(self.conn.stream.poll_write_ready(cx)) {
                        Ok(()) => continue,
                        Err(e) => {
                            return Poll::Ready(Err(stream_error(self.conn.fail(&mut side, e))));
                        }
                    }
                }
                Err(e) => return Poll::Ready(Err(stream_error(self.conn.fail(&mut side, e)))),
            }
        }
    }

    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        let mut side = self.conn.lock_send();
        if let Some(e) = side.error {
            return Poll::Ready(Err(stream_error(e)));
        }
        self.poll_backlog(&mut side, cx)
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        ready!(self.poll_flush(cx))?;
        self.conn.shut_send();
        Poll::Ready(Ok(()))
    }

    fn write_granted(&mut self, mut src: &[u8]) -> Result<bool, CoreError> {
        let mut side = self.conn.lock_send();
        self.check(&side)?;
        if side.backlog.is_empty() {
            while !src.is_empty() {
                match self.conn.stream.try_write(src) {
                    Ok(n) => src = &src[n..],
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(stream_error(self.conn.fail(&mut side, e))),
                }
            }
        }
        if src.is_empty() {
            return Ok(true);
        }
        if side.backlog.len() + src.len() > MAX_SEND_BACKLOG {
            return Ok(false);
        }
        side.backlog.extend_from_slice(src);
        self.conn.ensure_draining(&mut side);
        Ok(true)
    }
}

impl Drop for TcpSink {
    fn drop(&mut self) {
        self.conn.shut_send();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn policy() -> SocketsCtx {
        SocketsCtx {
            allow_tcp: true,
            check: super::super::AddrCheck::AllowAll,
            ..SocketsCtx::default()
        }
    }

    /// Bytes granted to a p2 writer that the socket could not take at once are sent in the
    /// background, and the send side is shut only after them: dropping the sink loses nothing.
    #[tokio::test(flavor = "multi_thread")]
    async fn granted_bytes_outlive_the_sink() {
        let peer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = peer.local_addr().unwrap();
        let mut s = TcpSocket::new(&policy(), Family::Ipv4).unwrap();
        s.connect(addr).await.unwrap();
        let (mut conn, _) = peer.accept().unwrap();
        // A slow reader, so the socket often cannot take a whole grant at once.
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match conn.read(&mut buf).unwrap() {
                    0 => break got,
                    n => got.extend_from_slice(&buf[..n]),
                }
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        });
        let mut sink = s.take_send().unwrap();
        let data: Vec<u8> = (0..4u32 << 20).map(|i| (i % 253) as u8).collect();
        for chunk in data.chunks(SEND_PERMIT) {
            // Wait for a permit as a p2 guest would, then hand over the whole chunk.
            std::future::poll_fn(|cx| sink.poll_write_ready(cx))
                .await
                .unwrap();
            assert!(sink.write_granted(chunk).unwrap());
        }
        drop(sink);
        let got = tokio::task::spawn_blocking(move || reader.join().unwrap())
            .await
            .unwrap();
        assert_eq!(got.len(), data.len());
        assert!(got == data);
    }

    /// A host's check is asked once per address use: the implicit bind and the connect.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_host_check_is_called_once_per_use() {
        use std::sync::atomic::AtomicUsize;
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let check: Arc<super::super::CheckFn> = Arc::new(move |_, _| {
            seen.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { true })
        });
        let policy = SocketsCtx {
            allow_tcp: true,
            check: super::super::AddrCheck::Custom(check),
            ..SocketsCtx::default()
        };
        let peer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut s = TcpSocket::new(&policy, Family::Ipv4).unwrap();
        s.connect(peer.local_addr().unwrap()).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn shutdown_receive_ends_the_source_and_refused_protocols_are_access_denied() {
        assert_eq!(
            TcpSocket::new(&SocketsCtx::default(), Family::Ipv4).err(),
            Some(ErrorCode::AccessDenied)
        );
        let peer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut s = TcpSocket::new(&policy(), Family::Ipv4).unwrap();
        s.connect(peer.local_addr().unwrap()).await.unwrap();
        let mut source = s.take_receive().unwrap();
        assert_eq!(s.take_receive().err(), Some(ErrorCode::InvalidState));
        s.shutdown(true, false).unwrap();
        assert!(source.is_at_end());
        let mut buf = [0u8; 8];
        let n = std::future::poll_fn(|cx| source.poll_read(cx, &mut buf))
            .await
            .unwrap();
        assert_eq!(n, 0);
    }
}
