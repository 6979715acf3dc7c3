//! The body a host hands a guest: hyper's frames, read without copying them twice.

use super::{HttpError, WasiBody};
use crate::error::CoreError;
use crate::io::ByteSource;
use bytes::{Buf, Bytes, BytesMut};
use http::HeaderMap;
use http_body::Body as _;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use sync_wrapper::SyncWrapper;
use tokio::sync::oneshot;

/// A request or response body coming from the host (an inbound request, a client's response).
///
/// As a [`ByteSource`] it hands out the current frame's bytes: [`ByteSource::poll_read_bytes`]
/// slices the frame without copying, a buffered read copies only what the frame holds (never
/// zero-fills the guest's maximum), and it never reads more than one frame ahead. Trailers are
/// kept when the body ends; [`IncomingBody::poll_trailers`] drains what is left to reach them.
pub struct IncomingBody {
    body: Option<SyncWrapper<WasiBody>>,
    chunk: Bytes,
    /// Set when the body has ended: its trailers, or the error it ended with.
    end: Option<Result<Option<HeaderMap>, HttpError>>,
    /// A task the body depends on (a client connection), aborted with the body.
    worker: Option<AbortOnDrop>,
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl IncomingBody {
    /// Wraps `body`.
    pub fn new(body: WasiBody) -> Self {
        IncomingBody {
            body: Some(SyncWrapper::new(body)),
            chunk: Bytes::new(),
            end: None,
            worker: None,
        }
    }

    /// Keeps `worker` running as long as the body lives (and aborts it with the body).
    pub fn retain_worker(&mut self, worker: tokio::task::JoinHandle<()>) {
        self.worker = Some(AbortOnDrop(worker));
    }

    /// Makes the current frame non-empty, or records the end. `Ready(Ok(false))` at the end.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<Result<bool, CoreError>> {
        loop {
            if !self.chunk.is_empty() {
                return Poll::Ready(Ok(true));
            }
            let Some(body) = &mut self.body else {
                return Poll::Ready(match &mut self.end {
                    Some(Err(_)) => {
                        // Reported to the reader once; the trailers future sees the end as
                        // a terminated connection from then on.
                        let e = self.end.replace(Err(HttpError::ConnectionTerminated));
                        match e {
                            Some(Err(e)) => Err(CoreError::Http(e)),
                            _ => Ok(false),
                        }
                    }
                    _ => Ok(false),
                });
            };
            match ready!(Pin::new(body.get_mut()).poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => self.chunk = data,
                    Err(frame) => {
                        if let Ok(trailers) = frame.into_trailers() {
                            self.body = None;
                            self.end = Some(Ok(Some(trailers)));
                        }
                    }
                },
                Some(Err(e)) => {
                    self.body = None;
                    self.end = Some(Err(e));
                }
                None => {
                    self.body = None;
                    self.end = Some(Ok(None));
                }
            }
        }
    }

    /// Discards the rest of the body and resolves with its trailers (`None` when it had none).
    pub fn poll_trailers(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Option<HeaderMap>, HttpError>> {
        loop {
            self.chunk.clear();
            match ready!(self.poll_fill(cx)) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(CoreError::Http(e)) => return Poll::Ready(Err(e)),
                Err(_) => return Poll::Ready(Err(HttpError::ConnectionTerminated)),
            }
            return Poll::Ready(match self.end.take() {
                Some(end) => {
                    self.end = Some(Ok(None));
                    end
                }
                None => Ok(None),
            });
        }
    }
}

impl ByteSource for IncomingBody {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        match self.poll_fill(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(_)) => Poll::Ready(()),
            Poll::Ready(Err(e)) => {
                // Keep the error for the read that follows.
                self.end = Some(Err(match e {
                    CoreError::Http(e) => e,
                    _ => HttpError::ConnectionTerminated,
                }));
                Poll::Ready(())
            }
        }
    }

    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<Result<usize, CoreError>> {
        if !ready!(self.poll_fill(cx))? {
            return Poll::Ready(Ok(0));
        }
        let n = dst.len().min(self.chunk.len());
        dst[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk.advance(n);
        Poll::Ready(Ok(n))
    }

    fn is_at_end(&self) -> bool {
        self.chunk.is_empty() && self.body.is_none() && !matches!(self.end, Some(Err(_)))
    }

    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        buf: &mut BytesMut,
    ) -> Poll<Result<usize, CoreError>> {
        if !ready!(self.poll_fill(cx))? {
            return Poll::Ready(Ok(0));
        }
        let n = max.min(self.chunk.len());
        buf.extend_from_slice(&self.chunk[..n]);
        self.chunk.advance(n);
        Poll::Ready(Ok(n))
    }

    fn poll_read_bytes(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
    ) -> Poll<Result<Bytes, CoreError>> {
        if !ready!(self.poll_fill(cx))? {
            return Poll::Ready(Ok(Bytes::new()));
        }
        let n = max.min(self.chunk.len());
        Poll::Ready(Ok(self.chunk.split_to(n)))
    }
}

/// The reading half of a split [`IncomingBody`]: a [`ByteSource`] that hands the body back to
/// its [`TrailersFuture`] when dropped, so the trailers can still be reached.
pub struct BodyReader {
    body: Option<IncomingBody>,
    back: Option<oneshot::Sender<IncomingBody>>,
}

/// The trailers half of a split [`IncomingBody`]: resolves once the reader is gone and the
/// body's end has been reached.
pub struct TrailersFuture {
    state: TrailersState,
    early_drop: EarlyDrop,
}

/// What a [`TrailersFuture`] does when the reader of a split body is dropped before the body's
/// end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EarlyDrop {
    /// The rest of the body is read (and skipped) for its trailers (WASIp2's
    /// `future-trailers`).
    Drain,
    /// The body ends there, with no trailers (WASIp3's `consume-body`).
    NoTrailers,
}

enum TrailersState {
    Waiting(oneshot::Receiver<IncomingBody>),
    Reading(IncomingBody),
    Done(Result<Option<HeaderMap>, HttpError>),
    Taken,
}

impl IncomingBody {
    /// Splits the body for a reader: the bytes go to the [`BodyReader`], the trailers to the
    /// [`TrailersFuture`]. `early_drop` says what an early drop of the reader means.
    pub fn split(self, early_drop: EarlyDrop) -> (BodyReader, TrailersFuture) {
        let (back, returned) = oneshot::channel();
        (
            BodyReader {
                body: Some(self),
                back: Some(back),
            },
            TrailersFuture {
                state: TrailersState::Waiting(returned),
                early_drop,
            },
        )
    }
}

impl TrailersFuture {
    /// The trailers of a body nobody reads: its remaining bytes are skipped.
    pub fn of(body: IncomingBody) -> Self {
        TrailersFuture {
            state: TrailersState::Reading(body),
            early_drop: EarlyDrop::Drain,
        }
    }

    /// A future that already failed.
    pub fn failed(err: HttpError) -> Self {
        TrailersFuture {
            state: TrailersState::Done(Err(err)),
            early_drop: EarlyDrop::Drain,
        }
    }

    /// Resolves with the trailers (`None` when there were none); `Ready` once, then `Taken`
    /// is reported as `None` by [`TrailersFuture::take`].
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match &mut self.state {
                TrailersState::Waiting(rx) => match ready!(Pin::new(rx).poll(cx)) {
                    Ok(body) if self.early_drop == EarlyDrop::Drain || body.is_at_end() => {
                        self.state = TrailersState::Reading(body)
                    }
                    // The reader stopped early: no trailers.
                    Ok(_) => self.state = TrailersState::Done(Ok(None)),
                    Err(_) => {
                        self.state = TrailersState::Done(Err(HttpError::InternalError(Some(
                            "the body's reader is gone".into(),
                        ))))
                    }
                },
                TrailersState::Reading(body) => {
                    let result = ready!(body.poll_trailers(cx));
                    self.state = TrailersState::Done(result);
                }
                TrailersState::Done(_) | TrailersState::Taken => return Poll::Ready(()),
            }
        }
    }

    /// The result once [`TrailersFuture::poll_ready`] resolved; `None` before, and after it
    /// was taken.
    pub fn take(&mut self) -> Option<Result<Option<HeaderMap>, HttpError>> {
        match std::mem::replace(&mut self.state, TrailersState::Taken) {
            TrailersState::Done(result) => Some(result),
            other => {
                if !matches!(other, TrailersState::Taken) {
                    self.state = other;
                }
                None
            }
        }
    }

    /// Whether the result was taken.
    pub fn is_taken(&self) -> bool {
        matches!(self.state, TrailersState::Taken)
    }
}

impl Drop for BodyReader {
    fn drop(&mut self) {
        if let (Some(body), Some(back)) = (self.body.take(), self.back.take()) {
            let _ = back.send(body);
        }
    }
}

impl BodyReader {
    /// The body again, as far as it was read (its trailers half then never resolves: the
    /// body's new owner gets the trailers).
    pub fn into_inner(mut self) -> IncomingBody {
        self.back = None;
        self.body
            .take()
            .expect("the body leaves the reader only when it is dropped")
    }

    fn body(&mut self) -> &mut IncomingBody {
        self.body
            .as_mut()
            .expect("the body leaves the reader only when it is dropped")
    }
}

impl ByteSource for BodyReader {
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.body().poll_ready(cx)
    }
    fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<Result<usize, CoreError>> {
        self.body().poll_read(cx, dst)
    }
    fn is_at_end(&self) -> bool {
        self.body.as_ref().is_none_or(|b| b.is_at_end())
    }
    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        buf: &mut BytesMut,
    ) -> Poll<Result<usize, CoreError>> {
        self.body().poll_read_buf(cx, max, buf)
    }
    fn poll_read_bytes(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
    ) -> Poll<Result<Bytes, CoreError>> {
        self.body().poll_read_bytes(cx, max)
    }
}

/// The body handed back to hyper (a guest forwarding a host body): the unread part of the
/// current frame, then the remaining frames and the trailers.
impl http_body::Body for IncomingBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        let this = self.get_mut();
        if !this.chunk.is_empty() {
            return Poll::Ready(Some(Ok(http_body::Frame::data(std::mem::take(
                &mut this.chunk,
            )))));
        }
        if let Some(body) = &mut this.body {
            let frame = ready!(Pin::new(body.get_mut()).poll_frame(cx));
            if frame.is_none() {
                this.body = None;
                this.end = Some(Ok(None));
            }
            return Poll::Ready(frame);
        }
        Poll::Ready(match this.end.take() {
            Some(Ok(Some(trailers))) => Some(Ok(http_body::Frame::trailers(trailers))),
            Some(Err(e)) => Some(Err(e)),
            _ => None,
        })
    }

    fn is_end_stream(&self) -> bool {
        self.chunk.is_empty()
            && match &self.body {
                Some(body) => {
                    // `SyncWrapper` only lends `&mut`; an unknown end is "not yet".
                    let _ = body;
                    false
                }
                None => !matches!(self.end, Some(Ok(Some(_))) | Some(Err(_))),
            }
    }
}
