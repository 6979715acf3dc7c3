//! Accepting connections on a listening socket, under the network policy.

use super::conn::Conn;
use super::{DEFAULT_BACKLOG, State, TcpSocket};
use crate::sockets::{
    CheckFuture, Decision, ErrorCode, Family, SocketAddrUse, WasiSocketsCtx, in_runtime,
};
use rustix::io::Errno;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use tokio::net::{TcpListener, TcpStream};

/// Accepts connections on a listening socket. Connections the socket-address check refuses are
/// reset and never reach the guest.
pub struct TcpAcceptor {
    listener: Arc<TcpListener>,
    family: Family,
    policy: WasiSocketsCtx,
    /// A connection waiting for the host's (asynchronous) address check.
    checking: Option<(TcpStream, CheckFuture)>,
    /// The next result, once known.
    ready: Option<Result<TcpStream, ErrorCode>>,
}

impl TcpAcceptor {
    /// Accepts on `listener` for sockets of `family`, under `policy`.
    pub(super) fn new(listener: Arc<TcpListener>, family: Family, policy: WasiSocketsCtx) -> Self {
        TcpAcceptor {
            listener,
            family,
            policy,
            checking: None,
            ready: None,
        }
    }

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
