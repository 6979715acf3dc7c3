//! The body a guest hands the host: a byte-exact pipe from a [`ByteSink`] to an `http_body::Body`.

use super::{BODY_BUDGET, HttpError};
use crate::error::CoreError;
use crate::io::ByteSink;
use bytes::Bytes;
use http::HeaderMap;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use tokio::sync::oneshot;

/// Whether a body belongs to a request or a response: it picks the body-size error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// An outgoing request's body (`HTTP-request-body-size`).
    Request,
    /// An outgoing response's body (`HTTP-response-body-size`).
    Response,
}

impl Direction {
    pub(crate) fn size_error(self, written: u64) -> HttpError {
        match self {
            Direction::Request => HttpError::HttpRequestBodySize(Some(written)),
            Direction::Response => HttpError::HttpResponseBodySize(Some(written)),
        }
    }
}

enum End {
    Open,
    /// `finish` was called; the trailers are still to be sent.
    Finished(Option<HeaderMap>),
    /// Aborted (the guest dropped the body, or a content-length mismatch).
    Aborted(Option<HttpError>),
    /// Everything, trailers included, was handed to the receiver.
    Done,
}

struct Pipe {
    queue: VecDeque<Bytes>,
    queued: usize,
    written: u64,
    end: End,
    receiver_gone: bool,
    rx: Option<Waker>,
    tx: Option<Waker>,
    /// Told when the receiver has taken the whole body (`Ok`), or was dropped or failed first.
    transmitted: Option<Transmitted>,
}

struct Shared {
    pipe: Mutex<Pipe>,
    direction: Direction,
    content_length: Option<u64>,
    /// Whether a write past the declared length is refused and aborts the body (WASIp3), or
    /// goes out and fails (WASIp2, whose framing then cuts it).
    strict_length: std::sync::atomic::AtomicBool,
    /// Bytes the queue holds before the sink waits.
    budget: usize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Pipe> {
        self.pipe.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Creates a body pipe: the guest writes into the [`BodySink`], ends it through the
/// [`BodyFinisher`], and the host reads the [`BodyReceiver`].
///
/// The sink grants exactly the room left in a `BODY_BUDGET`-byte queue; a write past the
/// declared `content_length` fails at once with the direction's body-size error and aborts the
/// body, and `finish` with fewer bytes does the same.
pub fn body_pipe(
    direction: Direction,
    content_length: Option<u64>,
) -> (BodySink, BodyFinisher, BodyReceiver) {
    body_pipe_with_budget(direction, content_length, BODY_BUDGET)
}

/// [`body_pipe`] whose queue holds `budget` bytes.
pub(crate) fn body_pipe_with_budget(
    direction: Direction,
    content_length: Option<u64>,
    budget: usize,
) -> (BodySink, BodyFinisher, BodyReceiver) {
    let shared = Arc::new(Shared {
        budget,
        pipe: Mutex::new(Pipe {
            queue: VecDeque::new(),
            queued: 0,
            written: 0,
            end: End::Open,
            receiver_gone: false,
            rx: None,
            tx: None,
            transmitted: None,
        }),
        direction,
        content_length,
        strict_length: std::sync::atomic::AtomicBool::new(false),
    });
    (
        BodySink(shared.clone()),
        BodyFinisher(Some(shared.clone())),
        BodyReceiver(shared),
    )
}

/// The writing end of a body pipe (a p2 `output-stream`, a p3 body stream's consumer).
pub struct BodySink(Arc<Shared>);

impl BodySink {
    /// Makes a write past the declared content-length fail without going out, and abort the
    /// body (WASIp3's rule; WASIp2 lets the bytes go and fails the write).
    pub fn strict_length(self) -> Self {
        self.0
            .strict_length
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self
    }

    /// Queues `data` without waiting; the caller was granted the room.
    fn push(&mut self, data: Bytes) -> Result<(), CoreError> {
        let mut pipe = self.0.lock();
        check_open(&pipe)?;
        let written = pipe.written + data.len() as u64;
        if self
            .0
            .strict_length
            .load(std::sync::atomic::Ordering::Relaxed)
            && self.0.content_length.is_some_and(|limit| written > limit)
        {
            pipe.end = End::Aborted(Some(self.0.direction.size_error(written)));
            wake(&mut pipe.rx);
            return Err(CoreError::Http(self.0.direction.size_error(written)));
        }
        // Past the declared length (WASIp2) the write fails, as on native, and only the bytes
        // up to the length are queued: the rest reach neither the wire nor a host's
        // `send_request` hook (GHSA-w2v8-7333-jx5p; wasmtime-wasi-http 48.0.8 sent them and
        // left the framing to cut them). `finish` then reports the mismatch and aborts.
        let over = self.0.content_length.filter(|&limit| written > limit);
        let data = match over {
            Some(limit) => {
                let room = limit.saturating_sub(pipe.written);
                data.slice(..usize::try_from(room).unwrap_or(usize::MAX).min(data.len()))
            }
            None => data,
        };
        pipe.written = written;
        if !data.is_empty() {
            pipe.queued += data.len();
            pipe.queue.push_back(data);
            wake(&mut pipe.rx);
        }
        if over.is_some() {
            return Err(CoreError::Http(self.0.direction.size_error(written)));
        }
        Ok(())
    }
}

fn check_open(pipe: &Pipe) -> Result<(), CoreError> {
    if pipe.receiver_gone || !matches!(pipe.end, End::Open) {
        return Err(CoreError::Closed);
    }
    Ok(())
}

fn wake(waker: &mut Option<Waker>) {
    if let Some(w) = waker.take() {
        w.wake();
    }
}

impl ByteSink for BodySink {
    fn poll_write_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<usize, CoreError>> {
        let mut pipe = self.0.lock();
        check_open(&pipe)?;
        if pipe.queued < self.0.budget {
            return Poll::Ready(Ok(self.0.budget - pipe.queued));
        }
        pipe.tx = Some(cx.waker().clone());
        Poll::Pending
    }

    fn poll_write(&mut self, cx: &mut Context<'_>, src: &[u8]) -> Poll<Result<usize, CoreError>> {
        let room = match self.poll_write_ready(cx) {
            Poll::Ready(Ok(n)) => n,
            other => return other,
        };
        let n = room.min(src.len());
        self.push(Bytes::copy_from_slice(&src[..n]))?;
        Poll::Ready(Ok(n))
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        // Queued bytes belong to the receiver already (native p2's flush is a no-op too).
        Poll::Ready(check_open(&self.0.lock()))
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        self.poll_flush(cx)
    }

    fn write_granted(&mut self, src: &[u8]) -> Result<bool, CoreError> {
        self.write_granted_bytes(Bytes::copy_from_slice(src))
    }

    fn write_granted_bytes(&mut self, src: Bytes) -> Result<bool, CoreError> {
        // The grant is the queue's free room, which only grows until the next write; a write
        // over it is taken whole too (bounded by the caller's permit check), as native does.
        self.push(src)?;
        Ok(true)
    }
}

/// Ends a body pipe: [`BodyFinisher::finish`] with optional trailers, or dropped unfinished,
/// which aborts the body (the receiver sees an error, as a peer sees a reset).
pub struct BodyFinisher(Option<Arc<Shared>>);

impl BodyFinisher {
    /// Ends the body. With a declared content-length that was not reached, the body is aborted
    /// and the body-size error returned (queued bytes go first either way).
    pub fn finish(mut self, trailers: Option<HeaderMap>) -> Result<(), HttpError> {
        let Some(shared) = self.0.take() else {
            return Ok(());
        };
        let mut pipe = shared.lock();
        if !matches!(pipe.end, End::Open) {
            return match std::mem::replace(&mut pipe.end, End::Aborted(None)) {
                End::Aborted(Some(e)) => Err(e),
                _ => Ok(()),
            };
        }
        if let Some(limit) = shared.content_length
            && pipe.written != limit
        {
            pipe.end = End::Aborted(Some(shared.direction.size_error(pipe.written)));
            wake(&mut pipe.rx);
            return Err(shared.direction.size_error(pipe.written));
        }
        pipe.end = End::Finished(trailers);
        wake(&mut pipe.rx);
        Ok(())
    }

    /// Ends the body with an error (a p3 guest's trailers future resolving to an error).
    pub fn abort(mut self, err: HttpError) {
        if let Some(shared) = self.0.take() {
            let mut pipe = shared.lock();
            if matches!(pipe.end, End::Open | End::Finished(_)) {
                pipe.end = End::Aborted(Some(err));
                wake(&mut pipe.rx);
            }
        }
    }
}

impl Drop for BodyFinisher {
    fn drop(&mut self) {
        if let Some(shared) = self.0.take() {
            let mut pipe = shared.lock();
            if matches!(pipe.end, End::Open) {
                pipe.end = End::Aborted(None);
                wake(&mut pipe.rx);
                wake(&mut pipe.tx);
            }
        }
    }
}

/// The host's end of a body pipe: an `http_body::Body` of the guest's bytes and trailers.
pub struct BodyReceiver(Arc<Shared>);

/// What is told how a body's transmission ended.
type Transmitted = Box<dyn FnOnce(Result<(), HttpError>) + Send>;

impl BodyReceiver {
    /// Resolves once the whole body, trailers included, has been taken (`Ok`), or with an
    /// error when it ended in an error or the receiver was dropped first (a peer that left).
    pub fn transmitted(&mut self) -> oneshot::Receiver<Result<(), HttpError>> {
        let (tx, rx) = oneshot::channel();
        self.on_transmitted(move |result| {
            let _ = tx.send(result);
        });
        rx
    }

    /// Calls `f` with how the transmission ended (see [`BodyReceiver::transmitted`]), from
    /// whichever thread ends it, without a task waiting for it.
    pub fn on_transmitted(&mut self, f: impl FnOnce(Result<(), HttpError>) + Send + 'static) {
        self.0.lock().transmitted = Some(Box::new(f));
    }
}

fn report(pipe: &mut Pipe, result: Result<(), HttpError>) {
    if let Some(f) = pipe.transmitted.take() {
        f(result);
    }
}

impl http_body::Body for BodyReceiver {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        let mut pipe = self.0.lock();
        // Queued bytes go first, whatever the end: an aborted body then ends in an error, which
        // the peer sees as a truncated body (its framing is never completed).
        if let Some(data) = pipe.queue.pop_front() {
            pipe.queued -= data.len();
            wake(&mut pipe.tx);
            return Poll::Ready(Some(Ok(http_body::Frame::data(data))));
        }
        if let End::Aborted(e) = &mut pipe.end {
            let e = e.take();
            pipe.end = End::Done;
            report(&mut pipe, Err(HttpError::HttpProtocolError));
            return Poll::Ready(Some(Err(e.unwrap_or(HttpError::HttpProtocolError))));
        }
        match std::mem::replace(&mut pipe.end, End::Done) {
            End::Open => {
                pipe.end = End::Open;
                pipe.rx = Some(cx.waker().clone());
                Poll::Pending
            }
            End::Finished(Some(trailers)) => {
                report(&mut pipe, Ok(()));
                Poll::Ready(Some(Ok(http_body::Frame::trailers(trailers))))
            }
            End::Finished(None) => {
                report(&mut pipe, Ok(()));
                Poll::Ready(None)
            }
            End::Done | End::Aborted(_) => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        let pipe = self.0.lock();
        pipe.queue.is_empty() && matches!(pipe.end, End::Done | End::Finished(None))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        match self.0.content_length {
            Some(n) => http_body::SizeHint::with_exact(n),
            None => http_body::SizeHint::default(),
        }
    }
}

impl Drop for BodyReceiver {
    fn drop(&mut self) {
        let mut pipe = self.0.lock();
        pipe.receiver_gone = true;
        // hyper stops polling a body that says it has ended.
        let whole = pipe.queue.is_empty() && matches!(pipe.end, End::Finished(None) | End::Done);
        let result = if whole {
            Ok(())
        } else {
            Err(HttpError::ConnectionTerminated)
        };
        report(&mut pipe, result);
        pipe.queue.clear();
        pipe.queued = 0;
        wake(&mut pipe.tx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn bytes_and_trailers_arrive_in_order_and_the_budget_is_exact() {
        let (mut sink, finisher, receiver) = body_pipe(Direction::Response, None);
        let cx = &mut Context::from_waker(Waker::noop());
        assert!(matches!(sink.poll_write_ready(cx), Poll::Ready(Ok(n)) if n == BODY_BUDGET));
        assert!(
            sink.write_granted_bytes(Bytes::from_static(b"abc"))
                .unwrap()
        );
        assert!(matches!(sink.poll_write_ready(cx), Poll::Ready(Ok(n)) if n == BODY_BUDGET - 3));
        let mut trailers = HeaderMap::new();
        trailers.insert("x-t", "1".parse().unwrap());
        finisher.finish(Some(trailers)).unwrap();
        let collected = receiver.collect().await.unwrap();
        assert_eq!(collected.trailers().unwrap()["x-t"], "1");
        assert_eq!(collected.to_bytes(), "abc");
    }

    #[tokio::test]
    async fn content_length_is_checked_on_write_and_on_finish() {
        let (mut sink, finisher, mut receiver) = body_pipe(Direction::Request, Some(2));
        let err = sink
            .write_granted_bytes(Bytes::from_static(b"abc"))
            .unwrap_err();
        assert!(matches!(
            err,
            CoreError::Http(HttpError::HttpRequestBodySize(Some(3)))
        ));
        drop(sink);
        let err = finisher.finish(None).unwrap_err();
        assert!(matches!(err, HttpError::HttpRequestBodySize(Some(3))));
        // GHSA-w2v8-7333-jx5p: what the receiver (the wire, a `send_request` hook) gets is
        // the declared length's bytes, never the byte past it, then the abort.
        let first = receiver.frame().await.unwrap().unwrap();
        assert_eq!(
            first.into_data().unwrap(),
            "ab",
            "queued bytes up to the length go first"
        );
        assert!(receiver.frame().await.unwrap().is_err(), "then the abort");

        // A write that starts past the length queues nothing.
        let (mut sink, finisher, receiver) = body_pipe(Direction::Request, Some(2));
        sink.write_granted_bytes(Bytes::from_static(b"ab")).unwrap();
        assert!(sink.write_granted_bytes(Bytes::from_static(b"cd")).is_err());
        assert!(sink.write_granted_bytes(Bytes::from_static(b"ef")).is_err());
        drop(sink);
        assert!(finisher.finish(None).is_err());
        let mut got = Vec::new();
        let mut receiver = receiver;
        while let Some(Ok(frame)) = receiver.frame().await {
            got.extend_from_slice(&frame.into_data().unwrap());
        }
        assert_eq!(got, b"ab");

        let (mut sink, finisher, receiver) = body_pipe(Direction::Response, Some(4));
        sink.write_granted_bytes(Bytes::from_static(b"abc"))
            .unwrap();
        let err = finisher.finish(None).unwrap_err();
        assert!(matches!(err, HttpError::HttpResponseBodySize(Some(3))));
        assert!(
            receiver.collect().await.is_err(),
            "a short body is not sent as whole"
        );
    }

    /// GHSA-5m8g-xhq4-4h93 / GHSA-f8mm-ggr3-89wh: an empty write leaves nothing behind.
    #[tokio::test]
    async fn a_million_empty_writes_queue_nothing() {
        let (mut sink, finisher, receiver) = body_pipe(Direction::Response, None);
        for _ in 0..1_000_000 {
            assert!(sink.write_granted_bytes(Bytes::new()).unwrap());
            assert!(sink.write_granted(&[]).unwrap());
        }
        {
            let pipe = sink.0.lock();
            assert_eq!(
                (pipe.queue.len(), pipe.queue.capacity(), pipe.queued),
                (0, 0, 0)
            );
        }
        drop(sink);
        finisher.finish(None).unwrap();
        assert!(receiver.collect().await.unwrap().to_bytes().is_empty());
    }

    #[tokio::test]
    async fn dropping_unfinished_aborts_and_a_gone_receiver_closes_the_sink() {
        let (mut sink, finisher, receiver) = body_pipe(Direction::Response, None);
        sink.write_granted_bytes(Bytes::from_static(b"abc"))
            .unwrap();
        drop(finisher);
        assert!(receiver.collect().await.is_err());
        let cx = &mut Context::from_waker(Waker::noop());
        assert!(matches!(
            sink.poll_write_ready(cx),
            Poll::Ready(Err(CoreError::Closed))
        ));
    }
}
