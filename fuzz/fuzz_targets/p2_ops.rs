//! `p2_ops`: a program of WASI calls (the bytes; encoding `tests/guests/ops/vocab.h`) run by
//! the p2 op guest under wasmtime-wasi 48's native p2 and under wasi-bridge's p2 adapter, each
//! in a fresh copy of the fixture tree; the output lines, exit or trap and the final trees must
//! be the same, and the canary beside the preopens untouched (`tests/common/ops.rs`, the
//! comparison `tests/all/ops.rs` replays findings with).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasi_bridge_fuzz::common::ops::{Abi, differential};

fuzz_target!(|data: &[u8]| {
    wasi_bridge_fuzz::common::ops::runtime().block_on(differential(Abi::P2, data));
});
