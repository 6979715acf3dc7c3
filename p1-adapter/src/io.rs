//! Moving bytes: `fd_read` / `fd_write` (and their positional forms) between guest memory and
//! files (on the calling thread, straight to and from guest memory), stdin, stdout and stderr.

use crate::WasiP1Ctx;
use crate::fds::Fd;
use crate::fds::Fds;
use crate::types::{self, Errno};
use p3_core::filesystem::Descriptor;
use p3_core::io::{ByteSink, ByteSource};
use std::future::poll_fn;
use std::task::{Context, Poll, Waker};
use wiggle::{GuestMemory, GuestPtr};

type Result<T, E = types::Error> = std::result::Result<T, E>;

#[derive(Clone, Copy)]
pub(crate) enum WriteAt {
    Cursor,
    Offset(u64),
}

/// Writes all of `buf` to a stdio sink and waits until it has reached the writer (p1's
/// stdout is synchronous: a later write to stderr comes out after it).
pub(crate) async fn write_stdio(
    cx: &mut WasiP1Ctx,
    memory: &GuestMemory<'_>,
    stderr: bool,
    buf: GuestPtr<[u8]>,
) -> Result<types::Size> {
    let cli = cx.wasi.cli();
    let sink = if stderr { cli.stderr() } else { cli.stdout() };
    let mut handle = sink.handle();
    let bytes = memory.as_cow(buf)?;
    p3_core::io::write_all(&mut handle, &bytes).await?;
    poll_fn(|cx| handle.poll_flush(cx)).await?;
    Ok(u32::try_from(bytes.len())?)
}

pub(crate) async fn write_impl(
    cx: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    fd: types::Fd,
    ciovs: types::CiovecArray,
    at: WriteAt,
) -> Result<types::Size> {
    let buf = crate::first_buffer(cx, memory, ciovs)?;
    let file = match cx.p1.fds().get(fd)? {
        Fd::File(f) => Some((f.file.clone(), f.position, f.append)),
        _ => None,
    };
    if let Some((file, position, append)) = file {
        let offset = match (append, at) {
            (true, _) => None,
            (false, WriteAt::Offset(o)) => Some(o),
            (false, WriteAt::Cursor) => Some(position),
        };
        // Straight from guest memory, on the calling thread (the core's byte-stream rule).
        let n = file.write_from(&memory.as_cow(buf)?, offset)?;
        if let WriteAt::Cursor = at {
            let new = if append {
                Descriptor::File(file).stat().await?.size
            } else {
                position.checked_add(n as u64).ok_or(Errno::Overflow)?
            };
            cx.p1.fds().file_mut(fd)?.position = new;
        }
        return Ok(u32::try_from(n)?);
    }
    let (stdout, stderr, stream) = match cx.p1.fds().get(fd)? {
        Fd::Stdout => (true, false, false),
        Fd::Stderr => (false, true, false),
        Fd::Stream(_) => (false, false, true),
        _ => return Err(Errno::Badf.into()),
    };
    if matches!(at, WriteAt::Offset(_)) && !stream {
        return Err(Errno::Spipe.into());
    }
    if stream {
        crate::sockets::sock_write(cx, memory, fd, buf).await
    } else {
        write_stdio(cx, memory, stderr && !stdout, buf).await
    }
}

/// Reads into `buf` from a file at `offset`, straight into guest memory (through a host
/// buffer only for a shared memory), on the calling thread as the core's byte streams do.
pub(crate) fn file_read(
    memory: &mut GuestMemory<'_>,
    file: &p3_core::filesystem::File,
    buf: GuestPtr<[u8]>,
    offset: u64,
) -> Result<usize> {
    if let Some(dst) = memory.as_slice_mut(buf)? {
        return Ok(file.read_into(dst, offset)?);
    }
    // A shared memory is read through a bounded host buffer (a short read is allowed).
    let mut tmp = vec![0; (buf.len() as usize).min(1 << 20)];
    let n = file.read_into(&mut tmp, offset)?;
    let dst = buf.get_range(0..u32::try_from(n)?).ok_or(Errno::Range)?;
    memory.copy_from_slice(&tmp[..n], dst)?;
    Ok(n)
}

/// Reads from stdin into `buf`: at least one byte, or 0 at the end.
pub(crate) async fn stdin_read(
    cx: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    buf: GuestPtr<[u8]>,
) -> Result<usize> {
    let mut stdin = cx.wasi.cli().stdin().handle();
    read_source(memory, buf, false, &mut stdin).await
}

pub(crate) fn descriptor(cx: &mut WasiP1Ctx, fd: types::Fd) -> Result<Descriptor> {
    cx.p1.fds().descriptor(fd)
}

/// Polls once when `nonblocking` (`again` if it would wait), else until ready.
pub(crate) async fn poll_or_wait<T>(
    nonblocking: bool,
    mut f: impl FnMut(&mut Context<'_>) -> Poll<T>,
) -> Result<T> {
    if nonblocking {
        match f(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(t) => Ok(t),
            Poll::Pending => Err(Errno::Again.into()),
        }
    } else {
        Ok(poll_fn(f).await)
    }
}

/// Reads from a stream `source` (stdin, a socket) into the guest buffer `buf`: straight into
/// guest memory, or through a bounded host buffer for a shared memory. 0 is the end.
pub(crate) async fn read_source<S: ByteSource>(
    memory: &mut GuestMemory<'_>,
    buf: GuestPtr<[u8]>,
    nonblocking: bool,
    source: &mut S,
) -> Result<usize> {
    if buf.len() == 0 {
        return Ok(0);
    }
    if let Some(dst) = memory.as_slice_mut(buf)? {
        return Ok(poll_or_wait(nonblocking, |cx| source.poll_read(cx, dst)).await??);
    }
    let mut tmp = vec![0; (buf.len() as usize).min(64 * 1024)];
    let n = poll_or_wait(nonblocking, |cx| source.poll_read(cx, &mut tmp)).await??;
    let dst = buf.get_range(0..u32::try_from(n)?).ok_or(Errno::Range)?;
    memory.copy_from_slice(&tmp[..n], dst)?;
    Ok(n)
}
