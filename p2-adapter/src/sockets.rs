//! `wasi:sockets@0.2.x` on the core sockets: start/finish bookkeeping, `would-block`,
//! pollables, p2 streams over the core's TCP source and sink, and datagram batching.

use crate::bindings::sockets::ip_name_lookup;
use crate::bindings::sockets::network::{
    self, ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress,
    Ipv6SocketAddress,
};
use crate::bindings::sockets::{instance_network, tcp, tcp_create_socket, udp, udp_create_socket};
use crate::streams::{SinkStream, SourceStream, noop_cx};
use p3_core::WasiCtxView;
use p3_core::error::TrappableError;
use p3_core::sockets as core;
use p3_core::sockets::lookup::{LookupError, Resolve};
use p3_core::sockets::tcp::{TcpAcceptor, TcpSocket as CoreTcp};
use p3_core::sockets::udp::{UdpReceiver, UdpSender, UdpSocket as CoreUdp};
use rustix::io::Errno;
use std::task::Poll;
use wasmtime::component::Resource;
use wasmtime::format_err;
use wasmtime_wasi_io::poll::{DynPollable, Pollable, subscribe};
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

/// The error of a `wasi:sockets` call: a p2 `error-code` for the guest, or a trap.
pub type SocketError = TrappableError<ErrorCode>;
type SocketResult<T> = Result<T, SocketError>;

/// Most datagrams one `receive` returns and one `check-send` permits (wasmtime-wasi's figure).
const MAX_DATAGRAMS: usize = 16;
/// Most payload bytes one `receive` collects before returning.
const MAX_RECEIVE_BYTES: usize = 64 * 1024;

impl From<core::ErrorCode> for ErrorCode {
    fn from(code: core::ErrorCode) -> Self {
        use core::ErrorCode as C;
        match code {
            C::AccessDenied => Self::AccessDenied,
            C::NotSupported => Self::NotSupported,
            C::InvalidArgument => Self::InvalidArgument,
            C::OutOfMemory => Self::OutOfMemory,
            C::Timeout => Self::Timeout,
            C::InvalidState => Self::InvalidState,
            C::AddressNotBindable => Self::AddressNotBindable,
            C::AddressInUse => Self::AddressInUse,
            C::RemoteUnreachable => Self::RemoteUnreachable,
            C::ConnectionRefused => Self::ConnectionRefused,
            C::ConnectionReset => Self::ConnectionReset,
            C::ConnectionAborted => Self::ConnectionAborted,
            C::DatagramTooLarge => Self::DatagramTooLarge,
            // p2 has no `connection-broken`.
            C::ConnectionBroken | C::Other => Self::Unknown,
        }
    }
}

impl From<ErrorCode> for SocketError {
    fn from(code: ErrorCode) -> Self {
        SocketError::code(code)
    }
}

impl From<LookupError> for ErrorCode {
    fn from(e: LookupError) -> Self {
        match e {
            LookupError::AccessDenied => Self::AccessDenied,
            LookupError::InvalidArgument => Self::InvalidArgument,
            LookupError::NameUnresolvable => Self::NameUnresolvable,
            LookupError::TemporaryResolverFailure => Self::TemporaryResolverFailure,
            LookupError::PermanentResolverFailure => Self::PermanentResolverFailure,
        }
    }
}

/// p2's code for an OS error that came out of a stream (`network-error-code`).
fn io_error_code(e: &std::io::Error) -> ErrorCode {
    match Errno::from_io_error(e) {
        Some(Errno::AGAIN | Errno::INTR) => ErrorCode::WouldBlock,
        Some(Errno::ALREADY) => ErrorCode::ConcurrencyConflict,
        Some(Errno::NFILE | Errno::MFILE) => ErrorCode::NewSocketLimit,
        _ if e.kind() == std::io::ErrorKind::WouldBlock => ErrorCode::WouldBlock,
        _ => core::ErrorCode::from(e).into(),
    }
}

p3_core::socket_address_conversions!();

/// p2's `network`: a capability token the adapter mints and every socket call checks.
pub struct Network(());

/// Which start/finish pair is open on a socket.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Bind,
    Connect,
    Listen,
}

/// A p2 `tcp-socket`: the core socket plus the start/finish bookkeeping.
pub struct TcpSocket {
    inner: CoreTcp,
    op: Option<Op>,
    acceptor: Option<TcpAcceptor>,
}

#[async_trait::async_trait]
impl Pollable for TcpSocket {
    async fn ready(&mut self) {
        match (self.op, &mut self.acceptor) {
            (Some(Op::Connect), _) => {
                let _ = std::future::poll_fn(|cx| self.inner.poll_connect(cx)).await;
            }
            (None, Some(acceptor)) => std::future::poll_fn(|cx| acceptor.poll_ready(cx)).await,
            _ => {}
        }
    }
}

impl network::Host for WasiCtxView<'_> {
    fn convert_error_code(&mut self, err: SocketError) -> wasmtime::Result<ErrorCode> {
        err.downcast()
    }

    fn network_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        let err = self.table.get(&err)?;
        Ok(err.downcast_ref::<std::io::Error>().map(io_error_code))
    }
}

impl network::HostNetwork for WasiCtxView<'_> {
    fn drop(&mut self, rep: Resource<Network>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl instance_network::Host for WasiCtxView<'_> {
    fn instance_network(&mut self) -> wasmtime::Result<Resource<Network>> {
        Ok(self.table.push(Network(()))?)
    }
}

impl tcp_create_socket::Host for WasiCtxView<'_> {
    fn create_tcp_socket(
        &mut self,
        address_family: IpAddressFamily,
    ) -> SocketResult<Resource<TcpSocket>> {
        let inner = CoreTcp::new(self.ctx.sockets(), family(address_family))?;
        Ok(self.table.push(TcpSocket {
            inner,
            op: None,
            acceptor: None,
        })?)
    }
}

impl tcp::Host for WasiCtxView<'_> {}

impl tcp::HostTcpSocket for WasiCtxView<'_> {
    async fn start_bind(
        &mut self,
        this: Resource<TcpSocket>,
        network: Resource<Network>,
        local_address: IpSocketAddress,
    ) -> SocketResult<()> {
        self.table.get(&network)?;
        let socket = self.table.get_mut(&this)?;
        if socket.op.is_some() {
            return Err(ErrorCode::ConcurrencyConflict.into());
        }
        socket.inner.bind(addr_in(local_address)).await?;
        socket.op = Some(Op::Bind);
        Ok(())
    }

    fn finish_bind(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        finish(self.table.get_mut(&this)?, Op::Bind)
    }

    fn start_connect(
        &mut self,
        this: Resource<TcpSocket>,
        network: Resource<Network>,
        remote_address: IpSocketAddress,
    ) -> SocketResult<()> {
        self.table.get(&network)?;
        let socket = self.table.get_mut(&this)?;
        if socket.op.is_some() {
            return Err(ErrorCode::ConcurrencyConflict.into());
        }
        socket.inner.start_connect(addr_in(remote_address))?;
        socket.op = Some(Op::Connect);
        Ok(())
    }

    fn finish_connect(
        &mut self,
        this: Resource<TcpSocket>,
    ) -> SocketResult<(Resource<DynInputStream>, Resource<DynOutputStream>)> {
        let socket = self.table.get_mut(&this)?;
        if socket.op != Some(Op::Connect) {
            return Err(ErrorCode::NotInProgress.into());
        }
        let Poll::Ready(result) = socket.inner.poll_connect(&mut noop_cx()) else {
            return Err(ErrorCode::WouldBlock.into());
        };
        socket.op = None;
        result?;
        let (input, output) = p2_streams(&mut socket.inner)?;
        let input = self.table.push_child(input, &this)?;
        let output = self.table.push_child(output, &this)?;
        Ok((input, output))
    }

    async fn start_listen(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        let socket = self.table.get_mut(&this)?;
        if socket.op.is_some() {
            return Err(ErrorCode::ConcurrencyConflict.into());
        }
        // p2 requires an explicit bind before listen (p3 binds implicitly).
        if !socket.inner.is_bound() {
            return Err(ErrorCode::InvalidState.into());
        }
        let acceptor = socket.inner.listen().await?;
        socket.acceptor = Some(acceptor);
        socket.op = Some(Op::Listen);
        Ok(())
    }

    fn finish_listen(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        finish(self.table.get_mut(&this)?, Op::Listen)
    }

    fn accept(
        &mut self,
        this: Resource<TcpSocket>,
    ) -> SocketResult<(
        Resource<TcpSocket>,
        Resource<DynInputStream>,
        Resource<DynOutputStream>,
    )> {
        let socket = self.table.get_mut(&this)?;
        let Some(acceptor) = &mut socket.acceptor else {
            return Err(ErrorCode::InvalidState.into());
        };
        let Poll::Ready(mut accepted) = acceptor.poll_accept(&mut noop_cx()) else {
            return Err(ErrorCode::WouldBlock.into());
        };
        let (input, output) = p2_streams(&mut accepted)?;
        let client = self.table.push(TcpSocket {
            inner: accepted,
            op: None,
            acceptor: None,
        })?;
        let input = self.table.push_child(input, &client)?;
        let output = self.table.push_child(output, &client)?;
        Ok((client, input, output))
    }

    fn local_address(&mut self, this: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
        Ok(addr_out(self.table.get_mut(&this)?.inner.local_address()?))
    }

    fn remote_address(&mut self, this: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
        Ok(addr_out(self.table.get(&this)?.inner.remote_address()?))
    }

    fn is_listening(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<bool> {
        Ok(self.table.get(&this)?.inner.is_listening())
    }

    fn address_family(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<IpAddressFamily> {
        Ok(family_out(self.table.get(&this)?.inner.family()))
    }

    fn set_listen_backlog_size(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        Ok(self
            .table
            .get_mut(&this)?
            .inner
            .set_listen_backlog_size(value)?)
    }

    fn keep_alive_enabled(&mut self, this: Resource<TcpSocket>) -> SocketResult<bool> {
        Ok(self.table.get(&this)?.inner.keep_alive_enabled()?)
    }

    fn set_keep_alive_enabled(
        &mut self,
        this: Resource<TcpSocket>,
        value: bool,
    ) -> SocketResult<()> {
        Ok(self.table.get(&this)?.inner.set_keep_alive_enabled(value)?)
    }

    fn keep_alive_idle_time(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        Ok(self.table.get(&this)?.inner.keep_alive_idle_time()?)
    }

    fn set_keep_alive_idle_time(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        Ok(self
            .table
            .get(&this)?
            .inner
            .set_keep_alive_idle_time(value)?)
    }

    fn keep_alive_interval(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        Ok(self.table.get(&this)?.inner.keep_alive_interval()?)
    }

    fn set_keep_alive_interval(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        Ok(self
            .table
            .get(&this)?
            .inner
            .set_keep_alive_interval(value)?)
    }

    fn keep_alive_count(&mut self, this: Resource<TcpSocket>) -> SocketResult<u32> {
        Ok(self.table.get(&this)?.inner.keep_alive_count()?)
    }

    fn set_keep_alive_count(&mut self, this: Resource<TcpSocket>, value: u32) -> SocketResult<()> {
        Ok(self.table.get(&this)?.inner.set_keep_alive_count(value)?)
    }

    fn hop_limit(&mut self, this: Resource<TcpSocket>) -> SocketResult<u8> {
        Ok(self.table.get(&this)?.inner.hop_limit()?)
    }

    fn set_hop_limit(&mut self, this: Resource<TcpSocket>, value: u8) -> SocketResult<()> {
        Ok(self.table.get(&this)?.inner.set_hop_limit(value)?)
    }

    fn receive_buffer_size(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        Ok(self.table.get(&this)?.inner.receive_buffer_size()?)
    }

    fn set_receive_buffer_size(
        &mut self,
        this: Resource<TcpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        Ok(self
            .table
            .get(&this)?
            .inner
            .set_receive_buffer_size(value)?)
    }

    fn send_buffer_size(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        Ok(self.table.get(&this)?.inner.send_buffer_size()?)
    }

    fn set_send_buffer_size(&mut self, this: Resource<TcpSocket>, value: u64) -> SocketResult<()> {
        Ok(self.table.get(&this)?.inner.set_send_buffer_size(value)?)
    }

    fn subscribe(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<Resource<DynPollable>> {
        subscribe(self.table, this)
    }

    fn shutdown(
        &mut self,
        this: Resource<TcpSocket>,
        shutdown_type: tcp::ShutdownType,
    ) -> SocketResult<()> {
        use tcp::ShutdownType as S;
        let (receive, send) = match shutdown_type {
            S::Receive => (true, false),
            S::Send => (false, true),
            S::Both => (true, true),
        };
        Ok(self.table.get(&this)?.inner.shutdown(receive, send)?)
    }

    fn drop(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

/// A connected socket's receive and send sides as p2 streams.
fn p2_streams(socket: &mut CoreTcp) -> SocketResult<(DynInputStream, DynOutputStream)> {
    let input: DynInputStream = Box::new(SourceStream::new(socket.take_receive()?));
    let output: DynOutputStream = Box::new(SinkStream::new(socket.take_send()?));
    Ok((input, output))
}

fn finish(socket: &mut TcpSocket, op: Op) -> SocketResult<()> {
    if socket.op != Some(op) {
        return Err(ErrorCode::NotInProgress.into());
    }
    socket.op = None;
    Ok(())
}

/// A p2 `udp-socket`.
pub struct UdpSocket {
    inner: CoreUdp,
    binding: bool,
}

#[async_trait::async_trait]
impl Pollable for UdpSocket {
    // Binding finishes at once; there is nothing to wait for.
    async fn ready(&mut self) {}
}

/// A p2 `incoming-datagram-stream`.
pub struct IncomingDatagramStream {
    receiver: UdpReceiver,
}

#[async_trait::async_trait]
impl Pollable for IncomingDatagramStream {
    async fn ready(&mut self) {
        std::future::poll_fn(|cx| self.receiver.poll_ready(cx)).await
    }
}

/// A p2 `outgoing-datagram-stream`.
pub struct OutgoingDatagramStream {
    sender: UdpSender,
    permits: usize,
}

#[async_trait::async_trait]
impl Pollable for OutgoingDatagramStream {
    async fn ready(&mut self) {
        std::future::poll_fn(|cx| self.sender.poll_idle(cx)).await
    }
}

impl udp_create_socket::Host for WasiCtxView<'_> {
    fn create_udp_socket(
        &mut self,
        address_family: IpAddressFamily,
    ) -> SocketResult<Resource<UdpSocket>> {
        let inner = CoreUdp::new(self.ctx.sockets(), family(address_family))?;
        Ok(self.table.push(UdpSocket {
            inner,
            binding: false,
        })?)
    }
}

impl udp::Host for WasiCtxView<'_> {}

impl udp::HostUdpSocket for WasiCtxView<'_> {
    async fn start_bind(
        &mut self,
        this: Resource<UdpSocket>,
        network: Resource<Network>,
        local_address: IpSocketAddress,
    ) -> SocketResult<()> {
        self.table.get(&network)?;
        let socket = self.table.get_mut(&this)?;
        if socket.binding {
            return Err(ErrorCode::ConcurrencyConflict.into());
        }
        socket.inner.bind(addr_in(local_address)).await?;
        socket.binding = true;
        Ok(())
    }

    fn finish_bind(&mut self, this: Resource<UdpSocket>) -> SocketResult<()> {
        let socket = self.table.get_mut(&this)?;
        if !socket.binding {
            return Err(ErrorCode::NotInProgress.into());
        }
        socket.binding = false;
        Ok(())
    }

    async fn stream(
        &mut self,
        this: Resource<UdpSocket>,
        remote_address: Option<IpSocketAddress>,
    ) -> SocketResult<(
        Resource<IncomingDatagramStream>,
        Resource<OutgoingDatagramStream>,
    )> {
        let live = self
            .table
            .iter_children(&this)?
            .any(|c| c.is::<IncomingDatagramStream>() || c.is::<OutgoingDatagramStream>());
        if live {
            return Err(SocketError::trap(format_err!(
                "UDP streams not dropped yet"
            )));
        }
        let socket = &mut self.table.get_mut(&this)?.inner;
        if !socket.is_bound() {
            return Err(ErrorCode::InvalidState.into());
        }
        match remote_address {
            Some(addr) => socket.connect(addr_in(addr)).await?,
            None if socket.is_connected() => socket.disconnect()?,
            None => {}
        }
        let incoming = IncomingDatagramStream {
            receiver: socket.receiver(),
        };
        let outgoing = OutgoingDatagramStream {
            sender: socket.sender(),
            permits: 0,
        };
        Ok((
            self.table.push_child(incoming, &this)?,
            self.table.push_child(outgoing, &this)?,
        ))
    }

    fn local_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        Ok(addr_out(self.table.get_mut(&this)?.inner.local_address()?))
    }

    fn remote_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        Ok(addr_out(self.table.get(&this)?.inner.remote_address()?))
    }

    fn address_family(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<IpAddressFamily> {
        Ok(family_out(self.table.get(&this)?.inner.family()))
    }

    fn unicast_hop_limit(&mut self, this: Resource<UdpSocket>) -> SocketResult<u8> {
        Ok(self.table.get(&this)?.inner.unicast_hop_limit()?)
    }

    fn set_unicast_hop_limit(&mut self, this: Resource<UdpSocket>, value: u8) -> SocketResult<()> {
        Ok(self.table.get(&this)?.inner.set_unicast_hop_limit(value)?)
    }

    fn receive_buffer_size(&mut self, this: Resource<UdpSocket>) -> SocketResult<u64> {
        Ok(self.table.get(&this)?.inner.receive_buffer_size()?)
    }

    fn set_receive_buffer_size(
        &mut self,
        this: Resource<UdpSocket>,
        value: u64,
    ) -> SocketResult<()> {
        Ok(self
            .table
            .get(&this)?
            .inner
            .set_receive_buffer_size(value)?)
    }

    fn send_buffer_size(&mut self, this: Resource<UdpSocket>) -> SocketResult<u64> {
        Ok(self.table.get(&this)?.inner.send_buffer_size()?)
    }

    fn set_send_buffer_size(&mut self, this: Resource<UdpSocket>, value: u64) -> SocketResult<()> {
        Ok(self.table.get(&this)?.inner.set_send_buffer_size(value)?)
    }

    fn subscribe(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<Resource<DynPollable>> {
        subscribe(self.table, this)
    }

    fn drop(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl udp::HostIncomingDatagramStream for WasiCtxView<'_> {
    fn receive(
        &mut self,
        this: Resource<IncomingDatagramStream>,
        max_results: u64,
    ) -> SocketResult<Vec<udp::IncomingDatagram>> {
        let stream = self.table.get_mut(&this)?;
        let max = usize::try_from(max_results)
            .unwrap_or(usize::MAX)
            .min(MAX_DATAGRAMS);
        let mut out = Vec::new();
        let mut bytes = 0;
        while out.len() < max && bytes < MAX_RECEIVE_BYTES {
            match stream.receiver.poll_recv(&mut noop_cx()) {
                Poll::Pending => break,
                Poll::Ready(Ok(d)) => {
                    bytes += 1 + d.data.len();
                    out.push(udp::IncomingDatagram {
                        data: d.data,
                        remote_address: addr_out(d.remote),
                    });
                }
                Poll::Ready(Err(_)) if !out.is_empty() => break,
                Poll::Ready(Err(e)) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    fn subscribe(
        &mut self,
        this: Resource<IncomingDatagramStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        subscribe(self.table, this)
    }

    fn drop(&mut self, this: Resource<IncomingDatagramStream>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

impl udp::HostOutgoingDatagramStream for WasiCtxView<'_> {
    fn check_send(&mut self, this: Resource<OutgoingDatagramStream>) -> SocketResult<u64> {
        let stream = self.table.get_mut(&this)?;
        stream.permits = match stream.sender.poll_idle(&mut noop_cx()) {
            Poll::Ready(()) => MAX_DATAGRAMS,
            Poll::Pending => 0,
        };
        Ok(stream.permits as u64)
    }

    fn send(
        &mut self,
        this: Resource<OutgoingDatagramStream>,
        datagrams: Vec<udp::OutgoingDatagram>,
    ) -> SocketResult<u64> {
        let stream = self.table.get_mut(&this)?;
        if datagrams.is_empty() {
            return Ok(0);
        }
        if datagrams.len() > stream.permits {
            return Err(SocketError::trap(format_err!(
                "unpermitted: argument exceeds permitted size"
            )));
        }
        stream.permits = 0;
        let mut sent = 0;
        for d in datagrams {
            match stream
                .sender
                .send_nonblocking(d.data, d.remote_address.map(addr_in))
            {
                Ok(true) => sent += 1,
                Ok(false) => break,
                Err(_) if sent > 0 => break,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(sent)
    }

    fn subscribe(
        &mut self,
        this: Resource<OutgoingDatagramStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        subscribe(self.table, this)
    }

    fn drop(&mut self, this: Resource<OutgoingDatagramStream>) -> wasmtime::Result<()> {
        // A datagram still in flight belongs to its background task: it is sent, not dropped.
        self.table.delete(this)?;
        Ok(())
    }
}

/// A p2 `resolve-address-stream`.
pub struct ResolveAddressStream {
    resolve: Resolve,
    next: usize,
}

#[async_trait::async_trait]
impl Pollable for ResolveAddressStream {
    async fn ready(&mut self) {
        std::future::poll_fn(|cx| self.resolve.poll(cx).map(drop)).await
    }
}

impl ip_name_lookup::Host for WasiCtxView<'_> {
    fn resolve_addresses(
        &mut self,
        network: Resource<Network>,
        name: String,
    ) -> SocketResult<Resource<ResolveAddressStream>> {
        self.table.get(&network)?;
        let resolve = Resolve::start(self.ctx.sockets(), &name);
        // Refusals and malformed names are reported by this call, as wasmtime-wasi does.
        if let Resolve::Done(Err(e)) = &resolve {
            return Err(ErrorCode::from(*e).into());
        }
        Ok(self.table.push(ResolveAddressStream { resolve, next: 0 })?)
    }
}

impl ip_name_lookup::HostResolveAddressStream for WasiCtxView<'_> {
    fn resolve_next_address(
        &mut self,
        this: Resource<ResolveAddressStream>,
    ) -> SocketResult<Option<IpAddress>> {
        let stream = self.table.get_mut(&this)?;
        let Poll::Ready(result) = stream.resolve.poll(&mut noop_cx()) else {
            return Err(ErrorCode::WouldBlock.into());
        };
        match result {
            Ok(addrs) => {
                let next = addrs.get(stream.next).copied().map(ip_out);
                if next.is_some() {
                    stream.next += 1;
                }
                Ok(next)
            }
            Err(e) => Err(ErrorCode::from(*e).into()),
        }
    }

    fn subscribe(
        &mut self,
        this: Resource<ResolveAddressStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        subscribe(self.table, this)
    }

    fn drop(&mut self, this: Resource<ResolveAddressStream>) -> wasmtime::Result<()> {
        self.table.delete(this)?;
        Ok(())
    }
}

/// The synchronous flavour: the calls that may wait run to completion on the calling thread.
pub(crate) mod sync {
    use super::*;
    use crate::bindings::sync::sockets::{tcp as stcp, udp as sudp, udp_create_socket as sucs};
    use tcp::HostTcpSocket as A;
    use udp::HostUdpSocket as AU;
    use udp::{HostIncomingDatagramStream as AI, HostOutgoingDatagramStream as AO};
    use wasmtime_wasi::runtime::in_tokio;

    impl stcp::Host for WasiCtxView<'_> {}

    impl stcp::HostTcpSocket for WasiCtxView<'_> {
        fn start_bind(
            &mut self,
            this: Resource<TcpSocket>,
            network: Resource<Network>,
            local_address: IpSocketAddress,
        ) -> SocketResult<()> {
            in_tokio(A::start_bind(self, this, network, local_address))
        }
        fn finish_bind(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
            A::finish_bind(self, this)
        }
        fn start_connect(
            &mut self,
            this: Resource<TcpSocket>,
            network: Resource<Network>,
            remote_address: IpSocketAddress,
        ) -> SocketResult<()> {
            A::start_connect(self, this, network, remote_address)
        }
        fn finish_connect(
            &mut self,
            this: Resource<TcpSocket>,
        ) -> SocketResult<(Resource<DynInputStream>, Resource<DynOutputStream>)> {
            A::finish_connect(self, this)
        }
        fn start_listen(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
            in_tokio(A::start_listen(self, this))
        }
        fn finish_listen(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
            A::finish_listen(self, this)
        }
        fn accept(
            &mut self,
            this: Resource<TcpSocket>,
        ) -> SocketResult<(
            Resource<TcpSocket>,
            Resource<DynInputStream>,
            Resource<DynOutputStream>,
        )> {
            A::accept(self, this)
        }
        fn local_address(&mut self, this: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
            A::local_address(self, this)
        }
        fn remote_address(&mut self, this: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
            A::remote_address(self, this)
        }
        fn is_listening(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<bool> {
            A::is_listening(self, this)
        }
        fn address_family(
            &mut self,
            this: Resource<TcpSocket>,
        ) -> wasmtime::Result<IpAddressFamily> {
            A::address_family(self, this)
        }
        fn set_listen_backlog_size(
            &mut self,
            this: Resource<TcpSocket>,
            v: u64,
        ) -> SocketResult<()> {
            A::set_listen_backlog_size(self, this, v)
        }
        fn keep_alive_enabled(&mut self, this: Resource<TcpSocket>) -> SocketResult<bool> {
            A::keep_alive_enabled(self, this)
        }
        fn set_keep_alive_enabled(
            &mut self,
            this: Resource<TcpSocket>,
            v: bool,
        ) -> SocketResult<()> {
            A::set_keep_alive_enabled(self, this, v)
        }
        fn keep_alive_idle_time(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
            A::keep_alive_idle_time(self, this)
        }
        fn set_keep_alive_idle_time(
            &mut self,
            this: Resource<TcpSocket>,
            v: u64,
        ) -> SocketResult<()> {
            A::set_keep_alive_idle_time(self, this, v)
        }
        fn keep_alive_interval(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
            A::keep_alive_interval(self, this)
        }
        fn set_keep_alive_interval(
            &mut self,
            this: Resource<TcpSocket>,
            v: u64,
        ) -> SocketResult<()> {
            A::set_keep_alive_interval(self, this, v)
        }
        fn keep_alive_count(&mut self, this: Resource<TcpSocket>) -> SocketResult<u32> {
            A::keep_alive_count(self, this)
        }
        fn set_keep_alive_count(&mut self, this: Resource<TcpSocket>, v: u32) -> SocketResult<()> {
            A::set_keep_alive_count(self, this, v)
        }
        fn hop_limit(&mut self, this: Resource<TcpSocket>) -> SocketResult<u8> {
            A::hop_limit(self, this)
        }
        fn set_hop_limit(&mut self, this: Resource<TcpSocket>, v: u8) -> SocketResult<()> {
            A::set_hop_limit(self, this, v)
        }
        fn receive_buffer_size(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
            A::receive_buffer_size(self, this)
        }
        fn set_receive_buffer_size(
            &mut self,
            this: Resource<TcpSocket>,
            v: u64,
        ) -> SocketResult<()> {
            A::set_receive_buffer_size(self, this, v)
        }
        fn send_buffer_size(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
            A::send_buffer_size(self, this)
        }
        fn set_send_buffer_size(&mut self, this: Resource<TcpSocket>, v: u64) -> SocketResult<()> {
            A::set_send_buffer_size(self, this, v)
        }
        fn subscribe(
            &mut self,
            this: Resource<TcpSocket>,
        ) -> wasmtime::Result<Resource<DynPollable>> {
            A::subscribe(self, this)
        }
        fn shutdown(
            &mut self,
            this: Resource<TcpSocket>,
            how: stcp::ShutdownType,
        ) -> SocketResult<()> {
            let how = match how {
                stcp::ShutdownType::Receive => tcp::ShutdownType::Receive,
                stcp::ShutdownType::Send => tcp::ShutdownType::Send,
                stcp::ShutdownType::Both => tcp::ShutdownType::Both,
            };
            A::shutdown(self, this, how)
        }
        fn drop(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<()> {
            A::drop(self, this)
        }
    }

    impl sucs::Host for WasiCtxView<'_> {
        fn create_udp_socket(&mut self, f: IpAddressFamily) -> SocketResult<Resource<UdpSocket>> {
            udp_create_socket::Host::create_udp_socket(self, f)
        }
    }

    impl sudp::Host for WasiCtxView<'_> {}

    impl sudp::HostUdpSocket for WasiCtxView<'_> {
        fn start_bind(
            &mut self,
            this: Resource<UdpSocket>,
            network: Resource<Network>,
            local_address: IpSocketAddress,
        ) -> SocketResult<()> {
            in_tokio(AU::start_bind(self, this, network, local_address))
        }
        fn finish_bind(&mut self, this: Resource<UdpSocket>) -> SocketResult<()> {
            AU::finish_bind(self, this)
        }
        fn stream(
            &mut self,
            this: Resource<UdpSocket>,
            remote_address: Option<IpSocketAddress>,
        ) -> SocketResult<(
            Resource<IncomingDatagramStream>,
            Resource<OutgoingDatagramStream>,
        )> {
            in_tokio(AU::stream(self, this, remote_address))
        }
        fn local_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
            AU::local_address(self, this)
        }
        fn remote_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
            AU::remote_address(self, this)
        }
        fn address_family(
            &mut self,
            this: Resource<UdpSocket>,
        ) -> wasmtime::Result<IpAddressFamily> {
            AU::address_family(self, this)
        }
        fn unicast_hop_limit(&mut self, this: Resource<UdpSocket>) -> SocketResult<u8> {
            AU::unicast_hop_limit(self, this)
        }
        fn set_unicast_hop_limit(&mut self, this: Resource<UdpSocket>, v: u8) -> SocketResult<()> {
            AU::set_unicast_hop_limit(self, this, v)
        }
        fn receive_buffer_size(&mut self, this: Resource<UdpSocket>) -> SocketResult<u64> {
            AU::receive_buffer_size(self, this)
        }
        fn set_receive_buffer_size(
            &mut self,
            this: Resource<UdpSocket>,
            v: u64,
        ) -> SocketResult<()> {
            AU::set_receive_buffer_size(self, this, v)
        }
        fn send_buffer_size(&mut self, this: Resource<UdpSocket>) -> SocketResult<u64> {
            AU::send_buffer_size(self, this)
        }
        fn set_send_buffer_size(&mut self, this: Resource<UdpSocket>, v: u64) -> SocketResult<()> {
            AU::set_send_buffer_size(self, this, v)
        }
        fn subscribe(
            &mut self,
            this: Resource<UdpSocket>,
        ) -> wasmtime::Result<Resource<DynPollable>> {
            AU::subscribe(self, this)
        }
        fn drop(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<()> {
            AU::drop(self, this)
        }
    }

    impl sudp::HostIncomingDatagramStream for WasiCtxView<'_> {
        fn receive(
            &mut self,
            this: Resource<IncomingDatagramStream>,
            max_results: u64,
        ) -> SocketResult<Vec<sudp::IncomingDatagram>> {
            Ok(AI::receive(self, this, max_results)?
                .into_iter()
                .map(|d| sudp::IncomingDatagram {
                    data: d.data,
                    remote_address: d.remote_address,
                })
                .collect())
        }
        fn subscribe(
            &mut self,
            this: Resource<IncomingDatagramStream>,
        ) -> wasmtime::Result<Resource<DynPollable>> {
            AI::subscribe(self, this)
        }
        fn drop(&mut self, this: Resource<IncomingDatagramStream>) -> wasmtime::Result<()> {
            AI::drop(self, this)
        }
    }

    impl sudp::HostOutgoingDatagramStream for WasiCtxView<'_> {
        fn check_send(&mut self, this: Resource<OutgoingDatagramStream>) -> SocketResult<u64> {
            AO::check_send(self, this)
        }
        fn send(
            &mut self,
            this: Resource<OutgoingDatagramStream>,
            datagrams: Vec<sudp::OutgoingDatagram>,
        ) -> SocketResult<u64> {
            let datagrams = datagrams
                .into_iter()
                .map(|d| udp::OutgoingDatagram {
                    data: d.data,
                    remote_address: d.remote_address,
                })
                .collect();
            AO::send(self, this, datagrams)
        }
        fn subscribe(
            &mut self,
            this: Resource<OutgoingDatagramStream>,
        ) -> wasmtime::Result<Resource<DynPollable>> {
            AO::subscribe(self, this)
        }
        fn drop(&mut self, this: Resource<OutgoingDatagramStream>) -> wasmtime::Result<()> {
            AO::drop(self, this)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sockets::network::Host as _;
    use p3_core::io::ByteSource as _;
    use p3_core::{ResourceTable, WasiCtx};
    use wasmtime_wasi_io::streams::{InputStream as _, StreamError};

    /// A TCP read that fails with a reset reaches the guest as `last-operation-failed`, and
    /// `network-error-code` maps its error resource back to `connection-reset`.
    #[tokio::test(flavor = "multi_thread")]
    async fn stream_errors_map_back_through_network_error_code() {
        let mut b = WasiCtx::builder();
        b.allow_tcp(true).inherit_network();
        let mut ctx = b.build();
        let mut table = ResourceTable::new();
        let peer = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut socket = CoreTcp::new(ctx.sockets(), core::Family::Ipv4).unwrap();
        socket.connect(peer.local_addr().unwrap()).await.unwrap();
        let (conn, _) = peer.accept().unwrap();
        // Close with a zero linger: the connection is reset, not shut down.
        reset_by_peer(conn);
        let mut source = socket.take_receive().unwrap();
        std::future::poll_fn(|cx| source.poll_ready(cx)).await;
        let mut stream = SourceStream::new(source);
        let err = match stream.read(100) {
            Err(StreamError::LastOperationFailed(e)) => e,
            other => panic!("expected a failed read, got {other:?}"),
        };
        let res = table.push(err).unwrap();
        let mut view = WasiCtxView {
            ctx: &mut ctx,
            table: &mut table,
        };
        let code = view.network_error_code(res).unwrap();
        assert_eq!(code, Some(ErrorCode::ConnectionReset));
        assert!(matches!(stream.read(100), Err(StreamError::Closed)));
    }

    fn reset_by_peer(conn: std::net::TcpStream) {
        rustix::net::sockopt::set_socket_linger(&conn, Some(std::time::Duration::ZERO)).unwrap();
        drop(conn);
    }
}
