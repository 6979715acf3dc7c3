//! The shared sink and source under slow, chunky and stuck writers and concurrent readers.

use super::*;
use crate::io::{ByteSink, ByteSource, SINK_BUFFER};
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::AsyncWrite;

struct Chunky {
    out: Arc<Mutex<Vec<u8>>>,
    max: usize,
    pending_every_other: bool,
    flip: bool,
}

impl AsyncWrite for Chunky {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.pending_every_other {
            self.flip = !self.flip;
            if self.flip {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
        let n = buf.len().min(self.max);
        self.out.lock().unwrap().extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn sink_keeps_call_order_across_handles_and_slow_writer() {
    let out = Arc::new(Mutex::new(Vec::new()));
    let sink = SharedSink::new(
        Box::new(Chunky {
            out: out.clone(),
            max: 3,
            pending_every_other: true,
            flip: false,
        }),
        false,
    );
    let mut a = sink.handle();
    let b = sink.clone();
    b.write_all_nonblocking(b"hello ").unwrap();
    let mut rest: &[u8] = b"p3 world ";
    while !rest.is_empty() {
        let n = std::future::poll_fn(|cx| a.poll_write(cx, rest))
            .await
            .unwrap();
        rest = &rest[n..];
    }
    b.write_all_nonblocking(b"and p2 again").unwrap();
    sink.flush().await.unwrap();
    assert_eq!(&*out.lock().unwrap(), b"hello p3 world and p2 again");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_waiter_on_the_source_is_woken() {
    let (mut tx, rx) = tokio::io::duplex(64);
    let src = SharedSource::new(Box::new(rx), false);
    let waits: Vec<_> = (0..2)
        .map(|_| {
            let mut h = src.handle();
            tokio::spawn(async move { std::future::poll_fn(|cx| h.poll_ready(cx)).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    tokio::io::AsyncWriteExt::write_all(&mut tx, b"x")
        .await
        .unwrap();
    for w in waits {
        tokio::time::timeout(std::time::Duration::from_secs(5), w)
            .await
            .expect("a waiter was not woken")
            .unwrap();
    }
}

/// A granted write (polled with a no-op waker, as p2's `write` is) while the drain task
/// waits on a full writer must not take the task's waker: the queue still drains once the
/// reader makes room, with nobody polling the sink.
#[tokio::test(flavor = "multi_thread")]
async fn granted_writes_do_not_strand_the_drain_task() {
    let (mut reader, writer) = tokio::io::duplex(16);
    let sink = SharedSink::new(Box::new(writer), false);
    sink.write_all_nonblocking(&[1u8; 64]).unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    sink.write_all_nonblocking(&[2u8; 64]).unwrap();
    let mut got = Vec::new();
    let read = async {
        while got.len() < 128 {
            let mut buf = [0u8; 64];
            let n = tokio::io::AsyncReadExt::read(&mut reader, &mut buf)
                .await
                .unwrap();
            got.extend_from_slice(&buf[..n]);
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), read)
        .await
        .expect("queued bytes were stranded");
    assert_eq!(&got[..64], &[1u8; 64][..]);
    assert_eq!(&got[64..], &[2u8; 64][..]);
}

/// A writer that keeps bytes in its own buffer until flushed (like a line-buffered
/// stdout), and whose flush waits once when `slow_flush` is set.
struct Buffered {
    buf: Vec<u8>,
    out: Arc<Mutex<Vec<u8>>>,
    slow_flush: bool,
}

impl AsyncWrite for Buffered {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.buf.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if std::mem::take(&mut self.slow_flush) {
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        let bytes = std::mem::take(&mut self.buf);
        self.out.lock().unwrap().extend_from_slice(&bytes);
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A prompt without a newline reaches the writer's destination without the guest
/// flushing, by either kind of write, also when the writer's flush has to wait.
#[tokio::test(flavor = "multi_thread")]
async fn written_bytes_do_not_sit_in_the_writers_buffer() {
    for slow_flush in [false, true] {
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = SharedSink::new(
            Box::new(Buffered {
                buf: Vec::new(),
                out: out.clone(),
                slow_flush,
            }),
            false,
        );
        let mut h = sink.handle();
        let n = std::future::poll_fn(|cx| h.poll_write(cx, b"name? "))
            .await
            .unwrap();
        assert_eq!(n, 6);
        sink.write_all_nonblocking(b"> ").unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while out.lock().unwrap().len() < 8 {
            assert!(
                std::time::Instant::now() < deadline,
                "prompt stuck in the writer's buffer (slow_flush={slow_flush})"
            );
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        assert_eq!(&*out.lock().unwrap(), b"name? > ");
    }
}

/// A writer that never takes a byte.
struct Stuck;

impl AsyncWrite for Stuck {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Pending
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Pending
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Pending
    }
}

#[test]
fn granted_writes_to_a_stuck_writer_are_bounded() {
    let sink = SharedSink::new(Box::new(Stuck), false);
    let chunk = vec![0u8; SINK_BUFFER];
    for _ in 0..MAX_BACKLOG / SINK_BUFFER {
        sink.write_all_nonblocking(&chunk).unwrap();
    }
    let err = sink.write_all_nonblocking(&chunk).unwrap_err();
    assert!(err.to_string().contains("backlog"), "{err}");
}

#[tokio::test]
async fn source_read_ahead_is_shared_not_lost() {
    let src = SharedSource::new(Box::new(&b"abcdefgh"[..]), false);
    let mut h1 = src.handle();
    let mut h2 = src.handle();
    std::future::poll_fn(|cx| h1.poll_ready(cx)).await;
    let mut buf = [0u8; 3];
    let n = std::future::poll_fn(|cx| h2.poll_read(cx, &mut buf))
        .await
        .unwrap();
    assert_eq!(&buf[..n], b"abc");
    let mut rest = [0u8; 16];
    let n = std::future::poll_fn(|cx| h1.poll_read(cx, &mut rest))
        .await
        .unwrap();
    assert_eq!(&rest[..n], b"defgh");
    let n = std::future::poll_fn(|cx| h1.poll_read(cx, &mut rest))
        .await
        .unwrap();
    assert_eq!(n, 0, "end of stream");
}
