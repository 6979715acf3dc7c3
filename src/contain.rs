//! Keeping a panic to the one program or instance it happened in.
//!
//! wasmtime 48.0.8, the runtime this build is pinned to, has bugs a guest can reach that panic
//! inside the runtime (docs/security.md lists the advisories of 48.0.9–48.0.11). wasmtime
//! catches a panic in a host call and resumes it on the thread that polls the store, so it
//! arrives here as an unwinding panic: [`contain`] polls a program's future under
//! `catch_unwind` and turns such a panic into an error of that program alone. The process,
//! and every other program or instance in it, goes on.
//!
//! While a contained future is polled, the panic hook records the panic's message and place
//! instead of printing it (every other panic is printed by the hook that was installed
//! before), so the failure is reported once, as one error.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::Once;
use std::task::{Context, Poll};

thread_local! {
    /// How many contained futures this thread is polling.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
    /// The message and place of the latest contained panic on this thread.
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Whether this thread is dropping a future that panicked.
    static AFTER_PANIC: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is unwinding from a panic or dropping, after one, the future it
/// came from: what a guard that hands a store on checks to tell a panic from a cancellation.
pub(crate) fn after_panic() -> bool {
    std::thread::panicking() || AFTER_PANIC.with(Cell::get)
}

/// The text of a panic's payload.
fn payload_text(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "a panic without a message"
    }
}

fn install_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if DEPTH.with(Cell::get) == 0 {
                return previous(info);
            }
            let mut text = payload_text(info.payload()).to_string();
            if let Some(place) = info.location() {
                text.push_str(&format!(" (at {place})"));
            }
            LAST.with(|last| *last.borrow_mut() = Some(text));
        }));
    });
}

/// The message of the latest panic contained on this thread, with its place.
pub(crate) fn last_panic() -> String {
    LAST.with(|last| last.borrow().clone())
        .unwrap_or_else(|| "a panic without a message".to_string())
}

/// The error a contained panic becomes.
pub(crate) fn panicked(what: &str) -> wasmtime::Error {
    // Most likely one of wasmtime 48.0.8's, but a panic of wasi-bridge's own lands here too:
    // the message says where it was.
    wasmtime::format_err!(
        "{what} stopped: the host panicked running it: {} (a host bug the guest reached, \
         such as wasmtime 48.0.8's in docs/security.md; only this {what_alone} ended)",
        last_panic(),
        what_alone = what.trim_start_matches("the ")
    )
}

/// Counts this thread into a contained poll, and out again however the poll ends.
struct Depth;

impl Depth {
    fn enter() -> Depth {
        DEPTH.with(|d| d.set(d.get() + 1));
        Depth
    }
}

impl Drop for Depth {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get() - 1));
    }
}

/// `future`, with a panic while it is polled (or dropped after one) caught: `Err` names
/// `what` and the panic's message. After a panic the future is dropped, also under
/// `catch_unwind`, and not polled again.
pub(crate) fn contain<F: Future>(what: &'static str, future: F) -> Contained<F> {
    install_hook();
    Contained {
        what,
        inner: Some(Box::pin(future)),
    }
}

/// The future [`contain`] returns.
pub(crate) struct Contained<F> {
    what: &'static str,
    inner: Option<Pin<Box<F>>>,
}

impl<F: Future> Future for Contained<F> {
    type Output = wasmtime::Result<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(Err(wasmtime::format_err!(
                "{} polled after it ended",
                self.what
            )));
        };
        let _depth = Depth::enter();
        match catch_unwind(AssertUnwindSafe(|| inner.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(out)) => {
                self.inner = None;
                Poll::Ready(Ok(out))
            }
            Err(_) => {
                let error = panicked(self.what);
                let inner = self.inner.take();
                // Dropping a store the runtime panicked in may panic again: that, too, is
                // this program's alone.
                AFTER_PANIC.with(|a| a.set(true));
                let _ = catch_unwind(AssertUnwindSafe(move || drop(inner)));
                AFTER_PANIC.with(|a| a.set(false));
                Poll::Ready(Err(error))
            }
        }
    }
}

impl<F> Drop for Contained<F> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let _depth = Depth::enter();
            let _ = catch_unwind(AssertUnwindSafe(move || drop(inner)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_is_an_error_with_its_message_and_the_next_future_runs() {
        let out = contain("the program", async {
            if std::hint::black_box(true) {
                panic!("stream cancelled on the wrong end");
            }
            7
        })
        .await;
        let e = out.unwrap_err().to_string();
        assert!(e.starts_with("the program stopped: the host panicked running it: stream cancelled on the wrong end (at src/contain.rs:"), "{e}");
        assert_eq!(contain("the next", async { 7 }).await.unwrap(), 7);
        // Outside a contained poll the hook is the one installed before.
        assert_eq!(DEPTH.with(Cell::get), 0);
    }

    /// A future that panics when polled, and again when dropped.
    struct Broken;

    impl Future for Broken {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            panic!("first");
        }
    }

    impl Drop for Broken {
        fn drop(&mut self) {
            panic!("dropped in a bad state");
        }
    }

    #[tokio::test]
    async fn a_panic_while_dropping_after_a_panic_is_caught_too() {
        let out = contain("the program", Broken).await;
        assert!(
            out.unwrap_err()
                .to_string()
                .contains("panicked running it: first")
        );
        // Dropped unpolled: its drop's panic is caught as well.
        drop(contain("the program", Broken));
    }
}
