//! `wasi:sockets@0.2.x` on the core sockets: start/finish bookkeeping, `would-block`,
//! pollables, p2 streams over the core's TCP source and sink, and datagram batching.
//!
//! One file per interface family (`tcp`, `udp`, `ip_name_lookup`) and the synchronous
//! linker's forwarding in `sync`; this module holds what they share: the error type, the
//! conversions and the `network` capability.

mod ip_name_lookup;
pub(crate) mod sync;
mod tcp;
mod udp;

pub use ip_name_lookup::ResolveAddressStream;
pub use tcp::TcpSocket;
pub use udp::{IncomingDatagramStream, OutgoingDatagramStream, UdpSocket};

use crate::bindings::sockets::instance_network;
use crate::bindings::sockets::network::{
    self, ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress,
    Ipv6SocketAddress,
};
use p3_core::TrappableError;
use p3_core::error::CoreError;
use p3_core::sockets as core;
use p3_core::sockets::WasiSocketsCtxView;
use rustix::io::Errno;
use wasmtime::component::Resource;

/// The error of a `wasi:sockets` call: a p2 `error-code` for the guest, or a trap.
pub type SocketError = TrappableError<ErrorCode>;

/// The result of a `wasi:sockets` call.
pub type SocketResult<T> = Result<T, SocketError>;

impl From<ErrorCode> for SocketError {
    fn from(code: ErrorCode) -> Self {
        SocketError::code(code)
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

// Defines `From<core ErrorCode>`, `From<LookupError>`, `family`, `family_out`, `addr_in`,
// `addr_out`, `ip_out` (p3_core::veneer::sockets).
p3_core::socket_conversions!(
    // p2 has neither `connection-broken` nor `other`.
    connection_broken = ErrorCode::Unknown,
    other = ErrorCode::Unknown,
    lookup = ErrorCode
);

/// p2's `network`: a capability token the adapter mints and every socket call checks.
pub struct Network(());

impl network::Host for WasiSocketsCtxView<'_> {
    fn convert_error_code(&mut self, err: SocketError) -> wasmtime::Result<ErrorCode> {
        err.downcast()
    }

    fn network_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        let err = self.table.get(&err)?;
        // The adapter's streams put the core's error in the resource; other wasi:io users put
        // an `std::io::Error` there, as wasmtime-wasi does.
        Ok(match err.downcast_ref::<CoreError>() {
            Some(CoreError::Network(code)) => Some((*code).into()),
            Some(e) => e.os_error().map(io_error_code),
            None => err.downcast_ref::<std::io::Error>().map(io_error_code),
        })
    }
}

impl network::HostNetwork for WasiSocketsCtxView<'_> {
    fn drop(&mut self, rep: Resource<Network>) -> wasmtime::Result<()> {
        self.table.delete(rep)?;
        Ok(())
    }
}

impl instance_network::Host for WasiSocketsCtxView<'_> {
    fn instance_network(&mut self) -> wasmtime::Result<Resource<Network>> {
        Ok(self.table.push(Network(()))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bindings::sockets::network::Host as _;
    use crate::streams::SourceStream;
    use p3_core::io::ByteSource as _;
    use p3_core::sockets::tcp::TcpSocket as CoreTcp;
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
        let mut view = WasiSocketsCtxView {
            ctx: ctx.sockets(),
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
