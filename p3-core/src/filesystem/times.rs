//! Setting timestamps without the panic of fs-set-times 0.20 (under cap-std 4.0.3), which
//! unwraps `duration_since(UNIX_EPOCH)` and so panics on any time before 1970 — a time a p3
//! guest can ask for (`datetime.seconds` is signed). wasmtime-wasi 48.0.8's own copy of
//! cap-primitives converts such times (GHSA-j2g9-4prp-pf6h, GHSA-mr2v-56j5-cmfc); here an open
//! descriptor's times are set with `futimens` from our own conversion, and a path's times,
//! when a time is before 1970, through a descriptor cap-std opened inside the sandbox.

use super::{NewTimestamp, unix_time};
use cap_fs_ext::{FollowSymlinks, OpenOptionsFollowExt};
use cap_std::fs::OpenOptions;
use rustix::fs::{AtFlags, Timestamps, UTIME_NOW, UTIME_OMIT};
use rustix::io::Errno;
use rustix::time::Timespec;
use std::io;
use std::os::fd::AsFd;
use std::path::{Component, Path};
use std::time::SystemTime;

/// The two times as the kernel takes them; `None` when one does not fit its `i64` seconds.
pub(super) fn timestamps(atime: NewTimestamp, mtime: NewTimestamp) -> Option<Timestamps> {
    Some(Timestamps {
        last_access: timespec(atime)?,
        last_modification: timespec(mtime)?,
    })
}

fn timespec(t: NewTimestamp) -> Option<Timespec> {
    Some(match t {
        NewTimestamp::NoChange => Timespec {
            tv_sec: 0,
            tv_nsec: UTIME_OMIT,
        },
        NewTimestamp::Now => Timespec {
            tv_sec: 0,
            tv_nsec: UTIME_NOW,
        },
        NewTimestamp::Timestamp(t) => {
            let (tv_sec, nanos) = unix_time(t)?;
            Timespec {
                tv_sec,
                tv_nsec: nanos.into(),
            }
        }
    })
}

/// Whether either time is before 1970 (what cap-std's path-taking calls cannot take).
pub(super) fn before_epoch(atime: NewTimestamp, mtime: NewTimestamp) -> bool {
    [atime, mtime]
        .iter()
        .any(|t| matches!(t, NewTimestamp::Timestamp(t) if *t < SystemTime::UNIX_EPOCH))
}

/// `futimens` on an open file or directory.
pub(super) fn set_fd_times(fd: impl AsFd, times: &Timestamps) -> io::Result<()> {
    Ok(rustix::fs::futimens(fd, times)?)
}

/// Sets the times of `path` under `dir` (resolved inside the sandbox by cap-std) when a time
/// is before 1970. Following symlinks (or when the last component cannot be a symlink), the
/// target is opened for writing, else for reading, and `futimens`'d — as cap-primitives does
/// for every time; a file that can be opened neither way is `access` here (cap-primitives
/// falls back to `/proc/self/fd`). Not following, the parent is opened as a directory and the
/// last component, a plain name, is set with `AT_SYMLINK_NOFOLLOW`, so a symlink there is set
/// itself and never followed out.
pub(super) fn set_times_at_before_epoch(
    dir: &cap_std::fs::Dir,
    path: &str,
    follow: bool,
    times: &Timestamps,
) -> io::Result<()> {
    let p = Path::new(path);
    let name = match p.components().next_back() {
        Some(Component::Normal(name)) if !path.ends_with('/') => Some(name),
        _ => None,
    };
    if let (false, Some(name)) = (follow, name) {
        let parent = match p.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => dir.open_dir(parent)?,
            _ => dir.try_clone()?,
        };
        return Ok(rustix::fs::utimensat(
            &parent,
            name,
            times,
            AtFlags::SYMLINK_NOFOLLOW,
        )?);
    }
    let open = |write: bool| {
        let mut o = OpenOptions::new();
        o.read(!write).write(write);
        o.follow(if follow {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        });
        dir.open_with(p, &o)
    };
    let file = match open(true) {
        Ok(f) => f,
        Err(e) if matches!(Errno::from_io_error(&e), Some(Errno::ACCESS | Errno::ISDIR)) => {
            open(false)?
        }
        Err(e) => return Err(e),
    };
    set_fd_times(&file, times)
}
