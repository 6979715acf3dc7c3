//! `wasi:random@0.3.0` on the core.

use super::bindings::random::{insecure, insecure_seed, random};
use crate::random::{Kind, WasiRandom, WasiRandomCtx};

impl WasiRandomCtx {
    /// p3's contract is "up to `max-len` bytes": a request over the cap is clamped to it, as in
    /// wasmtime-wasi's p3 (p2 traps instead).
    fn clamped_bytes(&mut self, kind: Kind, len: u64) -> wasmtime::Result<Vec<u8>> {
        let len = len.min(self.max_size());
        Ok(self.bytes(kind, len)?)
    }
}

impl random::Host for WasiRandomCtx {
    fn get_random_bytes(&mut self, max_len: u64) -> wasmtime::Result<Vec<u8>> {
        self.clamped_bytes(Kind::Secure, max_len)
    }
    fn get_random_u64(&mut self) -> wasmtime::Result<u64> {
        Ok(self.u64(Kind::Secure))
    }
}

impl insecure::Host for WasiRandomCtx {
    fn get_insecure_random_bytes(&mut self, max_len: u64) -> wasmtime::Result<Vec<u8>> {
        self.clamped_bytes(Kind::Insecure, max_len)
    }
    fn get_insecure_random_u64(&mut self) -> wasmtime::Result<u64> {
        Ok(self.u64(Kind::Insecure))
    }
}

impl insecure_seed::Host for WasiRandomCtx {
    fn get_insecure_seed(&mut self) -> wasmtime::Result<(u64, u64)> {
        Ok(self.insecure_seed())
    }
}

/// Adds the `wasi:random/*@0.3.0` interfaces to `linker` (wasmtime-wasi's
/// `p3::random::add_to_linker`).
pub fn add_to_linker<T: crate::random::WasiRandomView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use super::bindings::random;
    crate::add_interfaces!(linker, T, WasiRandom, T::random;
        random::{random, insecure, insecure_seed},
    );
    Ok(())
}
