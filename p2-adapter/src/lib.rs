//! `wasi:*@0.2.x` for wasmtime, served by translating WASIp2's pollables and streams onto
//! wasi-bridge's WASIp3 core.
//!
//! This crate owns only translation — pollables, p2 stream semantics (permits, flush state,
//! sticky errors), error resources and resource shapes. Every behaviour (stdio, clocks, random,
//! ...) is the core's, shared with the `wasi:*@0.3.0` bindings and so with p3 and mixed guests.
//!
//! The entry points mirror `wasmtime_wasi::p2`: [`add_to_linker_async`], [`add_to_linker_sync`]
//! and [`bindings::Command`].
//!
//! # Cargo features
//!
//! - `http` (default): `wasi:http@0.2.x` (the proxy world's `types` and `outgoing-handler`) on
//!   the core's HTTP objects, with wasmtime-wasi-http's p2 resource types. Without it only the
//!   other WASI 0.2 packages are served.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bindings;
mod candidates;
mod cli;
mod clocks;
pub mod filesystem;
mod filesystem_sync;
#[cfg(feature = "http")]
pub mod http;
mod random;
pub mod sockets;
pub mod streams;

pub use filesystem::{DirectoryEntryStream as ReaddirIterator, FsError, FsResult};
pub use p3_core::cli::{TerminalInput, TerminalOutput};
pub use p3_core::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
pub use sockets::{Network, SocketError, SocketResult, TcpSocket, UdpSocket};
pub use wasmtime_wasi::p2::IsATTY;
pub use wasmtime_wasi_io::poll::{DynFuture, DynPollable, MakeFuture, Pollable, subscribe};
pub use wasmtime_wasi_io::streams::{
    DynInputStream, DynOutputStream, Error as IoError, InputStream, OutputStream, StreamError,
    StreamResult,
};

use p3_core::cli::{WasiCli, WasiCliView as _};
use p3_core::clocks::{WasiClocks, WasiClocksView as _};
use p3_core::filesystem::{WasiFilesystem, WasiFilesystemView as _};
use p3_core::random::{WasiRandom, WasiRandomView as _};
use p3_core::sockets::{WasiSockets, WasiSocketsView as _};
use wasmtime::component::{HasData, Linker, ResourceTable};

struct HasIo;

impl HasData for HasIo {
    type Data<'a> = &'a mut ResourceTable;
}

/// Every `wasi:*@0.2.x` interface the adapter serves (without its version). The linkers below
/// add exactly these; a test checks that against the vendored WIT.
pub const INTERFACES: &[&str] = &[
    "wasi:io/error",
    "wasi:io/poll",
    "wasi:io/streams",
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/wall-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:sockets/network",
    "wasi:sockets/instance-network",
    "wasi:sockets/tcp",
    "wasi:sockets/tcp-create-socket",
    "wasi:sockets/udp",
    "wasi:sockets/udp-create-socket",
    "wasi:sockets/ip-name-lookup",
];

/// Adds every `wasi:*@0.2.x` interface the adapter serves to an async `linker`
/// (a `Config` with `async_support`), like `wasmtime_wasi::p2::add_to_linker_async`.
///
/// Running a p2 command with it:
///
/// ```
/// use p2_adapter::{WasiCtx, WasiCtxView, WasiView};
/// use wasmtime::component::{Component, Linker, ResourceTable};
/// use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
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
/// let engine = wasmtime::Engine::default();
/// let mut linker = Linker::<Host>::new(&engine);
/// p2_adapter::add_to_linker_async(&mut linker)?;
///
/// let stdout = MemoryOutputPipe::new(4096);
/// let ctx = WasiCtx::builder()
///     .args(&["p2-cli", "hello"])
///     .stdout(stdout.clone())
///     .build();
/// let mut store = wasmtime::Store::new(&engine, Host { ctx, table: ResourceTable::new() });
/// let component = Component::from_file(&engine, "../tests/guests/wasm/p2-cli.wasm")?;
/// let command =
///     p2_adapter::bindings::Command::instantiate_async(&mut store, &component, &linker).await?;
/// assert_eq!(command.wasi_cli_run().call_run(&mut store).await?, Ok(()));
/// store.data_mut().ctx.flush_stdio().await;
/// assert_eq!(&stdout.contents()[..], b"hello from p2\n");
/// # Ok::<_, wasmtime::Error>(())
/// # })
/// # }
/// ```
pub fn add_to_linker_async<T: WasiView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    add_to_linker_with_options_async(linker, &bindings::LinkOptions::default())
}

/// [`add_to_linker_async`] with the unstable features of `options` (for example
/// `cli_exit_with_code`).
pub fn add_to_linker_with_options_async<T: WasiView + 'static>(
    linker: &mut Linker<T>,
    options: &bindings::LinkOptions,
) -> wasmtime::Result<()> {
    use wasmtime_wasi_io::bindings::wasi::io;
    let l = &mut *linker;
    io::error::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    io::poll::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    io::streams::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    use bindings::{filesystem, sockets};
    p3_core::add_interfaces!(&mut *l, T, WasiFilesystem, T::filesystem; filesystem::{types});
    p3_core::add_interfaces!(&mut *l, T, WasiSockets, T::sockets;
        sockets::{tcp, udp, udp_create_socket},
    );
    candidates::add_to_linker(l)?;
    add_nonblocking_to_linker(linker, &options.into())
}

/// Adds every `wasi:*@0.2.x` interface the adapter serves to a synchronous `linker`, like
/// `wasmtime_wasi::p2::add_to_linker_sync`: blocking calls block the calling thread, and no
/// async runtime is needed (background work runs on wasmtime-wasi's fallback runtime).
///
/// ```
/// use p2_adapter::{WasiCtx, WasiCtxView, WasiView};
/// use wasmtime::component::{Component, Linker, ResourceTable};
/// use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
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
/// let engine = wasmtime::Engine::default();
/// let mut linker = Linker::<Host>::new(&engine);
/// p2_adapter::add_to_linker_sync(&mut linker)?;
///
/// let stdout = MemoryOutputPipe::new(4096);
/// let ctx = WasiCtx::builder()
///     .args(&["p2-cli", "exit-code", "7"])
///     .stdout(stdout.clone())
///     .build();
/// let mut store = wasmtime::Store::new(&engine, Host { ctx, table: ResourceTable::new() });
/// let component = Component::from_file(&engine, "../tests/guests/wasm/p2-cli.wasm")?;
/// let command = p2_adapter::bindings::sync::Command::instantiate(&mut store, &component, &linker)?;
/// let err = command.wasi_cli_run().call_run(&mut store).unwrap_err();
/// assert_eq!(err.downcast_ref::<wasmtime_wasi::I32Exit>().map(|e| e.0), Some(7));
/// # Ok(())
/// # }
/// ```
pub fn add_to_linker_sync<T: WasiView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    add_to_linker_with_options_sync(linker, &bindings::sync::LinkOptions::default())
}

/// [`add_to_linker_sync`] with the unstable features of `options`.
pub fn add_to_linker_with_options_sync<T: WasiView + 'static>(
    linker: &mut Linker<T>,
    options: &bindings::sync::LinkOptions,
) -> wasmtime::Result<()> {
    use wasmtime_wasi::p2::bindings::sync::io;
    let l = &mut *linker;
    wasmtime_wasi_io::bindings::wasi::io::error::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    io::poll::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    io::streams::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    use bindings::sync::{filesystem, sockets};
    p3_core::add_interfaces!(&mut *l, T, WasiFilesystem, T::filesystem; filesystem::{types});
    p3_core::add_interfaces!(&mut *l, T, WasiSockets, T::sockets;
        sockets::{tcp, udp, udp_create_socket},
    );
    candidates::add_to_linker(l)?;
    add_nonblocking_to_linker(linker, &options.into())
}

/// Adds the WASI interfaces of the `wasi:http/proxy` world other than wasi:http itself (wasi:io,
/// clocks, `random`, stdin/stdout/stderr) to an async `linker`, like
/// `wasmtime_wasi::p2::add_to_linker_proxy_interfaces_async`.
pub fn add_to_linker_proxy_interfaces_async<T: WasiView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    use wasmtime_wasi_io::bindings::wasi::io;
    let l = &mut *linker;
    io::error::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    io::poll::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    io::streams::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    add_proxy_nonblocking_to_linker(linker)
}

/// [`add_to_linker_proxy_interfaces_async`] for a synchronous store.
pub fn add_to_linker_proxy_interfaces_sync<T: WasiView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    use wasmtime_wasi::p2::bindings::sync::io;
    let l = &mut *linker;
    wasmtime_wasi_io::bindings::wasi::io::error::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    io::poll::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    io::streams::add_to_linker::<T, HasIo>(l, |t| t.ctx().table)?;
    add_proxy_nonblocking_to_linker(linker)
}

fn add_proxy_nonblocking_to_linker<T: WasiView + 'static>(
    linker: &mut Linker<T>,
) -> wasmtime::Result<()> {
    use bindings::{cli, clocks, random};
    p3_core::add_interfaces!(&mut *linker, T, WasiClocks, T::clocks;
        clocks::{wall_clock, monotonic_clock},
    );
    p3_core::add_interfaces!(&mut *linker, T, WasiRandom, T::random; random::{random});
    p3_core::add_interfaces!(&mut *linker, T, WasiCli, T::cli; cli::{stdin, stdout, stderr});
    Ok(())
}

/// The interfaces whose functions never wait, shared by the async and sync linkers.
fn add_nonblocking_to_linker<T: WasiView + 'static>(
    linker: &mut Linker<T>,
    network: &bindings::sockets::network::LinkOptions,
) -> wasmtime::Result<()> {
    use bindings::{cli, clocks, filesystem, random, sockets};
    sockets::network::add_to_linker::<T, WasiSockets>(linker, network, T::sockets)?;
    p3_core::add_interfaces!(&mut *linker, T, WasiClocks, T::clocks;
        clocks::{wall_clock, monotonic_clock},
    );
    p3_core::add_interfaces!(&mut *linker, T, WasiRandom, T::random;
        random::{random, insecure, insecure_seed},
    );
    p3_core::add_interfaces!(&mut *linker, T, WasiCli, T::cli;
        cli::{
            exit, environment, stdin, stdout, stderr, terminal_input, terminal_output,
            terminal_stdin, terminal_stdout, terminal_stderr,
        },
    );
    p3_core::add_interfaces!(&mut *linker, T, WasiFilesystem, T::filesystem;
        filesystem::{preopens},
    );
    p3_core::add_interfaces!(&mut *linker, T, WasiSockets, T::sockets;
        sockets::{instance_network, tcp_create_socket, ip_name_lookup},
    );
    Ok(())
}
