//! The one WASI implementation behind wasi-bridge.
//!
//! This crate holds the context every ABI shares ([`WasiCtx`], built by [`WasiCtxBuilder`]), the
//! store-independent domain objects (stdio sources and sinks, clocks, random, the cap-std
//! filesystem, TCP/UDP sockets and name lookup under one network policy), and the thin
//! `wasi:*@0.3.0` bindings in [`p3`] that hand the core's byte sources and sinks to wasmtime's
//! component-model streams.
//!
//! The WASIp2 adapter (`wasi-bridge-p2-adapter`) is built on the same objects: it translates
//! p2's pollables and streams into calls on this crate and implements no domain behaviour itself.
//!
//! # Cargo features
//!
//! - `http` (default): wasi:http — requests, responses, fields, bodies and the outgoing client —
//!   as core objects both ABIs serve (`http`, and the `wasi:http@0.3.0` bindings under [`p3`]).
//!   Without it the crate serves the WASI packages without wasi:http and does not depend on
//!   hyper or wasmtime-wasi-http.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cli;
pub mod clocks;
mod ctx;
pub mod error;
pub mod filesystem;
#[cfg(feature = "http")]
pub mod http;
pub mod io;
pub mod p3;
pub mod random;
pub mod sockets;
pub mod veneer;

#[doc(hidden)]
pub use ctx::{P1Seed, P1Slot};
pub use ctx::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiP1Ctx, WasiView};
pub use error::CoreError;
pub use veneer::TrappableError;
pub use wasmtime::component::ResourceTable;
pub use wasmtime_wasi::I32Exit;
