//! The `wasi:*@0.3.0` bindings on the core.
//!
//! Each host function is a thin translation: byte streams are the core's [`ByteSource`] /
//! [`ByteSink`](crate::io::ByteSink) objects handed to wasmtime through the adapters in
//! [`streams`], which read and write guest memory directly.
//!
//! [`ByteSource`]: crate::io::ByteSource

pub mod bindings;
mod cli;
mod clocks;
mod filesystem;
mod random;
pub mod sockets;
pub mod streams;

pub use cli::{TerminalInput, TerminalOutput};

use crate::{WasiCtxView, WasiView};
use wasmtime::component::{HasData, Linker};

/// The [`HasData`] marker the p3 bindings are linked with.
pub struct WasiP3;

impl HasData for WasiP3 {
    type Data<'a> = WasiCtxView<'a>;
}

/// Adds every `wasi:*@0.3.0` interface the core implements to `linker`.
pub fn add_to_linker<T: WasiView + 'static>(linker: &mut Linker<T>) -> wasmtime::Result<()> {
    use bindings::{cli, clocks, filesystem, random, sockets};
    let l = linker;
    cli::environment::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    cli::exit::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    cli::stdin::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    cli::stdout::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    cli::stderr::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    cli::terminal_input::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    cli::terminal_output::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    cli::terminal_stdin::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    cli::terminal_stdout::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    cli::terminal_stderr::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    cli::types::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    clocks::types::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    clocks::monotonic_clock::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    clocks::system_clock::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    filesystem::types::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    filesystem::preopens::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    random::random::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    random::insecure::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    random::insecure_seed::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    sockets::types::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    sockets::ip_name_lookup::add_to_linker::<T, WasiP3>(l, T::ctx)?;
    Ok(())
}
