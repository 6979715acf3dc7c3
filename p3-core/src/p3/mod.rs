//! The `wasi:*@0.3.0` bindings on the core.
//!
//! Each host function is a thin translation: byte streams are the core's [`ByteSource`] /
//! [`ByteSink`](crate::io::ByteSink) objects handed to wasmtime through the adapters in
//! [`streams`], which read and write guest memory directly.
//!
//! [`ByteSource`]: crate::io::ByteSource

pub mod bindings;
pub mod cli;
pub mod clocks;
pub mod filesystem;
#[cfg(feature = "http")]
pub mod http;
pub mod random;
pub mod rc_2025_09_16;
pub mod rc_2026_01_06;
pub mod sockets;
pub mod streams;

use crate::WasiView;
use wasmtime::component::Linker;

/// Every `wasi:*@0.3.0` interface the bindings serve (without its version). [`add_to_linker`]
/// adds exactly these; a test checks that against the vendored WIT.
pub const INTERFACES: &[&str] = &[
    "wasi:cli/environment",
    "wasi:cli/exit",
    "wasi:cli/stdin",
    "wasi:cli/stdout",
    "wasi:cli/stderr",
    "wasi:cli/types",
    "wasi:cli/terminal-input",
    "wasi:cli/terminal-output",
    "wasi:cli/terminal-stdin",
    "wasi:cli/terminal-stdout",
    "wasi:cli/terminal-stderr",
    "wasi:clocks/types",
    "wasi:clocks/monotonic-clock",
    "wasi:clocks/system-clock",
    "wasi:random/random",
    "wasi:random/insecure",
    "wasi:random/insecure-seed",
    "wasi:filesystem/types",
    "wasi:filesystem/preopens",
    "wasi:sockets/types",
    "wasi:sockets/ip-name-lookup",
];

/// Adds every `wasi:*@0.3.0` interface the core implements to `linker`.
///
/// A p3 command runs on the component-model event loop:
///
/// ```
/// use p3_core::{ResourceTable, WasiCtx, WasiCtxView, WasiView};
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
/// let mut config = wasmtime::Config::new();
/// config.wasm_component_model_async(true);
/// let engine = wasmtime::Engine::new(&config)?;
/// let mut linker = Linker::<Host>::new(&engine);
/// p3_core::p3::add_to_linker(&mut linker)?;
///
/// let ctx = WasiCtx::builder().args(&["p3-cli", "return-err"]).build();
/// let mut store = wasmtime::Store::new(&engine, Host { ctx, table: ResourceTable::new() });
/// let component = Component::from_file(&engine, "../tests/guests/wasm/p3-cli.wasm")?;
/// let command =
///     p3_core::p3::bindings::Command::instantiate_async(&mut store, &component, &linker).await?;
/// let status = store
///     .run_concurrent(async move |store| command.wasi_cli_run().call_run(store).await)
///     .await??;
/// assert_eq!(status, Err(()));
/// # Ok::<_, wasmtime::Error>(())
/// # })
/// # }
/// ```
pub fn add_to_linker<T: WasiView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    add_to_linker_with_options(linker, &bindings::LinkOptions::default())
}

/// [`add_to_linker`] with the unstable features of `options`, as wasmtime-wasi's
/// `p3::add_to_linker_with_options` (no `wasi:*@0.3.0` interface the core serves is gated by
/// one yet, so every option links the same interfaces).
pub fn add_to_linker_with_options<T: WasiView + 'static>(
    linker: &mut Linker<T>,
    _options: &bindings::LinkOptions,
) -> wasmtime::Result<()> {
    cli::add_to_linker(linker)?;
    clocks::add_to_linker(linker)?;
    filesystem::add_to_linker(linker)?;
    random::add_to_linker(linker)?;
    sockets::add_to_linker(linker)
}
