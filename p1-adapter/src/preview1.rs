//! The `wasi_snapshot_preview1` functions: each a translation onto the core (cli, clocks,
//! random, filesystem descriptors, stdio sinks and sources); p1's own state is the fd table.
//! Byte transfer is in `io.rs`, `fd_fdstat_get` and `fd_readdir` in `stat.rs`, conversions in
//! `conv.rs`.

use crate::conv::{filestat, lookup_follows, stdio_filetype, times, write_byte, write_bytes};
use crate::fds::Fds;
use crate::fds::{Fd, FileFd};
use crate::io::WriteAt;
use crate::types::{self, Errno};
use crate::{WasiP1Ctx, wasi_snapshot_preview1::WasiSnapshotPreview1};
use p3_core::filesystem::{Advice, Descriptor, DescriptorFlags, OpenFlags};
use wiggle::{GuestMemory, GuestPtr};

type Result<T, E = types::Error> = std::result::Result<T, E>;

// The witx signatures set the parameter counts.
#[allow(clippy::too_many_arguments)]
impl WasiSnapshotPreview1 for WasiP1Ctx {
    fn set_hostcall_fuel(&mut self, fuel: usize) {
        self.hostcall_fuel = fuel;
    }

    fn args_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        argv: GuestPtr<GuestPtr<u8>>,
        argv_buf: GuestPtr<u8>,
    ) -> Result<()> {
        let (mut argv, mut buf) = (argv, argv_buf);
        for arg in self.wasi.cli().arguments() {
            memory.write(argv, buf)?;
            argv = argv.add(1)?;
            buf = write_bytes(memory, buf, arg.as_bytes())?;
            buf = write_byte(memory, buf, 0)?;
        }
        Ok(())
    }

    fn args_sizes_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
    ) -> Result<(types::Size, types::Size)> {
        let args = self.wasi.cli().arguments();
        let len: usize = args.iter().map(|a| a.len() + 1).sum();
        Ok((u32::try_from(args.len())?, u32::try_from(len)?))
    }

    fn environ_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        environ: GuestPtr<GuestPtr<u8>>,
        environ_buf: GuestPtr<u8>,
    ) -> Result<()> {
        let (mut env, mut buf) = (environ, environ_buf);
        for (k, v) in self.wasi.cli().environment() {
            memory.write(env, buf)?;
            env = env.add(1)?;
            buf = write_bytes(memory, buf, k.as_bytes())?;
            buf = write_byte(memory, buf, b'=')?;
            buf = write_bytes(memory, buf, v.as_bytes())?;
            buf = write_byte(memory, buf, 0)?;
        }
        Ok(())
    }

    fn environ_sizes_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
    ) -> Result<(types::Size, types::Size)> {
        let env = self.wasi.cli().environment();
        let len: usize = env.iter().map(|(k, v)| k.len() + 1 + v.len() + 1).sum();
        Ok((u32::try_from(env.len())?, u32::try_from(len)?))
    }

    fn clock_res_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        id: types::Clockid,
    ) -> Result<types::Timestamp> {
        let clocks = self.wasi.clocks();
        match id {
            types::Clockid::Realtime => Ok(u64::try_from(clocks.wall_resolution().as_nanos())?),
            types::Clockid::Monotonic => Ok(clocks.monotonic_resolution()),
            types::Clockid::ProcessCputimeId | types::Clockid::ThreadCputimeId => {
                Err(Errno::Badf.into())
            }
        }
    }

    fn clock_time_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        id: types::Clockid,
        _precision: types::Timestamp,
    ) -> Result<types::Timestamp> {
        let clocks = self.wasi.clocks();
        match id {
            types::Clockid::Realtime => Ok(u64::try_from(clocks.wall_now().as_nanos())?),
            types::Clockid::Monotonic => Ok(clocks.monotonic_now()),
            types::Clockid::ProcessCputimeId | types::Clockid::ThreadCputimeId => {
                Err(Errno::Badf.into())
            }
        }
    }

    async fn fd_advise(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        offset: types::Filesize,
        len: types::Filesize,
        advice: types::Advice,
    ) -> Result<()> {
        let file = self.p1.fds().file(fd)?.file.clone();
        let advice = match advice {
            types::Advice::Normal => Advice::Normal,
            types::Advice::Sequential => Advice::Sequential,
            types::Advice::Random => Advice::Random,
            types::Advice::Willneed => Advice::WillNeed,
            types::Advice::Dontneed => Advice::DontNeed,
            types::Advice::Noreuse => Advice::NoReuse,
        };
        Ok(file.advise(offset, len, advice).await?)
    }

    fn fd_allocate(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _offset: types::Filesize,
        _len: types::Filesize,
    ) -> Result<()> {
        self.p1.fds().file(fd)?;
        Err(Errno::Notsup.into())
    }

    async fn fd_close(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<()> {
        // Dropping the core object closes it (a stream's queued bytes still drain).
        drop(self.p1.fds().remove(fd)?);
        Ok(())
    }

    async fn fd_datasync(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<()> {
        let file = self.p1.fds().file(fd)?.file.clone();
        Ok(Descriptor::File(file).sync_data().await?)
    }

    async fn fd_fdstat_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
    ) -> Result<types::Fdstat> {
        crate::stat::fdstat(self, fd).await
    }

    fn fd_fdstat_set_flags(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        flags: types::Fdflags,
    ) -> Result<()> {
        if let Fd::Stream(s) = self.p1.fds().get_mut(fd)? {
            s.nonblocking = flags.contains(types::Fdflags::NONBLOCK);
            return Ok(());
        }
        let file = self.p1.fds().file_mut(fd)?;
        // Only APPEND and NONBLOCK can change.
        if flags.intersects(types::Fdflags::DSYNC | types::Fdflags::SYNC | types::Fdflags::RSYNC) {
            return Err(Errno::Inval.into());
        }
        file.append = flags.contains(types::Fdflags::APPEND);
        file.nonblocking = flags.contains(types::Fdflags::NONBLOCK);
        Ok(())
    }

    fn fd_fdstat_set_rights(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        _base: types::Rights,
        _inheriting: types::Rights,
    ) -> Result<()> {
        crate::io::descriptor(self, fd)?;
        Err(Errno::Notsup.into())
    }

    async fn fd_filestat_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
    ) -> Result<types::Filestat> {
        let tty = match self.p1.fds().get(fd)? {
            Fd::Stdin => Some(self.wasi.cli().stdin().is_terminal()),
            Fd::Stdout => Some(self.wasi.cli().stdout().is_terminal()),
            Fd::Stderr => Some(self.wasi.cli().stderr().is_terminal()),
            Fd::Listener { .. } | Fd::Stream(_) => Some(false),
            _ => None,
        };
        if let Some(tty) = tty {
            return Ok(types::Filestat {
                dev: 0,
                ino: 0,
                filetype: stdio_filetype(tty),
                nlink: 0,
                size: 0,
                atim: 0,
                mtim: 0,
                ctim: 0,
            });
        }
        let desc = crate::io::descriptor(self, fd)?;
        let stat = desc.stat().await?;
        let hash = desc.metadata_hash().await?;
        filestat(stat, hash.lower)
    }

    async fn fd_filestat_set_size(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        size: types::Filesize,
    ) -> Result<()> {
        let file = self.p1.fds().file(fd)?.file.clone();
        Ok(file.set_size(size).await?)
    }

    async fn fd_filestat_set_times(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        atim: types::Timestamp,
        mtim: types::Timestamp,
        fst_flags: types::Fstflags,
    ) -> Result<()> {
        let (atim, mtim) = times(atim, mtim, fst_flags)?;
        let desc = crate::io::descriptor(self, fd)?;
        Ok(desc.set_times(atim, mtim).await?)
    }

    async fn fd_read(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        iovs: types::IovecArray,
    ) -> Result<types::Size> {
        let buf = crate::first_buffer(self, memory, iovs)?;
        enum Source {
            File(p3_core::filesystem::File, u64),
            Stdin,
            Stream,
        }
        let source = match self.p1.fds().get(fd)? {
            Fd::File(f) => Source::File(f.file.clone(), f.position),
            Fd::Stdin => Source::Stdin,
            Fd::Stream(_) => Source::Stream,
            _ => return Err(Errno::Badf.into()),
        };
        let n = match source {
            Source::File(file, pos) => {
                let n = crate::io::file_read(memory, &file, buf, pos)?;
                self.p1.fds().file_mut(fd)?.position =
                    pos.checked_add(n as u64).ok_or(Errno::Overflow)?;
                n
            }
            Source::Stdin => crate::io::stdin_read(self, memory, buf).await?,
            Source::Stream => return crate::sockets::sock_read(self, memory, fd, buf).await,
        };
        Ok(u32::try_from(n)?)
    }

    async fn fd_pread(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        iovs: types::IovecArray,
        offset: types::Filesize,
    ) -> Result<types::Size> {
        let buf = crate::first_buffer(self, memory, iovs)?;
        let file = match self.p1.fds().get(fd)? {
            Fd::File(f) => f.file.clone(),
            Fd::Stdin => return Err(Errno::Spipe.into()),
            _ => return Err(Errno::Badf.into()),
        };
        Ok(u32::try_from(crate::io::file_read(
            memory, &file, buf, offset,
        )?)?)
    }

    async fn fd_write(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        ciovs: types::CiovecArray,
    ) -> Result<types::Size> {
        crate::io::write_impl(self, memory, fd, ciovs, WriteAt::Cursor).await
    }

    async fn fd_pwrite(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        ciovs: types::CiovecArray,
        offset: types::Filesize,
    ) -> Result<types::Size> {
        crate::io::write_impl(self, memory, fd, ciovs, WriteAt::Offset(offset)).await
    }

    fn fd_prestat_get(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
    ) -> Result<types::Prestat> {
        match self.p1.fds().get(fd)? {
            Fd::Dir {
                preopen: Some(p), ..
            } => Ok(types::Prestat::Dir(types::PrestatDir {
                pr_name_len: u32::try_from(p.len())?,
            })),
            _ => Err(Errno::Badf.into()),
        }
    }

    fn fd_prestat_dir_name(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        path: GuestPtr<u8>,
        path_max_len: types::Size,
    ) -> Result<()> {
        match self.p1.fds().get(fd)? {
            Fd::Dir {
                preopen: Some(p), ..
            } => {
                if p.len() > usize::try_from(path_max_len)? {
                    return Err(Errno::Nametoolong.into());
                }
                let p = p.clone();
                write_bytes(memory, path, p.as_bytes())?;
                Ok(())
            }
            // As the original p1 host: `notdir` for anything but a preopen.
            _ => Err(Errno::Notdir.into()),
        }
    }

    async fn fd_renumber(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        from: types::Fd,
        to: types::Fd,
    ) -> Result<()> {
        self.p1.fds().renumber(from, to)
    }

    async fn fd_seek(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        offset: types::Filedelta,
        whence: types::Whence,
    ) -> Result<types::Filesize> {
        let f = self.p1.fds().seekable(fd)?;
        let (file, position) = (f.file.clone(), f.position);
        let pos = match whence {
            types::Whence::Set if offset >= 0 => offset as u64,
            types::Whence::Cur => position.checked_add_signed(offset).ok_or(Errno::Inval)?,
            types::Whence::End => {
                let size = Descriptor::File(file).stat().await?.size;
                size.checked_add_signed(offset).ok_or(Errno::Inval)?
            }
            _ => return Err(Errno::Inval.into()),
        };
        self.p1.fds().file_mut(fd)?.position = pos;
        Ok(pos)
    }

    async fn fd_sync(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<()> {
        let file = self.p1.fds().file(fd)?.file.clone();
        Ok(Descriptor::File(file).sync().await?)
    }

    fn fd_tell(&mut self, _memory: &mut GuestMemory<'_>, fd: types::Fd) -> Result<types::Filesize> {
        Ok(self.p1.fds().seekable(fd)?.position)
    }

    async fn fd_readdir(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        buf: GuestPtr<u8>,
        buf_len: types::Size,
        cookie: types::Dircookie,
    ) -> Result<types::Size> {
        crate::stat::readdir(self, memory, fd, buf.as_array(buf_len), cookie).await
    }

    async fn path_create_directory(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        let dir = self.p1.fds().dir(dirfd)?.clone();
        let path = crate::read_string(self, memory, path)?;
        Ok(dir.create_directory_at(path).await?)
    }

    async fn path_filestat_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        flags: types::Lookupflags,
        path: GuestPtr<str>,
    ) -> Result<types::Filestat> {
        let dir = self.p1.fds().dir(dirfd)?.clone();
        let path = crate::read_string(self, memory, path)?;
        let follow = lookup_follows(flags);
        let stat = dir.stat_at(follow, path.clone()).await?;
        let hash = dir.metadata_hash_at(follow, path).await?;
        filestat(stat, hash.lower)
    }

    async fn path_filestat_set_times(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        flags: types::Lookupflags,
        path: GuestPtr<str>,
        atim: types::Timestamp,
        mtim: types::Timestamp,
        fst_flags: types::Fstflags,
    ) -> Result<()> {
        let (atim, mtim) = times(atim, mtim, fst_flags)?;
        let dir = self.p1.fds().dir(dirfd)?.clone();
        let path = crate::read_string(self, memory, path)?;
        Ok(dir
            .set_times_at(lookup_follows(flags), path, atim, mtim)
            .await?)
    }

    async fn path_link(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_fd: types::Fd,
        src_flags: types::Lookupflags,
        src_path: GuestPtr<str>,
        target_fd: types::Fd,
        target_path: GuestPtr<str>,
    ) -> Result<()> {
        let src = self.p1.fds().dir(src_fd)?.clone();
        let target = self.p1.fds().dir(target_fd)?.clone();
        let src_path = crate::read_string(self, memory, src_path)?;
        let target_path = crate::read_string(self, memory, target_path)?;
        Ok(src
            .link_at(lookup_follows(src_flags), src_path, &target, target_path)
            .await?)
    }

    async fn path_open(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        dirflags: types::Lookupflags,
        path: GuestPtr<str>,
        oflags: types::Oflags,
        fs_rights_base: types::Rights,
        _fs_rights_inheriting: types::Rights,
        fdflags: types::Fdflags,
    ) -> Result<types::Fd> {
        let path = crate::read_string(self, memory, path)?;
        let flags = DescriptorFlags {
            read: fs_rights_base.contains(types::Rights::FD_READ),
            write: fs_rights_base.contains(types::Rights::FD_WRITE),
            file_integrity_sync: fdflags.contains(types::Fdflags::SYNC),
            data_integrity_sync: fdflags.contains(types::Fdflags::DSYNC),
            requested_write_sync: fdflags.contains(types::Fdflags::RSYNC),
            mutate_directory: false,
        };
        let dir = match self.p1.fds().get(dirfd)? {
            Fd::Dir { dir, .. } => dir.clone(),
            Fd::File(_) => return Err(Errno::Notdir.into()),
            _ => return Err(Errno::Badf.into()),
        };
        let open = OpenFlags {
            create: oflags.contains(types::Oflags::CREAT),
            directory: oflags.contains(types::Oflags::DIRECTORY),
            exclusive: oflags.contains(types::Oflags::EXCL),
            truncate: oflags.contains(types::Oflags::TRUNC),
        };
        let fd = match dir
            .open_at(lookup_follows(dirflags), path, open, flags)
            .await?
        {
            Descriptor::Dir(dir) => Fd::Dir {
                dir,
                preopen: None,
                listing: None,
            },
            Descriptor::File(file) => Fd::File(FileFd {
                file,
                position: 0,
                append: fdflags.contains(types::Fdflags::APPEND),
                nonblocking: fdflags.contains(types::Fdflags::NONBLOCK),
            }),
        };
        self.p1.fds().push(fd)
    }

    async fn path_readlink(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
        buf: GuestPtr<u8>,
        buf_len: types::Size,
    ) -> Result<types::Size> {
        let dir = self.p1.fds().dir(dirfd)?.clone();
        let path = crate::read_string(self, memory, path)?;
        let target = dir.readlink_at(path).await?;
        let bytes = &target.as_bytes()[..target.len().min(buf_len as usize)];
        write_bytes(memory, buf, bytes)?;
        Ok(u32::try_from(bytes.len())?)
    }

    async fn path_remove_directory(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        let dir = self.p1.fds().dir(dirfd)?.clone();
        let path = crate::read_string(self, memory, path)?;
        Ok(dir.remove_directory_at(path).await?)
    }

    async fn path_rename(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_fd: types::Fd,
        src_path: GuestPtr<str>,
        dest_fd: types::Fd,
        dest_path: GuestPtr<str>,
    ) -> Result<()> {
        let src = self.p1.fds().dir(src_fd)?.clone();
        let dest = self.p1.fds().dir(dest_fd)?.clone();
        let src_path = crate::read_string(self, memory, src_path)?;
        let dest_path = crate::read_string(self, memory, dest_path)?;
        Ok(src.rename_at(src_path, &dest, dest_path).await?)
    }

    async fn path_symlink(
        &mut self,
        memory: &mut GuestMemory<'_>,
        src_path: GuestPtr<str>,
        dirfd: types::Fd,
        dest_path: GuestPtr<str>,
    ) -> Result<()> {
        let dir = self.p1.fds().dir(dirfd)?.clone();
        let src_path = crate::read_string(self, memory, src_path)?;
        let dest_path = crate::read_string(self, memory, dest_path)?;
        Ok(dir.symlink_at(src_path, dest_path).await?)
    }

    async fn path_unlink_file(
        &mut self,
        memory: &mut GuestMemory<'_>,
        dirfd: types::Fd,
        path: GuestPtr<str>,
    ) -> Result<()> {
        let dir = self.p1.fds().dir(dirfd)?.clone();
        let path = crate::read_string(self, memory, path)?;
        Ok(dir.unlink_file_at(path).await?)
    }

    async fn poll_oneoff(
        &mut self,
        memory: &mut GuestMemory<'_>,
        subs: GuestPtr<types::Subscription>,
        events: GuestPtr<types::Event>,
        nsubscriptions: types::Size,
    ) -> Result<types::Size> {
        crate::poll::poll_oneoff(self, memory, subs, events, nsubscriptions).await
    }

    fn proc_exit(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        status: types::Exitcode,
    ) -> wasmtime::Error {
        // WASI's range for an exit status.
        if status >= 126 {
            return wasmtime::Error::msg("exit with invalid exit status outside of [0..126)");
        }
        p3_core::I32Exit(status as i32).into()
    }

    fn proc_raise(&mut self, _memory: &mut GuestMemory<'_>, _sig: types::Signal) -> Result<()> {
        Err(Errno::Notsup.into())
    }

    fn sched_yield(&mut self, _memory: &mut GuestMemory<'_>) -> Result<()> {
        Ok(())
    }

    fn random_get(
        &mut self,
        memory: &mut GuestMemory<'_>,
        buf: GuestPtr<u8>,
        buf_len: types::Size,
    ) -> Result<()> {
        let bytes = self
            .wasi
            .random()
            .bytes(p3_core::random::Kind::Secure, buf_len.into())
            .map_err(|e| types::Error::trap(wasmtime::Error::msg(e.to_string())))?;
        write_bytes(memory, buf, &bytes)?;
        Ok(())
    }

    async fn sock_accept(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        flags: types::Fdflags,
    ) -> Result<types::Fd> {
        crate::sockets::accept(self, fd, flags).await
    }

    async fn sock_recv(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        ri_data: types::IovecArray,
        ri_flags: types::Riflags,
    ) -> Result<(types::Size, types::Roflags)> {
        crate::sockets::recv(self, memory, fd, ri_data, ri_flags).await
    }

    async fn sock_send(
        &mut self,
        memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        si_data: types::CiovecArray,
        _si_flags: types::Siflags,
    ) -> Result<types::Size> {
        let buf = crate::first_buffer(self, memory, si_data)?;
        crate::sockets::sock_write(self, memory, fd, buf).await
    }

    fn sock_shutdown(
        &mut self,
        _memory: &mut GuestMemory<'_>,
        fd: types::Fd,
        how: types::Sdflags,
    ) -> Result<()> {
        crate::sockets::shutdown(self, fd, how)
    }
}
