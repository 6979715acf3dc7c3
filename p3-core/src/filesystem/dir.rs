//! An open directory and every operation on paths under it, with the preopen's permissions
//! checked here, once, for both ABIs.

use super::descriptor::{Descriptor, File, follow, write_denied};
use super::{
    DescriptorFlags, DescriptorStat, DirEntries, ErrorCode, FsPerms, MetadataHashValue,
    NewTimestamp, OpenFlags, OpenMode, run_blocking, times,
};
use cap_fs_ext::{DirExt, OpenOptionsFollowExt, OpenOptionsMaybeDirExt};
use cap_std::fs::{Metadata, OpenOptions};
use std::io;
use std::sync::Arc;

/// An open directory.
#[derive(Clone)]
pub struct Dir {
    pub(super) dir: Arc<cap_std::fs::Dir>,
    pub(super) perms: FsPerms,
    pub(super) open_mode: OpenMode,
    pub(super) allow_blocking_current_thread: bool,
}

impl Dir {
    /// Wraps an opened directory.
    pub fn new(
        dir: cap_std::fs::Dir,
        perms: FsPerms,
        open_mode: OpenMode,
        allow_blocking_current_thread: bool,
    ) -> Self {
        Self::shared(
            &super::SharedDir::from(dir),
            perms,
            open_mode,
            allow_blocking_current_thread,
        )
    }

    /// Wraps a directory opened once for many contexts: this one's permissions over it.
    pub fn shared(
        dir: &super::SharedDir,
        perms: FsPerms,
        open_mode: OpenMode,
        allow_blocking_current_thread: bool,
    ) -> Self {
        Dir {
            dir: dir.0.clone(),
            perms,
            open_mode,
            allow_blocking_current_thread,
        }
    }

    /// The preopen's permissions.
    pub fn perms(&self) -> FsPerms {
        self.perms
    }

    /// How the directory was opened.
    pub fn open_mode(&self) -> OpenMode {
        self.open_mode
    }

    pub(super) async fn run<R: Send + 'static>(
        &self,
        body: impl FnOnce(&cap_std::fs::Dir) -> R + Send + 'static,
    ) -> R {
        run_blocking(self.allow_blocking_current_thread, &self.dir, body).await
    }

    /// `create-directory-at`.
    pub async fn create_directory_at(&self, path: String) -> Result<(), ErrorCode> {
        write_denied(self.perms)?;
        Ok(self.run(move |d| d.create_dir(&path)).await?)
    }

    async fn metadata_at(&self, symlink_follow: bool, path: String) -> Result<PathMeta, ErrorCode> {
        Ok(self
            .run(move |d| metadata_at(d, &path, symlink_follow))
            .await?)
    }

    /// `stat-at`.
    pub async fn stat_at(
        &self,
        symlink_follow: bool,
        path: String,
    ) -> Result<DescriptorStat, ErrorCode> {
        Ok(self.metadata_at(symlink_follow, path).await?.stat())
    }

    /// `set-times-at`.
    pub async fn set_times_at(
        &self,
        symlink_follow: bool,
        path: String,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> Result<(), ErrorCode> {
        write_denied(self.perms)?;
        if times::before_epoch(atime, mtime) {
            let times = times::timestamps(atime, mtime).ok_or(ErrorCode::Overflow)?;
            return Ok(self
                .run(move |d| times::set_times_at_before_epoch(d, &path, symlink_follow, &times))
                .await?);
        }
        Ok(self
            .run(move |d| {
                if symlink_follow {
                    d.set_times(&path, atime.cap_spec(), mtime.cap_spec())
                } else {
                    d.set_symlink_times(&path, atime.cap_spec(), mtime.cap_spec())
                }
            })
            .await?)
    }

    /// `link-at`.
    pub async fn link_at(
        &self,
        old_symlink_follow: bool,
        old_path: String,
        new_dir: &Dir,
        new_path: String,
    ) -> Result<(), ErrorCode> {
        write_denied(self.perms)?;
        write_denied(new_dir.perms)?;
        if old_symlink_follow {
            return Err(ErrorCode::Invalid);
        }
        if self.perms != new_dir.perms {
            return Err(ErrorCode::NotPermitted);
        }
        let new = new_dir.dir.clone();
        Ok(self
            .run(move |d| d.hard_link(&old_path, &new, &new_path))
            .await?)
    }

    /// `open-at`.
    pub async fn open_at(
        &self,
        symlink_follow: bool,
        path: String,
        oflags: OpenFlags,
        flags: DescriptorFlags,
    ) -> Result<Descriptor, ErrorCode> {
        let mut create = false;
        let mut open_mode = OpenMode::empty();
        let mut opts = OpenOptions::new();
        opts.maybe_dir(true);
        if oflags.create {
            if oflags.exclusive {
                opts.create_new(true);
            } else {
                opts.create(true);
            }
            create = true;
            opts.write(true);
            open_mode |= OpenMode::WRITE;
        }
        if oflags.truncate {
            opts.truncate(true).write(true);
            open_mode |= OpenMode::WRITE;
        }
        if flags.read {
            opts.read(true);
            open_mode |= OpenMode::READ;
        }
        if flags.write {
            opts.write(true);
            open_mode |= OpenMode::WRITE;
        } else {
            // Open for reading so the OS lets us open it; permissions reject writes later.
            opts.read(true);
            open_mode |= OpenMode::READ;
        }
        opts.follow(follow(symlink_follow));
        if flags.file_integrity_sync || flags.data_integrity_sync || flags.requested_write_sync {
            return Err(ErrorCode::Unsupported);
        }
        if oflags.directory && (oflags.create || oflags.exclusive || oflags.truncate) {
            return Err(ErrorCode::Invalid);
        }
        if self.perms.write_not_permitted() && (create || open_mode.contains(OpenMode::WRITE)) {
            return Err(ErrorCode::NotPermitted);
        }
        enum Opened {
            Dir(cap_std::fs::Dir),
            File(cap_std::fs::File),
            NotDir,
        }
        let directory = oflags.directory;
        let opened = self
            .run(move |d| -> io::Result<Opened> {
                let f = d.open_with(&path, &opts)?;
                if f.metadata()?.is_dir() {
                    Ok(Opened::Dir(cap_std::fs::Dir::from_std_file(f.into_std())))
                } else if directory {
                    Ok(Opened::NotDir)
                } else {
                    Ok(Opened::File(f))
                }
            })
            .await?;
        let inline = self.allow_blocking_current_thread;
        match opened {
            Opened::Dir(dir) => Ok(Descriptor::Dir(Dir::new(
                dir, self.perms, open_mode, inline,
            ))),
            Opened::File(file) => Ok(Descriptor::File(File {
                file: Arc::new(file),
                perms: self.perms,
                open_mode,
                allow_blocking_current_thread: inline,
            })),
            Opened::NotDir => Err(ErrorCode::NotDirectory),
        }
    }

    /// `readlink-at`.
    pub async fn readlink_at(&self, path: String) -> Result<String, ErrorCode> {
        let link = self.run(move |d| d.read_link(&path)).await?;
        link.into_os_string()
            .into_string()
            .map_err(|_| ErrorCode::IllegalByteSequence)
    }

    /// `remove-directory-at`.
    pub async fn remove_directory_at(&self, path: String) -> Result<(), ErrorCode> {
        write_denied(self.perms)?;
        Ok(self.run(move |d| d.remove_dir(&path)).await?)
    }

    /// `rename-at`.
    pub async fn rename_at(
        &self,
        old_path: String,
        new_dir: &Dir,
        new_path: String,
    ) -> Result<(), ErrorCode> {
        write_denied(self.perms)?;
        write_denied(new_dir.perms)?;
        if self.perms != new_dir.perms {
            return Err(ErrorCode::NotPermitted);
        }
        let new = new_dir.dir.clone();
        // A trailing slash on either path requires the source to be a directory (wasmtime-wasi
        // 48's rule; cap-std checks only the source's): carried onto the source, the kernel
        // checks it atomically with the rename, and never follows a symlink named so.
        let old_path =
            if new_path.ends_with('/') && !old_path.is_empty() && !old_path.ends_with('/') {
                old_path + "/"
            } else {
                old_path
            };
        Ok(self
            .run(move |d| {
                #[cfg(not(target_os = "linux"))]
                let old_path = plain_directory_name(d, &old_path)?;
                d.rename(&old_path, &new, &new_path)
            })
            .await?)
    }

    /// `symlink-at`.
    pub async fn symlink_at(&self, old_path: String, new_path: String) -> Result<(), ErrorCode> {
        write_denied(self.perms)?;
        Ok(self
            .run(move |d| DirExt::symlink(d, &old_path, &new_path))
            .await?)
    }

    /// `unlink-file-at`.
    pub async fn unlink_file_at(&self, path: String) -> Result<(), ErrorCode> {
        write_denied(self.perms)?;
        Ok(self.run(move |d| d.remove_file_or_symlink(&path)).await?)
    }

    /// `metadata-hash-at`.
    pub async fn metadata_hash_at(
        &self,
        symlink_follow: bool,
        path: String,
    ) -> Result<MetadataHashValue, ErrorCode> {
        Ok(self.metadata_at(symlink_follow, path).await?.hash())
    }

    /// `read-directory`: the entries, produced lazily in batches. The directory is opened
    /// for listing by the first batch, so this never blocks.
    pub fn read_directory(&self) -> Result<DirEntries, ErrorCode> {
        if !self.open_mode.contains(OpenMode::READ) {
            return Err(ErrorCode::NotPermitted);
        }
        Ok(DirEntries::new(
            self.dir.clone(),
            self.allow_blocking_current_thread,
        ))
    }
}

/// `path` without its trailing slashes if it names a directory itself (not through a symlink),
/// else `not-directory`. On Linux `renameat` never follows a symlink named with a trailing
/// slash, and the kernel checks the slash atomically; elsewhere (macOS, FreeBSD) it follows one,
/// out of the sandbox (GHSA-m9f7-9w4p-gv38), so the source is checked without following and
/// renamed by its plain name, as wasmtime-wasi 48.0.6's copy of cap-primitives does.
#[cfg(not(target_os = "linux"))]
fn plain_directory_name(d: &cap_std::fs::Dir, path: &str) -> io::Result<String> {
    let plain = path.trim_end_matches('/');
    if plain.len() == path.len() || plain.is_empty() {
        return Ok(path.to_string());
    }
    if !d.symlink_metadata(plain)?.is_dir() {
        return Err(rustix::io::Errno::NOTDIR.into());
    }
    Ok(plain.to_string())
}

/// What a path's `stat` found: cap-std's metadata, or (one plain name, not followed, on
/// Linux) the `statx` taken of it.
enum PathMeta {
    Cap(Metadata),
    #[cfg(target_os = "linux")]
    Statx(rustix::fs::Statx),
}

impl PathMeta {
    fn stat(&self) -> DescriptorStat {
        match self {
            PathMeta::Cap(meta) => DescriptorStat::new(meta),
            #[cfg(target_os = "linux")]
            PathMeta::Statx(st) => st.into(),
        }
    }

    fn hash(&self) -> MetadataHashValue {
        match self {
            PathMeta::Cap(meta) => MetadataHashValue::of(meta),
            #[cfg(target_os = "linux")]
            PathMeta::Statx(st) => MetadataHashValue::of_ids(
                rustix::fs::makedev(st.stx_dev_major, st.stx_dev_minor),
                st.stx_ino,
            ),
        }
    }
}

/// The metadata of `path` under `d`, following a final symlink or not. cap-primitives 4.0.3's
/// path `stat` converts the timestamps itself and panics on one of exactly `i64::MIN` seconds,
/// which tmpfs keeps (wasmtime-wasi 48.0.8's copy of it does not), so on Linux it is done
/// here, as cap-primitives does it, with the times converted as that copy converts them: one
/// plain name not followed (whatever trailing `/` or `/.` it had: `a/` of a file is the file)
/// is `statx`'d beneath `d` (no symlink is followed, so it cannot lead out), and so is one
/// followed that is not a symlink; any other path is opened with `O_PATH` inside the sandbox
/// and its descriptor's metadata read through std.
/// Elsewhere cap-std's own call.
fn metadata_at(d: &cap_std::fs::Dir, path: &str, symlink_follow: bool) -> io::Result<PathMeta> {
    #[cfg(target_os = "linux")]
    {
        use cap_std::fs::OpenOptionsExt;
        use rustix::fs::{AtFlags, StatxFlags};
        use std::path::{Component, Path};
        let mut path = Path::new(path);
        let mut components = path.components();
        if let (Some(Component::Normal(one)), None) = (components.next(), components.next()) {
            // Following, only a plain name (`a/` must still name a directory) that turns out
            // not to be a symlink: then following it changes nothing, and one `statx` answers
            // where an open, an `fstat` and a close would.
            let plain = one.len() == path.as_os_str().len();
            if !symlink_follow || plain {
                let flags = AtFlags::SYMLINK_NOFOLLOW;
                let wanted = StatxFlags::BASIC_STATS | StatxFlags::BTIME;
                match rustix::fs::statx(d, one, flags, wanted) {
                    Ok(st) if !symlink_follow => return Ok(PathMeta::Statx(st)),
                    Ok(st)
                        if !rustix::fs::FileType::from_raw_mode(st.stx_mode.into())
                            .is_symlink() =>
                    {
                        return Ok(PathMeta::Statx(st));
                    }
                    // A symlink to follow, or no `statx` (Linux before 4.11): below.
                    Ok(_) | Err(rustix::io::Errno::NOSYS) => {}
                    Err(e) => return Err(e.into()),
                }
                if !symlink_follow {
                    path = Path::new(one);
                }
            }
        }
        let mut opts = OpenOptions::new();
        opts.read(true)
            .custom_flags(rustix::fs::OFlags::PATH.bits() as i32)
            .follow(follow(symlink_follow));
        Ok(PathMeta::Cap(d.open_with(path, &opts)?.metadata()?))
    }
    #[cfg(not(target_os = "linux"))]
    Ok(PathMeta::Cap(if symlink_follow {
        d.metadata(path)?
    } else {
        d.symlink_metadata(path)?
    }))
}
