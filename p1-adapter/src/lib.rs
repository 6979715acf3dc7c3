//! `wasi_snapshot_preview1` for core modules, on wasi-bridge's one core.
//!
//! A veneer like the p2 adapter: the witx-generated ABI (wasmtime's own `wiggle`, over the
//! preview1 witx files vendored from wasmtime-wasi 48) is translated onto the core's objects —
//! the same `WasiCtx`, stdout sink, descriptors, clocks and network policy the p2 and p3
//! bindings use. What is p1's own lives here: the fd table (stdio at 0–2, preopened listeners,
//! then preopened directories; `fd_renumber`; reuse of closed numbers as wasmtime does), file
//! cursors and append mode, rights in `fd_fdstat_get`, `fd_readdir` cookies, and the `poll_oneoff`
//! subscription format. No domain rule is written here.
//!
//! The embedding API is wasmtime-wasi 48's: [`WasiP1Ctx`], [`add_to_linker_async`] and
//! [`add_to_linker_sync`], with a context built by `WasiCtxBuilder::build_p1()`. The store type
//! `WasiP1Ctx` is the core's (so `build_p1()` names it); the fd table it carries is this
//! crate's, made at the store's first p1 call (`fds.rs`).
//!
//! ```
//! use p1_adapter::{WasiP1Ctx, add_to_linker_async};
//! use p3_core::WasiCtx;
//!
//! struct MyState {
//!     wasi: WasiP1Ctx,
//! }
//!
//! let mut linker = wasmtime::Linker::<MyState>::new(&wasmtime::Engine::default());
//! add_to_linker_async(&mut linker, |s| &mut s.wasi)?;
//! let state = MyState { wasi: WasiCtx::builder().arg("prog").build_p1() };
//! # let _ = state;
//! # Ok::<_, wasmtime::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod conv;
mod fds;
mod io;
mod poll;
pub mod preview0;
mod preview1;
mod sockets;
mod stat;

pub use p3_core::WasiP1Ctx;
use wiggle::{GuestMemory, GuestPtr};

// The generated modules, traits and types are this crate's own business. The witx functions
// have as many parameters as the ABI gives them.
#[allow(clippy::too_many_arguments, missing_docs)]
mod generated {
    wiggle::from_witx!({
        witx: ["witx/wasi_snapshot_preview1.witx"],
        async: {
            wasi_snapshot_preview1::{
                fd_advise, fd_close, fd_datasync, fd_fdstat_get, fd_filestat_get,
                fd_filestat_set_size, fd_filestat_set_times, fd_read, fd_pread, fd_seek, fd_sync,
                fd_readdir, fd_write, fd_pwrite, poll_oneoff, path_create_directory,
                path_filestat_get, path_filestat_set_times, path_link, path_open, path_readlink,
                path_remove_directory, path_rename, path_symlink, path_unlink_file, fd_renumber,
                sock_accept, sock_recv, sock_send
            }
        },
        errors: { errno => trappable Error },
    });
}
/// The witx-generated ABI: `wasi_snapshot_preview1`'s types and its host trait, as in
/// wasmtime-wasi's `p1` (the trait is implemented by [`WasiP1Ctx`]).
pub use generated::{types, wasi_snapshot_preview1};

#[allow(clippy::too_many_arguments)]
mod sync {
    use std::future::Future;
    use wasmtime::Result;

    wiggle::wasmtime_integration!({
        witx: ["witx/wasi_snapshot_preview1.witx"],
        target: super::generated,
        block_on[in_tokio]: {
            wasi_snapshot_preview1::{
                fd_advise, fd_close, fd_datasync, fd_fdstat_get, fd_filestat_get,
                fd_filestat_set_size, fd_filestat_set_times, fd_read, fd_pread, fd_seek, fd_sync,
                fd_readdir, fd_write, fd_pwrite, poll_oneoff, path_create_directory,
                path_filestat_get, path_filestat_set_times, path_link, path_open, path_readlink,
                path_remove_directory, path_rename, path_symlink, path_unlink_file, fd_renumber,
                sock_accept, sock_recv, sock_send
            }
        },
        errors: { errno => trappable Error },
    });

    /// Runs an async host call to completion for the sync linker.
    fn in_tokio<F: Future>(future: F) -> Result<F::Output> {
        Ok(wasmtime_wasi::runtime::in_tokio(future))
    }
}

impl wiggle::GuestErrorType for types::Errno {
    fn success() -> Self {
        Self::Success
    }
}

/// Charges `fuel` against what wasmtime gave this host call for copying guest memory.
fn consume_fuel(cx: &mut WasiP1Ctx, fuel: usize) -> Result<(), types::Error> {
    if fuel > cx.hostcall_fuel {
        return Err(types::Errno::Nomem.into());
    }
    cx.hostcall_fuel -= fuel;
    Ok(())
}
/// Charges the hostcall fuel for copying all of `array`.
pub(crate) fn consume_fuel_for_array<T>(
    cx: &mut WasiP1Ctx,
    array: GuestPtr<[T]>,
) -> Result<(), types::Error> {
    let bytes = usize::try_from(array.len())?
        .checked_mul(size_of::<T>())
        .ok_or(types::Errno::Overflow)?;
    consume_fuel(cx, bytes)
}

/// The first non-empty buffer of an iovec or ciovec array (p1 hosts do one transfer per
/// call), or an empty one; charges the fuel for what will be copied.
pub(crate) fn first_buffer<V: IoVec>(
    cx: &mut WasiP1Ctx,
    memory: &GuestMemory<'_>,
    iovs: GuestPtr<[V]>,
) -> Result<GuestPtr<[u8]>, types::Error> {
    consume_fuel_for_array(cx, iovs)?;
    for iov in iovs.iter() {
        let buf = memory.read(iov?)?.bytes();
        if buf.len() == 0 {
            continue;
        }
        consume_fuel_for_array(cx, buf)?;
        return Ok(buf);
    }
    Ok(GuestPtr::new((0, 0)))
}

/// Copies a guest string into the host, charging fuel for its length.
pub(crate) fn read_string(
    cx: &mut WasiP1Ctx,
    memory: &GuestMemory<'_>,
    ptr: GuestPtr<str>,
) -> Result<String, types::Error> {
    consume_fuel(cx, usize::try_from(ptr.len())?)?;
    Ok(memory.as_cow_str(ptr)?.into_owned())
}

/// An `iovec` or `ciovec`: a buffer in guest memory.
trait IoVec: wiggle::GuestType {
    fn bytes(&self) -> GuestPtr<[u8]>;
}

impl IoVec for types::Iovec {
    fn bytes(&self) -> GuestPtr<[u8]> {
        self.buf.as_array(self.buf_len)
    }
}

impl IoVec for types::Ciovec {
    fn bytes(&self) -> GuestPtr<[u8]> {
        self.buf.as_array(self.buf_len)
    }
}

/// Adds `wasi_snapshot_preview1` to a core-module linker whose host calls run on an async
/// store (as `wasmtime_wasi::p1::add_to_linker_async`).
pub fn add_to_linker_async<T: Send + 'static>(
    linker: &mut wasmtime::Linker<T>,
    f: impl Fn(&mut T) -> &mut WasiP1Ctx + Copy + Send + Sync + 'static,
) -> wasmtime::Result<()> {
    wasi_snapshot_preview1::add_to_linker(linker, f)
}

/// Adds `wasi_snapshot_preview1` to a core-module linker for a sync store (as
/// `wasmtime_wasi::p1::add_to_linker_sync`).
pub fn add_to_linker_sync<T: Send + 'static>(
    linker: &mut wasmtime::Linker<T>,
    f: impl Fn(&mut T) -> &mut WasiP1Ctx + Copy + Send + Sync + 'static,
) -> wasmtime::Result<()> {
    sync::add_wasi_snapshot_preview1_to_linker(linker, f)
}

// ---- errors ----

impl From<p3_core::filesystem::ErrorCode> for types::Errno {
    fn from(code: p3_core::filesystem::ErrorCode) -> Self {
        use p3_core::filesystem::ErrorCode as C;
        use types::Errno as E;
        match code {
            C::Access => E::Acces,
            C::Already => E::Already,
            C::BadDescriptor => E::Badf,
            C::Busy => E::Busy,
            C::Exist => E::Exist,
            C::FileTooLarge => E::Fbig,
            C::IllegalByteSequence => E::Ilseq,
            C::InProgress => E::Inprogress,
            C::Interrupted => E::Intr,
            C::Invalid => E::Inval,
            C::Io => E::Io,
            C::IsDirectory => E::Isdir,
            C::Loop => E::Loop,
            C::TooManyLinks => E::Mlink,
            C::NameTooLong => E::Nametoolong,
            C::NoEntry => E::Noent,
            C::InsufficientMemory => E::Nomem,
            C::InsufficientSpace => E::Nospc,
            C::Unsupported => E::Notsup,
            C::NotDirectory => E::Notdir,
            C::NotEmpty => E::Notempty,
            C::Overflow => E::Overflow,
            C::NotPermitted => E::Perm,
            C::Pipe => E::Pipe,
            C::InvalidSeek => E::Spipe,
        }
    }
}

impl From<p3_core::filesystem::ErrorCode> for types::Error {
    fn from(code: p3_core::filesystem::ErrorCode) -> Self {
        types::Errno::from(code).into()
    }
}

impl From<p3_core::sockets::ErrorCode> for types::Errno {
    fn from(code: p3_core::sockets::ErrorCode) -> Self {
        use p3_core::sockets::ErrorCode as C;
        use types::Errno as E;
        match code {
            C::AccessDenied => E::Acces,
            C::NotSupported => E::Notsup,
            C::InvalidArgument => E::Inval,
            C::OutOfMemory => E::Nomem,
            C::Timeout => E::Timedout,
            C::InvalidState => E::Inval,
            C::AddressNotBindable => E::Addrnotavail,
            C::AddressInUse => E::Addrinuse,
            C::RemoteUnreachable => E::Hostunreach,
            C::ConnectionRefused => E::Connrefused,
            C::ConnectionReset => E::Connreset,
            C::ConnectionAborted => E::Connaborted,
            C::ConnectionBroken => E::Pipe,
            C::DatagramTooLarge => E::Msgsize,
            C::Other => E::Io,
        }
    }
}

impl From<p3_core::sockets::ErrorCode> for types::Error {
    fn from(code: p3_core::sockets::ErrorCode) -> Self {
        types::Errno::from(code).into()
    }
}

impl From<p3_core::CoreError> for types::Error {
    /// A stream error: its filesystem code (a closed stream is `pipe`), or its network code.
    fn from(err: p3_core::CoreError) -> Self {
        match err.filesystem_code() {
            Some(code) => code.into(),
            None => types::Errno::from(err.network_code()).into(),
        }
    }
}

impl From<std::num::TryFromIntError> for types::Error {
    fn from(_: std::num::TryFromIntError) -> Self {
        types::Errno::Overflow.into()
    }
}

impl From<wiggle::GuestError> for types::Error {
    fn from(err: wiggle::GuestError) -> Self {
        use wiggle::GuestError::*;
        match err {
            InvalidFlagValue { .. } | InvalidEnumValue { .. } => types::Errno::Inval.into(),
            // Out-of-bounds or misaligned pointers trap, as the witx conventions say.
            PtrOverflow | PtrOutOfBounds { .. } | PtrNotAligned { .. } => {
                types::Error::trap(err.into())
            }
            InvalidUtf8 { .. } => types::Errno::Ilseq.into(),
            TryFromIntError { .. } => types::Errno::Overflow.into(),
            SliceLengthsDiffer => types::Errno::Fault.into(),
            InFunc { err, .. } => types::Error::from(*err),
        }
    }
}
