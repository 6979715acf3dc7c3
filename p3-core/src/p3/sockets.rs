//! `wasi:sockets/{types,ip-name-lookup}@0.3.0` on the core sockets.

use super::bindings::sockets::ip_name_lookup;
use super::bindings::sockets::types::{
    self, Duration, ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress,
    Ipv6SocketAddress, TcpSocket, UdpSocket,
};
use super::streams::{read_stream, write_stream};
use crate::error::CoreError;
use crate::sockets::lookup::Resolve;
use crate::sockets::tcp::TcpAcceptor;
use crate::sockets::{WasiSockets, WasiSocketsCtxView};
use crate::veneer::TrappableError;
use std::pin::Pin;
use std::task::{Context, Poll};
use wasmtime::StoreContextMut;
use wasmtime::component::{
    Access, Accessor, Destination, FutureReader, Resource, StreamProducer, StreamReader,
    StreamResult, VecBuffer,
};

/// The error of a `wasi:sockets/types` call: an error code for the guest, or a trap.
pub type SocketError = TrappableError<ErrorCode>;
/// The result of a `wasi:sockets/types` call.
pub type SocketResult<T> = Result<T, SocketError>;

/// Most sockets one `listen` stream read hands over.
const MAX_ACCEPT_BATCH: usize = 64;

// Defines `From<core ErrorCode>`, `From<LookupError>`, `family`, `family_out`, `addr_in`,
// `addr_out`, `ip_out` (p3_core::veneer::sockets).
crate::socket_conversions!(
    connection_broken = ErrorCode::ConnectionBroken,
    other = ErrorCode::Other(None),
    lookup = ip_name_lookup::ErrorCode
);

/// A stream's error as a socket error code.
fn stream_error_code(err: CoreError) -> ErrorCode {
    err.network_code().into()
}

/// `listen`'s producer: as many accepted sockets per guest read as the guest has room for.
pub(crate) struct ListenProducer<D: 'static> {
    pub(crate) acceptor: TcpAcceptor,
    pub(crate) getter: for<'a> fn(&'a mut D) -> WasiSocketsCtxView<'a>,
}

impl<D: 'static> StreamProducer<D> for ListenProducer<D> {
    type Item = Resource<TcpSocket>;
    type Buffer = VecBuffer<Resource<TcpSocket>>;

    fn poll_produce<'a>(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut store: StoreContextMut<'a, D>,
        mut dst: Destination<'a, Self::Item, Self::Buffer>,
        finish: bool,
    ) -> Poll<wasmtime::Result<StreamResult>> {
        let room = dst.remaining(&mut store);
        if room == Some(0) {
            return match self.acceptor.poll_ready(cx) {
                Poll::Ready(()) => Poll::Ready(Ok(StreamResult::Completed)),
                Poll::Pending if finish => Poll::Ready(Ok(StreamResult::Cancelled)),
                Poll::Pending => Poll::Pending,
            };
        }
        let max = room.unwrap_or(1).min(MAX_ACCEPT_BATCH);
        let mut accepted = Vec::new();
        match self.acceptor.poll_accept_batch(cx, max, &mut accepted) {
            Poll::Ready(()) => {}
            Poll::Pending if finish => return Poll::Ready(Ok(StreamResult::Cancelled)),
            Poll::Pending => return Poll::Pending,
        }
        let view = (self.getter)(store.data_mut());
        let mut handles = Vec::with_capacity(accepted.len());
        for socket in accepted {
            handles.push(view.table.push(socket)?);
        }
        dst.set_buffer(handles.into());
        Poll::Ready(Ok(StreamResult::Completed))
    }
}

/// The `wasi:sockets/{types,ip-name-lookup}` host traits for a binding of the 0.3.0 shape (0.3.0
/// and `0.3.0-rc-2026-01-06` generate distinct types of it): every function but TCP `send`, which
/// the caller gives (0.3.0 returns its result future, the candidate is an `async func`).
///
/// The calling module must have the binding's `types` and `ip_name_lookup` modules, their types,
/// `SocketError` / `SocketResult`, `stream_error_code` and `socket_conversions!`'s functions
/// in scope.
macro_rules! socket_impls {
    (tcp_send: { $($tcp_send:tt)* }) => {
        impl types::Host for WasiSocketsCtxView<'_> {
            fn convert_error_code(&mut self, err: SocketError) -> wasmtime::Result<ErrorCode> {
                err.downcast()
            }
        }

        impl<U: Send + 'static> types::HostTcpSocketWithStore<U> for WasiSockets {
            async fn connect(
                store: &Accessor<U, Self>,
                socket: Resource<TcpSocket>,
                remote_address: IpSocketAddress,
            ) -> SocketResult<()> {
                let addr = addr_in(remote_address);
                store.with(|mut s| -> SocketResult<()> {
                    s.get().table.get_mut(&socket)?.start_connect(addr)?;
                    Ok(())
                })?;
                std::future::poll_fn(|cx| {
                    store.with(|mut s| -> Poll<SocketResult<()>> {
                        match s.get().table.get_mut(&socket) {
                            Ok(sock) => sock.poll_connect(cx).map_err(SocketError::from),
                            Err(e) => Poll::Ready(Err(e.into())),
                        }
                    })
                })
                .await
            }

            async fn listen(
                mut store: Access<'_, U, Self>,
                socket: Resource<TcpSocket>,
            ) -> SocketResult<StreamReader<Resource<TcpSocket>>> {
                let getter = store.getter();
                let acceptor = store.get().table.get_mut(&socket)?.listen().await?;
                StreamReader::new(&mut store, ListenProducer { acceptor, getter })
                    .map_err(SocketError::trap)
            }

        $($tcp_send)*
            fn receive(
                mut store: Access<U, Self>,
                socket: Resource<TcpSocket>,
            ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Result<(), ErrorCode>>)> {
                let source = store.get().table.get_mut(&socket)?.take_receive();
                read_stream(store, source.map_err(ErrorCode::from), stream_error_code)
            }
        }

        impl types::HostTcpSocket for WasiSocketsCtxView<'_> {
            fn create(&mut self, address_family: IpAddressFamily) -> SocketResult<Resource<TcpSocket>> {
                let socket = TcpSocket::new(self.ctx, family(address_family))?;
                Ok(self.table.push(socket)?)
            }

            async fn bind(
                &mut self,
                socket: Resource<TcpSocket>,
                local_address: IpSocketAddress,
            ) -> SocketResult<()> {
                let socket = self.table.get_mut(&socket)?;
                Ok(socket.bind(addr_in(local_address)).await?)
            }

            fn get_local_address(&mut self, socket: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
                Ok(addr_out(self.table.get_mut(&socket)?.local_address()?))
            }

            fn get_remote_address(&mut self, socket: Resource<TcpSocket>) -> SocketResult<IpSocketAddress> {
                Ok(addr_out(self.table.get(&socket)?.remote_address()?))
            }

            fn get_is_listening(&mut self, socket: Resource<TcpSocket>) -> wasmtime::Result<bool> {
                Ok(self.table.get(&socket)?.is_listening())
            }

            fn get_address_family(
                &mut self,
                socket: Resource<TcpSocket>,
            ) -> wasmtime::Result<IpAddressFamily> {
                Ok(family_out(self.table.get(&socket)?.family()))
            }

            fn set_listen_backlog_size(
                &mut self,
                socket: Resource<TcpSocket>,
                value: u64,
            ) -> SocketResult<()> {
                Ok(self
                    .table
                    .get_mut(&socket)?
                    .set_listen_backlog_size(value)?)
            }

            fn get_keep_alive_enabled(&mut self, socket: Resource<TcpSocket>) -> SocketResult<bool> {
                Ok(self.table.get(&socket)?.keep_alive_enabled()?)
            }

            fn set_keep_alive_enabled(
                &mut self,
                socket: Resource<TcpSocket>,
                value: bool,
            ) -> SocketResult<()> {
                Ok(self.table.get(&socket)?.set_keep_alive_enabled(value)?)
            }

            fn get_keep_alive_idle_time(&mut self, socket: Resource<TcpSocket>) -> SocketResult<Duration> {
                Ok(self.table.get(&socket)?.keep_alive_idle_time()?)
            }

            fn set_keep_alive_idle_time(
                &mut self,
                socket: Resource<TcpSocket>,
                value: Duration,
            ) -> SocketResult<()> {
                Ok(self.table.get(&socket)?.set_keep_alive_idle_time(value)?)
            }

            fn get_keep_alive_interval(&mut self, socket: Resource<TcpSocket>) -> SocketResult<Duration> {
                Ok(self.table.get(&socket)?.keep_alive_interval()?)
            }

            fn set_keep_alive_interval(
                &mut self,
                socket: Resource<TcpSocket>,
                value: Duration,
            ) -> SocketResult<()> {
                Ok(self.table.get(&socket)?.set_keep_alive_interval(value)?)
            }

            fn get_keep_alive_count(&mut self, socket: Resource<TcpSocket>) -> SocketResult<u32> {
                Ok(self.table.get(&socket)?.keep_alive_count()?)
            }

            fn set_keep_alive_count(
                &mut self,
                socket: Resource<TcpSocket>,
                value: u32,
            ) -> SocketResult<()> {
                Ok(self.table.get(&socket)?.set_keep_alive_count(value)?)
            }

            fn get_hop_limit(&mut self, socket: Resource<TcpSocket>) -> SocketResult<u8> {
                Ok(self.table.get(&socket)?.hop_limit()?)
            }

            fn set_hop_limit(&mut self, socket: Resource<TcpSocket>, value: u8) -> SocketResult<()> {
                Ok(self.table.get(&socket)?.set_hop_limit(value)?)
            }

            fn get_receive_buffer_size(&mut self, socket: Resource<TcpSocket>) -> SocketResult<u64> {
                Ok(self.table.get(&socket)?.receive_buffer_size()?)
            }

            fn set_receive_buffer_size(
                &mut self,
                socket: Resource<TcpSocket>,
                value: u64,
            ) -> SocketResult<()> {
                Ok(self.table.get(&socket)?.set_receive_buffer_size(value)?)
            }

            fn get_send_buffer_size(&mut self, socket: Resource<TcpSocket>) -> SocketResult<u64> {
                Ok(self.table.get(&socket)?.send_buffer_size()?)
            }

            fn set_send_buffer_size(
                &mut self,
                socket: Resource<TcpSocket>,
                value: u64,
            ) -> SocketResult<()> {
                Ok(self.table.get(&socket)?.set_send_buffer_size(value)?)
            }

            fn drop(&mut self, socket: Resource<TcpSocket>) -> wasmtime::Result<()> {
                self.table.delete(socket)?;
                Ok(())
            }
        }

        impl<U: 'static> types::HostUdpSocketWithStore<U> for WasiSockets {
            async fn send(
                store: &Accessor<U, Self>,
                socket: Resource<UdpSocket>,
                data: Vec<u8>,
                remote_address: Option<IpSocketAddress>,
            ) -> SocketResult<()> {
                let mut sender = store
                    .with(|mut s| -> SocketResult<_> { Ok(s.get().table.get_mut(&socket)?.sender()) })?;
                Ok(sender.send(&data, remote_address.map(addr_in)).await?)
            }

            async fn receive(
                store: &Accessor<U, Self>,
                socket: Resource<UdpSocket>,
            ) -> SocketResult<(Vec<u8>, IpSocketAddress)> {
                let mut receiver = store
                    .with(|mut s| -> SocketResult<_> { Ok(s.get().table.get_mut(&socket)?.receiver()) })?;
                let result = receiver.recv().await;
                store.with(|mut s| {
                    if let Ok(sock) = s.get().table.get_mut(&socket) {
                        sock.recycle(receiver);
                    }
                });
                let d = result?;
                Ok((d.data, addr_out(d.remote)))
            }
        }

        impl types::HostUdpSocket for WasiSocketsCtxView<'_> {
            fn create(&mut self, address_family: IpAddressFamily) -> SocketResult<Resource<UdpSocket>> {
                let socket = UdpSocket::new(self.ctx, family(address_family))?;
                Ok(self.table.push(socket)?)
            }

            async fn bind(
                &mut self,
                socket: Resource<UdpSocket>,
                local_address: IpSocketAddress,
            ) -> SocketResult<()> {
                let socket = self.table.get_mut(&socket)?;
                Ok(socket.bind(addr_in(local_address)).await?)
            }

            async fn connect(
                &mut self,
                socket: Resource<UdpSocket>,
                remote_address: IpSocketAddress,
            ) -> SocketResult<()> {
                let socket = self.table.get_mut(&socket)?;
                Ok(socket.connect(addr_in(remote_address)).await?)
            }

            fn disconnect(&mut self, socket: Resource<UdpSocket>) -> SocketResult<()> {
                Ok(self.table.get_mut(&socket)?.disconnect()?)
            }

            fn get_local_address(&mut self, socket: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
                Ok(addr_out(self.table.get_mut(&socket)?.local_address()?))
            }

            fn get_remote_address(&mut self, socket: Resource<UdpSocket>) -> SocketResult<IpSocketAddress> {
                Ok(addr_out(self.table.get(&socket)?.remote_address()?))
            }

            fn get_address_family(
                &mut self,
                socket: Resource<UdpSocket>,
            ) -> wasmtime::Result<IpAddressFamily> {
                Ok(family_out(self.table.get(&socket)?.family()))
            }

            fn get_unicast_hop_limit(&mut self, socket: Resource<UdpSocket>) -> SocketResult<u8> {
                Ok(self.table.get(&socket)?.unicast_hop_limit()?)
            }

            fn set_unicast_hop_limit(
                &mut self,
                socket: Resource<UdpSocket>,
                value: u8,
            ) -> SocketResult<()> {
                Ok(self.table.get(&socket)?.set_unicast_hop_limit(value)?)
            }

            fn get_receive_buffer_size(&mut self, socket: Resource<UdpSocket>) -> SocketResult<u64> {
                Ok(self.table.get(&socket)?.receive_buffer_size()?)
            }

            fn set_receive_buffer_size(
                &mut self,
                socket: Resource<UdpSocket>,
                value: u64,
            ) -> SocketResult<()> {
                Ok(self.table.get(&socket)?.set_receive_buffer_size(value)?)
            }

            fn get_send_buffer_size(&mut self, socket: Resource<UdpSocket>) -> SocketResult<u64> {
                Ok(self.table.get(&socket)?.send_buffer_size()?)
            }

            fn set_send_buffer_size(
                &mut self,
                socket: Resource<UdpSocket>,
                value: u64,
            ) -> SocketResult<()> {
                Ok(self.table.get(&socket)?.set_send_buffer_size(value)?)
            }

            fn drop(&mut self, socket: Resource<UdpSocket>) -> wasmtime::Result<()> {
                self.table.delete(socket)?;
                Ok(())
            }
        }

        impl ip_name_lookup::Host for WasiSocketsCtxView<'_> {}

        impl<U: 'static> ip_name_lookup::HostWithStore<U> for WasiSockets {
            async fn resolve_addresses(
                store: &Accessor<U, Self>,
                name: String,
            ) -> wasmtime::Result<Result<Vec<IpAddress>, ip_name_lookup::ErrorCode>> {
                let policy = store.with(|mut s| s.get().ctx.clone());
                Ok(Resolve::resolve(&policy, &name)
                    .await
                    .map(|addrs| addrs.into_iter().map(ip_out).collect())
                    .map_err(ip_name_lookup::ErrorCode::from))
            }
        }
    };
}
pub(crate) use socket_impls;

// The host traits on the core sockets, with 0.3.0's `send`.
socket_impls! {
    tcp_send: {
        fn send(
            mut store: Access<U, Self>,
            socket: Resource<TcpSocket>,
            data: StreamReader<u8>,
        ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
            let sink = store.get().table.get_mut(&socket)?.take_send();
            write_stream(
                store,
                data,
                sink.map_err(ErrorCode::from),
                stream_error_code,
            )
        }
    }
}

/// Adds the `wasi:sockets/*@0.3.0` interfaces to `linker` (wasmtime-wasi's
/// `p3::sockets::add_to_linker`).
pub fn add_to_linker<T: crate::sockets::WasiSocketsView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use super::bindings::sockets;
    crate::add_interfaces!(linker, T, WasiSockets, T::sockets;
        sockets::{types, ip_name_lookup},
    );
    // The release candidate's interfaces of this package that keep their names.
    super::rc_2026_01_06::add_sockets_to_linker(linker)
}
