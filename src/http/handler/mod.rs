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
//!
//! The engine is the host's. With a fresh instance per request, most of a small handler's cost
//! can be the pooling allocator handing each ended instance's memory back to the kernel and
//! the next instance faulting it in again; `wasi-bridge serve` sets
//! `PoolingAllocationConfig::linear_memory_keep_resident(1 << 20)` and
//! `table_keep_resident(64 << 10)` so that the memory is reset in place instead (same fresh
//! contents for every instance; docs/performance.md has the figures).

mod prepared;
mod worker;

pub use prepared::{Prepared, SharedReply};
pub use worker::ProxyHandler;

use super::{WasiBody, WasiHttpCtxView};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;
use std::{error, fmt};
use wasmtime::component::{Func, GuestTaskId};
use wasmtime::{AsContextMut, Store, StoreContextMut};

/// A request for [`ProxyHandler::handle`].
pub type Request = http::Request<WasiBody>;

/// A response from [`ProxyHandler::handle`].
pub type Response = http::Response<WasiBody>;

/// A component prepared as an HTTP handler.
pub enum ProxyPre<T: 'static> {
    /// `wasi:http/incoming-handler@0.2.x`.
    P2(crate::http::p2::bindings::ProxyPre<T>),
    /// `wasi:http/handler@0.3.0`.
    P3(crate::http::p3::bindings::ServicePre<T>),
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
    P2(crate::http::p2::bindings::Proxy),
    /// `wasi:http/handler@0.3.0`.
    P3(crate::http::p3::bindings::Service),
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
