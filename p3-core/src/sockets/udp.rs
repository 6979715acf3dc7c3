//! UDP: bind, connect/disconnect, and datagram send/receive with and without a remote address.

use super::{
    CheckFuture, Decision, ErrorCode, Family, SocketAddrUse, WasiSocketsCtx, in_runtime, opts,
    spawn_detached, valid_family, valid_remote,
};
use rustix::io::Errno;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker, ready};

/// The largest datagram a guest may send or receive.
pub(crate) const MAX_DATAGRAM_SIZE: usize = u16::MAX as usize;

/// A UDP socket. Its [`UdpReceiver`] and [`UdpSender`] share the OS socket.
pub struct UdpSocket {
    socket: Arc<tokio::net::UdpSocket>,
    family: Family,
    policy: WasiSocketsCtx,
    bound: bool,
    remote: Option<SocketAddr>,
    /// The receive buffer, kept between receivers so it is allocated once per socket.
    scratch: Vec<u8>,
}

impl UdpSocket {
    /// A new, unbound socket of `family`; `access-denied` when the policy forbids UDP.
    pub fn new(policy: &WasiSocketsCtx, family: Family) -> Result<Self, ErrorCode> {
        if !policy.allow_udp {
            return Err(ErrorCode::AccessDenied);
        }
        let domain = match family {
            Family::Ipv4 => rustix::net::AddressFamily::INET,
            Family::Ipv6 => rustix::net::AddressFamily::INET6,
        };
        let fd = rustix::net::socket_with(
            domain,
            rustix::net::SocketType::DGRAM,
            rustix::net::SocketFlags::CLOEXEC | rustix::net::SocketFlags::NONBLOCK,
            None,
        )?;
        if family == Family::Ipv6 {
            rustix::net::sockopt::set_ipv6_v6only(&fd, true)?;
        }
        let socket = in_runtime(|| tokio::net::UdpSocket::from_std(std::net::UdpSocket::from(fd)))?;
        Ok(UdpSocket {
            socket: Arc::new(socket),
            family,
            policy: policy.clone(),
            bound: false,
            remote: None,
            scratch: Vec::new(),
        })
    }

    /// Whether the socket has a local address.
    pub fn is_bound(&self) -> bool {
        self.bound
            || self
                .socket
                .local_addr()
                .is_ok_and(|a| a != self.family.unspecified())
    }

    /// Binds to `addr`.
    pub async fn bind(&mut self, addr: SocketAddr) -> Result<(), ErrorCode> {
        if self.is_bound() {
            return Err(ErrorCode::InvalidState);
        }
        if !valid_family(addr.ip(), self.family) {
            return Err(ErrorCode::InvalidArgument);
        }
        self.policy.allow(addr, SocketAddrUse::UdpBind).await?;
        rustix::net::bind(&*self.socket, &addr).map_err(|e| match e {
            Errno::AFNOSUPPORT => ErrorCode::InvalidArgument,
            e => e.into(),
        })?;
        self.bound = true;
        Ok(())
    }

    /// Sets the default remote address (and the only one datagrams are accepted from).
    pub async fn connect(&mut self, addr: SocketAddr) -> Result<(), ErrorCode> {
        if !valid_family(addr.ip(), self.family) || !valid_remote(addr) {
            return Err(ErrorCode::InvalidArgument);
        }
        if !self.is_bound() {
            self.policy
                .allow(self.family.unspecified(), SocketAddrUse::UdpBind)
                .await?;
        }
        self.policy.allow(addr, SocketAddrUse::UdpSend).await?;
        self.policy.allow(addr, SocketAddrUse::UdpReceive).await?;
        let result = match rustix::net::connect(&*self.socket, &addr) {
            // Linux refuses to reconnect a connected socket to another family; disconnect first.
            #[cfg(target_os = "linux")]
            Err(Errno::INVAL) => {
                let _ = rustix::net::connect_unspec(&*self.socket);
                rustix::net::connect(&*self.socket, &addr)
            }
            Err(Errno::AFNOSUPPORT) => Err(Errno::INVAL),
            r => r,
        };
        self.update_remote();
        result?;
        Ok(())
    }

    /// Removes the default remote address.
    pub fn disconnect(&mut self) -> Result<(), ErrorCode> {
        if self.remote.is_none() {
            return Err(ErrorCode::InvalidState);
        }
        self.bound = true;
        let result = rustix::net::connect_unspec(&*self.socket);
        self.update_remote();
        result?;
        Ok(())
    }

    fn update_remote(&mut self) {
        self.remote = self
            .socket
            .peer_addr()
            .ok()
            .filter(|a| *a != self.family.unspecified());
    }

    /// Whether a default remote address is set.
    pub fn is_connected(&self) -> bool {
        self.remote.is_some()
    }

    /// The local address.
    pub fn local_address(&self) -> Result<SocketAddr, ErrorCode> {
        if !self.is_bound() {
            return Err(ErrorCode::InvalidState);
        }
        Ok(self.socket.local_addr()?)
    }

    /// The default remote address.
    pub fn remote_address(&self) -> Result<SocketAddr, ErrorCode> {
        self.remote.ok_or(ErrorCode::InvalidState)
    }

    /// The socket's address family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// A receiver for datagrams (from the connected peer only, when connected).
    pub fn receiver(&mut self) -> UdpReceiver {
        UdpReceiver {
            socket: self.socket.clone(),
            policy: self.policy.clone(),
            bound: self.is_bound(),
            connected: self.remote,
            buf: std::mem::take(&mut self.scratch),
            checking: None,
            passed: None,
        }
    }

    /// Gives a receiver's buffer back for the next one.
    pub fn recycle(&mut self, receiver: UdpReceiver) {
        self.scratch = receiver.buf;
    }

    /// A sender of datagrams.
    pub fn sender(&mut self) -> UdpSender {
        UdpSender {
            socket: self.socket.clone(),
            policy: self.policy.clone(),
            family: self.family,
            bound: self.is_bound(),
            connected: self.remote,
            in_flight: None,
        }
    }

    /// The unicast hop limit (TTL).
    pub fn unicast_hop_limit(&self) -> Result<u8, ErrorCode> {
        opts::hop_limit(&*self.socket, self.family)
    }

    /// Sets the unicast hop limit; 0 is `invalid-argument`.
    pub fn set_unicast_hop_limit(&self, value: u8) -> Result<(), ErrorCode> {
        opts::set_hop_limit(&*self.socket, self.family, value)
    }

    /// `SO_RCVBUF`, as the guest set it.
    pub fn receive_buffer_size(&self) -> Result<u64, ErrorCode> {
        opts::receive_buffer_size(&*self.socket)
    }

    /// Sets `SO_RCVBUF` (a hint; 0 is `invalid-argument`).
    pub fn set_receive_buffer_size(&self, value: u64) -> Result<(), ErrorCode> {
        opts::set_receive_buffer_size(&*self.socket, value).map(drop)
    }

    /// `SO_SNDBUF`, as the guest set it.
    pub fn send_buffer_size(&self) -> Result<u64, ErrorCode> {
        opts::send_buffer_size(&*self.socket)
    }

    /// Sets `SO_SNDBUF` (a hint; 0 is `invalid-argument`).
    pub fn set_send_buffer_size(&self, value: u64) -> Result<(), ErrorCode> {
        opts::set_send_buffer_size(&*self.socket, value).map(drop)
    }
}

/// One received datagram.
#[derive(Debug)]
pub struct Datagram {
    /// The payload.
    pub data: Vec<u8>,
    /// Who sent it.
    pub remote: SocketAddr,
}

/// Receives datagrams into one reused buffer and hands out exactly-sized copies.
pub struct UdpReceiver {
    socket: Arc<tokio::net::UdpSocket>,
    policy: WasiSocketsCtx,
    bound: bool,
    connected: Option<SocketAddr>,
    buf: Vec<u8>,
    /// A datagram waiting for the host's (asynchronous) address check.
    checking: Option<(Datagram, CheckFuture)>,
    /// A datagram that passed the check and has not been handed out yet.
    passed: Option<Datagram>,
}

impl UdpReceiver {
    /// Settles a pending address check: the datagram moves to `passed`, or is dropped.
    fn poll_check(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some((_, check)) = &mut self.checking {
            let ok = ready!(check.as_mut().poll(cx));
            let (d, _) = self.checking.take().expect("checked above");
            if ok {
                self.passed = Some(d);
            }
        }
        Poll::Ready(())
    }

    /// The next datagram the policy lets through; datagrams it refuses are dropped.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<Datagram, ErrorCode>> {
        if !self.bound {
            return Poll::Ready(Err(ErrorCode::InvalidState));
        }
        loop {
            ready!(self.poll_check(cx));
            if let Some(d) = self.passed.take() {
                return Poll::Ready(Ok(d));
            }
            if self.buf.len() < MAX_DATAGRAM_SIZE {
                self.buf = vec![0; MAX_DATAGRAM_SIZE];
            }
            let (n, from) = match self.socket.try_recv_from(&mut self.buf) {
                Ok(r) => r,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    match ready!(self.socket.poll_recv_ready(cx)) {
                        Ok(()) => continue,
                        Err(e) => return Poll::Ready(Err(e.into())),
                    }
                }
                Err(e) => return Poll::Ready(Err(e.into())),
            };
            if self.connected.is_some_and(|c| c != from) {
                continue;
            }
            let d = Datagram {
                data: self.buf[..n].to_vec(),
                remote: from,
            };
            match self.policy.decide(from, SocketAddrUse::UdpReceive) {
                Decision::Now(true) => return Poll::Ready(Ok(d)),
                Decision::Now(false) => continue,
                Decision::Later(check) => self.checking = Some((d, check)),
            }
        }
    }

    /// Resolves when [`UdpReceiver::poll_recv`] would make progress.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.bound {
            return Poll::Ready(());
        }
        ready!(self.poll_check(cx));
        if self.passed.is_some() {
            return Poll::Ready(());
        }
        self.socket.poll_recv_ready(cx).map(drop)
    }

    /// Receives a datagram, waiting as long as it takes (WASIp3's `receive`).
    pub async fn recv(&mut self) -> Result<Datagram, ErrorCode> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }
}

/// A datagram handed to a background task: its result once sent, and who waits for it.
#[derive(Default)]
struct SendSlot {
    result: Option<Result<(), ErrorCode>>,
    waiter: Option<Waker>,
}

type InFlight = Arc<Mutex<SendSlot>>;

/// Sends datagrams. A datagram the OS cannot take at once is finished by a background task
/// (never dropped); the next send waits for it.
pub struct UdpSender {
    socket: Arc<tokio::net::UdpSocket>,
    policy: WasiSocketsCtx,
    family: Family,
    bound: bool,
    connected: Option<SocketAddr>,
    in_flight: Option<InFlight>,
}

impl UdpSender {
    /// Validates a datagram and picks its destination.
    fn target(&self, len: usize, addr: Option<SocketAddr>) -> Result<SocketAddr, ErrorCode> {
        if len > MAX_DATAGRAM_SIZE {
            return Err(ErrorCode::DatagramTooLarge);
        }
        match (addr, self.connected) {
            (Some(a), connected) => {
                if !valid_remote(a) || !valid_family(a.ip(), self.family) {
                    return Err(ErrorCode::InvalidArgument);
                }
                if connected.is_some_and(|c| c != a) {
                    return Err(ErrorCode::InvalidArgument);
                }
                Ok(a)
            }
            (None, Some(c)) => Ok(c),
            (None, None) => Err(ErrorCode::InvalidArgument),
        }
    }

    /// The policy's decision on sending to `target` (and on the implicit bind it implies).
    fn decide(&self, target: SocketAddr) -> Decision {
        self.policy.decide_after_implicit_bind(
            self.bound,
            self.family,
            SocketAddrUse::UdpBind,
            target,
            SocketAddrUse::UdpSend,
        )
    }

    fn try_send(&self, data: &[u8], target: SocketAddr) -> io::Result<usize> {
        if self.connected == Some(target) {
            self.socket.try_send(data)
        } else {
            self.socket.try_send_to(data, target)
        }
    }

    /// Resolves when a send would not have to wait for an earlier one.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ErrorCode>> {
        let Some(flight) = &self.in_flight else {
            return Poll::Ready(Ok(()));
        };
        let mut slot = flight.lock().unwrap_or_else(|p| p.into_inner());
        match slot.result.take() {
            Some(r) => {
                drop(slot);
                self.in_flight = None;
                Poll::Ready(r)
            }
            None => {
                slot.waiter = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// Resolves when no earlier send is unfinished (its result, if any, is kept for the next
    /// send to report).
    pub fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let Some(flight) = &self.in_flight else {
            return Poll::Ready(());
        };
        let mut slot = flight.lock().unwrap_or_else(|p| p.into_inner());
        if slot.result.is_some() {
            Poll::Ready(())
        } else {
            slot.waiter = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    /// Sends one datagram without waiting (WASIp2): `Ok(true)` when it was sent or handed to a
    /// background task, `Ok(false)` when an earlier datagram is still in flight.
    pub fn send_nonblocking(
        &mut self,
        data: Vec<u8>,
        addr: Option<SocketAddr>,
    ) -> Result<bool, ErrorCode> {
        let mut noop = Context::from_waker(Waker::noop());
        match self.poll_ready(&mut noop) {
            Poll::Pending => return Ok(false),
            Poll::Ready(r) => r?,
        }
        let target = self.target(data.len(), addr)?;
        // A built-in policy answers now; a host's check is awaited by the background send.
        let decision = match self.decide(target) {
            Decision::Now(false) => return Err(ErrorCode::AccessDenied),
            Decision::Now(true) => match self.try_send(&data, target) {
                Ok(_) => return Ok(true),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Decision::Now(true),
                Err(e) => return Err(send_error(e)),
            },
            later => later,
        };
        // Finish in the background: the datagram is owned by the task, so it is never lost.
        let flight: InFlight = Arc::default();
        self.in_flight = Some(flight.clone());
        let sender = UdpSender {
            socket: self.socket.clone(),
            policy: self.policy.clone(),
            family: self.family,
            bound: self.bound,
            connected: self.connected,
            in_flight: None,
        };
        spawn_detached(async move {
            let r = sender.send_to(&data, target, decision).await;
            let mut slot = flight.lock().unwrap_or_else(|p| p.into_inner());
            slot.result = Some(r);
            if let Some(w) = slot.waiter.take() {
                w.wake();
            }
        });
        Ok(true)
    }

    async fn send_to(
        &self,
        data: &[u8],
        target: SocketAddr,
        decision: Decision,
    ) -> Result<(), ErrorCode> {
        decision.allowed().await?;
        let r = if self.connected == Some(target) {
            self.socket.send(data).await
        } else {
            self.socket.send_to(data, target).await
        };
        r.map(drop).map_err(send_error)
    }

    /// Sends one datagram, waiting as long as it takes (WASIp3's `send`).
    pub async fn send(&mut self, data: &[u8], addr: Option<SocketAddr>) -> Result<(), ErrorCode> {
        std::future::poll_fn(|cx| self.poll_ready(cx)).await?;
        let target = self.target(data.len(), addr)?;
        self.send_to(data, target, self.decide(target)).await
    }
}

fn send_error(e: io::Error) -> ErrorCode {
    e.into()
}
