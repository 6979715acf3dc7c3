//! `wasi:clocks@0.3.0` on the core.

use super::bindings::clocks::{monotonic_clock, system_clock, types};
use crate::clocks::{WasiClocks, WasiClocksCtxView};
use wasmtime::component::Accessor;

impl types::Host for WasiClocksCtxView<'_> {}

impl system_clock::Host for WasiClocksCtxView<'_> {
    fn now(&mut self) -> wasmtime::Result<system_clock::Instant> {
        let now = self.ctx.wall_now();
        Ok(system_clock::Instant {
            seconds: i64::try_from(now.as_secs())?,
            nanoseconds: now.subsec_nanos(),
        })
    }
    fn get_resolution(&mut self) -> wasmtime::Result<types::Duration> {
        Ok(u64::try_from(self.ctx.wall_resolution().as_nanos())?)
    }
}

impl monotonic_clock::Host for WasiClocksCtxView<'_> {
    fn now(&mut self) -> wasmtime::Result<monotonic_clock::Mark> {
        Ok(self.ctx.monotonic_now())
    }
    fn get_resolution(&mut self) -> wasmtime::Result<types::Duration> {
        Ok(self.ctx.monotonic_resolution())
    }
}

impl<U> monotonic_clock::HostWithStore<U> for WasiClocks {
    async fn wait_until(
        store: &Accessor<U, Self>,
        when: monotonic_clock::Mark,
    ) -> wasmtime::Result<()> {
        let timer = store.with(|mut view| view.get().ctx.wait_until(when));
        timer.await;
        Ok(())
    }
    async fn wait_for(
        store: &Accessor<U, Self>,
        how_long: types::Duration,
    ) -> wasmtime::Result<()> {
        let timer = store.with(|mut view| view.get().ctx.wait_for(how_long));
        timer.await;
        Ok(())
    }
}

/// Adds the `wasi:clocks/*@0.3.0` interfaces to `linker` (wasmtime-wasi's
/// `p3::clocks::add_to_linker`).
pub fn add_to_linker<T: crate::clocks::WasiClocksView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use super::bindings::clocks;
    crate::add_interfaces!(linker, T, WasiClocks, T::clocks;
        clocks::{types, monotonic_clock, system_clock},
    );
    // The release candidate's interfaces of this package that keep their names.
    super::rc_2025_09_16::add_clocks_to_linker(linker)
}
