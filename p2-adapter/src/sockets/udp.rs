//! `wasi:sockets/{udp,udp-create-socket}@0.2.x`: the core UDP socket, p2's datagram streams
//! with their permits and batches, and their pollables.

use super::{Network, SocketError, SocketResult, addr_in, addr_out, family, family_out};
use crate::bindings::sockets::network::{ErrorCode, IpAddressFamily, IpSocketAddress};
use crate::bindings::sockets::{udp, udp_create_socket};
use crate::streams::noop_cx;
use p3_core::sockets::WasiSocketsCtxView;
use p3_core::sockets::udp::{UdpReceiver, UdpSender, UdpSocket as CoreUdp};
use std::task::Poll;
use wasmtime::component::Resource;
use wasmtime::format_err;
use wasmtime_wasi_io::poll::{DynPollable, Pollable, subscribe};

/// Most datagrams one `receive` returns and one `check-send` permits (wasmtime-wasi's figure).
const MAX_DATAGRAMS: usize = 16;
/// Most payload bytes one `receive` collects before returning.
const MAX_RECEIVE_BYTES: usize = 64 * 1024;

/// A p2 `udp-socket`.
pub struct UdpSocket {
    inner: CoreUdp,
    binding: bool,
}

impl UdpSocket {
    /// The core socket's address family.
    pub(crate) fn family(&self) -> p3_core::sockets::Family {
        self.inner.family()
    }
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

impl udp_create_socket::Host for WasiSocketsCtxView<'_> {
    fn create_udp_socket(
        &mut self,
        address_family: IpAddressFamily,
    ) -> SocketResult<Resource<UdpSocket>> {
        let inner = CoreUdp::new(self.ctx, family(address_family))?;
        Ok(self.table.push(UdpSocket {
            inner,
            binding: false,
        })?)
    }
}

impl udp::Host for WasiSocketsCtxView<'_> {}

impl udp::HostUdpSocket for WasiSocketsCtxView<'_> {
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

impl udp::HostIncomingDatagramStream for WasiSocketsCtxView<'_> {
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

impl udp::HostOutgoingDatagramStream for WasiSocketsCtxView<'_> {
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
