//! `wasi:sockets` policy: which protocols a guest may use and which addresses it may reach.
//!
//! The socket objects themselves arrive with the sockets work; the policy is configured on
//! [`WasiCtxBuilder`](crate::WasiCtxBuilder) now so hosts can set it up in one place.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
pub use wasmtime_wasi::sockets::SocketAddrUse;

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
        match &self.check {
            AddrCheck::DenyAll => Some(false),
            AddrCheck::AllowAll => Some(true),
            AddrCheck::Custom(_) => None,
        }
    }

    /// Runs the socket-address check.
    pub async fn check_addr(&self, addr: SocketAddr, addr_use: SocketAddrUse) -> bool {
        match &self.check {
            AddrCheck::DenyAll => false,
            AddrCheck::AllowAll => true,
            AddrCheck::Custom(f) => f(addr, addr_use).await,
        }
    }
}
