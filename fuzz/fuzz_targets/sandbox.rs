//! `sandbox`: programs of path operations only (`ops::sandbox_program`: open, stat, read,
//! write, list, rename, unlink, mkdir, rmdir, symlink, link, readlink, set-times) over paths
//! with `..`, absolute paths, symlinks leading out of the preopen, symlink loops, NUL, long
//! names, hard links and renames between the read-write and the read-only preopen. The first
//! byte picks the ABI (p2 or p3). Both hosts must give the same result for every call (so
//! every escape attempt gets native's error code), and the canary directory beside the
//! preopens and the read-only preopen must be exactly as before, never read into the output.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wasi_bridge_fuzz::common::ops::{Abi, differential, sandbox_program};

fuzz_target!(|data: &[u8]| {
    let Some((&abi, rest)) = data.split_first() else {
        return;
    };
    let abi = if abi & 1 == 0 { Abi::P2 } else { Abi::P3 };
    wasi_bridge_fuzz::common::ops::runtime().block_on(differential(abi, &sandbox_program(rest)));
});
