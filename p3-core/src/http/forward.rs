//! A host body a guest hands on (the request body it was given, a client's response body) as
//! the body of a message it sends: held to that message's `content-length` and its trailers
//! filtered with the host's forbidden-header filter, as wasmtime-wasi-http 48.0.7 does for
//! its spliced bodies (GHSA-9prg-84vf-g5fc, GHSA-jxcf-8qw5-5c33). No byte is copied: frames
//! pass through as they come.

use super::{Body, Direction, ForbiddenHeaderFilter, HttpError, IncomingBody};
use bytes::Bytes;
use http_body::Frame;
use http_body_util::BodyExt as _;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

/// How a forwarded body ended: `Ok` when it went out whole, else the error it ended with.
type Report = Box<dyn FnOnce(Result<(), &HttpError>) + Send>;

/// A host body forwarded under another message's head (see [`Body::forwarded`]).
struct Forwarded {
    body: Body,
    content_length: Option<u64>,
    sent: u64,
    direction: Direction,
    is_forbidden: ForbiddenHeaderFilter,
    report: Option<Report>,
    ended: bool,
}

impl Body {
    /// This host body as the body of a message a guest sends with `content_length`: more or
    /// fewer bytes than that end it with the direction's body-size error, trailer fields
    /// `is_forbidden` names are dropped, and `report` learns how it ended (whole, the error it
    /// ended with, or `connection-terminated` when the peer stopped reading first; with a
    /// declared length, whole once that many bytes went out).
    pub fn forwarded(
        self,
        direction: Direction,
        content_length: Option<u64>,
        is_forbidden: ForbiddenHeaderFilter,
        report: impl FnOnce(Result<(), &HttpError>) + Send + 'static,
    ) -> Body {
        let forwarded = Forwarded {
            body: self,
            content_length,
            sent: 0,
            direction,
            is_forbidden,
            report: Some(Box::new(report)),
            ended: false,
        };
        Body::Incoming(IncomingBody::new(forwarded.boxed_unsync()))
    }
}

impl Forwarded {
    fn end(&mut self, result: Result<(), HttpError>) -> Option<Result<Frame<Bytes>, HttpError>> {
        self.ended = true;
        if let Some(report) = self.report.take() {
            report(result.as_ref().map(|_| ()));
        }
        result.err().map(Err)
    }

    /// The size error when fewer bytes than declared went out.
    fn short(&self) -> Option<HttpError> {
        self.content_length
            .is_some_and(|n| self.sent < n)
            .then(|| self.direction.size_error(self.sent))
    }
}

impl http_body::Body for Forwarded {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        let this = self.get_mut();
        if this.ended {
            return Poll::Ready(None);
        }
        let frame = match ready!(Pin::new(&mut this.body).poll_frame(cx)) {
            None => {
                let result = this.short().map_or(Ok(()), Err);
                return Poll::Ready(this.end(result));
            }
            Some(Err(e)) => return Poll::Ready(this.end(Err(e))),
            Some(Ok(frame)) => frame,
        };
        let frame = match frame.into_data() {
            Ok(data) => {
                this.sent += data.len() as u64;
                if this.content_length.is_some_and(|n| this.sent > n) {
                    let e = this.direction.size_error(this.sent);
                    return Poll::Ready(this.end(Err(e)));
                }
                // hyper stops reading a body once its declared length went out.
                if this.content_length == Some(this.sent)
                    && let Some(report) = this.report.take()
                {
                    report(Ok(()));
                }
                Frame::data(data)
            }
            Err(frame) => match frame.into_trailers() {
                Ok(mut trailers) => {
                    if let Some(e) = this.short() {
                        return Poll::Ready(this.end(Err(e)));
                    }
                    let forbidden: Vec<_> = trailers
                        .keys()
                        .filter(|name| (this.is_forbidden)(name))
                        .cloned()
                        .collect();
                    for name in forbidden {
                        trailers.remove(name);
                    }
                    Frame::trailers(trailers)
                }
                Err(other) => other,
            },
        };
        Poll::Ready(Some(Ok(frame)))
    }

    fn is_end_stream(&self) -> bool {
        self.ended
    }
}

impl Drop for Forwarded {
    fn drop(&mut self) {
        if let Some(report) = self.report.take() {
            report(Err(&HttpError::ConnectionTerminated));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A body of the given frames.
    struct Frames(std::collections::VecDeque<Frame<Bytes>>);

    impl http_body::Body for Frames {
        type Data = Bytes;
        type Error = HttpError;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
            Poll::Ready(self.0.pop_front().map(Ok))
        }
    }

    fn host_body(frames: Vec<Frame<Bytes>>) -> Body {
        Body::Incoming(IncomingBody::new(Frames(frames.into()).boxed_unsync()))
    }

    async fn forward(frames: Vec<Frame<Bytes>>, content_length: Option<u64>) -> (String, String) {
        let seen = Arc::new(Mutex::new(String::from("not reported")));
        let report = {
            let seen = seen.clone();
            move |r: Result<(), &HttpError>| *seen.lock().unwrap() = format!("{r:?}")
        };
        let forbidden: ForbiddenHeaderFilter =
            Arc::new(|name| super::super::DEFAULT_FORBIDDEN_HEADERS.contains(name));
        let mut body =
            host_body(frames).forwarded(Direction::Response, content_length, forbidden, report);
        let mut out = String::new();
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => match f.into_data() {
                    Ok(d) => out.push_str(std::str::from_utf8(&d).unwrap()),
                    Err(f) => out.push_str(&format!("{:?}", f.into_trailers().unwrap())),
                },
                Err(e) => {
                    out.push_str(&format!(" error {e:?}"));
                    break;
                }
            }
        }
        drop(body);
        let report = seen.lock().unwrap().clone();
        (out, report)
    }

    #[tokio::test]
    async fn the_declared_length_holds_and_forbidden_trailers_are_dropped() {
        let data = |s: &'static str| Frame::data(Bytes::from_static(s.as_bytes()));
        let whole = || {
            let mut trailers = http::HeaderMap::new();
            trailers.insert("x-ok", "1".parse().unwrap());
            trailers.insert("proxy-authorization", "secret".parse().unwrap());
            vec![data("12"), data("345"), Frame::trailers(trailers)]
        };
        let (out, report) = forward(whole(), Some(5)).await;
        assert_eq!(out, "12345{\"x-ok\": \"1\"}");
        assert_eq!(report, "Ok(())");
        let (out, report) = forward(whole(), None).await;
        assert_eq!(out, "12345{\"x-ok\": \"1\"}");
        assert_eq!(report, "Ok(())");
        let (out, report) = forward(whole(), Some(3)).await;
        assert_eq!(out, "12 error HttpResponseBodySize(Some(5))");
        assert_eq!(report, "Err(HttpResponseBodySize(Some(5)))");
        let (out, report) = forward(whole(), Some(10)).await;
        assert_eq!(out, "12345 error HttpResponseBodySize(Some(5))");
        assert_eq!(report, "Err(HttpResponseBodySize(Some(5)))");
        let (out, report) = forward(vec![data("12")], Some(10)).await;
        assert_eq!(out, "12 error HttpResponseBodySize(Some(2))");
        assert_eq!(report, "Err(HttpResponseBodySize(Some(2)))");
    }

    #[tokio::test]
    async fn a_body_read_up_to_its_declared_length_reports_whole() {
        let seen = Arc::new(Mutex::new(None));
        let mut body = host_body(vec![
            Frame::data(Bytes::from_static(b"abc")),
            Frame::data(Bytes::from_static(b"de")),
        ])
        .forwarded(Direction::Response, Some(3), Arc::new(|_| false), {
            let seen = seen.clone();
            move |r| *seen.lock().unwrap() = Some(format!("{r:?}"))
        });
        let first = body.frame().await.unwrap().unwrap();
        assert_eq!(first.into_data().unwrap(), "abc");
        drop(body);
        assert_eq!(seen.lock().unwrap().as_deref(), Some("Ok(())"));
    }

    #[tokio::test]
    async fn a_body_dropped_unfinished_reports_the_connection_terminated() {
        let seen = Arc::new(Mutex::new(None));
        let body = host_body(vec![Frame::data(Bytes::from_static(b"x"))]).forwarded(
            Direction::Request,
            None,
            Arc::new(|_| false),
            {
                let seen = seen.clone();
                move |r| *seen.lock().unwrap() = Some(format!("{r:?}"))
            },
        );
        drop(body);
        assert_eq!(
            seen.lock().unwrap().as_deref(),
            Some("Err(ConnectionTerminated)")
        );
    }
}
