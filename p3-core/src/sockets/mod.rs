//! `wasi:sockets` in the core: TCP ([`tcp`]), UDP ([`udp`]) and name lookup ([`lookup`]) on
//! tokio, governed by one policy ([`WasiSocketsCtx`]: which protocols a guest may use and which
//! addresses it may reach).
//!
//! Every object is store-independent and poll-based: in-flight work (a connect, an accept, a
//! permission check, a lookup) lives inside the object, so the WASIp2 adapter can poll it with a
//! no-op waker (`would-block`) and the WASIp3 bindings from a real task.

pub mod lookup;
pub mod tcp;
pub mod udp;

pub use crate::error::sockets::{ErrorCode, LookupError};

use rustix::fd::AsFd;
use rustix::io::Errno;
use rustix::net::sockopt;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use wasmtime::component::{HasData, ResourceTable};
pub use wasmtime_wasi::sockets::SocketAddrUse;

/// The [`HasData`] marker of the `wasi:sockets` interfaces, as wasmtime-wasi's.
pub struct WasiSockets;

impl HasData for WasiSockets {
    type Data<'a> = WasiSocketsCtxView<'a>;
}

/// Access to the network policy and the resource table inside a host's store data: what a
/// host that grants only `wasi:sockets` implements (a [`WasiView`](crate::WasiView) has it
/// already).
pub trait WasiSocketsView: Send {
    /// Returns the network policy and the resource table.
    fn sockets(&mut self) -> WasiSocketsCtxView<'_>;
}

/// The network policy and the table the `wasi:sockets` host functions work with.
pub struct WasiSocketsCtxView<'a> {
    /// The network policy.
    pub ctx: &'a mut WasiSocketsCtx,
    /// The guest's resources (sockets, streams).
    pub table: &'a mut ResourceTable,
}

/// The boxed future a socket-address check returns.
pub(crate) type CheckFuture = Pin<Box<dyn Future<Output = bool> + Send + Sync>>;

type CheckFn = dyn Fn(SocketAddr, SocketAddrUse) -> CheckFuture + Send + Sync;

/// The network policy shared by every ABI.
#[derive(Clone, Default)]
pub struct WasiSocketsCtx {
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

/// An answer of the network policy's address check: known now, or still to be awaited.
pub enum Decision {
    /// Decided: allowed (`true`) or refused.
    Now(bool),
    /// A host's check that is still running.
    Later(CheckFuture),
}

impl Decision {
    /// Waits for the answer: `access-denied` when the address is refused. Completes without
    /// yielding when it is already known.
    pub async fn allowed(self) -> Result<(), ErrorCode> {
        let ok = match self {
            Decision::Now(ok) => ok,
            Decision::Later(check) => check.await,
        };
        if ok {
            Ok(())
        } else {
            Err(ErrorCode::AccessDenied)
        }
    }
}

impl WasiSocketsCtx {
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

    /// Asks whether `addr` may be used for `addr_use`. The built-in policies (deny-all,
    /// `inherit_network`) answer now, so an allowed call never waits; a host's check is called
    /// here, once, and its answer is [`Decision::Later`].
    pub fn decide(&self, addr: SocketAddr, addr_use: SocketAddrUse) -> Decision {
        match &self.check {
            AddrCheck::DenyAll => Decision::Now(false),
            AddrCheck::AllowAll => Decision::Now(true),
            AddrCheck::Custom(f) => Decision::Later(f(addr, addr_use)),
        }
    }

    /// [`WasiSocketsCtx::decide`] and wait for the answer: `access-denied` when refused.
    pub async fn allow(&self, addr: SocketAddr, addr_use: SocketAddrUse) -> Result<(), ErrorCode> {
        self.decide(addr, addr_use).allowed().await
    }

    /// The decision for a use of `addr` that binds an unbound socket first (a connect, a
    /// datagram send): the implicit bind of `family`'s unspecified address is asked first and
    /// the use only once the bind is allowed, each at most once.
    pub(crate) fn decide_after_implicit_bind(
        &self,
        bound: bool,
        family: Family,
        bind_use: SocketAddrUse,
        addr: SocketAddr,
        addr_use: SocketAddrUse,
    ) -> Decision {
        if bound {
            return self.decide(addr, addr_use);
        }
        match self.decide(family.unspecified(), bind_use) {
            Decision::Now(false) => Decision::Now(false),
            Decision::Now(true) => self.decide(addr, addr_use),
            Decision::Later(bind) => {
                let policy = self.clone();
                Decision::Later(Box::pin(async move {
                    bind.await && policy.allow(addr, addr_use).await.is_ok()
                }))
            }
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
    /// `IPV6_V6ONLY` of a socket of this family, as WASI's 2023 release candidates ask it
    /// (`ipv6-only`, dropped in 0.2.0): always true for IPv6, the core opens no dual-stack
    /// socket; an IPv4 socket has no such option (`not-supported`).
    pub fn ipv6_only(self) -> Result<bool, ErrorCode> {
        match self {
            Family::Ipv4 => Err(ErrorCode::NotSupported),
            Family::Ipv6 => Ok(true),
        }
    }

    /// Sets [`ipv6_only`](Self::ipv6_only): `true` is what an IPv6 socket already is; `false`
    /// would ask for a dual-stack socket, which the core does not support (`not-supported`,
    /// which the candidates allow a host to answer).
    pub fn set_ipv6_only(self, value: bool) -> Result<(), ErrorCode> {
        if self.ipv6_only()? == value {
            Ok(())
        } else {
            Err(ErrorCode::NotSupported)
        }
    }

    /// The unspecified address of this family with port 0 (what an implicit bind uses).
    pub fn unspecified(self) -> SocketAddr {
        match self {
            Family::Ipv4 => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
            Family::Ipv6 => SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0),
        }
    }
}

pub(crate) use crate::io::{in_runtime, spawn_detached};

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

    /// The 2023 candidates' `ipv6-only` (the real sockets behind it:
    /// `tcp::tests::an_ipv6_socket_is_ipv6_only`).
    #[test]
    fn ipv6_only_answers_for_the_family() {
        assert_eq!(Family::Ipv6.ipv6_only(), Ok(true));
        assert_eq!(Family::Ipv6.set_ipv6_only(true), Ok(()));
        assert_eq!(
            Family::Ipv6.set_ipv6_only(false),
            Err(ErrorCode::NotSupported)
        );
        assert_eq!(Family::Ipv4.ipv6_only(), Err(ErrorCode::NotSupported));
        assert_eq!(
            Family::Ipv4.set_ipv6_only(true),
            Err(ErrorCode::NotSupported)
        );
    }
}
