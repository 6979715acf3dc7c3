//! What the `wasi:*@0.2.x` adapter and the `wasi:*@0.3.0` bindings share: the error type their
//! generated traits return ([`TrappableError`]) and every conversion between the core's types
//! and a binding's generated types, written once as macros that each binding expands over its
//! own generated types (p2 and p3 generate distinct types of the same shape).
//!
//! | macro | expands to |
//! |---|---|
//! | [`filesystem_conversions!`](crate::filesystem_conversions) | error codes, descriptor types, stat, flags, advice, hashes, timestamps, entries |
//! | [`socket_conversions!`](crate::socket_conversions) | error codes, name-lookup errors, address families, socket addresses, IP addresses |
//! | [`cli_interfaces!`](crate::cli_interfaces) | `wasi:cli/environment`, `exit` and the `terminal-*` interfaces |
//! | [`http_conversions!`](crate::http::http_conversions) | wasi:http error codes, methods, schemes |
//! | [`http_fields_methods!`](crate::http_fields_methods) | the `fields` resource's shared methods |
//!
//! Each invocation says in a comment on its line what it defines in the calling module.

mod cli;
mod filesystem;
#[cfg(feature = "http")]
mod http;
mod sockets;

#[cfg(feature = "http")]
pub use http::HeaderErrorCodes;
#[cfg(feature = "http")]
#[doc(hidden)]
pub use http::header_error;

/// Adds each listed interface of a binding to `linker`, all with the same `HasData` marker and
/// getter, grouped by package (each package a module in scope):
/// `add_interfaces!(linker, T, WasiCli, T::cli; cli::{stdin, stdout})`.
#[doc(hidden)]
#[macro_export]
macro_rules! add_interfaces {
    ($linker:expr, $t:ident, $data:ty, $getter:expr; $($package:ident::{$($iface:ident),+ $(,)?}),+ $(,)?) => {{
        let linker = &mut *$linker;
        $($crate::add_interfaces!(@package linker, $t, $data, $getter, $package, $($iface),+);)+
    }};
    (@package $linker:ident, $t:ident, $data:ty, $getter:expr, $package:ident, $($iface:ident),+) => {
        $($package::$iface::add_to_linker::<$t, $data>(&mut *$linker, $getter)?;)+
    };
}

use crate::error::{filesystem as fs, sockets as net};
use std::marker::PhantomData;

/// The error of a binding call whose WIT result carries an error code: either that code, for the
/// guest, or a trap. Bindings name it as their `trappable_error_type`.
pub struct TrappableError<T> {
    err: wasmtime::Error,
    _code: PhantomData<fn() -> T>,
}

impl<T> TrappableError<T> {
    /// An error that traps the guest.
    pub fn trap(err: impl Into<wasmtime::Error>) -> Self {
        TrappableError {
            err: err.into(),
            _code: PhantomData,
        }
    }

    /// An error code for the guest.
    pub fn code(code: T) -> Self
    where
        T: std::error::Error + Send + Sync + 'static,
    {
        Self::trap(wasmtime::Error::new(code))
    }

    /// The error code, or the trap.
    pub fn downcast(self) -> wasmtime::Result<T>
    where
        T: std::error::Error + Send + Sync + 'static,
    {
        self.err.downcast()
    }
}

impl<T> std::fmt::Debug for TrappableError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.err.fmt(f)
    }
}

impl<T> std::fmt::Display for TrappableError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.err.fmt(f)
    }
}

impl<T> std::error::Error for TrappableError<T> {}

impl<T> From<wasmtime::component::ResourceTableError> for TrappableError<T> {
    fn from(err: wasmtime::component::ResourceTableError) -> Self {
        Self::trap(err)
    }
}

impl<T> From<wasmtime::Error> for TrappableError<T> {
    fn from(err: wasmtime::Error) -> Self {
        Self::trap(err)
    }
}

impl<T> From<fs::ErrorCode> for TrappableError<T>
where
    T: From<fs::ErrorCode> + std::error::Error + Send + Sync + 'static,
{
    fn from(code: fs::ErrorCode) -> Self {
        Self::code(T::from(code))
    }
}

impl<T> From<net::ErrorCode> for TrappableError<T>
where
    T: From<net::ErrorCode> + std::error::Error + Send + Sync + 'static,
{
    fn from(code: net::ErrorCode) -> Self {
        Self::code(T::from(code))
    }
}
