//! [`WasiP1Ctx`]: the store data of a WASIp1 core module.
//!
//! It lives here, beside [`WasiCtxBuilder`](super::WasiCtxBuilder), so that `build_p1()` names
//! it as wasmtime-wasi's does (`let p = builder.build_p1();` needs no annotation). What p1 keeps
//! of its own — the fd table, cursors, hostcall fuel — is the p1 adapter's business: the core
//! holds it in a [`P1Slot`] without knowing its type, and the adapter makes it at its first call
//! from what the slot was seeded with.

use super::{WasiCtx, WasiCtxView, WasiView};
use crate::filesystem::Preopen;
use crate::sockets::WasiSocketsCtx;
use std::any::Any;
use std::net::TcpListener;
use wasmtime::component::ResourceTable;

/// The WASIp1 state of one store: the one [`WasiCtx`] (shared with any p2 or p3 code of the
/// same host), a resource table, and the p1 adapter's own state (its fd table: stdio at 0–2,
/// preopened listeners, then preopened directories).
///
/// Built with [`WasiCtxBuilder::build_p1`](super::WasiCtxBuilder::build_p1) or
/// [`WasiP1Ctx::new`]; as wasmtime-wasi's `p1::WasiP1Ctx` it is a [`WasiView`], so the same
/// store data can serve the p2 and p3 linkers too.
pub struct WasiP1Ctx {
    /// The context (the p1 adapter's calls reach the core through it).
    #[doc(hidden)]
    pub wasi: WasiCtx,
    /// The resource table of any p2/p3 code sharing this store data.
    #[doc(hidden)]
    pub table: ResourceTable,
    /// The p1 adapter's state.
    #[doc(hidden)]
    pub p1: P1Slot,
    /// The fuel wasmtime gives a p1 host call for copying guest memory.
    #[doc(hidden)]
    pub hostcall_fuel: usize,
}

impl WasiP1Ctx {
    /// The p1 view of `wasi`: stdio at fds 0–2, then its preopened directories.
    pub fn new(wasi: WasiCtx) -> Self {
        Self::with_listeners(wasi, Vec::new())
    }

    /// Like [`WasiP1Ctx::new`], with TCP listeners preopened at fds 3, 4, … before the
    /// directories (`wasmtime run -S tcplisten=ADDR` in wasmtime's original WASIp1), served by
    /// `sock_accept`; the accepted connections by `sock_recv`, `sock_send`, `sock_shutdown`.
    pub fn with_listeners(wasi: WasiCtx, listeners: Vec<TcpListener>) -> Self {
        let seed = P1Seed {
            listeners,
            sockets: wasi.sockets.clone(),
            preopens: wasi.filesystem.preopens.clone(),
        };
        WasiP1Ctx {
            wasi,
            table: ResourceTable::new(),
            p1: P1Slot {
                state: None,
                seed: Some(seed),
            },
            hostcall_fuel: 0,
        }
    }
}

impl From<WasiCtx> for WasiP1Ctx {
    fn from(wasi: WasiCtx) -> Self {
        WasiP1Ctx::new(wasi)
    }
}

impl WasiView for WasiP1Ctx {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// The p1 adapter's state inside a [`WasiP1Ctx`], of a type only the adapter names.
#[doc(hidden)]
pub struct P1Slot {
    state: Option<Box<dyn Any + Send>>,
    seed: Option<P1Seed>,
}

/// What the p1 adapter's state is made from: the context's preopens and network policy as
/// they were when the [`WasiP1Ctx`] was made, and the preopened listeners.
#[doc(hidden)]
pub struct P1Seed {
    /// The preopened listening sockets, in fd order.
    pub listeners: Vec<TcpListener>,
    /// The network policy the listeners' connections are under.
    pub sockets: WasiSocketsCtx,
    /// The preopened directories, in fd order.
    pub preopens: Vec<Preopen>,
}

impl P1Slot {
    /// The adapter's state, made by `init` from the seed at the first call.
    ///
    /// # Panics
    ///
    /// If it was made as another type: the one adapter calls this with one type.
    pub fn get_or_init<S: Any + Send>(&mut self, init: impl FnOnce(P1Seed) -> S) -> &mut S {
        let state = self.state.get_or_insert_with(|| {
            let seed = self.seed.take().unwrap_or_else(|| P1Seed {
                listeners: Vec::new(),
                sockets: WasiSocketsCtx::default(),
                preopens: Vec::new(),
            });
            Box::new(init(seed))
        });
        state
            .downcast_mut()
            .expect("the p1 adapter keeps one type of state")
    }
}
