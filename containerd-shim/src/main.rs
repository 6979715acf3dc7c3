//! `containerd-shim-wasi-bridge-v1`: the containerd runtime `io.containerd.wasi-bridge.v1`.
//!
//! containerd starts this binary for each container (or Kubernetes pod) whose runtime is
//! `io.containerd.wasi-bridge.v1`. runwasi's `containerd-shim-wasm` speaks the shim protocol and
//! makes the container (namespaces, cgroups, rootfs, stdio; youki's libcontainer); inside it,
//! [`WasiBridge::run_wasi`] runs the container's program exactly as `wasi-bridge run` or
//! `wasi-bridge serve` would: [`container`] turns the container into that command line.
#![forbid(unsafe_code)]

mod container;
mod stdin;

use anyhow::Result;
use containerd_shim_wasm::sandbox::Sandbox;
use containerd_shim_wasm::sandbox::context::RuntimeContext;
use containerd_shim_wasm::shim::{Cli, Shim, Version, version};

/// The shim: its name makes the runtime `io.containerd.wasi-bridge.v1`.
struct WasiBridgeShim;

impl Shim for WasiBridgeShim {
    type Sandbox = WasiBridge;

    fn name() -> &'static str {
        "wasi-bridge"
    }

    fn version() -> Version {
        version!()
    }
}

/// Runs one container's program.
#[derive(Default)]
struct WasiBridge;

impl Sandbox for WasiBridge {
    /// Every container runwasi does not take for a Linux one (it hands ELF and script
    /// entrypoints, such as Kubernetes' pause container, to its Linux executor first) is ours.
    /// A program that is missing or is no wasm then gets its reason as one line on the
    /// container's stderr and status 2 ([`WasiBridge::run_wasi`]), where runwasi's own check
    /// would refuse the container with only "executor can't handle spec".
    async fn can_handle(&self, _ctx: &impl RuntimeContext) -> Result<()> {
        Ok(())
    }

    /// Runs in the container's own process, after containerd set it up: the program runs on a
    /// runtime of its own (a thread of its own, away from the shim's), until it ends or the
    /// container is told to stop; its status is the container's.
    async fn run_wasi(&self, ctx: &impl RuntimeContext) -> Result<i32> {
        stdin::reopen_read_only();
        // A container that cannot start says why on its own stderr, one line, status 2 (as
        // `wasi-bridge` after a usage error); runwasi would only log it and end with 137.
        let launch = match container::Mount::read_all()
            .and_then(|mounts| container::Launch::new(ctx, mounts))
        {
            Ok(launch) => launch,
            Err(e) => {
                eprintln!("wasi-bridge: {e:#}");
                return Ok(2);
            }
        };
        let status = std::thread::Builder::new()
            .name("wasi-bridge".into())
            .spawn(move || launch.run())?
            .join()
            .map_err(|_| anyhow::anyhow!("the wasi-bridge thread panicked"))?;
        Ok(i32::from(status))
    }
}

fn main() {
    WasiBridgeShim::run(None);
}
