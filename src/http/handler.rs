//! Serving requests with a wasi:http component, scheduled as `wasmtime serve` 48 schedules it:
//! a WASIp2 `incoming-handler` gets a fresh store per request; a WASIp3 `handler` instance is
//! reused for up to 128 requests, 16 at a time, and dropped after 1 s idle (all configurable).
//!
//! The names follow wasmtime-wasi-http's `handler` module (`ProxyPre`, `ProxyHandler`); its
//! `HandlerState` / `WorkerState` traits are folded into [`HandlerOptions`] and a store
//! factory.

use super::p2::bindings::http::types::{ErrorCode, Scheme};
use super::{WasiBody, WasiHttpView};
use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use http_body_util::BodyExt;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};
use wasmtime::Store;

/// A component prepared as an HTTP handler.
pub enum ProxyPre<T: 'static> {
    /// `wasi:http/incoming-handler@0.2.x`.
    P2(super::p2::bindings::ProxyPre<T>),
    /// `wasi:http/handler@0.3.0`.
    P3(super::p3::bindings::ServicePre<T>),
}

impl<T: 'static> Clone for ProxyPre<T> {
    fn clone(&self) -> Self {
        match self {
            ProxyPre::P2(pre) => ProxyPre::P2(pre.clone()),
            ProxyPre::P3(pre) => ProxyPre::P3(pre.clone()),
        }
    }
}

/// How instances are reused (`wasmtime serve`'s `--max-instance-reuse-count`,
/// `--max-instance-concurrent-reuse-count`, `--idle-instance-timeout`).
#[derive(Clone, Copy, Debug)]
pub struct HandlerOptions {
    /// Requests one WASIp3 instance serves before it is dropped (default 128).
    pub max_instance_reuse_count: usize,
    /// Requests one WASIp3 instance serves at once (default 16).
    pub max_instance_concurrent_reuse_count: usize,
    /// How long an idle WASIp3 instance is kept (default 1 s).
    pub idle_instance_timeout: Duration,
    /// How long one WASIp3 request may take until its response (and body) is done; past it
    /// the instance is dropped with every request it serves (`wasmtime serve`'s `-W timeout`,
    /// which expires the worker). `None`: no limit.
    pub request_timeout: Option<Duration>,
}

impl Default for HandlerOptions {
    fn default() -> Self {
        HandlerOptions {
            max_instance_reuse_count: 128,
            max_instance_concurrent_reuse_count: 16,
            idle_instance_timeout: Duration::from_secs(1),
            request_timeout: None,
        }
    }
}

/// A request waiting for a WASIp3 instance, and where its response goes.
type Job = (
    http::Request<WasiBody>,
    oneshot::Sender<wasmtime::Result<http::Response<WasiBody>>>,
);

type NewStore<T> = dyn Fn() -> wasmtime::Result<Store<T>> + Send + Sync;

struct Inner<T: 'static> {
    pre: ProxyPre<T>,
    new_store: Box<NewStore<T>>,
    options: HandlerOptions,
    scheme: http::uri::Scheme,
    queue: Mutex<VecDeque<Job>>,
    pushed: Notify,
    /// WASIp3 workers that can take another request now.
    available: AtomicUsize,
}

/// Serves requests with a prepared component; cheap to clone.
pub struct ProxyHandler<T: 'static>(Arc<Inner<T>>);

impl<T: 'static> Clone for ProxyHandler<T> {
    fn clone(&self) -> Self {
        ProxyHandler(self.0.clone())
    }
}

impl<T: WasiHttpView + Send + 'static> ProxyHandler<T> {
    /// A handler for `pre`, whose stores `new_store` makes; requests arrive over `scheme`.
    pub fn new(
        pre: ProxyPre<T>,
        new_store: impl Fn() -> wasmtime::Result<Store<T>> + Send + Sync + 'static,
        scheme: http::uri::Scheme,
        options: HandlerOptions,
    ) -> Self {
        ProxyHandler(Arc::new(Inner {
            pre,
            new_store: Box::new(new_store),
            options,
            scheme,
            queue: Mutex::new(VecDeque::new()),
            pushed: Notify::new(),
            available: AtomicUsize::new(0),
        }))
    }

    /// Handles one request. A trap, an error response or a guest that never answers is an
    /// `Err` (a server answers 500).
    pub async fn handle<B>(
        &self,
        request: http::Request<B>,
    ) -> wasmtime::Result<http::Response<WasiBody>>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<super::Error>,
    {
        let request = request.map(|b| b.map_err(Into::into).boxed_unsync());
        match &self.0.pre {
            ProxyPre::P2(pre) => {
                let store = (self.0.new_store)()?;
                handle_p2(store, pre.clone(), request).await
            }
            ProxyPre::P3(_) => {
                let (tx, rx) = oneshot::channel();
                self.dispatch((request, tx));
                match rx.await {
                    Ok(result) => result,
                    Err(_) => wasmtime::bail!("the instance handling the request failed"),
                }
            }
        }
    }

    /// Queues a WASIp3 job for an available worker, or starts a worker for it.
    fn dispatch(&self, job: Job) {
        let inner = &self.0;
        if inner.available.load(Ordering::SeqCst) == 0 {
            self.start_worker(Some(job));
            return;
        }
        let mut queue = inner.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.push_back(job);
        if inner.available.load(Ordering::SeqCst) == 0 {
            // The last available worker went away meanwhile.
            let job = queue.pop_back();
            drop(queue);
            self.start_worker(job);
        } else {
            drop(queue);
            inner.pushed.notify_one();
        }
    }

    fn start_worker(&self, first: Option<Job>) {
        let handler = self.clone();
        tokio::spawn(async move { handler.worker(first).await });
    }

    fn pop(&self) -> Option<Job> {
        self.0
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }

    /// One WASIp3 instance serving requests until its reuse count is spent, it traps, or it
    /// has been idle too long.
    async fn worker(self, first: Option<Job>) {
        let ProxyPre::P3(pre) = &self.0.pre else {
            return;
        };
        let inner = &self.0;
        let mut store = match (inner.new_store)() {
            Ok(store) => store,
            Err(e) => return fail(first, e),
        };
        let service = match pre.instantiate_async(&mut store).await {
            Ok(service) => service,
            Err(e) => return fail(first, e),
        };
        let handler = self.clone();
        // When each in-flight request started, for the watchdog below: a guest that spins
        // never lets the event loop look at its own timers, so the overrun is caught outside
        // it, and the instance is dropped where it yields (an epoch tick).
        let starts: Arc<Mutex<Vec<(u64, std::time::Instant)>>> = Arc::default();
        let watch = starts.clone();
        let running = store.run_concurrent(async move |accessor| {
            let inner = &handler.0;
            let mut next_id = 0u64;
            let opts = inner.options;
            let mut in_flight = FuturesUnordered::new();
            let mut total = 0usize;
            let mut healthy = true;
            // Counted as available while it accepts; uncounted when dropped, also when
            // a trap ends `run_concurrent` early.
            let mut available = Available {
                handler: handler.clone(),
                counted: false,
            };
            let mut start = |(request, tx): Job, in_flight: &mut FuturesUnordered<_>| {
                let service = &service;
                let scheme = inner.scheme.clone();
                let id = next_id;
                next_id += 1;
                starts
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((id, std::time::Instant::now()));
                let starts = &starts;
                in_flight.push(async move {
                    let result = super::p3::serve_in(accessor, service, scheme, request, tx).await;
                    starts
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .retain(|(i, _)| *i != id);
                    result
                });
            };
            if let Some(job) = first {
                total += 1;
                start(job, &mut in_flight);
            }
            loop {
                let accepting = healthy
                    && total < opts.max_instance_reuse_count
                    && in_flight.len() < opts.max_instance_concurrent_reuse_count;
                available.set(accepting);
                if accepting && let Some(job) = handler.pop() {
                    total += 1;
                    start(job, &mut in_flight);
                    continue;
                }
                if in_flight.is_empty() && !accepting {
                    break;
                }
                tokio::select! {
                    Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                        if let Err(e) = done {
                            eprintln!("error: worker trapped: {e:?}");
                            healthy = false;
                        }
                    }
                    _ = inner.pushed.notified(), if accepting => {}
                    _ = tokio::time::sleep(opts.idle_instance_timeout), if in_flight.is_empty() => {
                        break;
                    }
                }
            }
            available.set(false);
        });
        let timeout = self.0.options.request_timeout;
        let watchdog = async move {
            let Some(limit) = timeout else {
                return std::future::pending().await;
            };
            loop {
                let oldest = watch
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .map(|(_, t)| *t)
                    .min();
                match oldest {
                    Some(t) if t.elapsed() >= limit => return limit,
                    Some(t) => tokio::time::sleep(limit - t.elapsed()).await,
                    None => tokio::time::sleep(limit).await,
                }
            }
        };
        let result = tokio::select! {
            result = running => result,
            limit = watchdog => {
                eprintln!(
                    "error: a request ran past {limit:?}; its instance is dropped with the \
                     requests it was serving"
                );
                return;
            }
        };
        if let Err(e) = result {
            eprintln!("error: worker failed: {e:?}");
        }
    }

    /// A worker stops taking requests; if it was the last and requests wait, start another.
    fn unavailable(&self) {
        let inner = &self.0;
        if inner.available.fetch_sub(1, Ordering::SeqCst) == 1 {
            let waiting = !inner
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_empty();
            if waiting {
                self.start_worker(None);
            }
        }
    }
}

/// A worker's place in the count of available workers.
struct Available<T: WasiHttpView + Send + 'static> {
    handler: ProxyHandler<T>,
    counted: bool,
}

impl<T: WasiHttpView + Send + 'static> Available<T> {
    fn set(&mut self, accepting: bool) {
        if accepting != self.counted {
            if accepting {
                self.handler.0.available.fetch_add(1, Ordering::SeqCst);
            } else {
                self.handler.unavailable();
            }
            self.counted = accepting;
        }
    }
}

impl<T: WasiHttpView + Send + 'static> Drop for Available<T> {
    fn drop(&mut self) {
        self.set(false);
    }
}

fn fail(job: Option<Job>, e: wasmtime::Error) {
    match job {
        Some((_, tx)) => {
            let _ = tx.send(Err(e));
        }
        None => eprintln!("error: {e:?}"),
    }
}

/// One request on a fresh WASIp2 instance: the guest runs on its own task, so it can go on
/// writing the body after `response-outparam.set`.
async fn handle_p2<T: WasiHttpView + Send + 'static>(
    mut store: Store<T>,
    pre: super::p2::bindings::ProxyPre<T>,
    request: http::Request<WasiBody>,
) -> wasmtime::Result<http::Response<WasiBody>> {
    let (sender, receiver) = oneshot::channel();
    let req = store
        .data_mut()
        .http()
        .new_incoming_request(Scheme::Http, request)?;
    let out = store.data_mut().http().new_response_outparam(sender)?;
    let task = tokio::spawn(async move {
        let proxy = pre.instantiate_async(&mut store).await?;
        proxy
            .wasi_http_incoming_handler()
            .call_handle(&mut store, req, out)
            .await
    });
    const NEVER_SET: &str = "guest never invoked `response-outparam::set` method";
    match receiver.await {
        Ok(Ok(response)) => Ok(response.map(|body| {
            body.map_err(|code: ErrorCode| super::Error::from(code))
                .boxed_unsync()
        })),
        Ok(Err(code)) => Err(wasmtime::format_err!(
            "guest set an error response: {code:?}"
        )),
        Err(_) => {
            let e = match task.await {
                Ok(Ok(())) => wasmtime::format_err!("{NEVER_SET}"),
                Ok(Err(e)) => e,
                Err(e) => e.into(),
            };
            Err(e.context(NEVER_SET))
        }
    }
}
