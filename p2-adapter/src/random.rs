//! `wasi:random@0.2.x` on the core: the same generators the p3 bindings use.

use crate::bindings::random::{insecure, insecure_seed, random};
use p3_core::random::{Kind, WasiRandomCtx};

impl random::Host for WasiRandomCtx {
    fn get_random_bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        // Over the configured cap is a trap in p2, as in wasmtime-wasi.
        Ok(self.bytes(Kind::Secure, len)?)
    }
    fn get_random_u64(&mut self) -> wasmtime::Result<u64> {
        Ok(self.u64(Kind::Secure))
    }
}

impl insecure::Host for WasiRandomCtx {
    fn get_insecure_random_bytes(&mut self, len: u64) -> wasmtime::Result<Vec<u8>> {
        Ok(self.bytes(Kind::Insecure, len)?)
    }
    fn get_insecure_random_u64(&mut self) -> wasmtime::Result<u64> {
        Ok(self.u64(Kind::Insecure))
    }
}

impl insecure_seed::Host for WasiRandomCtx {
    fn insecure_seed(&mut self) -> wasmtime::Result<(u64, u64)> {
        Ok(WasiRandomCtx::insecure_seed(self))
    }
}
