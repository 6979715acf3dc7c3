//! `wasi:clocks`: the wall clock and the monotonic clock, and waiting on the latter.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use wasmtime::component::{HasData, ResourceTable};
use wasmtime_wasi::{HostMonotonicClock, HostWallClock};

/// The [`HasData`] marker of the `wasi:clocks` interfaces, as wasmtime-wasi's: link one of
/// them alone with it (`…::monotonic_clock::add_to_linker::<T, WasiClocks>(linker, getter)`).
pub struct WasiClocks;

impl HasData for WasiClocks {
    type Data<'a> = WasiClocksCtxView<'a>;
}

/// Access to the clock pair and the resource table inside a host's store data: what a host
/// that grants only `wasi:clocks` implements (a [`WasiView`](crate::WasiView) has it already).
pub trait WasiClocksView: Send {
    /// Returns the clocks and the resource table.
    fn clocks(&mut self) -> WasiClocksCtxView<'_>;
}

/// The clock pair and the table the `wasi:clocks` host functions work with.
pub struct WasiClocksCtxView<'a> {
    /// The clocks.
    pub ctx: &'a mut WasiClocksCtx,
    /// The guest's resources (p2's pollables live here).
    pub table: &'a mut ResourceTable,
}

/// The clock pair shared by every ABI, so marks are comparable across p2 and p3 calls.
pub struct WasiClocksCtx {
    pub(crate) wall: Box<dyn HostWallClock + Send>,
    pub(crate) monotonic: Box<dyn HostMonotonicClock + Send>,
}

impl Default for WasiClocksCtx {
    fn default() -> Self {
        WasiClocksCtx {
            wall: wasmtime_wasi::clocks::wall_clock(),
            monotonic: wasmtime_wasi::clocks::monotonic_clock(),
        }
    }
}

impl WasiClocksCtx {
    /// Time since the Unix epoch.
    pub fn wall_now(&self) -> Duration {
        self.wall.now()
    }

    /// Resolution of the wall clock.
    pub fn wall_resolution(&self) -> Duration {
        self.wall.resolution()
    }

    /// The monotonic clock's current mark, in nanoseconds.
    pub fn monotonic_now(&self) -> u64 {
        self.monotonic.now()
    }

    /// Resolution of the monotonic clock, in nanoseconds.
    pub fn monotonic_resolution(&self) -> u64 {
        self.monotonic.resolution()
    }

    /// A timer that fires once the monotonic clock reaches `mark`.
    pub fn wait_until(&self, mark: u64) -> Timer {
        let now = self.monotonic.now();
        Timer::after(Duration::from_nanos(mark.saturating_sub(now)))
    }

    /// A timer that fires after `nanos` nanoseconds.
    pub fn wait_for(&self, nanos: u64) -> Timer {
        Timer::after(Duration::from_nanos(nanos))
    }
}

/// A restartable timer on the monotonic clock.
pub struct Timer {
    state: TimerState,
}

enum TimerState {
    Elapsed,
    /// The deadline; the tokio timer is created on first poll, so a timer can be made outside
    /// a runtime (a synchronous host function) and awaited inside one.
    At(tokio::time::Instant, Option<Pin<Box<tokio::time::Sleep>>>),
    Never,
}

impl Timer {
    /// A timer firing after `duration`; one too far in the future to represent never fires.
    pub fn after(duration: Duration) -> Timer {
        let state = if duration.is_zero() {
            TimerState::Elapsed
        } else if let Some(deadline) = tokio::time::Instant::now().checked_add(duration) {
            TimerState::At(deadline, None)
        } else {
            TimerState::Never
        };
        Timer { state }
    }

    /// Whether the timer was created already elapsed (a zero or past deadline).
    pub fn is_immediate(&self) -> bool {
        matches!(self.state, TimerState::Elapsed)
    }

    /// Resolves once the deadline has passed.
    pub fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.state {
            TimerState::Elapsed => Poll::Ready(()),
            TimerState::At(deadline, sleep) => match sleep
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(*deadline)))
                .as_mut()
                .poll(cx)
            {
                Poll::Ready(()) => {
                    self.state = TimerState::Elapsed;
                    Poll::Ready(())
                }
                Poll::Pending => Poll::Pending,
            },
            TimerState::Never => Poll::Pending,
        }
    }
}

impl Future for Timer {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_elapsed(cx)
    }
}
