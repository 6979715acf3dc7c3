//! `wasi:sockets` in the core: TCP ([`tcp`]), UDP ([`udp`]) and name lookup ([`lookup`]) on
//! tokio, governed by one policy ([`SocketsCtx`]: which protocols a guest may use and which
//! addresses it may reach).
//!
//! Every object is store-independent and poll-based: in-flight work (a connect, an accept, a
//! permission check, a lookup) lives inside the object, so the WASIp2 adapter can poll it with a
//! no-op waker (`would-block`) and the WASIp3 bindings from a real task.

pub mod lookup;
pub mod tcp;
pub mod udp;

use rustix::fd::AsFd;
use rustix::io::Errno;
use rustix::net::sockopt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
pub use wasmtime_wasi::sockets::SocketAddrUse;

/// Conversions between `std::net` addresses and the `ip-socket-address` / `ip-address` /
/// `ip-address-family` types of a `wasi:sockets` binding (p2's `network` and p3's `types`
/// generate distinct types of the same shape). Expands to private `family`, `family_out`,
/// `addr_in`, `addr_out` and `ip_out` functions in the calling module, which must have the
/// binding's `IpAddressFamily`, `IpSocketAddress`, `Ipv4SocketAddress`, `Ipv6SocketAddress`
/// and `IpAddress` in scope.
#[macro_export]
#[doc(hidden)]
macro_rules! socket_address_conversions {
    () => {
        fn family(f: IpAddressFamily) -> $crate::sockets::Family {
            match f {
                IpAddressFamily::Ipv4 => $crate::sockets::Family::Ipv4,
                IpAddressFamily::Ipv6 => $crate::sockets::Family::Ipv6,
            }
        }

        fn family_out(f: $crate::sockets::Family) -> IpAddressFamily {
            match f {
                $crate::sockets::Family::Ipv4 => IpAddressFamily::Ipv4,
                $crate::sockets::Family::Ipv6 => IpAddressFamily::Ipv6,
            }
        }

        fn addr_in(a: IpSocketAddress) -> std::net::SocketAddr {
            use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
            match a {
                IpSocketAddress::Ipv4(v4) => {
                    let (a, b, c, d) = v4.address;
                    SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(a, b, c, d), v4.port))
                }
                IpSocketAddress::Ipv6(v6) => {
                    let (a, b, c, d, e, f, g, h) = v6.address;
                    SocketAddr::V6(SocketAddrV6::new(
                        Ipv6Addr::new(a, b, c, d, e, f, g, h),
                        v6.port,
                        v6.flow_info,
                        v6.scope_id,
                    ))
                }
            }
        }

        fn addr_out(a: std::net::SocketAddr) -> IpSocketAddress {
            match a {
                std::net::SocketAddr::V4(v4) => {
                    let [a, b, c, d] = v4.ip().octets();
                    IpSocketAddress::Ipv4(Ipv4SocketAddress {
                        port: v4.port(),
                        address: (a, b, c, d),
                    })
                }
                std::net::SocketAddr::V6(v6) => {
                    let [a, b, c, d, e, f, g, h] = v6.ip().segments();
                    IpSocketAddress::Ipv6(Ipv6SocketAddress {
                        port: v6.port(),
                        flow_info: v6.flowinfo(),
                        address: (a, b, c, d, e, f, g, h),
                        scope_id: v6.scope_id(),
                    })
                }
            }
        }

        fn ip_out(a: std::net::IpAddr) -> IpAddress {
            match a {
                std::net::IpAddr::V4(v4) => {
                    let [a, b, c, d] = v4.octets();
                    IpAddress::Ipv4((a, b, c, d))
                }
                std::net::IpAddr::V6(v6) => {
                    let [a, b, c, d, e, f, g, h] = v6.segments();
                    IpAddress::Ipv6((a, b, c, d, e, f, g, h))
                }
            }
        }
    };
}

/// The boxed future a socket-address check returns.
pub type CheckFuture = Pin<Box<dyn Future<Output = bool> + Send + Sync>>;

type CheckFn = dyn Fn(SocketAddr, SocketAddrUse) -> CheckFuture + Send + Sync;

/// The network policy shared by every ABI.
#[derive(Clone, Default)]
pub struct SocketsCtx {
    pub(crate) allow_tcp: bool,
    pub(crate) allow_udp: bool,
    pub(crate) allow_ip_name_lookup: bool,
    pub(crate) check: AddrCheck,
}

/// How socket addresses are checked.
#[derive(Clone, Default)]
pub(crate) enum AddrCheck {
    /// Every address is denied (the default).
    #[default]
    DenyAll,
    /// Every address is allowed, decided synchronously so the store is never frozen.
    AllowAll,
    /// A host-provided check.
    Custom(Arc<CheckFn>),
}

/// A decision of the socket-address check: known now, or still to be awaited.
pub(crate) enum Permit {
    Now(bool),
    Later(CheckFuture),
}

impl SocketsCtx {
    /// Whether TCP may be used at all.
    pub fn tcp_allowed(&self) -> bool {
        self.allow_tcp
    }

    /// Whether UDP may be used at all.
    pub fn udp_allowed(&self) -> bool {
        self.allow_udp
    }

    /// Whether `ip-name-lookup` may be used.
    pub fn ip_name_lookup_allowed(&self) -> bool {
        self.allow_ip_name_lookup
    }

    /// Decides synchronously when the policy allows it (deny-all or allow-all); `None` means the
    /// host's own check has to be awaited with [`SocketsCtx::check_addr`].
    pub fn check_addr_now(&self, _addr: SocketAddr, _use: SocketAddrUse) -> Option<bool> {
        self.decided()
    }

    /// The answer of a built-in policy, which is the same for every address and use; `None`
    /// for a host's check (which is not called here).
    pub(crate) fn decided(&self) -> Option<bool> {
        match &self.check {
            AddrCheck::DenyAll => Some(false),
            AddrCheck::AllowAll => Some(true),
            AddrCheck::Custom(_) => None,
        }
    }

    /// Runs the socket-address check.
    pub async fn check_addr(&self, addr: SocketAddr, addr_use: SocketAddrUse) -> bool {
        match self.permit(addr, addr_use) {
            Permit::Now(ok) => ok,
            Permit::Later(fut) => fut.await,
        }
    }

    pub(crate) fn permit(&self, addr: SocketAddr, addr_use: SocketAddrUse) -> Permit {
        match &self.check {
            AddrCheck::DenyAll => Permit::Now(false),
            AddrCheck::AllowAll => Permit::Now(true),
            AddrCheck::Custom(f) => Permit::Later(f(addr, addr_use)),
        }
    }

    /// The check as an error: `access-denied` when the address is not permitted. Completes
    /// without yielding for the built-in policies.
    pub(crate) async fn require(
        &self,
        addr: SocketAddr,
        addr_use: SocketAddrUse,
    ) -> Result<(), ErrorCode> {
        if self.check_addr(addr, addr_use).await {
            Ok(())
        } else {
            Err(ErrorCode::AccessDenied)
        }
    }
}

/// A socket's address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// IPv4.
    Ipv4,
    /// IPv6 (always `IPV6_V6ONLY`, as WASI requires).
    Ipv6,
}

impl Family {
    /// The unspecified address of this family with port 0 (what an implicit bind uses).
    pub fn unspecified(self) -> SocketAddr {
        match self {
            Family::Ipv4 => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            Family::Ipv6 => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
        }
    }
}

/// A `wasi:sockets` error, shared by both ABIs (each maps it onto its own `error-code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[allow(missing_docs)]
pub enum ErrorCode {
    #[error("access denied")]
    AccessDenied,
    #[error("not supported")]
    NotSupported,
    #[error("invalid argument")]
    InvalidArgument,
    #[error("out of memory")]
    OutOfMemory,
    #[error("timeout")]
    Timeout,
    #[error("invalid state")]
    InvalidState,
    #[error("address not bindable")]
    AddressNotBindable,
    #[error("address in use")]
    AddressInUse,
    #[error("remote unreachable")]
    RemoteUnreachable,
    #[error("connection refused")]
    ConnectionRefused,
    #[error("connection broken")]
    ConnectionBroken,
    #[error("connection reset")]
    ConnectionReset,
    #[error("connection aborted")]
    ConnectionAborted,
    #[error("datagram too large")]
    DatagramTooLarge,
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

impl ErrorCode {
    /// A representative `std::io::Error` for this code, for errors that travel inside a stream
    /// error (the p2 `error` resource) and are mapped back by `network-error-code`.
    pub fn into_io_error(self) -> io::Error {
        let errno = match self {
            Self::AccessDenied => Errno::ACCESS,
            Self::NotSupported => Errno::OPNOTSUPP,
            Self::InvalidArgument => Errno::INVAL,
            Self::OutOfMemory => Errno::NOMEM,
            Self::Timeout => Errno::TIMEDOUT,
            Self::InvalidState => Errno::NOTCONN,
            Self::AddressNotBindable => Errno::ADDRNOTAVAIL,
            Self::AddressInUse => Errno::ADDRINUSE,
            Self::RemoteUnreachable => Errno::HOSTUNREACH,
            Self::ConnectionRefused => Errno::CONNREFUSED,
            Self::ConnectionBroken => Errno::PIPE,
            Self::ConnectionReset => Errno::CONNRESET,
            Self::ConnectionAborted => Errno::CONNABORTED,
            Self::DatagramTooLarge => Errno::MSGSIZE,
            Self::Other => return io::Error::other("network error"),
        };
        io::Error::from_raw_os_error(errno.raw_os_error())
    }
}

/// Runs `f` where a tokio runtime is current (the embedder's, or wasmtime-wasi's fallback for
/// synchronous hosts), so sockets can register with a reactor.
pub(crate) fn in_runtime<R>(f: impl FnOnce() -> R) -> R {
    wasmtime_wasi::runtime::with_ambient_tokio_runtime(f)
}

/// Spawns a detached background task on the current (or fallback) runtime.
pub(crate) fn spawn_detached(fut: impl Future<Output = ()> + Send + 'static) {
    in_runtime(|| drop(tokio::spawn(fut)));
}

fn is_deprecated_ipv4_compatible(addr: Ipv6Addr) -> bool {
    matches!(addr.segments(), [0, 0, 0, 0, 0, 0, _, _])
        && addr != Ipv6Addr::UNSPECIFIED
        && addr != Ipv6Addr::LOCALHOST
}

/// Whether `addr` may be used on a socket of `family` (IPv4-mapped and deprecated
/// IPv4-compatible IPv6 addresses are refused, as WASI specifies).
pub(crate) fn valid_family(addr: IpAddr, family: Family) -> bool {
    match (family, addr) {
        (Family::Ipv4, IpAddr::V4(_)) => true,
        (Family::Ipv6, IpAddr::V6(v6)) => {
            !is_deprecated_ipv4_compatible(v6) && v6.to_ipv4_mapped().is_none()
        }
        _ => false,
    }
}

/// A remote address must name a host and a port.
pub(crate) fn valid_remote(addr: SocketAddr) -> bool {
    !addr.ip().to_canonical().is_unspecified() && addr.port() != 0
}

pub(crate) fn valid_unicast(addr: IpAddr) -> bool {
    match addr.to_canonical() {
        IpAddr::V4(v4) => !v4.is_multicast() && !v4.is_broadcast(),
        IpAddr::V6(v6) => !v6.is_multicast(),
    }
}

/// Socket options common to TCP and UDP, with WASI's normalisations.
pub(crate) mod opts {
    use super::*;

    pub fn hop_limit(fd: impl AsFd, family: Family) -> Result<u8, ErrorCode> {
        match family {
            Family::Ipv4 => u8::try_from(sockopt::ip_ttl(fd)?).map_err(|_| ErrorCode::NotSupported),
            Family::Ipv6 => Ok(sockopt::ipv6_unicast_hops(fd)?),
        }
    }

    pub fn set_hop_limit(fd: impl AsFd, family: Family, value: u8) -> Result<(), ErrorCode> {
        if value == 0 {
            return Err(ErrorCode::InvalidArgument);
        }
        match family {
            Family::Ipv4 => sockopt::set_ip_ttl(fd, value.into())?,
            Family::Ipv6 => sockopt::set_ipv6_unicast_hops(fd, Some(value))?,
        }
        Ok(())
    }

    /// Linux reports twice the size that was set (it adds its bookkeeping); halve it so a guest
    /// reads back what it asked for.
    fn normalize_get(value: usize) -> u64 {
        let value = if cfg!(target_os = "linux") {
            value / 2
        } else {
            value
        };
        value.try_into().unwrap_or(u64::MAX)
    }

    fn normalize_set(value: u64) -> Result<usize, ErrorCode> {
        if value == 0 {
            return Err(ErrorCode::InvalidArgument);
        }
        Ok(usize::try_from(value)
            .unwrap_or(usize::MAX)
            .clamp(1, i32::MAX as usize))
    }

    pub fn receive_buffer_size(fd: impl AsFd) -> Result<u64, ErrorCode> {
        Ok(normalize_get(sockopt::socket_recv_buffer_size(fd)?))
    }

    /// Sizes are hints: the OS clamps them, and `ENOBUFS` is not an error.
    pub fn set_receive_buffer_size(fd: impl AsFd, value: u64) -> Result<usize, ErrorCode> {
        let value = normalize_set(value)?;
        match sockopt::set_socket_recv_buffer_size(fd, value) {
            Ok(()) | Err(Errno::NOBUFS) => Ok(value),
            Err(e) => Err(e.into()),
        }
    }

    pub fn send_buffer_size(fd: impl AsFd) -> Result<u64, ErrorCode> {
        Ok(normalize_get(sockopt::socket_send_buffer_size(fd)?))
    }

    pub fn set_send_buffer_size(fd: impl AsFd, value: u64) -> Result<usize, ErrorCode> {
        let value = normalize_set(value)?;
        match sockopt::set_socket_send_buffer_size(fd, value) {
            Ok(()) | Err(Errno::NOBUFS) => Ok(value),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_validation() {
        let v4: IpAddr = "127.0.0.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().unwrap();
        let compat: IpAddr = "::1.2.3.4".parse().unwrap();
        assert!(valid_family(v4, Family::Ipv4));
        assert!(!valid_family(v4, Family::Ipv6));
        assert!(!valid_family(mapped, Family::Ipv6));
        assert!(!valid_family(compat, Family::Ipv6));
        assert!(valid_family("::1".parse().unwrap(), Family::Ipv6));
        assert!(!valid_remote("0.0.0.0:80".parse().unwrap()));
        assert!(!valid_remote("127.0.0.1:0".parse().unwrap()));
        assert!(!valid_unicast("224.0.0.1".parse().unwrap()));
        assert!(!valid_unicast("255.255.255.255".parse().unwrap()));
    }

    #[test]
    fn error_codes_round_trip_through_io_errors() {
        for code in [
            ErrorCode::AccessDenied,
            ErrorCode::InvalidArgument,
            ErrorCode::AddressInUse,
            ErrorCode::ConnectionRefused,
            ErrorCode::ConnectionReset,
            ErrorCode::DatagramTooLarge,
            ErrorCode::RemoteUnreachable,
        ] {
            assert_eq!(ErrorCode::from(code.into_io_error()), code);
        }
    }
}
