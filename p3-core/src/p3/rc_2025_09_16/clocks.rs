//! `wasi:clocks/wall-clock@0.3.0-rc-2025-09-16`: the core's wall clock as a `datetime`.

use super::bindings::clocks::wall_clock::{self, Datetime};
use crate::clocks::WasiClocksCtxView;

impl wall_clock::Host for WasiClocksCtxView<'_> {
    fn now(&mut self) -> wasmtime::Result<Datetime> {
        let now = self.ctx.wall_now();
        Ok(Datetime {
            seconds: now.as_secs(),
            nanoseconds: now.subsec_nanos(),
        })
    }

    fn get_resolution(&mut self) -> wasmtime::Result<Datetime> {
        let resolution = self.ctx.wall_resolution();
        Ok(Datetime {
            seconds: resolution.as_secs(),
            nanoseconds: resolution.subsec_nanos(),
        })
    }
}
