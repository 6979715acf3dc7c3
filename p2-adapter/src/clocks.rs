//! `wasi:clocks@0.2.x` on the core: the same clock pair and timers the p3 bindings use.

use crate::bindings::clocks::monotonic_clock::{self, Duration, Instant};
use crate::bindings::clocks::wall_clock::{self, Datetime};
use p3_core::clocks::Timer;
use p3_core::clocks::WasiClocksCtxView;
use wasmtime::component::Resource;
use wasmtime_wasi_io::poll::{DynPollable, Pollable, subscribe};

impl wall_clock::Host for WasiClocksCtxView<'_> {
    fn now(&mut self) -> wasmtime::Result<Datetime> {
        let now = self.ctx.wall_now();
        Ok(Datetime {
            seconds: now.as_secs(),
            nanoseconds: now.subsec_nanos(),
        })
    }
    fn resolution(&mut self) -> wasmtime::Result<Datetime> {
        let res = self.ctx.wall_resolution();
        Ok(Datetime {
            seconds: res.as_secs(),
            nanoseconds: res.subsec_nanos(),
        })
    }
}

/// A p2 clock pollable over a core [`Timer`].
///
/// p2-only behaviour: a pollable for a deadline already passed yields to the runtime once
/// before reporting ready, so guests busy-polling with a zero timeout do not starve I/O.
struct Deadline {
    timer: Timer,
    yielded: bool,
}

#[async_trait::async_trait]
impl Pollable for Deadline {
    async fn ready(&mut self) {
        if self.timer.is_immediate() {
            if !self.yielded {
                self.yielded = true;
                tokio::task::yield_now().await;
            }
            return;
        }
        (&mut self.timer).await
    }
}

fn subscribe_timer(
    view: &mut WasiClocksCtxView<'_>,
    timer: Timer,
) -> wasmtime::Result<Resource<DynPollable>> {
    // This resource is an implementation detail: only the pollable is handed to the guest.
    let deadline = view.table.push(Deadline {
        timer,
        yielded: false,
    })?;
    subscribe(view.table, deadline)
}

impl monotonic_clock::Host for WasiClocksCtxView<'_> {
    fn now(&mut self) -> wasmtime::Result<Instant> {
        Ok(self.ctx.monotonic_now())
    }
    fn resolution(&mut self) -> wasmtime::Result<Duration> {
        Ok(self.ctx.monotonic_resolution())
    }
    fn subscribe_instant(&mut self, when: Instant) -> wasmtime::Result<Resource<DynPollable>> {
        let timer = self.ctx.wait_until(when);
        subscribe_timer(self, timer)
    }
    fn subscribe_duration(&mut self, when: Duration) -> wasmtime::Result<Resource<DynPollable>> {
        let timer = self.ctx.wait_for(when);
        subscribe_timer(self, timer)
    }
}
