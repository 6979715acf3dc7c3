//! `fd_fdstat_get` (rights, flags, file types) and `fd_readdir` (dirent records and cookies).

use crate::WasiP1Ctx;
use crate::conv::{filetype, stdio_filetype, write_bytes};
use crate::fds::Fd;
use crate::fds::Fds;
use crate::types::{self, Errno};
use p3_core::filesystem::Descriptor;
use wiggle::{GuestMemory, GuestPtr, GuestType};

type Result<T, E = types::Error> = std::result::Result<T, E>;

/// `fd_fdstat_get`: the file type, flags and rights p1 reports for `fd`.
pub(crate) async fn fdstat(cx: &mut WasiP1Ctx, fd: types::Fd) -> Result<types::Fdstat> {
    let cli = cx.wasi.cli();
    let (stdin_tty, stdout_tty, stderr_tty) = (
        cli.stdin().is_terminal(),
        cli.stdout().is_terminal(),
        cli.stderr().is_terminal(),
    );
    let stdio = |tty: bool, rights: types::Rights| types::Fdstat {
        fs_filetype: stdio_filetype(tty),
        fs_flags: types::Fdflags::empty(),
        fs_rights_base: rights,
        fs_rights_inheriting: rights,
    };
    let (desc, append, nonblocking) = match cx.p1.fds().get(fd)? {
        Fd::Stdin => return Ok(stdio(stdin_tty, types::Rights::FD_READ)),
        Fd::Stdout => return Ok(stdio(stdout_tty, types::Rights::FD_WRITE)),
        Fd::Stderr => return Ok(stdio(stderr_tty, types::Rights::FD_WRITE)),
        Fd::Dir {
            preopen: Some(_), ..
        } => {
            // The fixed rights many userlands expect of a preopen, as wasmtime reports.
            use types::Rights as R;
            let base = R::PATH_CREATE_DIRECTORY
                | R::PATH_CREATE_FILE
                | R::PATH_LINK_SOURCE
                | R::PATH_LINK_TARGET
                | R::PATH_OPEN
                | R::FD_READDIR
                | R::PATH_READLINK
                | R::PATH_RENAME_SOURCE
                | R::PATH_RENAME_TARGET
                | R::PATH_SYMLINK
                | R::PATH_REMOVE_DIRECTORY
                | R::PATH_UNLINK_FILE
                | R::PATH_FILESTAT_GET
                | R::PATH_FILESTAT_SET_TIMES
                | R::FD_FILESTAT_GET
                | R::FD_FILESTAT_SET_TIMES;
            let inheriting = base
                | R::FD_DATASYNC
                | R::FD_READ
                | R::FD_SEEK
                | R::FD_FDSTAT_SET_FLAGS
                | R::FD_SYNC
                | R::FD_TELL
                | R::FD_WRITE
                | R::FD_ADVISE
                | R::FD_ALLOCATE
                | R::FD_FILESTAT_GET
                | R::FD_FILESTAT_SET_SIZE
                | R::FD_FILESTAT_SET_TIMES
                | R::POLL_FD_READWRITE;
            return Ok(types::Fdstat {
                fs_filetype: types::Filetype::Directory,
                fs_flags: types::Fdflags::empty(),
                fs_rights_base: base,
                fs_rights_inheriting: inheriting,
            });
        }
        Fd::Dir { dir, .. } => (Descriptor::Dir(dir.clone()), false, false),
        Fd::File(f) => (Descriptor::File(f.file.clone()), f.append, f.nonblocking),
        Fd::Listener { .. } | Fd::Stream(_) => {
            return crate::sockets::fdstat(cx.p1.fds(), fd);
        }
    };
    let flags = desc.get_flags().await?;
    let fs_filetype = filetype(desc.get_type().await?)?;
    let mut fs_flags = types::Fdflags::empty();
    let mut rights = types::Rights::all();
    if fs_filetype == types::Filetype::Directory {
        rights &= !(types::Rights::FD_SEEK
            | types::Rights::FD_FILESTAT_SET_SIZE
            | types::Rights::PATH_FILESTAT_SET_SIZE);
    }
    if !flags.read {
        rights &= !(types::Rights::FD_READ | types::Rights::FD_READDIR);
    }
    if !flags.write {
        rights &= !types::Rights::FD_WRITE;
    }
    if flags.data_integrity_sync {
        fs_flags |= types::Fdflags::DSYNC;
    }
    if flags.requested_write_sync {
        fs_flags |= types::Fdflags::RSYNC;
    }
    if flags.file_integrity_sync {
        fs_flags |= types::Fdflags::SYNC;
    }
    if append {
        fs_flags |= types::Fdflags::APPEND;
    }
    if nonblocking {
        fs_flags |= types::Fdflags::NONBLOCK;
    }
    Ok(types::Fdstat {
        fs_filetype,
        fs_flags,
        fs_rights_base: rights,
        fs_rights_inheriting: rights,
    })
}

/// `fd_readdir`: dirents from `cookie` into the guest buffer `dst`.
pub(crate) async fn readdir(
    cx: &mut WasiP1Ctx,
    memory: &mut GuestMemory<'_>,
    fd: types::Fd,
    dst: GuestPtr<[u8]>,
    cookie: types::Dircookie,
) -> Result<types::Size> {
    let (buf, buf_len) = (dst.as_ptr(), dst.len());
    let dir = cx.p1.fds().dir(fd)?.clone();
    let skip = usize::try_from(cookie).map_err(|_| Errno::Overflow)?;
    // `.` and `..` first (both with the directory's own inode, as the original host),
    // then the entries; cookie N resumes after the Nth. The listing is taken at cookie 0
    // and continued by later cookies; only the entries written are stat'ed for their
    // inode.
    let cached = if skip == 0 {
        None
    } else {
        cx.p1.fds().listing(fd)?.take()
    };
    let entries = match cached {
        Some(entries) => entries,
        None => {
            let mut entries = vec![
                (types::Filetype::Directory, ".".to_string()),
                (types::Filetype::Directory, "..".to_string()),
            ];
            let listing = dir.read_directory()?;
            loop {
                let batch = listing.next_batch(1024).await?;
                if batch.is_empty() {
                    break;
                }
                for entry in batch {
                    entries.push((filetype(entry.type_)?, entry.name));
                }
            }
            entries
        }
    };
    let mut dir_ino = None;
    let mut out = buf;
    let mut cap = buf_len;
    let mut dirent = vec![0u8; types::Dirent::guest_size() as usize];
    let mut full = false;
    for (index, (d_type, name)) in entries.iter().enumerate().skip(skip) {
        let d_ino = if index < 2 {
            match dir_ino {
                Some(ino) => ino,
                None => *dir_ino.insert(Descriptor::Dir(dir.clone()).metadata_hash().await?.lower),
            }
        } else {
            dir.metadata_hash_at(false, name.clone()).await?.lower
        };
        let d_next = index as u64 + 1;
        let d_namlen = u32::try_from(name.len()).map_err(|_| Errno::Overflow)?;
        dirent[0..8].copy_from_slice(&d_next.to_le_bytes());
        dirent[8..16].copy_from_slice(&d_ino.to_le_bytes());
        dirent[16..20].copy_from_slice(&d_namlen.to_le_bytes());
        dirent[20] = *d_type as u8;
        let head = cap.min(types::Dirent::guest_size());
        cap -= head;
        out = write_bytes(memory, out, &dirent[..head as usize])?;
        if cap == 0 {
            full = true;
            break;
        }
        let name = &name.as_bytes()[..name.len().min(cap as usize)];
        cap -= name.len() as u32;
        out = write_bytes(memory, out, name)?;
        if cap == 0 {
            full = true;
            break;
        }
    }
    if full {
        // The guest continues from a cookie inside this listing.
        *cx.p1.fds().listing(fd)? = Some(entries);
        return Ok(buf_len);
    }
    Ok(buf_len - cap)
}
