//! `wasi:random`: secure and insecure generators and the insecure seed.

use rand::{Rng, SeedableRng};
use wasmtime::component::HasData;

/// The [`HasData`] marker of the `wasi:random` interfaces, as wasmtime-wasi's: their host
/// functions need only the generators (`&mut WasiRandomCtx`), no resource table.
pub struct WasiRandom;

impl HasData for WasiRandom {
    type Data<'a> = &'a mut WasiRandomCtx;
}

/// Access to the generators inside a host's store data: what a host that grants only
/// `wasi:random` implements (a [`WasiView`](crate::WasiView) has it already).
pub trait WasiRandomView: Send {
    /// Returns the generators.
    fn random(&mut self) -> &mut WasiRandomCtx;
}

impl WasiRandomView for WasiRandomCtx {
    fn random(&mut self) -> &mut WasiRandomCtx {
        self
    }
}

/// Default cap on one request for random bytes (64 MiB), as in wasmtime-wasi.
pub const DEFAULT_MAX_SIZE: u64 = 64 << 20;

/// The generators shared by every ABI.
pub struct WasiRandomCtx {
    pub(crate) secure: Box<dyn Rng + Send>,
    pub(crate) insecure: Box<dyn Rng + Send>,
    pub(crate) insecure_seed: u128,
    pub(crate) max_size: u64,
}

impl Default for WasiRandomCtx {
    fn default() -> Self {
        let mut thread = rand::rng();
        WasiRandomCtx {
            secure: Box::new(rand::rngs::StdRng::from_rng(&mut thread)),
            insecure: Box::new(rand::rngs::SmallRng::from_rng(&mut thread)),
            insecure_seed: thread.next_u64() as u128 | ((thread.next_u64() as u128) << 64),
            max_size: DEFAULT_MAX_SIZE,
        }
    }
}

/// A request for more random bytes than the context allows.
#[derive(Debug, thiserror::Error)]
/// The message is wasmtime-wasi's, so a trapped guest reads the same reason on both hosts.
#[error("requested len {requested} exceeds limit {limit}")]
pub struct TooLarge {
    /// What was asked for.
    pub requested: u64,
    /// The configured limit.
    pub limit: u64,
}

/// Which generator to draw from.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    /// `wasi:random/random`.
    Secure,
    /// `wasi:random/insecure`.
    Insecure,
}

impl WasiRandomCtx {
    /// The configured cap on one request.
    pub fn max_size(&self) -> u64 {
        self.max_size
    }

    fn rng(&mut self, kind: Kind) -> &mut (dyn Rng + Send) {
        match kind {
            Kind::Secure => &mut *self.secure,
            Kind::Insecure => &mut *self.insecure,
        }
    }

    /// `len` random bytes, filled in one call to the generator; over the cap is an error.
    pub fn bytes(&mut self, kind: Kind, len: u64) -> Result<Vec<u8>, TooLarge> {
        if len > self.max_size {
            return Err(TooLarge {
                requested: len,
                limit: self.max_size,
            });
        }
        // `len <= max_size`, which the host chose, so this allocation is bounded.
        let mut out = vec![0u8; len as usize];
        self.rng(kind).fill_bytes(&mut out);
        Ok(out)
    }

    /// A random `u64`.
    pub fn u64(&mut self, kind: Kind) -> u64 {
        self.rng(kind).next_u64()
    }

    /// The insecure seed as two halves, low first.
    pub fn insecure_seed(&self) -> (u64, u64) {
        (self.insecure_seed as u64, (self.insecure_seed >> 64) as u64)
    }
}
