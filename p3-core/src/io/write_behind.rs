//! The write-behind queue: bytes a sink has accepted that its destination has not taken yet,
//! pushed into it in order by one background drain task, with a sticky error, waiters and a
//! bounded backlog. stdio's shared sinks and TCP's send side are both built on it.
//!
//! While bytes are queued or the task flushes, only the drain task polls the destination (a
//! writer or socket keeps one waker per direction: a caller polling it would take the task's,
//! and a caller polling with a no-op waker would leave the queue stranded); callers wait on the
//! queue's waiters, which the task wakes. Nothing waits while holding the lock. When no tokio
//! runtime is current, the drain task runs on wasmtime-wasi's fallback runtime
//! ([`spawn_detached`]), so queued bytes always reach their destination, whoever wrote them.
//! Whenever the queue runs empty after bytes went in, the destination is flushed (a
//! line-buffered stdout would otherwise hold a prompt until the guest's next newline).

use super::spawn_detached;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker, ready};

/// The destination a [`WriteBehind`] queue drains into.
pub trait Drain: Send + 'static {
    /// The error a failed write leaves behind; every later operation reports it again.
    type Error: Clone + Send;

    /// Writes a prefix of `buf` (never empty) and returns its length, or registers `cx` and
    /// returns `Pending`.
    fn poll_drain(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, Self::Error>>;

    /// Flushes what the destination buffers itself (a line-buffered stdout), or registers `cx`
    /// and returns `Pending`. Called whenever bytes were written and nothing is left queued, so
    /// written bytes never sit in the destination's own buffer while the writer waits for
    /// something else. Destinations without a buffer of their own keep the default.
    fn poll_flush_dest(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    /// Called each time the queue has been emptied.
    fn on_empty(&mut self) {}
}

/// Queued bytes, the destination they go to, and who waits for them.
pub struct Queue<W: Drain> {
    /// The destination.
    pub writer: W,
    bytes: VecDeque<u8>,
    error: Option<W::Error>,
    /// Bytes went into the destination since its last flush.
    unflushed: bool,
    draining: bool,
    waiters: Vec<Waker>,
}

impl<W: Drain> Queue<W> {
    /// How many bytes are queued.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The error a write left behind, if one failed.
    pub fn error(&self) -> Option<&W::Error> {
        self.error.as_ref()
    }

    /// Pushes queued bytes into the writer: `Ready(Ok)` once the queue is empty, the sticky
    /// error once a write failed. Only the drain task calls this.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), W::Error>> {
        if let Some(err) = &self.error {
            return Poll::Ready(Err(err.clone()));
        }
        while !self.bytes.is_empty() {
            let (front, _) = self.bytes.as_slices();
            match ready!(self.writer.poll_drain(cx, front)) {
                Ok(n) => {
                    self.bytes.drain(..n);
                    self.unflushed = true;
                    self.wake_waiters();
                }
                Err(e) => return Poll::Ready(Err(self.fail(e))),
            }
        }
        if self.unflushed {
            if let Err(e) = ready!(self.writer.poll_flush_dest(cx)) {
                return Poll::Ready(Err(self.fail(e)));
            }
            self.unflushed = false;
        }
        self.writer.on_empty();
        Poll::Ready(Ok(()))
    }

    /// Writes `src` straight into the writer while nothing is queued ahead of it, until the
    /// writer would wait; returns how many bytes it took. Call [`WriteBehind::settle`] once
    /// the rest is queued, so what the writer took does not sit in its own buffer.
    pub fn write_direct(
        &mut self,
        cx: &mut Context<'_>,
        mut src: &[u8],
    ) -> Result<usize, W::Error> {
        let mut written = 0;
        while !src.is_empty() && self.bytes.is_empty() {
            match self.writer.poll_drain(cx, src) {
                Poll::Ready(Ok(n)) => {
                    written += n;
                    src = &src[n..];
                    self.unflushed = true;
                }
                Poll::Ready(Err(e)) => return Err(self.fail(e)),
                Poll::Pending => break,
            }
        }
        Ok(written)
    }

    /// Flushes the destination now. Only for a caller that has just seen
    /// [`WriteBehind::poll_empty`] ready (nothing queued, no drain task at work).
    pub fn poll_flush_now(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), W::Error>> {
        if let Some(err) = &self.error {
            return Poll::Ready(Err(err.clone()));
        }
        match ready!(self.writer.poll_flush_dest(cx)) {
            Ok(()) => {
                self.unflushed = false;
                Poll::Ready(Ok(()))
            }
            Err(e) => Poll::Ready(Err(self.fail(e))),
        }
    }

    /// Queues `src` behind what is queued already, unless that would make the queue longer
    /// than `max` (then nothing is queued and `false` is returned).
    pub fn enqueue(&mut self, src: &[u8], max: usize) -> bool {
        if self.bytes.len() + src.len() > max {
            return false;
        }
        self.bytes.extend(src);
        true
    }

    /// Records a failed write: the error sticks, queued bytes are dropped (they can no longer
    /// be delivered) and every waiter is woken to see it.
    pub fn fail(&mut self, err: W::Error) -> W::Error {
        self.error = Some(err.clone());
        self.bytes = VecDeque::new();
        self.wake_waiters();
        err
    }

    /// Registers `cx` to be woken when the queue shrinks, empties or fails.
    pub fn wait(&mut self, cx: &Context<'_>) {
        if !self.waiters.iter().any(|w| w.will_wake(cx.waker())) {
            self.waiters.push(cx.waker().clone());
        }
    }

    /// Wakes everyone waiting on the queue.
    pub fn wake_waiters(&mut self) {
        for w in self.waiters.drain(..) {
            w.wake();
        }
    }
}

/// A write-behind queue shared by every handle onto one destination.
pub struct WriteBehind<W: Drain> {
    shared: Arc<Mutex<Queue<W>>>,
}

impl<W: Drain> Clone for WriteBehind<W> {
    fn clone(&self) -> Self {
        WriteBehind {
            shared: self.shared.clone(),
        }
    }
}

impl<W: Drain> WriteBehind<W> {
    /// An empty queue in front of `writer`.
    pub fn new(writer: W) -> Self {
        WriteBehind {
            shared: Arc::new(Mutex::new(Queue {
                writer,
                bytes: VecDeque::new(),
                error: None,
                unflushed: false,
                draining: false,
                waiters: Vec::new(),
            })),
        }
    }

    /// Locks the queue. A poisoned lock only means another thread panicked mid-call; the queue
    /// is consistent between statements, so it is used as it is.
    pub fn lock(&self) -> MutexGuard<'_, Queue<W>> {
        self.shared.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `queue` (this queue, locked by the caller) is empty and no drain task is
    /// at work on the destination, leaving the writing to that task: `Ready(Ok)` then, the
    /// sticky error once a write failed.
    pub fn poll_empty(&self, queue: &mut Queue<W>, cx: &Context<'_>) -> Poll<Result<(), W::Error>> {
        if let Some(err) = &queue.error {
            return Poll::Ready(Err(err.clone()));
        }
        if queue.bytes.is_empty() && !queue.draining {
            return Poll::Ready(Ok(()));
        }
        self.ensure_draining(queue);
        queue.wait(cx);
        Poll::Pending
    }

    /// After a caller's write: flushes the destination when nothing is left queued and bytes
    /// went in since its last flush (at once if it can, otherwise by the drain task), and
    /// starts the drain task for whatever is queued. Bytes a caller has written thus reach
    /// the destination before the caller next waits, while a bulk writer that keeps the
    /// queue non-empty pays no flush per write.
    pub fn settle(&self, queue: &mut Queue<W>) {
        if queue.bytes.is_empty() && queue.unflushed && !queue.draining {
            match queue
                .writer
                .poll_flush_dest(&mut Context::from_waker(Waker::noop()))
            {
                Poll::Ready(Ok(())) => queue.unflushed = false,
                Poll::Ready(Err(e)) => {
                    queue.fail(e);
                }
                Poll::Pending => {}
            }
        }
        self.ensure_draining(queue);
    }

    /// Starts the background task that drains `queue` (this queue, locked by the caller), if
    /// bytes are queued or a flush is owed, and no task is at work yet.
    pub fn ensure_draining(&self, queue: &mut Queue<W>) {
        if (queue.bytes.is_empty() && !queue.unflushed) || queue.draining || queue.error.is_some() {
            return;
        }
        queue.draining = true;
        let this = self.clone();
        spawn_detached(std::future::poll_fn(move |cx| {
            let mut queue = this.lock();
            let _ = ready!(queue.drain(cx));
            queue.draining = false;
            queue.wake_waiters();
            Poll::Ready(())
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A destination taking at most `chunk` bytes per write and waiting every other call.
    struct Slow {
        out: Arc<Mutex<Vec<u8>>>,
        chunk: usize,
        flip: bool,
        emptied: usize,
    }

    impl Drain for Slow {
        type Error = ();
        fn poll_drain(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<Result<usize, ()>> {
            self.flip = !self.flip;
            if self.flip {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let n = buf.len().min(self.chunk);
            self.out.lock().unwrap().extend_from_slice(&buf[..n]);
            Poll::Ready(Ok(n))
        }
        fn on_empty(&mut self) {
            self.emptied += 1;
        }
    }

    /// GHSA-5m8g-xhq4-4h93 / GHSA-f8mm-ggr3-89wh: the queue holds bytes, so an empty write
    /// (stdout, stderr, a TCP stream) leaves nothing behind.
    #[test]
    fn a_million_empty_writes_queue_nothing() {
        let wb = WriteBehind::new(Slow {
            out: Arc::new(Mutex::new(Vec::new())),
            chunk: 3,
            flip: false,
            emptied: 0,
        });
        let mut q = wb.lock();
        for _ in 0..1_000_000 {
            assert!(q.enqueue(&[], 16));
        }
        assert_eq!((q.len(), q.bytes.capacity()), (0, 0));
    }

    #[test]
    fn drains_in_order_without_a_runtime_and_bounds_the_backlog() {
        let out = Arc::new(Mutex::new(Vec::new()));
        let wb = WriteBehind::new(Slow {
            out: out.clone(),
            chunk: 3,
            flip: false,
            emptied: 0,
        });
        {
            let mut q = wb.lock();
            assert!(q.enqueue(b"hello, ", 16));
            assert!(q.enqueue(b"world", 16));
            assert!(!q.enqueue(b"too much", 16), "over the bound");
            // No runtime is current here: the fallback runtime drains.
            wb.ensure_draining(&mut q);
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !wb.lock().is_empty() {
            assert!(std::time::Instant::now() < deadline, "never drained");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(&*out.lock().unwrap(), b"hello, world");
        assert!(wb.lock().writer.emptied >= 1);
    }

    #[test]
    fn a_failed_write_sticks_and_drops_the_queue() {
        struct Broken;
        impl Drain for Broken {
            type Error = &'static str;
            fn poll_drain(
                &mut self,
                _: &mut Context<'_>,
                _: &[u8],
            ) -> Poll<Result<usize, &'static str>> {
                Poll::Ready(Err("gone"))
            }
        }
        let wb = WriteBehind::new(Broken);
        let mut q = wb.lock();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(q.enqueue(b"queued", 8));
        assert_eq!(q.drain(&mut cx), Poll::Ready(Err("gone")));
        assert!(q.is_empty(), "undeliverable bytes are dropped");
        assert_eq!(q.write_direct(&mut cx, b"x"), Err("gone"));
        assert_eq!(
            q.drain(&mut cx),
            Poll::Ready(Err("gone")),
            "the error sticks"
        );
        assert_eq!(q.error(), Some(&"gone"));
    }
}
