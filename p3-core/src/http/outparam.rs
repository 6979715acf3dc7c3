//! Where a guest puts its response to an inbound request.

use super::{Body, HttpError, Response};
use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use tokio::sync::oneshot;

type Send_ = Box<dyn FnOnce(Result<http::Response<Body>, HttpError>) + Send + Sync>;

/// The slot a guest's response goes into: set at most once; dropping it unset tells the host
/// there is no response (it answers 500). A response set after the client left is dropped.
pub struct ResponseOutparam {
    send: Option<Send_>,
}

impl ResponseOutparam {
    /// An outparam that hands the response to `send`.
    pub fn new(
        send: impl FnOnce(Result<http::Response<Body>, HttpError>) + Send + Sync + 'static,
    ) -> Self {
        ResponseOutparam {
            send: Some(Box::new(send)),
        }
    }

    /// An outparam that sends the response through `sender`, its body boxed with errors of the
    /// host's type (wasmtime-wasi-http's `new_response_outparam` shape).
    pub fn channel<E>(sender: oneshot::Sender<Result<http::Response<BoxBody<Bytes, E>>, E>>) -> Self
    where
        E: From<HttpError> + Send + Sync + 'static,
    {
        Self::callback(move |result| {
            let _ = sender.send(result);
        })
    }

    /// An outparam that hands the response to `callback`, its body boxed with errors of the
    /// host's type.
    pub fn callback<E>(
        callback: impl FnOnce(Result<http::Response<BoxBody<Bytes, E>>, E>) + Send + Sync + 'static,
    ) -> Self
    where
        E: From<HttpError> + Send + Sync + 'static,
    {
        Self::new(move |result| {
            callback(
                result
                    .map(|r| r.map(|body| body.map_err(E::from).boxed()))
                    .map_err(E::from),
            )
        })
    }

    /// Sets the response (or the error the host answers with instead).
    pub fn set(mut self, response: Result<Response, HttpError>) {
        if let Some(send) = self.send.take() {
            send(response.and_then(Response::into_http));
        }
    }
}
