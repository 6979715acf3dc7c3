//! TCP: a socket state machine (bind, connect, listen) in this module, the [`TcpAcceptor`] that
//! yields connected sockets, and a connection's receive [`TcpSource`] and send [`TcpSink`].

mod acceptor;
mod conn;

pub use acceptor::TcpAcceptor;
pub use conn::{TcpSink, TcpSource};

use super::{
    Decision, ErrorCode, Family, SocketAddrUse, WasiSocketsCtx, in_runtime, opts, valid_family,
    valid_remote, valid_unicast,
};
use conn::Conn;
use rustix::io::Errno;
use rustix::net::sockopt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, ready};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// The listen backlog used until a guest sets one (Rust's standard library default).
pub(super) const DEFAULT_BACKLOG: u32 = 128;

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
    policy: WasiSocketsCtx,
    bound: bool,
}

impl TcpSocket {
    /// A new, unbound socket of `family`; `access-denied` when the policy forbids TCP.
    pub fn new(policy: &WasiSocketsCtx, family: Family) -> Result<Self, ErrorCode> {
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
        Ok(TcpAcceptor::new(listener, self.family, self.policy.clone()))
    }

    /// A listening socket over a listener the host opened and handed to the guest (a
    /// preopened socket, as `wasmtime run -S tcplisten=ADDR` gives a WASIp1 module), with its
    /// acceptor. The host's grant is the permission: the connections it accepts are not
    /// checked against the socket-address policy, while sockets the guest creates still are.
    pub fn preopened(
        policy: &WasiSocketsCtx,
        listener: std::net::TcpListener,
    ) -> Result<(TcpSocket, TcpAcceptor), ErrorCode> {
        let family = match listener.local_addr()? {
            SocketAddr::V4(_) => Family::Ipv4,
            SocketAddr::V6(_) => Family::Ipv6,
        };
        listener.set_nonblocking(true)?;
        let listener = Arc::new(in_runtime(|| TcpListener::from_std(listener))?);
        let granted = WasiSocketsCtx {
            check: super::AddrCheck::AllowAll,
            ..policy.clone()
        };
        let socket = TcpSocket {
            state: State::Listening(listener.clone()),
            family,
            backlog: DEFAULT_BACKLOG,
            policy: policy.clone(),
            bound: true,
        };
        Ok((socket, TcpAcceptor::new(listener, family, granted)))
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
        Ok(TcpSource::new(conn.clone()))
    }

    /// Takes the send side of a connected socket (once).
    pub fn take_send(&mut self) -> Result<TcpSink, ErrorCode> {
        let conn = self.conn()?;
        if conn.send_taken.swap(true, Ordering::SeqCst) {
            return Err(ErrorCode::InvalidState);
        }
        Ok(TcpSink::new(conn.clone()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{ByteSink as _, ByteSource as _};
    use std::io::Read;

    fn policy() -> WasiSocketsCtx {
        WasiSocketsCtx {
            allow_tcp: true,
            check: super::super::AddrCheck::AllowAll,
            ..WasiSocketsCtx::default()
        }
    }

    /// What `Family::ipv6_only` answers is what the socket is: `IPV6_V6ONLY`.
    #[tokio::test]
    async fn an_ipv6_socket_is_ipv6_only() {
        let socket = TcpSocket::new(&policy(), Family::Ipv6).unwrap();
        assert!(sockopt::ipv6_v6only(socket.fd().unwrap()).unwrap());
        assert_eq!(socket.family().ipv6_only(), Ok(true));
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
        for chunk in data.chunks(super::conn::SEND_PERMIT) {
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
        let policy = WasiSocketsCtx {
            allow_tcp: true,
            check: super::super::AddrCheck::Custom(check),
            ..WasiSocketsCtx::default()
        };
        let peer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut s = TcpSocket::new(&policy, Family::Ipv4).unwrap();
        s.connect(peer.local_addr().unwrap()).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn shutdown_receive_ends_the_source_and_refused_protocols_are_access_denied() {
        assert_eq!(
            TcpSocket::new(&WasiSocketsCtx::default(), Family::Ipv4).err(),
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
