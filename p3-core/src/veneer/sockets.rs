//! The socket conversions both bindings expand.

/// Conversions between the core's socket types and a `wasi:sockets` binding's (p2's `network`
/// and p3's `types` generate distinct types of the same shape).
///
/// The calling module must have the binding's `ErrorCode`, `IpAddressFamily`,
/// `IpSocketAddress`, `Ipv4SocketAddress`, `Ipv6SocketAddress` and `IpAddress` in scope.
/// `connection_broken` and `other` are the binding's codes for the core's
/// `connection-broken` and `other` (p2 has neither); `lookup` is the binding's type for
/// name-lookup errors.
///
/// Expands to `impl From<core ErrorCode> for ErrorCode`, `impl From<LookupError> for lookup`,
/// and private functions `family`, `family_out`, `addr_in`, `addr_out` and `ip_out`.
#[doc(hidden)]
#[macro_export]
macro_rules! socket_conversions {
    (connection_broken = $broken:expr, other = $other:expr, lookup = $lookup:ty) => {
        impl From<$crate::sockets::ErrorCode> for ErrorCode {
            fn from(code: $crate::sockets::ErrorCode) -> Self {
                use $crate::sockets::ErrorCode as C;
                match code {
                    C::ConnectionBroken => $broken,
                    C::Other => $other,
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
                }
            }
        }

        impl From<$crate::sockets::LookupError> for $lookup {
            fn from(e: $crate::sockets::LookupError) -> Self {
                use $crate::sockets::LookupError as L;
                match e {
                    L::AccessDenied => Self::AccessDenied,
                    L::InvalidArgument => Self::InvalidArgument,
                    L::NameUnresolvable => Self::NameUnresolvable,
                    L::TemporaryResolverFailure => Self::TemporaryResolverFailure,
                    L::PermanentResolverFailure => Self::PermanentResolverFailure,
                }
            }
        }

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
