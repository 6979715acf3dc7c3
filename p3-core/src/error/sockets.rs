//! `wasi:sockets`'s error codes (sockets and name lookup) and how OS errors map onto them.

use rustix::io::Errno;
use std::io;

/// A `wasi:sockets` error, shared by both ABIs (each maps it onto its own `error-code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorCode {
    /// The policy or the OS refused the operation.
    #[error("access denied")]
    AccessDenied,
    /// The operation or option is not supported.
    #[error("not supported")]
    NotSupported,
    /// An argument is invalid.
    #[error("invalid argument")]
    InvalidArgument,
    /// Not enough memory or buffer space.
    #[error("out of memory")]
    OutOfMemory,
    /// The operation timed out.
    #[error("timeout")]
    Timeout,
    /// The socket is not in a state that allows the operation.
    #[error("invalid state")]
    InvalidState,
    /// The local address cannot be bound.
    #[error("address not bindable")]
    AddressNotBindable,
    /// The address is in use.
    #[error("address in use")]
    AddressInUse,
    /// The remote host or network cannot be reached.
    #[error("remote unreachable")]
    RemoteUnreachable,
    /// The remote refused the connection.
    #[error("connection refused")]
    ConnectionRefused,
    /// The connection is broken (the peer is gone while sending).
    #[error("connection broken")]
    ConnectionBroken,
    /// The connection was reset.
    #[error("connection reset")]
    ConnectionReset,
    /// The connection was aborted.
    #[error("connection aborted")]
    ConnectionAborted,
    /// The datagram is too large.
    #[error("datagram too large")]
    DatagramTooLarge,
    /// Any other network error.
    #[error("other network error")]
    Other,
}

impl From<io::Error> for ErrorCode {
    fn from(e: io::Error) -> Self {
        (&e).into()
    }
}

impl From<&io::Error> for ErrorCode {
    fn from(e: &io::Error) -> Self {
        if let Some(errno) = Errno::from_io_error(e) {
            return errno.into();
        }
        use io::ErrorKind as K;
        match e.kind() {
            K::AddrInUse => Self::AddressInUse,
            K::AddrNotAvailable => Self::AddressNotBindable,
            K::ConnectionAborted => Self::ConnectionAborted,
            K::ConnectionRefused => Self::ConnectionRefused,
            K::ConnectionReset => Self::ConnectionReset,
            K::InvalidInput => Self::InvalidArgument,
            K::NotConnected => Self::InvalidState,
            K::OutOfMemory => Self::OutOfMemory,
            K::PermissionDenied => Self::AccessDenied,
            K::TimedOut => Self::Timeout,
            K::Unsupported => Self::NotSupported,
            K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown => Self::RemoteUnreachable,
            K::BrokenPipe => Self::ConnectionBroken,
            _ => Self::Other,
        }
    }
}

impl From<Errno> for ErrorCode {
    fn from(e: Errno) -> Self {
        match e {
            Errno::PERM | Errno::ACCESS => Self::AccessDenied,
            Errno::ADDRINUSE => Self::AddressInUse,
            Errno::ADDRNOTAVAIL => Self::AddressNotBindable,
            Errno::TIMEDOUT => Self::Timeout,
            Errno::PIPE => Self::ConnectionBroken,
            Errno::CONNREFUSED => Self::ConnectionRefused,
            Errno::CONNRESET => Self::ConnectionReset,
            Errno::CONNABORTED => Self::ConnectionAborted,
            Errno::INVAL => Self::InvalidArgument,
            Errno::HOSTUNREACH | Errno::HOSTDOWN | Errno::NETDOWN | Errno::NETUNREACH => {
                Self::RemoteUnreachable
            }
            #[cfg(target_os = "linux")]
            Errno::NONET => Self::RemoteUnreachable,
            Errno::ISCONN | Errno::NOTCONN | Errno::DESTADDRREQ => Self::InvalidState,
            Errno::MSGSIZE => Self::DatagramTooLarge,
            Errno::NOMEM | Errno::NOBUFS => Self::OutOfMemory,
            Errno::OPNOTSUPP
            | Errno::NOPROTOOPT
            | Errno::PFNOSUPPORT
            | Errno::PROTONOSUPPORT
            | Errno::PROTOTYPE
            | Errno::SOCKTNOSUPPORT
            | Errno::AFNOSUPPORT => Self::NotSupported,
            _ => Self::Other,
        }
    }
}

/// A name-lookup error, shared by both ABIs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// The policy or the OS refused the operation.
    #[error("access denied")]
    AccessDenied,
    /// An argument is invalid.
    #[error("invalid argument")]
    InvalidArgument,
    /// The name does not resolve.
    #[error("name unresolvable")]
    NameUnresolvable,
    /// The resolver failed; trying again may work.
    #[error("temporary resolver failure")]
    TemporaryResolverFailure,
    /// The resolver failed for good (also: name lookup is not allowed).
    #[error("permanent resolver failure")]
    PermanentResolverFailure,
}
