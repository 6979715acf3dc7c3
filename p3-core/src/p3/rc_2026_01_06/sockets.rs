//! `wasi:sockets/{types,ip-name-lookup}@0.3.0-rc-2026-01-06` on the core sockets: 0.3.0's host
//! traits (`socket_impls!`) over the candidate's types, and TCP `send` as an `async func`.

use super::bindings::sockets::ip_name_lookup;
use super::bindings::sockets::types::{
    self, Duration, ErrorCode, IpAddress, IpAddressFamily, IpSocketAddress, Ipv4SocketAddress,
    Ipv6SocketAddress, TcpSocket, UdpSocket,
};
use crate::error::CoreError;
use crate::p3::sockets::{ListenProducer, socket_impls};
use crate::p3::streams::{finish, pipe_or_close, read_stream};
use crate::sockets::lookup::Resolve;
use crate::sockets::{WasiSockets, WasiSocketsCtxView};
use crate::veneer::TrappableError;
use std::task::Poll;
use wasmtime::component::{Access, Accessor, FutureReader, Resource, StreamReader};

/// The error of a candidate `wasi:sockets/types` call: an error code for the guest, or a trap.
pub type SocketError = TrappableError<ErrorCode>;
type SocketResult<T> = Result<T, SocketError>;

// Defines `From<core ErrorCode>`, `From<LookupError>`, `family`, `addr_in`, … (p3_core::veneer::
// sockets). The candidate has no `connection-broken` (a write to a connection the peer closed):
// it is `unknown`, as the candidate has it for everything it cannot name.
crate::socket_conversions!(
    connection_broken = ErrorCode::Unknown,
    other = ErrorCode::Unknown,
    lookup = ip_name_lookup::ErrorCode
);

fn stream_error_code(err: CoreError) -> ErrorCode {
    err.network_code().into()
}

// The host traits on the core sockets, with the candidate's `send`.
socket_impls! {
    tcp_send: {
        async fn send(
            store: &Accessor<U, Self>,
            socket: Resource<TcpSocket>,
            data: StreamReader<u8>,
        ) -> SocketResult<()> {
            let written = store.with(|mut view| -> SocketResult<_> {
                let sink = view.get().table.get_mut(&socket)?.take_send();
                Ok(pipe_or_close(view, data, sink)?)
            })?;
            let written = finish(written?).await;
            written.map_err(|e| SocketError::code(stream_error_code(e)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sockets::ErrorCode as Core;

    /// The codes the candidate cannot name are its `unknown`; the rest keep their names.
    #[test]
    fn the_candidate_says_unknown_for_what_it_cannot_name() {
        assert_eq!(ErrorCode::from(Core::ConnectionBroken), ErrorCode::Unknown);
        assert_eq!(ErrorCode::from(Core::Other), ErrorCode::Unknown);
        assert_eq!(
            ErrorCode::from(Core::ConnectionReset),
            ErrorCode::ConnectionReset
        );
        assert_eq!(ErrorCode::from(Core::Timeout), ErrorCode::Timeout);
    }
}
