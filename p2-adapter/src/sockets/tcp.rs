//! `wasi:sockets/{tcp,tcp-create-socket}@0.2.x`: the core TCP socket with p2's start/finish
//! bookkeeping, its pollable, and p2 streams over the connection's source and sink.

use super::{Network, SocketResult, addr_in, addr_out, family, family_out};
use crate::bindings::sockets::network::{ErrorCode, IpAddressFamily, IpSocketAddress};
use crate::bindings::sockets::{tcp, tcp_create_socket};
use crate::streams::{SinkStream, SourceStream, noop_cx};
use p3_core::sockets::WasiSocketsCtxView;
use p3_core::sockets::tcp::{TcpAcceptor, TcpSocket as CoreTcp};
use std::task::Poll;
use wasmtime::component::Resource;
use wasmtime_wasi_io::poll::{DynPollable, Pollable, subscribe};
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

/// Which start/finish pair is open on a socket.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
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

impl TcpSocket {
    /// The core socket's address family.
    pub(crate) fn family(&self) -> p3_core::sockets::Family {
        self.inner.family()
    }
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

impl tcp_create_socket::Host for WasiSocketsCtxView<'_> {
    fn create_tcp_socket(
        &mut self,
        address_family: IpAddressFamily,
    ) -> SocketResult<Resource<TcpSocket>> {
        let inner = CoreTcp::new(self.ctx, family(address_family))?;
        Ok(self.table.push(TcpSocket {
            inner,
            op: None,
            acceptor: None,
        })?)
    }
}

impl tcp::Host for WasiSocketsCtxView<'_> {}

impl tcp::HostTcpSocket for WasiSocketsCtxView<'_> {
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
    let output: DynOutputStream = Box::new(SinkStream::for_socket(socket.take_send()?));
    Ok((input, output))
}

fn finish(socket: &mut TcpSocket, op: Op) -> SocketResult<()> {
    if socket.op != Some(op) {
        return Err(ErrorCode::NotInProgress.into());
    }
    socket.op = None;
    Ok(())
}
