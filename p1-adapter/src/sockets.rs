//! p1's socket calls on preopened listeners and the connections they accept, onto the core's
//! TCP objects (`sock_accept`, `sock_recv`, `sock_send`, `sock_shutdown`, and `fd_read` /
//! `fd_write` / `fd_fdstat_*` on a socket fd).

use crate::WasiP1Ctx;
use crate::fds::Fds;
use crate::fds::{Fd, FdTable, StreamFd};
use crate::io::{poll_or_wait, read_source};
use crate::types::{self, Errno};
use p3_core::io::ByteSink;
use std::future::poll_fn;
use wiggle::{GuestMemory, GuestPtr};

type Result<T, E = types::Error> = std::result::Result<T, E>;

pub(crate) async fn accept(
    ctx: &mut WasiP1Ctx,
    fd: types::Fd,
    flags: types::Fdflags,
) -> Result<types::Fd> {
    if !(flags & !types::Fdflags::NONBLOCK).is_empty() {
        return Err(Errno::Inval.into());
    }
    let acceptor = match ctx.p1.fds().get_mut(fd)? {
        Fd::Listener { acceptor, .. } => acceptor,
        _ => return Err(Errno::Notsock.into()),
    };
    let mut socket = poll_fn(|cx| acceptor.poll_accept(cx)).await;
    let receive = socket.take_receive()?;
    let send = socket.take_send()?;
    ctx.p1.fds().push(Fd::Stream(Box::new(StreamFd {
        socket,
        receive,
        send,
        nonblocking: flags.contains(types::Fdflags::NONBLOCK),
    })))
}

fn stream(fds: &mut FdTable, fd: types::Fd) -> Result<&mut StreamFd> {
    match fds.get_mut(fd)? {
        Fd::Stream(s) => Ok(s),
        _ => Err(Errno::Notsock.into()),
    }
}

pub(crate) async fn recv(
    ctx: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    fd: types::Fd,
    iovs: types::IovecArray,
    flags: types::Riflags,
) -> Result<(types::Size, types::Roflags)> {
    if !flags.is_empty() {
        return Err(Errno::Notsup.into());
    }
    let buf = crate::first_buffer(ctx, memory, iovs)?;
    let n = sock_read(ctx, memory, fd, buf).await?;
    Ok((n, types::Roflags::empty()))
}

/// Reads what the connection has into `buf` (0 at its end).
pub(crate) async fn sock_read(
    cx: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    fd: types::Fd,
    buf: GuestPtr<[u8]>,
) -> Result<types::Size> {
    let s = stream(cx.p1.fds(), fd)?;
    let n = read_source(memory, buf, s.nonblocking, &mut s.receive).await?;
    Ok(u32::try_from(n)?)
}

/// Sends a prefix of `buf`: what the connection takes now (blocking until it takes some).
pub(crate) async fn sock_write(
    cx: &mut WasiP1Ctx,
    memory: &GuestMemory<'_>,
    fd: types::Fd,
    buf: GuestPtr<[u8]>,
) -> Result<types::Size> {
    let s = stream(cx.p1.fds(), fd)?;
    let bytes = memory.as_cow(buf)?;
    if bytes.is_empty() {
        return Ok(0);
    }
    let n = poll_or_wait(s.nonblocking, |cx| s.send.poll_write(cx, &bytes)).await??;
    Ok(u32::try_from(n)?)
}

pub(crate) fn shutdown(ctx: &mut WasiP1Ctx, fd: types::Fd, how: types::Sdflags) -> Result<()> {
    let s = stream(ctx.p1.fds(), fd)?;
    let (receive, send) = (
        how.contains(types::Sdflags::RD),
        how.contains(types::Sdflags::WR),
    );
    if !receive && !send {
        return Err(Errno::Inval.into());
    }
    Ok(s.socket.shutdown(receive, send)?)
}

/// `fd_fdstat_get` of a socket fd.
pub(crate) fn fdstat(fds: &FdTable, fd: types::Fd) -> Result<types::Fdstat> {
    use types::Rights as R;
    let (rights, nonblocking) = match fds.get(fd)? {
        Fd::Listener { .. } => (R::SOCK_ACCEPT | R::POLL_FD_READWRITE, false),
        Fd::Stream(s) => (
            R::FD_READ
                | R::FD_WRITE
                | R::FD_FDSTAT_SET_FLAGS
                | R::POLL_FD_READWRITE
                | R::SOCK_SHUTDOWN,
            s.nonblocking,
        ),
        _ => return Err(Errno::Notsock.into()),
    };
    Ok(types::Fdstat {
        fs_filetype: types::Filetype::SocketStream,
        fs_flags: if nonblocking {
            types::Fdflags::NONBLOCK
        } else {
            types::Fdflags::empty()
        },
        fs_rights_base: rights,
        fs_rights_inheriting: rights,
    })
}
