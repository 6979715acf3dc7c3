//! wasi-bridge: one WASIp3 implementation serving every WASI version on wasmtime.
//!
//! - `wasi:*@0.3.0` is implemented natively by the core ([`p3`]).
//! - `wasi:*@0.2.x` is served by the p2 adapter ([`p2`]), which translates p2's pollables and
//!   streams into calls on the same core objects.
//! - WASIp1 core modules are served by the p1 adapter ([`p1`]), `wasi_snapshot_preview1`
//!   translated onto the same core objects (the CLI can still wrap them with the official
//!   preview1 component adapter for comparison, see [`run`]).
//!
//! One [`WasiCtx`] serves all of them, so mixed components share one stdout, one environment,
//! one clock pair and one exit code.
//!
//! # Migrating from wasmtime-wasi
//!
//! ```
//! // before: use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView, ResourceTable};
//! use wasi_bridge::{ResourceTable, WasiCtx, WasiCtxView, WasiView};
//!
//! struct Host { ctx: WasiCtx, table: ResourceTable }
//! impl WasiView for Host {
//!     fn ctx(&mut self) -> WasiCtxView<'_> {
//!         WasiCtxView { ctx: &mut self.ctx, table: &mut self.table }
//!     }
//! }
//! # fn main() -> wasmtime::Result<()> {
//! let engine = wasmtime::Engine::default();
//! let mut linker = wasmtime::component::Linker::<Host>::new(&engine);
//! // before: wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
//! wasi_bridge::p2::add_to_linker_async(&mut linker)?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod command;
mod contain;
pub mod http;
pub mod run;

pub use p3_core::{
    CoreError, I32Exit, ResourceTable, TrappableError, WasiCtx, WasiCtxBuilder, WasiCtxView,
    WasiView,
};
pub use wasmtime::component::ResourceTableError;
#[doc(no_inline)]
pub use wasmtime_wasi::Rng;
#[doc(no_inline)]
pub use wasmtime_wasi::SystemTimeSpec;
#[doc(no_inline)]
pub use wasmtime_wasi::async_trait;
pub use wasmtime_wasi::random::{Deterministic, thread_rng};
pub use wasmtime_wasi::{FsPerms, HostMonotonicClock, HostWallClock, OpenMode};

/// `wasi:cli`: the per-package context, its view and [`HasData`] marker, and the stdio types
/// [`WasiCtxBuilder`] accepts (wasmtime-wasi's own).
///
/// [`HasData`]: wasmtime::component::HasData
pub mod cli {
    pub use p3_core::cli::{WasiCli, WasiCliCtx, WasiCliCtxView, WasiCliView};
    pub use wasmtime_wasi::cli::{
        AsyncStdinStream, AsyncStdoutStream, InputFile, IsTerminal, OutputFile, Stderr, Stdin,
        StdinStream, Stdout, StdoutStream, stderr, stdin, stdout,
    };
}

/// `wasi:clocks`: the per-package context, its view and marker, and the clock traits and host
/// clocks [`WasiCtxBuilder`] accepts (wasmtime-wasi's own).
pub mod clocks {
    pub use p3_core::clocks::{WasiClocks, WasiClocksCtx, WasiClocksCtxView, WasiClocksView};
    pub use wasmtime_wasi::clocks::{
        DatetimeError, HostMonotonicClock, HostWallClock, MonotonicClock, WallClock,
        monotonic_clock, wall_clock,
    };
}

/// `wasi:random`: the per-package context, its view and marker.
pub mod random {
    pub use p3_core::random::{DEFAULT_MAX_SIZE, WasiRandom, WasiRandomCtx, WasiRandomView};
    pub use wasmtime_wasi::random::{Deterministic, thread_rng};
}

/// `wasi:filesystem`: the per-package context, its view and marker, and the descriptor types.
pub mod filesystem {
    pub use p3_core::filesystem::{
        Descriptor, Dir, File, SharedDir, WasiFilesystem, WasiFilesystemCtx, WasiFilesystemCtxView,
        WasiFilesystemView,
    };
    pub use wasmtime_wasi::{FsPerms, OpenMode};
}

/// `wasi:sockets`: the per-package context (the network policy), its view and marker.
pub mod sockets {
    pub use p3_core::sockets::tcp::TcpSocket;
    pub use p3_core::sockets::udp::UdpSocket;
    pub use p3_core::sockets::{
        ErrorCode, SocketAddrUse, WasiSockets, WasiSocketsCtx, WasiSocketsCtxView, WasiSocketsView,
    };
}

/// Helpers for hosts that mix synchronous and asynchronous code: wasmtime-wasi's own (they
/// hold no WASI state).
pub mod runtime {
    pub use wasmtime_wasi::runtime::{
        AbortOnDropJoinHandle, in_tokio, poll_noop, spawn, spawn_blocking,
        with_ambient_tokio_runtime,
    };
}

/// The doc examples of wasmtime-wasi 48.0.8 and wasmtime-wasi-http 48.0.8 with the paths
/// swapped (`tests/upstream/generate.py`), compiled and run as this crate's doc tests.
#[cfg(doctest)]
#[doc = include_str!("../tests/upstream/examples.md")]
pub struct UpstreamDocExamples;

/// `wasi_snapshot_preview1` for core modules, mirroring `wasmtime_wasi::p1`.
///
/// A wasmtime-wasi p1 host migrates by changing its `use` paths:
///
/// ```
/// // before: use wasmtime_wasi::p1::{self, WasiP1Ctx};
/// //         use wasmtime_wasi::WasiCtxBuilder;
/// use wasi_bridge::p1::{self, WasiP1Ctx};
/// use wasi_bridge::WasiCtxBuilder;
///
/// struct MyState {
///     wasi: WasiP1Ctx,
/// }
///
/// # fn main() -> wasmtime::Result<()> {
/// let engine = wasmtime::Engine::default();
/// let mut linker = wasmtime::Linker::<MyState>::new(&engine);
/// p1::add_to_linker_sync(&mut linker, |s| &mut s.wasi)?;
/// let stdout = wasi_bridge::p2::pipe::MemoryOutputPipe::new(4096);
/// let state = MyState {
///     wasi: WasiCtxBuilder::new()
///         .arg("hello.p1.wasm")
///         .stdout(stdout.clone())
///         .build_p1(),
/// };
/// let mut store = wasmtime::Store::new(&engine, state);
/// let module = wasmtime::Module::from_file(&engine, "tests/guests/wasm/hello.p1.wasm")?;
/// let instance = linker.instantiate(&mut store, &module)?;
/// instance
///     .get_typed_func::<(), ()>(&mut store, "_start")?
///     .call(&mut store, ())?;
/// assert!(String::from_utf8_lossy(&stdout.contents()).starts_with("hello from wasip1\n"));
/// # Ok(()) }
/// ```
pub mod p1 {
    pub use p1_adapter::{
        WasiP1Ctx, add_to_linker_async, add_to_linker_sync, types, wasi_snapshot_preview1,
    };
}

/// `wasi_unstable` (WASI preview 0) for old core modules, mirroring `wasmtime_wasi::p0`: a
/// translation onto [`p1`], with the same [`WasiP1Ctx`](p1::WasiP1Ctx).
pub mod p0 {
    pub use p1_adapter::preview0::{add_to_linker_async, add_to_linker_sync, types, wasi_unstable};
}

/// `wasi:*@0.2.x`, mirroring `wasmtime_wasi::p2` name for name (wasi:http@0.2.x is
/// [`http::p2`], as in wasmtime-wasi-http).
pub mod p2 {
    pub use p2_adapter::{
        DynFuture, DynInputStream, DynOutputStream, DynPollable, FsError, FsResult, InputStream,
        IoError, IsATTY, MakeFuture, Network, OutputStream, Pollable, ReaddirIterator, SocketError,
        SocketResult, StreamError, StreamResult, TcpSocket, UdpSocket, add_to_linker_async,
        add_to_linker_proxy_interfaces_async, add_to_linker_proxy_interfaces_sync,
        add_to_linker_sync, add_to_linker_with_options_async, add_to_linker_with_options_sync,
        bindings, subscribe,
    };

    /// In-memory and async pipes for stdio, wasmtime-wasi's own.
    ///
    /// `AsyncWriteStream` is wasmtime-wasi 48.0.8's: used as a p2 `OutputStream` it queues
    /// one entry per `write`, an empty one too, so a caller that writes nothing in a loop grows
    /// host memory (GHSA-5m8g-xhq4-4h93, fixed in a later wasmtime-wasi). wasi-bridge never
    /// calls it that way — its stdio hands a writer only non-empty slices — but a host that
    /// calls `OutputStream::write` on one itself should skip empty writes.
    pub mod pipe {
        pub use wasmtime_wasi::p2::pipe::*;
    }
}

/// `wasi:*@0.3.0`, mirroring `wasmtime_wasi::p3` name for name (wasi:http@0.3.0 is
/// [`http::p3`], as in wasmtime-wasi-http).
pub mod p3 {
    pub use p3_core::p3::{
        add_to_linker, add_to_linker_with_options, bindings, cli, clocks, filesystem, random,
        rc_2025_09_16, rc_2026_01_06, sockets,
    };
}

/// Links both ABIs — every `wasi:*@0.2.x` and `wasi:*@0.3.0` interface — into one linker, so
/// p2, p3 and mixed components all run against one [`WasiCtx`].
///
/// A mixed component (p3 filesystem and p2 stdio, say) runs through `run@0.3.0` on the
/// component-model event loop:
///
/// ```
/// use wasi_bridge::{ResourceTable, WasiCtx, WasiCtxView, WasiView};
/// use wasmtime::component::{Component, Linker};
///
/// struct Host {
///     ctx: WasiCtx,
///     table: ResourceTable,
/// }
/// impl WasiView for Host {
///     fn ctx(&mut self) -> WasiCtxView<'_> {
///         WasiCtxView { ctx: &mut self.ctx, table: &mut self.table }
///     }
/// }
///
/// # fn main() -> wasmtime::Result<()> {
/// # tokio::runtime::Runtime::new()?.block_on(async {
/// let engine = wasi_bridge::run::engine()?; // component-model async on
/// let mut linker = Linker::<Host>::new(&engine);
/// wasi_bridge::add_to_linker(&mut linker)?;
///
/// let stdout = wasi_bridge::p2::pipe::MemoryOutputPipe::new(1 << 16);
/// let ctx = WasiCtx::builder().args(&["mixed"]).stdout(stdout.clone()).build();
/// let mut store = wasmtime::Store::new(&engine, Host { ctx, table: ResourceTable::new() });
/// let component = Component::from_file(&engine, "tests/guests/wasm/mixed.wasm")?;
/// let command =
///     wasi_bridge::p3::bindings::Command::instantiate_async(&mut store, &component, &linker)
///         .await?;
/// let status = store
///     .run_concurrent(async move |store| command.wasi_cli_run().call_run(store).await)
///     .await??;
/// assert_eq!(status, Ok(()));
/// store.data_mut().ctx.flush_stdio().await;
/// assert!(!stdout.contents().is_empty());
/// # Ok::<_, wasmtime::Error>(())
/// # })
/// # }
/// ```
pub fn add_to_linker<T: WasiView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    p2_adapter::add_to_linker_async(linker)?;
    p3_core::p3::add_to_linker(linker)
}
