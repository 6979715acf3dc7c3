//! `poll_oneoff`: p1's subscription array onto the core's timers and readiness polls. Files
//! and stdout are always ready (as on every p1 host); stdin, sockets and listeners are polled.

use crate::WasiP1Ctx;
use crate::fds::Fd;
use crate::fds::Fds;
use crate::types::{self, Errno};
use p3_core::clocks::Timer;
use p3_core::io::{ByteSink, ByteSource};
use std::future::poll_fn;
use std::task::Poll;
use wiggle::{GuestMemory, GuestPtr};

type Result<T, E = types::Error> = std::result::Result<T, E>;

/// What one subscription waits on.
enum Waiter {
    Timer(Timer),
    Stdin,
    /// Receive side of a socket fd, or a listener's accept.
    Readable(types::Fd),
    /// Send side of a socket fd.
    Writable(types::Fd),
    Ready,
}

/// A subscription as a guest lays it out: p1's own, or p0's (converted to p1's).
pub(crate) trait Subscription: wiggle::GuestType {
    fn into_p1(self) -> Result<types::Subscription>;
}

impl Subscription for types::Subscription {
    fn into_p1(self) -> Result<types::Subscription> {
        Ok(self)
    }
}

pub(crate) async fn poll_oneoff<S: Subscription>(
    ctx: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    subs: GuestPtr<S>,
    events: GuestPtr<types::Event>,
    nsubscriptions: types::Size,
) -> Result<types::Size> {
    if nsubscriptions == 0 {
        // p1 cannot sleep forever.
        return Err(Errno::Inval.into());
    }
    let subs = subs.as_array(nsubscriptions);
    let events = events.as_array(nsubscriptions);
    crate::consume_fuel_for_array(ctx, subs)?;
    crate::consume_fuel_for_array(ctx, events)?;

    // A lone relative sleep, reported as the original host reports it.
    if nsubscriptions == 1 && ctx.wasi.filesystem().allow_blocking_current_thread() {
        let sub = memory
            .read(subs.get(0).expect("one subscription"))?
            .into_p1()?;
        if let types::SubscriptionU::Clock(c) = sub.u
            && !c
                .flags
                .contains(types::Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME)
        {
            let mut timer = ctx.wasi.clocks().wait_for(c.timeout);
            poll_fn(|cx| timer.poll_elapsed(cx)).await;
            memory.write(
                events.get(0).expect("one event"),
                event(sub.userdata, types::Eventtype::Clock, 1, false),
            )?;
            return Ok(1);
        }
    }

    let mut waiters = Vec::with_capacity(nsubscriptions as usize);
    let mut read = Vec::with_capacity(nsubscriptions as usize);
    for sub in subs.iter() {
        let sub = memory.read(sub?)?.into_p1()?;
        let waiter = match &sub.u {
            types::SubscriptionU::Clock(c) => {
                let absolute = c
                    .flags
                    .contains(types::Subclockflags::SUBSCRIPTION_CLOCK_ABSTIME);
                let clocks = ctx.wasi.clocks();
                Waiter::Timer(match (c.id, absolute) {
                    (types::Clockid::Monotonic, true) => clocks.wait_until(c.timeout),
                    (types::Clockid::Monotonic | types::Clockid::Realtime, false) => {
                        clocks.wait_for(c.timeout)
                    }
                    (types::Clockid::Realtime, true) => {
                        let now = u64::try_from(clocks.wall_now().as_nanos()).unwrap_or(u64::MAX);
                        clocks.wait_for(c.timeout.saturating_sub(now))
                    }
                    _ => return Err(Errno::Inval.into()),
                })
            }
            types::SubscriptionU::FdRead(r) => match ctx.p1.fds().get(r.file_descriptor)? {
                Fd::Stdin => Waiter::Stdin,
                Fd::File(_) => Waiter::Ready,
                Fd::Stream(_) | Fd::Listener { .. } => Waiter::Readable(r.file_descriptor),
                _ => return Err(Errno::Badf.into()),
            },
            types::SubscriptionU::FdWrite(w) => match ctx.p1.fds().get(w.file_descriptor)? {
                Fd::Stdout | Fd::Stderr | Fd::File(_) => Waiter::Ready,
                Fd::Stream(_) => Waiter::Writable(w.file_descriptor),
                _ => return Err(Errno::Badf.into()),
            },
        };
        waiters.push(waiter);
        read.push(sub);
    }

    let stdin = ctx.wasi.cli().stdin().clone();
    let ready: Vec<bool> = poll_fn(|cx| {
        let mut ready = vec![false; waiters.len()];
        let mut any = false;
        for (i, w) in waiters.iter_mut().enumerate() {
            let r = match w {
                Waiter::Ready => true,
                Waiter::Timer(t) => t.poll_elapsed(cx).is_ready(),
                Waiter::Stdin => stdin.poll_ready(cx).is_ready(),
                Waiter::Readable(fd) => match ctx.p1.fds().get_mut(*fd) {
                    Ok(Fd::Stream(s)) => s.receive.poll_ready(cx).is_ready(),
                    Ok(Fd::Listener { acceptor, .. }) => acceptor.poll_ready(cx).is_ready(),
                    _ => true,
                },
                Waiter::Writable(fd) => match ctx.p1.fds().get_mut(*fd) {
                    Ok(Fd::Stream(s)) => s.send.poll_write_ready(cx).is_ready(),
                    _ => true,
                },
            };
            ready[i] = r;
            any |= r;
        }
        if any {
            Poll::Ready(ready)
        } else {
            Poll::Pending
        }
    })
    .await;

    let mut count: types::Size = 0;
    for (sub, _) in read.into_iter().zip(ready).filter(|(_, r)| *r) {
        let e = match sub.u {
            types::SubscriptionU::Clock(_) => {
                event(sub.userdata, types::Eventtype::Clock, 0, false)
            }
            types::SubscriptionU::FdRead(r) => {
                let file = match ctx.p1.fds().get(r.file_descriptor)? {
                    Fd::File(f) => Some((f.file.clone(), f.position)),
                    _ => None,
                };
                let hangup = match file {
                    Some((file, pos)) => {
                        let size = p3_core::filesystem::Descriptor::File(file)
                            .stat()
                            .await?
                            .size;
                        size.saturating_sub(pos) == 0
                    }
                    None => false,
                };
                event(sub.userdata, types::Eventtype::FdRead, 1, hangup)
            }
            types::SubscriptionU::FdWrite(_) => {
                event(sub.userdata, types::Eventtype::FdWrite, 1, false)
            }
        };
        let slot = events.get(count).ok_or(Errno::Overflow)?;
        memory.write(slot, e)?;
        count += 1;
    }
    Ok(count)
}

fn event(
    userdata: types::Userdata,
    type_: types::Eventtype,
    nbytes: types::Filesize,
    hangup: bool,
) -> types::Event {
    types::Event {
        userdata,
        error: Errno::Success,
        type_,
        fd_readwrite: types::EventFdReadwrite {
            flags: if hangup {
                types::Eventrwflags::FD_READWRITE_HANGUP
            } else {
                types::Eventrwflags::empty()
            },
            nbytes,
        },
    }
}
