//! The one context: [`WasiCtx`], its builder, and the view hosts implement.

mod builder;
mod p1;

pub use builder::WasiCtxBuilder;
pub use p1::{P1Seed, P1Slot, WasiP1Ctx};

use crate::cli::{WasiCliCtx, WasiCliCtxView, WasiCliView};
use crate::clocks::{WasiClocksCtx, WasiClocksCtxView, WasiClocksView};
use crate::filesystem::{WasiFilesystemCtx, WasiFilesystemCtxView, WasiFilesystemView};
use crate::random::{WasiRandomCtx, WasiRandomView};
use crate::sockets::{WasiSocketsCtx, WasiSocketsCtxView, WasiSocketsView};
use wasmtime::component::ResourceTable;

/// Per-store WASI state serving every ABI (p1 through the adapter, p2, p3, mixed).
///
/// It is made of one context per WASI package, with wasmtime-wasi's names ([`WasiCliCtx`],
/// [`WasiClocksCtx`], [`WasiRandomCtx`], [`WasiFilesystemCtx`], [`WasiSocketsCtx`]); each
/// package's host functions see only their own. A host that grants only some packages can hold
/// only those contexts and implement their view traits ([`WasiClocksView`], ...) instead of
/// [`WasiView`]; every [`WasiView`] has all five views.
pub struct WasiCtx {
    pub(crate) cli: WasiCliCtx,
    pub(crate) clocks: WasiClocksCtx,
    pub(crate) random: WasiRandomCtx,
    pub(crate) sockets: WasiSocketsCtx,
    pub(crate) filesystem: WasiFilesystemCtx,
}

impl Default for WasiCtx {
    fn default() -> Self {
        WasiCtxBuilder::new().build()
    }
}

impl WasiCtx {
    /// Same as [`WasiCtxBuilder::new`].
    pub fn builder() -> WasiCtxBuilder {
        WasiCtxBuilder::new()
    }

    /// Command-line state: args, env, cwd, stdio.
    pub fn cli(&mut self) -> &mut WasiCliCtx {
        &mut self.cli
    }

    /// The clock pair.
    pub fn clocks(&mut self) -> &mut WasiClocksCtx {
        &mut self.clocks
    }

    /// The random generators.
    pub fn random(&mut self) -> &mut WasiRandomCtx {
        &mut self.random
    }

    /// The network policy.
    pub fn sockets(&mut self) -> &mut WasiSocketsCtx {
        &mut self.sockets
    }

    /// The preopened directories.
    pub fn filesystem(&mut self) -> &mut WasiFilesystemCtx {
        &mut self.filesystem
    }

    /// Flushes the guest's stdout and stderr; hosts call this after a guest returns.
    pub async fn flush_stdio(&mut self) {
        self.cli.flush_stdio().await
    }
}

/// Access to the [`WasiCtx`] and [`ResourceTable`] inside a host's store data, as in
/// wasmtime-wasi.
pub trait WasiView: Send {
    /// Returns the context and the resource table.
    fn ctx(&mut self) -> WasiCtxView<'_>;
}

/// The context and table a host function works with.
pub struct WasiCtxView<'a> {
    /// The WASI context.
    pub ctx: &'a mut WasiCtx,
    /// The guest's resources.
    pub table: &'a mut ResourceTable,
}

impl WasiView for WasiCtxView<'_> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: self.ctx,
            table: self.table,
        }
    }
}

impl<T: WasiView> WasiCliView for T {
    fn cli(&mut self) -> WasiCliCtxView<'_> {
        let WasiCtxView { ctx, table } = self.ctx();
        WasiCliCtxView {
            ctx: &mut ctx.cli,
            table,
        }
    }
}

impl<T: WasiView> WasiClocksView for T {
    fn clocks(&mut self) -> WasiClocksCtxView<'_> {
        let WasiCtxView { ctx, table } = self.ctx();
        WasiClocksCtxView {
            ctx: &mut ctx.clocks,
            table,
        }
    }
}

impl<T: WasiView> WasiRandomView for T {
    fn random(&mut self) -> &mut WasiRandomCtx {
        &mut self.ctx().ctx.random
    }
}

impl<T: WasiView> WasiFilesystemView for T {
    fn filesystem(&mut self) -> WasiFilesystemCtxView<'_> {
        let WasiCtxView { ctx, table } = self.ctx();
        WasiFilesystemCtxView {
            ctx: &mut ctx.filesystem,
            table,
        }
    }
}

impl<T: WasiView> WasiSocketsView for T {
    fn sockets(&mut self) -> WasiSocketsCtxView<'_> {
        let WasiCtxView { ctx, table } = self.ctx();
        WasiSocketsCtxView {
            ctx: &mut ctx.sockets,
            table,
        }
    }
}
