//! The synchronous linker's `wasi:sockets`: the calls that may wait run to completion on the
//! calling thread (`in_tokio`, as wasmtime-wasi's sync bindings do); every other call forwards
//! to the async bindings' host function, converting the sync bindings' copies of the WIT types.

use super::{
    IncomingDatagramStream, Network, OutgoingDatagramStream, SocketResult, TcpSocket, UdpSocket,
};
use crate::bindings::sockets::network::{IpAddressFamily, IpSocketAddress};
use crate::bindings::sockets::{tcp, udp, udp_create_socket};
use crate::bindings::sync::sockets as sync;
use p3_core::sockets::WasiSocketsCtxView;
use tcp::HostTcpSocket as AsyncTcp;
use udp::{
    HostIncomingDatagramStream as AsyncIncoming, HostOutgoingDatagramStream as AsyncOutgoing,
    HostUdpSocket as AsyncUdp,
};
use wasmtime::component::Resource;
use wasmtime_wasi::runtime::in_tokio;
use wasmtime_wasi_io::poll::DynPollable;
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

impl sync::tcp::Host for WasiSocketsCtxView<'_> {}

impl sync::tcp::HostTcpSocket for WasiSocketsCtxView<'_> {
    fn start_bind(
        &mut self,
        this: Resource<TcpSocket>,
        network: Resource<Network>,
        local_address: IpSocketAddress,
    ) -> SocketResult<()> {
        in_tokio(AsyncTcp::start_bind(self, this, network, local_address))
    }
    fn finish_bind(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        AsyncTcp::finish_bind(self, this)
    }
    fn start_connect(
        &mut self,
        this: Resource<TcpSocket>,
        network: Resource<Network>,
        remote_address: IpSocketAddress,
    ) -> SocketResult<()> {
        AsyncTcp::start_connect(self, this, network, remote_address)
    }
    fn finish_connect(
        &mut self,
        this: Resource<TcpSocket>,
    ) -> SocketResult<(Resource<DynInputStream>, Resource<DynOutputStream>)> {
        AsyncTcp::finish_connect(self, this)
    }
    fn start_listen(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        in_tokio(AsyncTcp::start_listen(self, this))
    }
    fn finish_listen(&mut self, this: Resource<TcpSocket>) -> SocketResult<()> {
        AsyncTcp::finish_listen(self, this)
    }
    fn accept(
        &mut self,
        this: Resource<TcpSocket>,
    ) -> SocketResult<(
        Resource<TcpSocket>,
        Resource<DynInputStream>,
        Resource<DynOutputStream>,
    )> {
        AsyncTcp::accept(self, this)
    }
    fn local_address(&mut self, this: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
        AsyncTcp::local_address(self, this)
    }
    fn remote_address(&mut self, this: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
        AsyncTcp::remote_address(self, this)
    }
    fn is_listening(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<bool> {
        AsyncTcp::is_listening(self, this)
    }
    fn address_family(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<IpAddressFamily> {
        AsyncTcp::address_family(self, this)
    }
    fn set_listen_backlog_size(&mut self, this: Resource<TcpSocket>, v: u64) -> SocketResult<()> {
        AsyncTcp::set_listen_backlog_size(self, this, v)
    }
    fn keep_alive_enabled(&mut self, this: Resource<TcpSocket>) -> SocketResult<bool> {
        AsyncTcp::keep_alive_enabled(self, this)
    }
    fn set_keep_alive_enabled(&mut self, this: Resource<TcpSocket>, v: bool) -> SocketResult<()> {
        AsyncTcp::set_keep_alive_enabled(self, this, v)
    }
    fn keep_alive_idle_time(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        AsyncTcp::keep_alive_idle_time(self, this)
    }
    fn set_keep_alive_idle_time(&mut self, this: Resource<TcpSocket>, v: u64) -> SocketResult<()> {
        AsyncTcp::set_keep_alive_idle_time(self, this, v)
    }
    fn keep_alive_interval(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        AsyncTcp::keep_alive_interval(self, this)
    }
    fn set_keep_alive_interval(&mut self, this: Resource<TcpSocket>, v: u64) -> SocketResult<()> {
        AsyncTcp::set_keep_alive_interval(self, this, v)
    }
    fn keep_alive_count(&mut self, this: Resource<TcpSocket>) -> SocketResult<u32> {
        AsyncTcp::keep_alive_count(self, this)
    }
    fn set_keep_alive_count(&mut self, this: Resource<TcpSocket>, v: u32) -> SocketResult<()> {
        AsyncTcp::set_keep_alive_count(self, this, v)
    }
    fn hop_limit(&mut self, this: Resource<TcpSocket>) -> SocketResult<u8> {
        AsyncTcp::hop_limit(self, this)
    }
    fn set_hop_limit(&mut self, this: Resource<TcpSocket>, v: u8) -> SocketResult<()> {
        AsyncTcp::set_hop_limit(self, this, v)
    }
    fn receive_buffer_size(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        AsyncTcp::receive_buffer_size(self, this)
    }
    fn set_receive_buffer_size(&mut self, this: Resource<TcpSocket>, v: u64) -> SocketResult<()> {
        AsyncTcp::set_receive_buffer_size(self, this, v)
    }
    fn send_buffer_size(&mut self, this: Resource<TcpSocket>) -> SocketResult<u64> {
        AsyncTcp::send_buffer_size(self, this)
    }
    fn set_send_buffer_size(&mut self, this: Resource<TcpSocket>, v: u64) -> SocketResult<()> {
        AsyncTcp::set_send_buffer_size(self, this, v)
    }
    fn subscribe(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<Resource<DynPollable>> {
        AsyncTcp::subscribe(self, this)
    }
    fn shutdown(
        &mut self,
        this: Resource<TcpSocket>,
        how: sync::tcp::ShutdownType,
    ) -> SocketResult<()> {
        let how = match how {
            sync::tcp::ShutdownType::Receive => tcp::ShutdownType::Receive,
            sync::tcp::ShutdownType::Send => tcp::ShutdownType::Send,
            sync::tcp::ShutdownType::Both => tcp::ShutdownType::Both,
        };
        AsyncTcp::shutdown(self, this, how)
    }
    fn drop(&mut self, this: Resource<TcpSocket>) -> wasmtime::Result<()> {
        AsyncTcp::drop(self, this)
    }
}

impl sync::udp_create_socket::Host for WasiSocketsCtxView<'_> {
    fn create_udp_socket(&mut self, f: IpAddressFamily) -> SocketResult<Resource<UdpSocket>> {
        udp_create_socket::Host::create_udp_socket(self, f)
    }
}

impl sync::udp::Host for WasiSocketsCtxView<'_> {}

impl sync::udp::HostUdpSocket for WasiSocketsCtxView<'_> {
    fn start_bind(
        &mut self,
        this: Resource<UdpSocket>,
        network: Resource<Network>,
        local_address: IpSocketAddress,
    ) -> SocketResult<()> {
        in_tokio(AsyncUdp::start_bind(self, this, network, local_address))
    }
    fn finish_bind(&mut self, this: Resource<UdpSocket>) -> SocketResult<()> {
        AsyncUdp::finish_bind(self, this)
    }
    fn stream(
        &mut self,
        this: Resource<UdpSocket>,
        remote_address: Option<IpSocketAddress>,
    ) -> SocketResult<(
        Resource<IncomingDatagramStream>,
        Resource<OutgoingDatagramStream>,
    )> {
        in_tokio(AsyncUdp::stream(self, this, remote_address))
    }
    fn local_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        AsyncUdp::local_address(self, this)
    }
    fn remote_address(&mut self, this: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
        AsyncUdp::remote_address(self, this)
    }
    fn address_family(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<IpAddressFamily> {
        AsyncUdp::address_family(self, this)
    }
    fn unicast_hop_limit(&mut self, this: Resource<UdpSocket>) -> SocketResult<u8> {
        AsyncUdp::unicast_hop_limit(self, this)
    }
    fn set_unicast_hop_limit(&mut self, this: Resource<UdpSocket>, v: u8) -> SocketResult<()> {
        AsyncUdp::set_unicast_hop_limit(self, this, v)
    }
    fn receive_buffer_size(&mut self, this: Resource<UdpSocket>) -> SocketResult<u64> {
        AsyncUdp::receive_buffer_size(self, this)
    }
    fn set_receive_buffer_size(&mut self, this: Resource<UdpSocket>, v: u64) -> SocketResult<()> {
        AsyncUdp::set_receive_buffer_size(self, this, v)
    }
    fn send_buffer_size(&mut self, this: Resource<UdpSocket>) -> SocketResult<u64> {
        AsyncUdp::send_buffer_size(self, this)
    }
    fn set_send_buffer_size(&mut self, this: Resource<UdpSocket>, v: u64) -> SocketResult<()> {
        AsyncUdp::set_send_buffer_size(self, this, v)
    }
    fn subscribe(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<Resource<DynPollable>> {
        AsyncUdp::subscribe(self, this)
    }
    fn drop(&mut self, this: Resource<UdpSocket>) -> wasmtime::Result<()> {
        AsyncUdp::drop(self, this)
    }
}

impl sync::udp::HostIncomingDatagramStream for WasiSocketsCtxView<'_> {
    fn receive(
        &mut self,
        this: Resource<IncomingDatagramStream>,
        max_results: u64,
    ) -> SocketResult<Vec<sync::udp::IncomingDatagram>> {
        Ok(AsyncIncoming::receive(self, this, max_results)?
            .into_iter()
            .map(|d| sync::udp::IncomingDatagram {
                data: d.data,
                remote_address: d.remote_address,
            })
            .collect())
    }
    fn subscribe(
        &mut self,
        this: Resource<IncomingDatagramStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        AsyncIncoming::subscribe(self, this)
    }
    fn drop(&mut self, this: Resource<IncomingDatagramStream>) -> wasmtime::Result<()> {
        AsyncIncoming::drop(self, this)
    }
}

impl sync::udp::HostOutgoingDatagramStream for WasiSocketsCtxView<'_> {
    fn check_send(&mut self, this: Resource<OutgoingDatagramStream>) -> SocketResult<u64> {
        AsyncOutgoing::check_send(self, this)
    }
    fn send(
        &mut self,
        this: Resource<OutgoingDatagramStream>,
        datagrams: Vec<sync::udp::OutgoingDatagram>,
    ) -> SocketResult<u64> {
        let datagrams = datagrams
            .into_iter()
            .map(|d| udp::OutgoingDatagram {
                data: d.data,
                remote_address: d.remote_address,
            })
            .collect();
        AsyncOutgoing::send(self, this, datagrams)
    }
    fn subscribe(
        &mut self,
        this: Resource<OutgoingDatagramStream>,
    ) -> wasmtime::Result<Resource<DynPollable>> {
        AsyncOutgoing::subscribe(self, this)
    }
    fn drop(&mut self, this: Resource<OutgoingDatagramStream>) -> wasmtime::Result<()> {
        AsyncOutgoing::drop(self, this)
    }
}
