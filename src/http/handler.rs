//! Dispatching incoming requests to `wasi:http` handler instances, in wasmtime-wasi-http 48's
//! `handler` shape: a host implements [`HandlerState`] (how to make a store and an instance)
//! with a [`WorkerState`] (how many requests one instance takes, when a request expires, what
//! happens to the store at the end) and a [`WorkerExpiration`] (when a whole instance expires),
//! and [`ProxyHandler::handle`] runs each request on an instance that can take it.
//!
//! A WASIp2 `incoming-handler` and a WASIp3 `handler` are dispatched the same way; what
//! `wasmtime serve` does with them (a fresh p2 instance per request, p3 instances reused for
//! 128 requests, 16 at a time, 1 s idle) is a [`WorkerState`] / [`WorkerExpiration`] choice
//! (`wasi-bridge serve` makes the same one).

use super::p3::BodyDone;
use super::{WasiBody, WasiHttpCtxView};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use std::collections::VecDeque;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Instant;
use std::{error, fmt, future};
use tokio::sync::futures::Notified;
use tokio::sync::{Notify, oneshot};
use wasmtime::component::{Accessor, Func, GuestTaskId};
use wasmtime::{AsContextMut, Store, StoreContextMut};

/// A request for [`ProxyHandler::handle`].
pub type Request = http::Request<WasiBody>;

/// A response from [`ProxyHandler::handle`].
pub type Response = http::Response<WasiBody>;

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

impl<T: 'static> ProxyPre<T> {
    /// Instantiates the component in `store`.
    pub async fn instantiate_async(
        &self,
        store: impl AsContextMut<Data = T>,
    ) -> wasmtime::Result<Proxy>
    where
        T: Send,
    {
        Ok(match self {
            ProxyPre::P2(pre) => Proxy::P2(pre.instantiate_async(store).await?),
            ProxyPre::P3(pre) => Proxy::P3(pre.instantiate_async(store).await?),
        })
    }
}

/// An instance of a handler component.
pub enum Proxy {
    /// `wasi:http/incoming-handler@0.2.x`.
    P2(super::p2::bindings::Proxy),
    /// `wasi:http/handler@0.3.0`.
    P3(super::p3::bindings::Service),
}

impl Proxy {
    /// The exported handler function.
    fn func(&self) -> Func {
        match self {
            Proxy::P2(proxy) => *proxy.wasi_http_incoming_handler().func_handle().func(),
            Proxy::P3(service) => *service.wasi_http_handler().func_handle().func(),
        }
    }
}

/// What a worker (one instance) is doing, for [`WorkerExpiration::poll`].
#[derive(Clone, Copy, Eq, PartialEq, Debug)]
pub enum WorkerStatus {
    /// No request in flight.
    Idle,
    /// Serving one or more requests.
    Requests,
    /// Every request has its response; the guest still has work after returning.
    PostReturn,
}

/// When a whole instance expires. Polled outside the store's event loop, so it is heard even
/// while a guest spins (the store must yield to the loop, e.g. on epoch ticks).
pub trait WorkerExpiration: 'static + Send + Sync {
    /// `Ready` once the instance should be dropped, given what it is doing (`state`) and since
    /// when (`start`: for [`WorkerStatus::Requests`], when the most recent request in flight
    /// started). `Pending` registers `cx`'s waker for when to ask again.
    fn poll(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        state: WorkerStatus,
        start: Instant,
    ) -> Poll<()>;
}

/// How one worker (one instance) takes requests.
pub trait WorkerState: 'static + Send + Sync {
    /// The store's data.
    type StoreData: Send;
    /// What a host passes with each request to [`ProxyHandler::handle`].
    type RequestData: Send + Sync;

    /// Whether the instance takes another request, with `concurrent_count` in flight and
    /// `total_count` taken so far.
    fn should_accept_request(&self, concurrent_count: usize, total_count: usize) -> ShouldAccept;

    /// A request is starting as guest task `task`. When the returned future completes before
    /// the guest has produced a response, the request expires: its caller gets an
    /// [`ExpirationError`] and the instance takes no more requests.
    fn on_request_start(
        &self,
        store: StoreContextMut<'_, Self::StoreData>,
        data: Self::RequestData,
        task: GuestTaskId,
    ) -> Pin<Box<dyn Future<Output = ()> + 'static + Send + Sync>>;

    /// The worker is done with `store`; `result` is `Err` when it ended on a trap, an
    /// expiration with requests in flight, or a panic (`Ok` when its task was cancelled).
    fn drop(&self, store: Store<Self::StoreData>, result: wasmtime::Result<()>);
}

/// A store and the instance in it that serve requests, made by [`HandlerState::instantiate`].
pub struct Instance<T: 'static, E: WorkerExpiration, S: WorkerState> {
    /// The store.
    pub store: Store<T>,
    /// The handler instance in `store`.
    pub proxy: Proxy,
    /// The store data's wasi:http view.
    pub view: fn(&mut T) -> WasiHttpCtxView<'_>,
    /// When the instance expires.
    pub expiration: E,
    /// How it takes requests.
    pub state: S,
}

/// The answer of [`WorkerState::should_accept_request`].
pub enum ShouldAccept {
    /// Take another request.
    Yes,
    /// Not now; ask again when a request finishes.
    No,
    /// Never again: the instance ends once its requests are done.
    Never,
}

/// A server's state: how to make instances.
pub trait HandlerState: 'static + Sync + Send + Sized {
    /// The stores' data.
    type StoreData: Send;
    /// See [`WorkerExpiration`].
    type WorkerExpiration: WorkerExpiration;
    /// See [`WorkerState`].
    type WorkerState: WorkerState<StoreData = Self::StoreData>;

    /// A new store with a handler instance in it (a timeout on instantiation is the
    /// implementer's).
    fn instantiate(
        &self,
    ) -> impl Future<
        Output = wasmtime::Result<
            Instance<Self::StoreData, Self::WorkerExpiration, Self::WorkerState>,
        >,
    > + Send;
}

/// `HandlerState::instantiate` failed for a request; the request comes back in it.
pub struct InstantiationError<T> {
    /// What the host passed with the request.
    pub request_data: T,
    /// The request (in a `Mutex`, for `wasmtime::Error`'s `Sync` bound).
    pub request: Mutex<Request>,
    /// Why instantiation failed (shared by every request that was waiting for it).
    pub error: Arc<wasmtime::Error>,
}

impl<T> fmt::Display for InstantiationError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "instantiation error: {}", self.error)
    }
}

impl<T> fmt::Debug for InstantiationError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "instantiation error: {:?}", self.error)
    }
}

impl<T> error::Error for InstantiationError<T> {}

/// The request expired (see [`WorkerState::on_request_start`]) before it had a response.
pub struct ExpirationError;

impl fmt::Display for ExpirationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("guest timed out")
    }
}

impl fmt::Debug for ExpirationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("guest timed out")
    }
}

impl error::Error for ExpirationError {}

/// The instance serving the request trapped, expired or panicked before it had a response.
pub struct TrapOrPanicError;

impl fmt::Display for TrapOrPanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("worker trapped or panicked")
    }
}

impl fmt::Debug for TrapOrPanicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("worker trapped or panicked")
    }
}

impl error::Error for TrapOrPanicError {}

type RequestData<S> = <<S as HandlerState>::WorkerState as WorkerState>::RequestData;
type StoreData<S> = <S as HandlerState>::StoreData;
type Reply = oneshot::Sender<wasmtime::Result<Response>>;
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
    /// [`InstantiationError`] (the request comes back in it), [`ExpirationError`],
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
        tokio::spawn(self.clone().worker(first));
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
            let result = if std::thread::panicking() {
                Err(wasmtime::format_err!("worker panicked"))
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

/// Where a request's response goes: one sender, shared between the p2 guest's
/// `response-outparam` (the response leaves from inside its `set`) and the call's end (an
/// expiration, or a guest that never set one).
#[derive(Clone)]
#[doc(hidden)]
pub struct SharedReply(Arc<Mutex<Option<ReplyTx>>>);

/// The worker's sender, or the one a host gave [`Prepared::new`] (wasmtime-wasi-http's type).
enum ReplyTx {
    Worker(Reply),
    Host(futures_channel::oneshot::Sender<wasmtime::Result<Response>>),
}

impl SharedReply {
    fn new(tx: ReplyTx) -> Self {
        SharedReply(Arc::new(Mutex::new(Some(tx))))
    }

    /// Sends `result` unless a response went already.
    fn send(&self, result: wasmtime::Result<Response>) {
        match lock(&self.0).take() {
            Some(ReplyTx::Worker(tx)) => drop(tx.send(result)),
            Some(ReplyTx::Host(tx)) => drop(tx.send(result)),
            None => {}
        }
    }

    /// Whether no response went yet.
    fn pending(&self) -> bool {
        lock(&self.0).is_some()
    }
}

/// A request's `handle` call queued on an instance, before it runs: wasmtime-wasi-http's
/// `handler::Prepared`. [`Prepared::new`] puts the request in the store's table and starts the
/// guest's call (so [`WorkerState::on_request_start`] can be given its task); [`Prepared::run`]
/// runs it to its response, which goes to the sender given to `new`.
pub enum Prepared<'a, T: 'static> {
    /// A `wasi:http/incoming-handler@0.2.x` call.
    #[doc(hidden)]
    P2 {
        /// The instance.
        guest: &'a super::p2::bindings::Proxy,
        /// The call.
        call: p2_adapter::http::handler::StartedCall<T>,
        /// Where the response goes.
        reply: SharedReply,
    },
    /// A `wasi:http/handler@0.3.0` call.
    #[doc(hidden)]
    P3 {
        /// The instance.
        guest: &'a super::p3::bindings::Service,
        /// The call.
        call: super::p3::StartedCall<T>,
        /// Where the response goes.
        reply: SharedReply,
        /// The store data's wasi:http view.
        view: fn(&mut T) -> WasiHttpCtxView<'_>,
    },
}

impl<'a, T: Send> Prepared<'a, T> {
    /// Puts `request` in the store's table and starts `proxy`'s handler with it; the response
    /// (or why there is none) goes to `tx` once [`Prepared::run`] gets it.
    pub fn new(
        store: StoreContextMut<'_, T>,
        proxy: &'a Proxy,
        request: Request,
        view: fn(&mut T) -> WasiHttpCtxView<'_>,
        tx: futures_channel::oneshot::Sender<wasmtime::Result<Response>>,
    ) -> wasmtime::Result<Prepared<'a, T>> {
        Self::new_shared(
            store,
            proxy,
            request,
            view,
            SharedReply::new(ReplyTx::Host(tx)),
        )
    }

    fn new_shared(
        mut store: StoreContextMut<'_, T>,
        proxy: &'a Proxy,
        request: Request,
        view: fn(&mut T) -> WasiHttpCtxView<'_>,
        reply: SharedReply,
    ) -> wasmtime::Result<Prepared<'a, T>> {
        let scheme = request
            .uri()
            .scheme()
            .cloned()
            .unwrap_or(http::uri::Scheme::HTTP);
        Ok(match proxy {
            Proxy::P3(guest) => {
                let call = super::p3::start(store.as_context_mut(), guest, view, scheme, request)?;
                Prepared::P3 {
                    guest,
                    call,
                    reply,
                    view,
                }
            }
            Proxy::P2(guest) => {
                let respond = {
                    let reply = reply.clone();
                    move |response| reply.send(response)
                };
                let call = p2_adapter::http::handler::start(
                    store.as_context_mut(),
                    guest,
                    view,
                    scheme,
                    request,
                    respond,
                )?;
                Prepared::P2 { guest, call, reply }
            }
        })
    }

    /// The guest task that runs the call.
    pub fn task(&self) -> GuestTaskId {
        match self {
            Prepared::P2 { call, .. } => call.task(),
            Prepared::P3 { call, .. } => call.task(),
        }
    }

    /// Runs the call until its response is out, or `expiration` comes first (the response is
    /// then an [`ExpirationError`]): `Ok(true)` if the response was sent, `Ok(false)` if it
    /// expired, `Err` on a trap. Runs on the store's event loop; as with wasmtime-wasi-http,
    /// keep that loop turning while the response's body is read (the guest may still be
    /// writing it).
    pub async fn run(
        self,
        accessor: &Accessor<T>,
        expiration: impl Future<Output = ()>,
    ) -> wasmtime::Result<bool> {
        Ok(self.finish(accessor, expiration).await?.0)
    }

    /// [`Prepared::run`] without waiting for the body: with what says when hyper is done with
    /// it, so one worker can go on taking requests meanwhile.
    async fn finish(
        self,
        accessor: &Accessor<T>,
        expiration: impl Future<Output = ()>,
    ) -> wasmtime::Result<(bool, BodyDone)> {
        let mut expires = pin!(expiration);
        match self {
            Prepared::P3 {
                guest,
                call,
                reply,
                view,
            } => {
                let mut finishing = pin!(super::p3::finish(accessor, guest, view, call));
                tokio::select! {
                    biased;
                    done = &mut finishing => {
                        // A trap ends the instance: the worker's end reports it, and every
                        // request still in flight gets a `TrapOrPanicError`.
                        let (response, body) = done?;
                        reply.send(response);
                        Ok((true, body))
                    }
                    () = &mut expires => {
                        reply.send(Err(ExpirationError.into()));
                        Ok((false, BodyDone::none()))
                    }
                }
            }
            Prepared::P2 { guest, call, reply } => {
                const NEVER_SET: &str = "guest never invoked `response-outparam::set` method";
                let mut calling = pin!(p2_adapter::http::handler::finish(accessor, guest, call));
                tokio::select! {
                    done = &mut calling => match done {
                        Ok(()) => {
                            // Only an unanswered request gets the error (made only then: an
                            // error is an allocation, and a backtrace with RUST_BACKTRACE set).
                            if reply.pending() {
                                reply.send(Err(wasmtime::format_err!("{NEVER_SET}")));
                            }
                            Ok((true, BodyDone::none()))
                        }
                        // As for p3: the worker's end reports the trap.
                        Err(trap) => Err(trap),
                    },
                    // As wasmtime-wasi-http: the whole p2 call is bounded, also after `set`.
                    () = &mut expires => {
                        reply.send(Err(ExpirationError.into()));
                        Ok((false, BodyDone::none()))
                    }
                }
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
