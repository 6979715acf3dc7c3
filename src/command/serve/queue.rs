//! The process's stdout and stderr as `serve`'s instances share them: what the guests write is
//! gathered for a moment and written out together.
//!
//! A handler printing a line per request would otherwise cost a `write` per request, and
//! whoever reads the server's output a wake-up per request (a log collector, containerd's copy
//! of a container's fifo). Writes are queued in the order the guests made them, both streams in
//! one queue (so stdout and stderr keep their order between each other), and one thread writes
//! the queue out: at most [`WINDOW`] after the first queued byte, or at once past [`BATCH`]
//! bytes. The queue holds at most [`MAX_PENDING`] bytes; past that a writer waits (as it waits
//! on a full pipe when writing itself). A write error (a closed pipe) is the answer to the
//! writes after it, as the guest's stream would have failed. [`flush`] waits until everything
//! queued is written; `serve` calls it before it returns.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use super::output::Output;

/// How long queued output may wait for more: 10 ms, so that a reader of the server's output
/// (a log collector; containerd's Go copy of a container's fifo, which spends tens of µs per
/// wake-up) wakes at most 100 times a second at a steady request rate, while a line still
/// shows up at once to a person watching.
pub const WINDOW: Duration = Duration::from_millis(10);
/// Queued bytes written at once, without waiting for the window.
pub const BATCH: usize = 64 * 1024;
/// Queued bytes past which a writer waits.
pub const MAX_PENDING: usize = 1024 * 1024;

#[derive(Default)]
struct Pending {
    /// Consecutive writes to one stream are one chunk.
    chunks: VecDeque<(Output, Vec<u8>)>,
    bytes: usize,
    /// The writer thread is writing chunks it took.
    writing: bool,
    /// The first write error, per stream (0: stdout, 1: stderr).
    failed: [Option<std::io::ErrorKind>; 2],
}

/// Writes a chunk to its stream: the process's stdout and stderr, or a test's.
type WriteFn = dyn Fn(Output, &[u8]) -> std::io::Result<()> + Send + Sync;

struct Sink {
    pending: Mutex<Pending>,
    changed: Condvar,
    out: Box<WriteFn>,
}

fn index(output: Output) -> usize {
    match output {
        Output::Stdout => 0,
        Output::Stderr => 1,
    }
}

/// The queue, once a guest wrote.
static SINK: OnceLock<&'static Sink> = OnceLock::new();

/// The process's stdout (line-buffered by std: flushed after each chunk) and stderr.
fn process_output(output: Output, bytes: &[u8]) -> std::io::Result<()> {
    match output {
        Output::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|()| out.flush())
        }
        Output::Stderr => std::io::stderr().lock().write_all(bytes),
    }
}

impl Sink {
    /// The process's queue.
    fn get() -> &'static Sink {
        SINK.get_or_init(|| Sink::start(Box::new(process_output)))
    }

    /// A queue writing with `out`, and its writer thread (both live as long as the process).
    fn start(out: Box<WriteFn>) -> &'static Sink {
        let sink: &'static Sink = Box::leak(Box::new(Sink {
            pending: Mutex::new(Pending::default()),
            changed: Condvar::new(),
            out,
        }));
        std::thread::Builder::new()
            .name("serve-output".into())
            .spawn(move || sink.write_out())
            .expect("a thread for serve's output");
        sink
    }

    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, Pending>) -> MutexGuard<'a, Pending> {
        self.changed.wait(guard).unwrap_or_else(|e| e.into_inner())
    }

    /// The writer thread.
    fn write_out(&self) {
        loop {
            let mut pending = self.lock();
            while pending.chunks.is_empty() {
                pending = self.wait(pending);
            }
            if pending.bytes < BATCH {
                drop(pending);
                std::thread::sleep(WINDOW);
                pending = self.lock();
            }
            let chunks = std::mem::take(&mut pending.chunks);
            pending.bytes = 0;
            pending.writing = true;
            drop(pending);
            self.changed.notify_all();
            let mut failed = [None, None];
            for (output, bytes) in chunks {
                if let Err(e) = (self.out)(output, &bytes) {
                    failed[index(output)].get_or_insert(e.kind());
                }
            }
            let mut pending = self.lock();
            pending.writing = false;
            for (slot, error) in pending.failed.iter_mut().zip(failed) {
                if slot.is_none() {
                    *slot = error;
                }
            }
            drop(pending);
            self.changed.notify_all();
        }
    }

    fn write(&self, output: Output, fill: impl FnOnce(&mut Vec<u8>)) -> std::io::Result<()> {
        let mut pending = self.lock();
        while pending.bytes >= MAX_PENDING && pending.failed[index(output)].is_none() {
            pending = self.wait(pending);
        }
        if let Some(kind) = pending.failed[index(output)] {
            return Err(kind.into());
        }
        let was_empty = pending.chunks.is_empty();
        let added = match pending.chunks.back_mut() {
            Some((last, chunk)) if *last == output => {
                let before = chunk.len();
                fill(chunk);
                chunk.len() - before
            }
            _ => {
                let mut chunk = Vec::new();
                fill(&mut chunk);
                let added = chunk.len();
                pending.chunks.push_back((output, chunk));
                added
            }
        };
        pending.bytes += added;
        drop(pending);
        if was_empty {
            self.changed.notify_all();
        }
        Ok(())
    }

    fn flush(&self) {
        let mut pending = self.lock();
        while !pending.chunks.is_empty() || pending.writing {
            pending = self.wait(pending);
        }
    }
}

/// Queues what `fill` appends (into the queue's own buffer: no copy on the way) for `output`;
/// the error of an earlier write to it, if one failed.
pub fn write(output: Output, fill: impl FnOnce(&mut Vec<u8>)) -> std::io::Result<()> {
    Sink::get().write(output, fill)
}

/// Waits until everything queued so far is written.
pub fn flush() {
    if let Some(sink) = SINK.get() {
        sink.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    type Written = Arc<Mutex<Vec<(Output, Vec<u8>)>>>;

    /// A queue writing into a list (each write one entry), failing stderr once `fail` is set,
    /// and waiting while `hold` is set.
    fn queue(fail: Arc<AtomicBool>, hold: Arc<AtomicBool>) -> (&'static Sink, Written) {
        let written = Written::default();
        let into = written.clone();
        let sink = Sink::start(Box::new(move |output, bytes| {
            while hold.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(1));
            }
            if output == Output::Stderr && fail.load(Ordering::SeqCst) {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            into.lock().unwrap().push((output, bytes.to_vec()));
            Ok(())
        }));
        (sink, written)
    }

    #[test]
    fn writes_keep_their_order_across_streams_and_are_gathered() {
        let (sink, written) = queue(Default::default(), Default::default());
        for i in 0..1000 {
            let output = if i % 100 == 99 {
                Output::Stderr
            } else {
                Output::Stdout
            };
            sink.write(output, |b| b.extend(format!("{i}\n").bytes()))
                .unwrap();
        }
        sink.flush();
        let written = written.lock().unwrap();
        // Everything, in order, each line on the stream it was written to.
        let mut next = 0;
        for (output, bytes) in written.iter() {
            for line in String::from_utf8_lossy(bytes).lines() {
                assert_eq!(line, next.to_string());
                let expected = if next % 100 == 99 {
                    Output::Stderr
                } else {
                    Output::Stdout
                };
                assert!(*output == expected, "line {next} on the wrong stream");
                next += 1;
            }
        }
        assert_eq!(next, 1000);
        // Written together: 1000 writes in a loop take well under the window each.
        assert!(
            written.len() < 500,
            "{} writes for 1000 lines",
            written.len()
        );
    }

    #[test]
    fn a_failed_write_is_the_answer_to_the_next_on_that_stream_only() {
        let fail = Arc::new(AtomicBool::new(true));
        let (sink, written) = queue(fail, Default::default());
        sink.write(Output::Stderr, |b| b.extend(b"lost\n")).unwrap();
        sink.flush();
        let e = sink
            .write(Output::Stderr, |b| b.extend(b"refused\n"))
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
        sink.write(Output::Stdout, |b| b.extend(b"kept\n")).unwrap();
        sink.flush();
        assert_eq!(
            *written.lock().unwrap(),
            vec![(Output::Stdout, b"kept\n".to_vec())]
        );
    }

    #[test]
    fn a_full_queue_makes_writers_wait() {
        let hold = Arc::new(AtomicBool::new(true));
        let (sink, written) = queue(Default::default(), hold.clone());
        // The writer thread holds the first chunk; the queue then fills to its bound.
        sink.write(Output::Stdout, |b| b.extend([b'a'; 10]))
            .unwrap();
        std::thread::sleep(WINDOW * 20);
        for _ in 0..MAX_PENDING / BATCH {
            sink.write(Output::Stdout, |b| b.resize(b.len() + BATCH, b'b'))
                .unwrap();
        }
        let done = Arc::new(AtomicBool::new(false));
        let writer = {
            let done = done.clone();
            std::thread::spawn(move || {
                sink.write(Output::Stdout, |b| b.push(b'c')).unwrap();
                done.store(true, Ordering::SeqCst);
            })
        };
        std::thread::sleep(Duration::from_millis(200));
        assert!(!done.load(Ordering::SeqCst), "a write past the bound waits");
        hold.store(false, Ordering::SeqCst);
        writer.join().unwrap();
        sink.flush();
        let total: usize = written.lock().unwrap().iter().map(|(_, b)| b.len()).sum();
        assert_eq!(total, 10 + MAX_PENDING + 1);
    }
}
