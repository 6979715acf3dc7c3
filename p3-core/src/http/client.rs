//! Sending a guest's request through the host's hooks.

use super::{HttpError, Request, WasiBody, WasiHttpHooks};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::task::JoinHandle;

/// What a send resolves to: the response head with its body, and the connection's task, which
/// must live as long as the body.
pub type Sent = (http::Response<WasiBody>, JoinHandle<()>);

/// A response on its way: resolves when the response head has arrived (or the send failed).
/// Dropping it cancels the send.
pub struct FutureResponse {
    task: Option<JoinHandle<Result<Sent, HttpError>>>,
    ready: Option<Result<Sent, HttpError>>,
}

/// Sends `request` through `hooks.send_request` (wasmtime-wasi-http's `default_send_request`
/// unless the host overrides it) on a background task.
pub fn send(hooks: &mut dyn WasiHttpHooks, request: Request) -> Result<FutureResponse, HttpError> {
    let options = request.options;
    let request = request.into_http(hooks)?;
    let sending = hooks.send_request(request, options, Box::new(async { Ok(()) }));
    let task = crate::io::in_runtime(|| {
        tokio::spawn(async move {
            let (response, io) = Pin::from(sending).await?;
            let io = tokio::spawn(async move {
                if let Err(e) = Pin::from(io).await {
                    tracing::warn!("http connection ended with an error: {e}");
                }
            });
            Ok((response, io))
        })
    });
    Ok(FutureResponse {
        task: Some(task),
        ready: None,
    })
}

impl FutureResponse {
    /// Resolves once the response head has arrived or the send failed.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(task) = &mut self.task {
            let result = match Pin::new(task).poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(result)) => result,
                Poll::Ready(Err(e)) => Err(HttpError::InternalError(Some(e.to_string()))),
            };
            self.task = None;
            self.ready = Some(result);
        }
        Poll::Ready(())
    }

    /// The result, once [`FutureResponse::poll_ready`] resolved; `None` before, or when it was
    /// taken already.
    pub fn take(&mut self) -> Option<Result<Sent, HttpError>> {
        self.ready.take()
    }

    /// True while the response has not arrived.
    pub fn is_pending(&self) -> bool {
        self.task.is_some()
    }
}

impl Drop for FutureResponse {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}
