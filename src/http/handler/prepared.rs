//! [`Prepared`]: one request's `handle` call on an instance, started and finished per ABI
//! (wasmtime-wasi-http's `handler::Prepared`), and [`SharedReply`], where its response goes.

use super::{ExpirationError, Proxy, Request, Response};
use crate::http::WasiHttpCtxView;
use crate::http::p3::BodyDone;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;
use wasmtime::component::{Accessor, GuestTaskId};
use wasmtime::{AsContextMut, StoreContextMut};

/// The worker's sender of a response.
pub(super) type Reply = oneshot::Sender<wasmtime::Result<Response>>;

/// Locks `m`, whether or not a panicking holder poisoned it.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Where a request's response goes: one sender, shared between the p2 guest's
/// `response-outparam` (the response leaves from inside its `set`) and the call's end (an
/// expiration, or a guest that never set one).
#[derive(Clone)]
#[doc(hidden)]
pub struct SharedReply(Arc<Mutex<Option<ReplyTx>>>);

/// The worker's sender, or the one a host gave [`Prepared::new`] (wasmtime-wasi-http's type).
pub(super) enum ReplyTx {
    Worker(Reply),
    Host(futures_channel::oneshot::Sender<wasmtime::Result<Response>>),
}

impl SharedReply {
    pub(super) fn new(tx: ReplyTx) -> Self {
        SharedReply(Arc::new(Mutex::new(Some(tx))))
    }

    /// Sends `result` unless a response went already.
    pub(super) fn send(&self, result: wasmtime::Result<Response>) {
        match lock(&self.0).take() {
            Some(ReplyTx::Worker(tx)) => drop(tx.send(result)),
            Some(ReplyTx::Host(tx)) => drop(tx.send(result)),
            None => {}
        }
    }

    /// Whether no response went yet.
    pub(super) fn pending(&self) -> bool {
        lock(&self.0).is_some()
    }
}

/// A request's `handle` call queued on an instance, before it runs: wasmtime-wasi-http's
/// `handler::Prepared`. [`Prepared::new`] puts the request in the store's table and starts the
/// guest's call (so [`WorkerState::on_request_start`](super::WorkerState::on_request_start) can be given its task); [`Prepared::run`]
/// runs it to its response, which goes to the sender given to `new`.
pub enum Prepared<'a, T: 'static> {
    /// A `wasi:http/incoming-handler@0.2.x` call.
    #[doc(hidden)]
    P2 {
        /// The instance.
        guest: &'a crate::http::p2::bindings::Proxy,
        /// The call.
        call: p2_adapter::http::handler::StartedCall<T>,
        /// Where the response goes.
        reply: SharedReply,
    },
    /// A `wasi:http/handler@0.3.0` call.
    #[doc(hidden)]
    P3 {
        /// The instance.
        guest: &'a crate::http::p3::bindings::Service,
        /// The call.
        call: crate::http::p3::StartedCall<T>,
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

    pub(super) fn new_shared(
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
                let call =
                    crate::http::p3::start(store.as_context_mut(), guest, view, scheme, request)?;
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
    pub(super) async fn finish(
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
                let mut finishing = pin!(crate::http::p3::finish(accessor, guest, view, call));
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
