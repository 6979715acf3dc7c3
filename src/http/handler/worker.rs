//! [`ProxyHandler`]: the queue of requests, the workers (one per instance) that take them, and
//! the count of workers that can take one more.

use super::prepared::{Prepared, Reply, ReplyTx, SharedReply, lock};
use super::{
    HandlerState, Instance, InstantiationError, Proxy, Request, Response, ShouldAccept,
    TrapOrPanicError, WorkerExpiration, WorkerState, WorkerStatus,
};
use crate::http::WasiHttpCtxView;
use crate::http::p3::BodyDone;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use std::collections::VecDeque;
use std::future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;
use tokio::sync::futures::Notified;
use tokio::sync::{Notify, oneshot};
use wasmtime::component::Accessor;
use wasmtime::{AsContextMut, Store};

type RequestData<S> = <<S as HandlerState>::WorkerState as WorkerState>::RequestData;
type StoreData<S> = <S as HandlerState>::StoreData;
/// A request waiting for an instance, and where its response goes.
type Job<S> = (RequestData<S>, Request, Reply);

struct Inner<S: HandlerState> {
    state: S,
    queue: Mutex<VecDeque<Job<S>>>,
    pushed: Notify,
    /// Workers that can take another request now.
    available: AtomicUsize,
}

/// Runs requests on instances that [`HandlerState`] makes; cheap to clone.
pub struct ProxyHandler<S: HandlerState>(Arc<Inner<S>>);

impl<S: HandlerState> Clone for ProxyHandler<S> {
    fn clone(&self) -> Self {
        ProxyHandler(self.0.clone())
    }
}

impl<S: HandlerState> ProxyHandler<S> {
    /// A handler making its instances with `state`.
    pub fn new(state: S) -> Self {
        ProxyHandler(Arc::new(Inner {
            state,
            queue: Mutex::new(VecDeque::new()),
            pushed: Notify::new(),
            available: AtomicUsize::new(0),
        }))
    }

    /// The handler's state.
    pub fn state(&self) -> &S {
        &self.0.state
    }

    /// Handles `request` on an instance that takes it (a new one when none does). Errors:
    /// [`InstantiationError`] (the request comes back in it), [`ExpirationError`](super::ExpirationError),
    /// [`TrapOrPanicError`] when the instance ended before the response, or the handler's
    /// own error (a trap, a p2 error response, a response never set).
    ///
    /// No backpressure here: bound the requests in flight (e.g. with a semaphore) around it.
    pub async fn handle(
        &self,
        data: RequestData<S>,
        request: Request,
    ) -> wasmtime::Result<Response> {
        let (tx, rx) = oneshot::channel();
        self.dispatch((data, request, tx));
        rx.await.map_err(|_| TrapOrPanicError)?
    }

    /// Queues a job for an available worker, or starts a worker for it.
    fn dispatch(&self, job: Job<S>) {
        let inner = &self.0;
        if inner.available.load(Ordering::SeqCst) == 0 {
            self.start_worker(Some(job));
            return;
        }
        let mut queue = lock(&inner.queue);
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

    fn start_worker(&self, first: Option<Job<S>>) {
        // A panic inside wasmtime (a runtime bug a guest reached) ends this worker alone: its
        // guard hands the store on with the panic's message.
        tokio::spawn(crate::contain::contain(
            "the instance",
            self.clone().worker(first),
        ));
    }

    /// The next queued job, for a worker that takes one; `waiting` holds the worker's place
    /// among those waiting for a push.
    fn poll_pop<'a>(
        &'a self,
        mut waiting: Pin<&mut Option<Notified<'a>>>,
        cx: &mut Context<'_>,
    ) -> Poll<Job<S>> {
        loop {
            let Some(mut notified) = waiting.as_mut().as_pin_mut() else {
                waiting.set(Some(self.0.pushed.notified()));
                continue;
            };
            notified.as_mut().enable();
            if let Some(job) = lock(&self.0.queue).pop_front() {
                waiting.set(None);
                return Poll::Ready(job);
            }
            if notified.poll(cx).is_pending() {
                return Poll::Pending;
            }
            waiting.set(None);
        }
    }

    /// A worker stops taking requests; if it was the last and requests wait, start another.
    fn unavailable(&self) {
        let inner = &self.0;
        if inner.available.fetch_sub(1, Ordering::SeqCst) == 1 && !lock(&inner.queue).is_empty() {
            self.start_worker(None);
        }
    }

    /// Instantiation failed: the job that started the worker (or, for a worker started for
    /// the queue, every queued job) gets the error.
    fn instantiation_failed(&self, first: Option<Job<S>>, error: wasmtime::Error) {
        let error = Arc::new(error);
        let jobs: Vec<Job<S>> = match first {
            Some(job) => vec![job],
            None => lock(&self.0.queue).drain(..).collect(),
        };
        for (request_data, request, tx) in jobs {
            let _ = tx.send(Err(InstantiationError {
                request_data,
                request: Mutex::new(request),
                error: error.clone(),
            }
            .into()));
        }
    }

    /// One instance serving requests until its [`WorkerState`] takes no more and they are
    /// done, it traps, or its [`WorkerExpiration`] ends it.
    async fn worker(self, first: Option<Job<S>>) {
        let Instance {
            store,
            proxy,
            view,
            expiration,
            state,
        } = match self.0.state.instantiate().await {
            Ok(instance) => instance,
            Err(e) => return self.instantiation_failed(first, e),
        };
        let mut guard = Guard::<S> {
            state,
            store: Some(store),
        };
        let status = Mutex::new((WorkerStatus::Idle, Instant::now()));
        // False from taking a request until the store's event loop next waits: a new request
        // is assumed CPU-bound until then, and further ones are better off on another
        // instance (wasmtime-wasi-http's rule).
        let accept_concurrent = AtomicBool::new(true);
        let result = {
            let Guard { state, store } = &mut guard;
            let Some(store) = store.as_mut() else {
                return;
            };
            let worker = Worker {
                handler: &self,
                proxy: &proxy,
                view,
                state,
                status: &status,
                accept_concurrent: &accept_concurrent,
            };
            let mut running = pin!(
                store.run_concurrent(async |accessor| { worker.serve(accessor, first).await })
            );
            let mut expiration = pin!(expiration);
            future::poll_fn(|cx| {
                if let Poll::Ready(result) = running.as_mut().poll(cx) {
                    return Poll::Ready(result.and_then(|r| r));
                }
                // Outside the event loop: heard even while a guest keeps the loop busy.
                let (status, since) = *lock(&status);
                if expiration.as_mut().poll(cx, status, since).is_ready() {
                    return Poll::Ready(match status {
                        WorkerStatus::Idle => Ok(()),
                        _ => Err(wasmtime::format_err!("guest timed out")),
                    });
                }
                // The loop waits: every task is blocked, so the worker may take another
                // request; let it look once more.
                if !accept_concurrent.swap(true, Ordering::Relaxed)
                    && let Poll::Ready(result) = running.as_mut().poll(cx)
                {
                    return Poll::Ready(result.and_then(|r| r));
                }
                Poll::Pending
            })
            .await
        };
        if let Some(store) = guard.store.take() {
            guard.state.drop(store, result);
        }
    }
}

/// Hands the store to [`WorkerState::drop`] also when the worker panics (`Err`) or its task
/// is cancelled, e.g. when the runtime shuts down (`Ok`: nothing went wrong in the guest).
struct Guard<S: HandlerState> {
    state: S::WorkerState,
    store: Option<Store<StoreData<S>>>,
}

impl<S: HandlerState> Drop for Guard<S> {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            let result = if crate::contain::after_panic() {
                Err(crate::contain::panicked("the instance"))
            } else {
                Ok(())
            };
            self.state.drop(store, result);
        }
    }
}

/// What a worker's loop needs, borrowed for the life of its instance.
struct Worker<'a, S: HandlerState> {
    handler: &'a ProxyHandler<S>,
    proxy: &'a Proxy,
    view: fn(&mut StoreData<S>) -> WasiHttpCtxView<'_>,
    state: &'a S::WorkerState,
    status: &'a Mutex<(WorkerStatus, Instant)>,
    accept_concurrent: &'a AtomicBool,
}

impl<S: HandlerState> Worker<'_, S> {
    /// The worker's loop on the store's event loop, as wasmtime-wasi-http's: a request is
    /// taken only when the instance can start a call without queuing it, and not while one
    /// just taken may still be running; the loop ends once nothing is in flight, no guest task
    /// is left and no request will be taken. `Err` is a trap.
    async fn serve(
        &self,
        accessor: &Accessor<StoreData<S>>,
        first: Option<Job<S>>,
    ) -> wasmtime::Result<()> {
        let handler = self.handler;
        // Counted as available while it accepts; uncounted when dropped, also when the
        // expiration drops this loop.
        let mut available = Available {
            handler: handler.clone(),
            counted: false,
        };
        let mut in_flight = FuturesUnordered::new();
        // Response bodies hyper is still taking (the guest may still be writing them).
        let mut bodies = FuturesUnordered::new();
        let mut starts: Vec<Instant> = Vec::new();
        let mut total = 0usize;
        let mut may_accept = true;
        let mut waiting = pin!(None);
        let func = self.proxy.func();
        let accept = |job: Job<S>,
                      in_flight: &mut FuturesUnordered<_>,
                      starts: &mut Vec<Instant>,
                      total: &mut usize| {
            self.accept_concurrent.store(false, Ordering::Relaxed);
            *total += 1;
            let start = Instant::now();
            starts.push(start);
            *lock(self.status) = (WorkerStatus::Requests, start);
            in_flight.push(self.run(accessor, job, start));
        };
        if let Some(job) = first {
            accept(job, &mut in_flight, &mut starts, &mut total);
        }
        future::poll_fn(|cx| {
            loop {
                // Requests first: an expired one stops the taking of new ones.
                match in_flight.poll_next_unpin(cx) {
                    Poll::Ready(Some(Err(trap))) => return Poll::Ready(Err(trap)),
                    Poll::Ready(Some(Ok((responded, start, body)))) => {
                        if let Some(i) = starts.iter().position(|s| *s == start) {
                            starts.swap_remove(i);
                        }
                        *lock(self.status) = match starts.iter().max() {
                            Some(latest) => (WorkerStatus::Requests, *latest),
                            None => (WorkerStatus::PostReturn, Instant::now()),
                        };
                        bodies.push(body);
                        // An expired request: take no more, finish the others.
                        may_accept &= responded;
                        // Another may be done too, and it will not wake this loop again.
                        continue;
                    }
                    Poll::Ready(None) | Poll::Pending => {}
                }
                while let Poll::Ready(Some(())) = bodies.poll_next_unpin(cx) {}
                let is_ready = accessor.poll_ready_for_concurrent_call(func, cx).is_ready();
                let accepting = may_accept
                    && is_ready
                    && match self.state.should_accept_request(in_flight.len(), total) {
                        ShouldAccept::Yes => {
                            in_flight.is_empty() || self.accept_concurrent.load(Ordering::Relaxed)
                        }
                        ShouldAccept::No => false,
                        ShouldAccept::Never => {
                            may_accept = false;
                            false
                        }
                    };
                available.set(accepting);
                if !accepting {
                    // A notification this worker holds goes on to another one.
                    waiting.set(None);
                } else if let Poll::Ready(job) = handler.poll_pop(waiting.as_mut(), cx) {
                    accept(job, &mut in_flight, &mut starts, &mut total);
                    continue;
                }
                if !in_flight.is_empty() || !bodies.is_empty() {
                    return Poll::Pending;
                }
                if accessor.poll_no_interesting_tasks(cx).is_pending() {
                    return Poll::Pending;
                }
                if !(may_accept && is_ready) {
                    return Poll::Ready(Ok(()));
                }
                let mut status = lock(self.status);
                if status.0 != WorkerStatus::Idle {
                    *status = (WorkerStatus::Idle, Instant::now());
                }
                return Poll::Pending;
            }
        })
        .await
    }

    /// One request: `Ok(true)` once its response is out (with what says when hyper is done
    /// with its body), `Ok(false)` when it expired first, `Err` on a trap.
    async fn run(
        &self,
        accessor: &Accessor<StoreData<S>>,
        (data, request, reply): Job<S>,
        start: Instant,
    ) -> wasmtime::Result<(bool, Instant, BodyDone)> {
        let reply = SharedReply::new(ReplyTx::Worker(reply));
        let started = accessor.with(|mut store| {
            let prepared = Prepared::new_shared(
                store.as_context_mut(),
                self.proxy,
                request,
                self.view,
                reply.clone(),
            )?;
            let expires =
                self.state
                    .on_request_start(store.as_context_mut(), data, prepared.task());
            Ok::<_, wasmtime::Error>((prepared, expires))
        });
        match started {
            Ok((prepared, expires)) => {
                let (responded, body) = prepared.finish(accessor, expires).await?;
                Ok((responded, start, body))
            }
            Err(e) => {
                reply.send(Err(e));
                Ok((true, start, BodyDone::none()))
            }
        }
    }
}

/// A worker's place in the count of available workers.
struct Available<S: HandlerState> {
    handler: ProxyHandler<S>,
    counted: bool,
}

impl<S: HandlerState> Available<S> {
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

impl<S: HandlerState> Drop for Available<S> {
    fn drop(&mut self) {
        self.set(false);
    }
}
