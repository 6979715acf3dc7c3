//! `wasi_unstable` (WASI preview 0) for old core modules, as a translation onto this crate's
//! `wasi_snapshot_preview1`: every call is the p1 call with p0's few different layouts
//! converted (wasmtime-wasi 48's `p0` serves the same purpose).
//!
//! What differs from p1, and only that, is translated here:
//! - `whence` orders its cases `cur`, `end`, `set` (p1: `set`, `cur`, `end`);
//! - `filestat.nlink` is a `u32` (p1: `u64`; a larger count is `overflow`);
//! - a clock subscription carries an `identifier` before its clock id (p1 has none), so
//!   `poll_oneoff` reads p0 subscriptions and runs p1's poll on them, fuel included;
//! - `rights` has no `sock_accept` bit, and there is no `sock_accept` function.
//!
//! Every other type has p1's layout, so pointers to it are handed to p1 unchanged.

use crate::WasiP1Ctx;
use crate::types as t1;
use crate::wasi_snapshot_preview1::WasiSnapshotPreview1 as P1;
use wiggle::{GuestError, GuestMemory, GuestPtr};

#[allow(clippy::too_many_arguments, missing_docs)]
mod generated {
    wiggle::from_witx!({
        witx: ["witx/p0/wasi_unstable.witx"],
        async: {
            wasi_unstable::{
                fd_advise, fd_close, fd_datasync, fd_fdstat_get, fd_filestat_get,
                fd_filestat_set_size, fd_filestat_set_times, fd_read, fd_pread, fd_seek, fd_sync,
                fd_readdir, fd_write, fd_pwrite, poll_oneoff, path_create_directory,
                path_filestat_get, path_filestat_set_times, path_link, path_open, path_readlink,
                path_remove_directory, path_rename, path_symlink, path_unlink_file, fd_renumber,
                sock_recv, sock_send
            }
        },
        errors: { errno => trappable Error },
    });
}

/// The witx-generated ABI of `wasi_unstable`: its types and its host trait, as in
/// wasmtime-wasi's `p0` (the trait is implemented by [`WasiP1Ctx`]).
pub use generated::{types, wasi_unstable};

#[allow(clippy::too_many_arguments)]
mod sync {
    use std::future::Future;
    use wasmtime::Result;

    wiggle::wasmtime_integration!({
        witx: ["witx/p0/wasi_unstable.witx"],
        target: super::generated,
        block_on[in_tokio]: {
            wasi_unstable::{
                fd_advise, fd_close, fd_datasync, fd_fdstat_get, fd_filestat_get,
                fd_filestat_set_size, fd_filestat_set_times, fd_read, fd_pread, fd_seek, fd_sync,
                fd_readdir, fd_write, fd_pwrite, poll_oneoff, path_create_directory,
                path_filestat_get, path_filestat_set_times, path_link, path_open, path_readlink,
                path_remove_directory, path_rename, path_symlink, path_unlink_file, fd_renumber,
                sock_recv, sock_send
            }
        },
        errors: { errno => trappable Error },
    });

    fn in_tokio<F: Future>(future: F) -> Result<F::Output> {
        Ok(wasmtime_wasi::runtime::in_tokio(future))
    }
}

/// Adds `wasi_unstable` to a core-module linker whose host calls run on an async store (as
/// `wasmtime_wasi::p0::add_to_linker_async`). The context is the p1 one: a module importing
/// both `wasi_unstable` and `wasi_snapshot_preview1` sees one fd table.
pub fn add_to_linker_async<T: Send + 'static>(
    linker: &mut wasmtime::Linker<T>,
    f: impl Fn(&mut T) -> &mut WasiP1Ctx + Copy + Send + Sync + 'static,
) -> wasmtime::Result<()> {
    wasi_unstable::add_to_linker(linker, f)
}

/// Adds `wasi_unstable` to a core-module linker for a sync store (as
/// `wasmtime_wasi::p0::add_to_linker_sync`).
pub fn add_to_linker_sync<T: Send + 'static>(
    linker: &mut wasmtime::Linker<T>,
    f: impl Fn(&mut T) -> &mut WasiP1Ctx + Copy + Send + Sync + 'static,
) -> wasmtime::Result<()> {
    sync::add_wasi_unstable_to_linker(linker, f)
}

use types::Error;
type Result<T, E = Error> = std::result::Result<T, E>;

impl wiggle::GuestErrorType for types::Errno {
    fn success() -> Self {
        Self::Success
    }
}

impl From<t1::Error> for Error {
    fn from(err: t1::Error) -> Self {
        match err.downcast() {
            // The error codes are p1's, numbered alike.
            Ok(errno) => match types::Errno::try_from(u16::from(errno)) {
                Ok(errno) => errno.into(),
                Err(_) => types::Errno::Io.into(),
            },
            Err(trap) => Error::trap(trap),
        }
    }
}

impl From<GuestError> for Error {
    fn from(err: GuestError) -> Self {
        t1::Error::from(err).into()
    }
}

/// A p0 enum case as the p1 case of the same number (`R` is the enum's representation).
fn same<R, A: Into<R>, B: TryFrom<R, Error = GuestError>>(a: A) -> Result<B> {
    Ok(B::try_from(a.into())?)
}

fn fd(fd: types::Fd) -> t1::Fd {
    t1::Fd::from(u32::from(fd))
}

fn rights(r: types::Rights) -> t1::Rights {
    t1::Rights::from_bits_truncate(r.bits())
}

fn rights_out(r: t1::Rights) -> types::Rights {
    // p0 has no `sock_accept` bit; every other bit is numbered alike.
    types::Rights::from_bits_truncate(r.bits())
}

fn whence(w: types::Whence) -> t1::Whence {
    match w {
        types::Whence::Cur => t1::Whence::Cur,
        types::Whence::End => t1::Whence::End,
        types::Whence::Set => t1::Whence::Set,
    }
}

fn filestat(s: t1::Filestat) -> Result<types::Filestat> {
    Ok(types::Filestat {
        dev: s.dev,
        ino: s.ino,
        filetype: same::<u8, _, _>(s.filetype)?,
        nlink: u32::try_from(s.nlink).map_err(|_| types::Errno::Overflow)?,
        size: s.size,
        atim: s.atim,
        mtim: s.mtim,
        ctim: s.ctim,
    })
}

/// A p0 subscription as p1's: the clock's `identifier` is dropped (p1 reports a clock event
/// by the subscription's `userdata`, as p0 does).
impl crate::poll::Subscription for types::Subscription {
    fn into_p1(self) -> Result<t1::Subscription, t1::Error> {
        let s = self;
        let u = match s.u {
            types::SubscriptionU::Clock(c) => t1::SubscriptionU::Clock(t1::SubscriptionClock {
                id: t1::Clockid::try_from(u32::from(c.id))?,
                timeout: c.timeout,
                precision: c.precision,
                flags: t1::Subclockflags::from_bits_truncate(c.flags.bits()),
            }),
            types::SubscriptionU::FdRead(r) => {
                t1::SubscriptionU::FdRead(t1::SubscriptionFdReadwrite {
                    file_descriptor: fd(r.file_descriptor),
                })
            }
            types::SubscriptionU::FdWrite(w) => {
                t1::SubscriptionU::FdWrite(t1::SubscriptionFdReadwrite {
                    file_descriptor: fd(w.file_descriptor),
                })
            }
        };
        Ok(t1::Subscription {
            userdata: s.userdata,
            u,
        })
    }
}

/// Hands a pointer to a type p0 and p1 lay out alike to p1.
fn cast<A, B>(p: GuestPtr<A>) -> GuestPtr<B>
where
    A: wiggle::Pointee + ?Sized,
    B: wiggle::Pointee<Pointer = A::Pointer> + ?Sized,
{
    p.cast()
}

impl wasi_unstable::WasiUnstable for WasiP1Ctx {
    fn set_hostcall_fuel(&mut self, fuel: usize) {
        P1::set_hostcall_fuel(self, fuel)
    }

    fn args_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        argv: GuestPtr<GuestPtr<u8>>,
        argv_buf: GuestPtr<u8>,
    ) -> Result<()> {
        Ok(P1::args_get(self, memory, argv, argv_buf)?)
    }

    fn args_sizes_get(&mut self, memory: &mut GuestMemory<'_>) -> Result<(u32, u32)> {
        Ok(P1::args_sizes_get(self, memory)?)
    }

    fn environ_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        environ: GuestPtr<GuestPtr<u8>>,
        environ_buf: GuestPtr<u8>,
    ) -> Result<()> {
        Ok(P1::environ_get(self, memory, environ, environ_buf)?)
    }

    fn environ_sizes_get(&mut self, memory: &mut GuestMemory<'_>) -> Result<(u32, u32)> {
        Ok(P1::environ_sizes_get(self, memory)?)
    }

    fn clock_res_get(&mut self, memory: &mut GuestMemory<'_>, id: types::Clockid) -> Result<u64> {
        Ok(P1::clock_res_get(self, memory, same::<u32, _, _>(id)?)?)
    }

    fn clock_time_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        id: types::Clockid,
        precision: u64,
    ) -> Result<u64> {
        Ok(P1::clock_time_get(
            self,
            memory,
            same::<u32, _, _>(id)?,
            precision,
        )?)
    }

    async fn fd_advise(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        offset: u64,
        len: u64,
        advice: types::Advice,
    ) -> Result<()> {
        Ok(P1::fd_advise(self, memory, fd(f), offset, len, same::<u8, _, _>(advice)?).await?)
    }

    fn fd_allocate(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        offset: u64,
        len: u64,
    ) -> Result<()> {
        Ok(P1::fd_allocate(self, memory, fd(f), offset, len)?)
    }

    async fn fd_close(&mut self, memory: &mut GuestMemory<'_>, f: types::Fd) -> Result<()> {
        Ok(P1::fd_close(self, memory, fd(f)).await?)
    }

    async fn fd_datasync(&mut self, memory: &mut GuestMemory<'_>, f: types::Fd) -> Result<()> {
        Ok(P1::fd_datasync(self, memory, fd(f)).await?)
    }

    async fn fd_fdstat_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
    ) -> Result<types::Fdstat> {
        let s = P1::fd_fdstat_get(self, memory, fd(f)).await?;
        Ok(types::Fdstat {
            fs_filetype: same::<u8, _, _>(s.fs_filetype)?,
            fs_flags: types::Fdflags::from_bits_truncate(s.fs_flags.bits()),
            fs_rights_base: rights_out(s.fs_rights_base),
            fs_rights_inheriting: rights_out(s.fs_rights_inheriting),
        })
    }

    fn fd_fdstat_set_flags(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        flags: types::Fdflags,
    ) -> Result<()> {
        let flags = t1::Fdflags::from_bits_truncate(flags.bits());
        Ok(P1::fd_fdstat_set_flags(self, memory, fd(f), flags)?)
    }

    fn fd_fdstat_set_rights(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        base: types::Rights,
        inheriting: types::Rights,
    ) -> Result<()> {
        Ok(P1::fd_fdstat_set_rights(
            self,
            memory,
            fd(f),
            rights(base),
            rights(inheriting),
        )?)
    }

    async fn fd_filestat_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
    ) -> Result<types::Filestat> {
        filestat(P1::fd_filestat_get(self, memory, fd(f)).await?)
    }

    async fn fd_filestat_set_size(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        size: u64,
    ) -> Result<()> {
        Ok(P1::fd_filestat_set_size(self, memory, fd(f), size).await?)
    }

    async fn fd_filestat_set_times(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        atim: u64,
        mtim: u64,
        fst_flags: types::Fstflags,
    ) -> Result<()> {
        let flags = t1::Fstflags::from_bits_truncate(fst_flags.bits());
        Ok(P1::fd_filestat_set_times(self, memory, fd(f), atim, mtim, flags).await?)
    }

    async fn fd_read(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        iovs: types::IovecArray,
    ) -> Result<u32> {
        Ok(P1::fd_read(self, memory, fd(f), cast(iovs)).await?)
    }

    async fn fd_pread(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        iovs: types::IovecArray,
        offset: u64,
    ) -> Result<u32> {
        Ok(P1::fd_pread(self, memory, fd(f), cast(iovs), offset).await?)
    }

    async fn fd_write(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        ciovs: types::CiovecArray,
    ) -> Result<u32> {
        Ok(P1::fd_write(self, memory, fd(f), cast(ciovs)).await?)
    }

    async fn fd_pwrite(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        ciovs: types::CiovecArray,
        offset: u64,
    ) -> Result<u32> {
        Ok(P1::fd_pwrite(self, memory, fd(f), cast(ciovs), offset).await?)
    }

    fn fd_prestat_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
    ) -> Result<types::Prestat> {
        match P1::fd_prestat_get(self, memory, fd(f))? {
            t1::Prestat::Dir(d) => Ok(types::Prestat::Dir(types::PrestatDir {
                pr_name_len: d.pr_name_len,
            })),
        }
    }

    fn fd_prestat_dir_name(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        path: GuestPtr<u8>,
        path_len: u32,
    ) -> Result<()> {
        Ok(P1::fd_prestat_dir_name(
            self,
            memory,
            fd(f),
            path,
            path_len,
        )?)
    }

    async fn fd_renumber(
        &mut self,
        memory: &mut GuestMemory<'_>,
        from: types::Fd,
        to: types::Fd,
    ) -> Result<()> {
        Ok(P1::fd_renumber(self, memory, fd(from), fd(to)).await?)
    }

    async fn fd_seek(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        offset: i64,
        w: types::Whence,
    ) -> Result<u64> {
        Ok(P1::fd_seek(self, memory, fd(f), offset, whence(w)).await?)
    }

    async fn fd_sync(&mut self, memory: &mut GuestMemory<'_>, f: types::Fd) -> Result<()> {
        Ok(P1::fd_sync(self, memory, fd(f)).await?)
    }

    fn fd_tell(&mut self, memory: &mut GuestMemory<'_>, f: types::Fd) -> Result<u64> {
        Ok(P1::fd_tell(self, memory, fd(f))?)
    }

    async fn fd_readdir(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        buf: GuestPtr<u8>,
        buf_len: u32,
        cookie: u64,
    ) -> Result<u32> {
        // p0's `dirent` is p1's.
        Ok(P1::fd_readdir(self, memory, fd(f), buf, buf_len, cookie).await?)
    }

    async fn path_create_directory(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dir: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        Ok(P1::path_create_directory(self, memory, fd(dir), path).await?)
    }

    async fn path_filestat_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dir: types::Fd,
        flags: types::Lookupflags,
        path: GuestPtr<str>,
    ) -> Result<types::Filestat> {
        let flags = t1::Lookupflags::from_bits_truncate(flags.bits());
        filestat(P1::path_filestat_get(self, memory, fd(dir), flags, path).await?)
    }

    async fn path_filestat_set_times(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dir: types::Fd,
        flags: types::Lookupflags,
        path: GuestPtr<str>,
        atim: u64,
        mtim: u64,
        fst_flags: types::Fstflags,
    ) -> Result<()> {
        let flags = t1::Lookupflags::from_bits_truncate(flags.bits());
        let fst_flags = t1::Fstflags::from_bits_truncate(fst_flags.bits());
        Ok(
            P1::path_filestat_set_times(self, memory, fd(dir), flags, path, atim, mtim, fst_flags)
                .await?,
        )
    }

    async fn path_link(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_dir: types::Fd,
        src_flags: types::Lookupflags,
        src_path: GuestPtr<str>,
        target_dir: types::Fd,
        target_path: GuestPtr<str>,
    ) -> Result<()> {
        let src_flags = t1::Lookupflags::from_bits_truncate(src_flags.bits());
        Ok(P1::path_link(
            self,
            memory,
            fd(src_dir),
            src_flags,
            src_path,
            fd(target_dir),
            target_path,
        )
        .await?)
    }

    async fn path_open(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dir: types::Fd,
        dirflags: types::Lookupflags,
        path: GuestPtr<str>,
        oflags: types::Oflags,
        base: types::Rights,
        inheriting: types::Rights,
        fdflags: types::Fdflags,
    ) -> Result<types::Fd> {
        let opened = P1::path_open(
            self,
            memory,
            fd(dir),
            t1::Lookupflags::from_bits_truncate(dirflags.bits()),
            path,
            t1::Oflags::from_bits_truncate(oflags.bits()),
            rights(base),
            rights(inheriting),
            t1::Fdflags::from_bits_truncate(fdflags.bits()),
        )
        .await?;
        Ok(types::Fd::from(u32::from(opened)))
    }

    async fn path_readlink(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dir: types::Fd,
        path: GuestPtr<str>,
        buf: GuestPtr<u8>,
        buf_len: u32,
    ) -> Result<u32> {
        Ok(P1::path_readlink(self, memory, fd(dir), path, buf, buf_len).await?)
    }

    async fn path_remove_directory(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dir: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        Ok(P1::path_remove_directory(self, memory, fd(dir), path).await?)
    }

    async fn path_rename(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_dir: types::Fd,
        src_path: GuestPtr<str>,
        dest_dir: types::Fd,
        dest_path: GuestPtr<str>,
    ) -> Result<()> {
        Ok(P1::path_rename(self, memory, fd(src_dir), src_path, fd(dest_dir), dest_path).await?)
    }

    async fn path_symlink(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_path: GuestPtr<str>,
        dir: types::Fd,
        dest_path: GuestPtr<str>,
    ) -> Result<()> {
        Ok(P1::path_symlink(self, memory, src_path, fd(dir), dest_path).await?)
    }

    async fn path_unlink_file(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dir: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        Ok(P1::path_unlink_file(self, memory, fd(dir), path).await?)
    }

    async fn poll_oneoff(
        &mut self,
        memory: &mut GuestMemory<'_>,
        subs: GuestPtr<types::Subscription>,
        events: GuestPtr<types::Event>,
        nsubscriptions: u32,
    ) -> Result<u32> {
        // p0's `event` is p1's; its subscriptions are read and converted one by one, with
        // p1's fuel charged for p0's (larger) array.
        Ok(crate::poll::poll_oneoff(self, memory, subs, cast(events), nsubscriptions).await?)
    }

    fn proc_exit(&mut self, memory: &mut GuestMemory<'_>, status: u32) -> wasmtime::Error {
        P1::proc_exit(self, memory, status)
    }

    fn proc_raise(&mut self, memory: &mut GuestMemory<'_>, sig: types::Signal) -> Result<()> {
        Ok(P1::proc_raise(self, memory, same::<u8, _, _>(sig)?)?)
    }

    fn sched_yield(&mut self, memory: &mut GuestMemory<'_>) -> Result<()> {
        Ok(P1::sched_yield(self, memory)?)
    }

    fn random_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        buf: GuestPtr<u8>,
        len: u32,
    ) -> Result<()> {
        Ok(P1::random_get(self, memory, buf, len)?)
    }

    async fn sock_recv(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        ri_data: types::IovecArray,
        ri_flags: types::Riflags,
    ) -> Result<(u32, types::Roflags)> {
        let flags = t1::Riflags::from_bits_truncate(ri_flags.bits());
        let (n, ro) = P1::sock_recv(self, memory, fd(f), cast(ri_data), flags).await?;
        Ok((n, types::Roflags::from_bits_truncate(ro.bits())))
    }

    async fn sock_send(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        si_data: types::CiovecArray,
        si_flags: u16,
    ) -> Result<u32> {
        Ok(P1::sock_send(self, memory, fd(f), cast(si_data), si_flags).await?)
    }

    fn sock_shutdown(
        &mut self,
        memory: &mut GuestMemory<'_>,
        f: types::Fd,
        how: types::Sdflags,
    ) -> Result<()> {
        let how = t1::Sdflags::from_bits_truncate(how.bits());
        Ok(P1::sock_shutdown(self, memory, fd(f), how)?)
    }
}
