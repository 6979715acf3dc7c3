//! Descriptors: an open file and its operations, and what every descriptor (file or directory)
//! answers — stat, flags, times, sync, streams — with the preopen's permissions checked here,
//! once, for both ABIs. The operations on paths under a directory are `dir.rs`.

use super::dir::Dir;
use super::streams::{FileSink, FileSource, read_at_into, write_at_or_end};
use super::{
    Advice, DescriptorFlags, DescriptorStat, DescriptorType, ErrorCode, FsPerms, MetadataHashValue,
    NewTimestamp, OpenMode, run_blocking, times,
};
use cap_fs_ext::{FollowSymlinks, MetadataExt as _};
use cap_std::fs::Metadata;
use std::io;
use std::sync::Arc;

pub(super) fn follow(symlink_follow: bool) -> FollowSymlinks {
    if symlink_follow {
        FollowSymlinks::Yes
    } else {
        FollowSymlinks::No
    }
}

/// An open file.
#[derive(Clone)]
pub struct File {
    pub(super) file: Arc<cap_std::fs::File>,
    pub(super) perms: FsPerms,
    pub(super) open_mode: OpenMode,
    pub(super) allow_blocking_current_thread: bool,
}

/// A filesystem descriptor: a file or a directory.
#[derive(Clone)]
pub enum Descriptor {
    /// A file.
    File(File),
    /// A directory.
    Dir(Dir),
}

pub(super) fn write_denied(perms: FsPerms) -> Result<(), ErrorCode> {
    if perms.write_not_permitted() {
        Err(ErrorCode::NotPermitted)
    } else {
        Ok(())
    }
}

impl File {
    async fn run<R: Send + 'static>(
        &self,
        body: impl FnOnce(&cap_std::fs::File) -> R + Send + 'static,
    ) -> R {
        run_blocking(self.allow_blocking_current_thread, &self.file, body).await
    }

    /// The preopen's permissions.
    pub fn perms(&self) -> FsPerms {
        self.perms
    }

    /// How the file was opened.
    pub fn open_mode(&self) -> OpenMode {
        self.open_mode
    }

    /// `advise`.
    pub async fn advise(&self, offset: u64, len: u64, advice: Advice) -> Result<(), ErrorCode> {
        use rustix::fs::Advice as A;
        let advice = match advice {
            Advice::Normal => A::Normal,
            Advice::Sequential => A::Sequential,
            Advice::Random => A::Random,
            Advice::WillNeed => A::WillNeed,
            Advice::DontNeed => A::DontNeed,
            Advice::NoReuse => A::NoReuse,
        };
        let len = std::num::NonZeroU64::new(len);
        self.run(move |f| rustix::fs::fadvise(f, offset, len, advice))
            .await
            .map_err(|e| ErrorCode::from(io::Error::from(e)))
    }

    /// `set-size`.
    pub async fn set_size(&self, size: u64) -> Result<(), ErrorCode> {
        write_denied(self.perms)?;
        Ok(self.run(move |f| f.set_len(size)).await?)
    }

    /// `read` at an offset (pread); returns the bytes and whether the end was reached.
    /// `len` is capped by the caller (a zeroed allocation of that size is lazily backed by the
    /// OS, so a short read of a large request stays cheap).
    pub async fn read_at(&self, len: usize, offset: u64) -> Result<(Vec<u8>, bool), ErrorCode> {
        self.run(move |f| {
            // One read, as wasmtime-wasi does: a short read is not the end; only 0 bytes is.
            let mut buf = vec![0u8; len];
            let n = read_at_into(f, &mut buf, offset)?;
            buf.truncate(n);
            Ok((buf, n == 0))
        })
        .await
    }

    /// `write` at an offset (pwrite); returns how many bytes were written.
    pub async fn write_at(&self, data: Vec<u8>, offset: u64) -> Result<u64, ErrorCode> {
        write_denied(self.perms)?;
        self.run(move |f| {
            write_at_or_end(f, &data, Some(offset))
                .map(|n| n as u64)
                .map_err(ErrorCode::from)
        })
        .await
    }

    /// One read at `offset` straight into `dst`, on the calling thread — the byte-stream rule
    /// (see the module docs): a regular-file read from the page cache costs less than a hop
    /// to the blocking pool, and the caller's buffer (a guest's memory) is filled directly.
    pub fn read_into(&self, dst: &mut [u8], offset: u64) -> Result<usize, ErrorCode> {
        Ok(read_at_into(&self.file, dst, offset)?)
    }

    /// One write of `src` at `offset` (or at the end of the file when `None`: append), on the
    /// calling thread, as [`File::read_into`].
    pub fn write_from(&self, src: &[u8], offset: Option<u64>) -> Result<usize, ErrorCode> {
        write_denied(self.perms)?;
        Ok(write_at_or_end(&self.file, src, offset)?)
    }

    /// A byte source reading from `offset`, with its own cursor. (A descriptor not open for
    /// reading fails at the first read, with the OS's `bad-descriptor`.)
    pub fn reader(&self, offset: u64) -> Result<FileSource, ErrorCode> {
        Ok(FileSource::new(self.file.clone(), offset))
    }

    /// A byte sink writing from `offset` (or appending at the end), with its own cursor. The
    /// preopen's permissions are checked here; a descriptor not open for writing fails at the
    /// first write, with the OS's `bad-descriptor`.
    pub fn writer(&self, offset: Option<u64>) -> Result<FileSink, ErrorCode> {
        write_denied(self.perms)?;
        Ok(FileSink::new(self.file.clone(), offset))
    }
}

impl Descriptor {
    /// The file, or `bad-descriptor` for a directory.
    pub fn file(&self) -> Result<&File, ErrorCode> {
        match self {
            Descriptor::File(f) => Ok(f),
            Descriptor::Dir(_) => Err(ErrorCode::BadDescriptor),
        }
    }

    /// The directory, or `not-directory` for a file.
    pub fn dir(&self) -> Result<&Dir, ErrorCode> {
        match self {
            Descriptor::Dir(d) => Ok(d),
            Descriptor::File(_) => Err(ErrorCode::NotDirectory),
        }
    }

    async fn meta(&self) -> Result<Metadata, ErrorCode> {
        Ok(match self {
            Descriptor::File(f) => f.run(|f| f.metadata()).await?,
            Descriptor::Dir(d) => d.run(|d| d.dir_metadata()).await?,
        })
    }

    /// `stat`.
    pub async fn stat(&self) -> Result<DescriptorStat, ErrorCode> {
        Ok(DescriptorStat::new(&self.meta().await?))
    }

    /// `get-type`.
    pub async fn get_type(&self) -> Result<DescriptorType, ErrorCode> {
        match self {
            Descriptor::Dir(_) => Ok(DescriptorType::Directory),
            Descriptor::File(_) => Ok(self.meta().await?.file_type().into()),
        }
    }

    /// `get-flags`.
    pub async fn get_flags(&self) -> Result<DescriptorFlags, ErrorCode> {
        let (fd_flags, mode, is_dir) = match self {
            Descriptor::File(f) => (
                f.run(|f| rustix::fs::fcntl_getfl(f)).await,
                f.open_mode,
                false,
            ),
            Descriptor::Dir(d) => (
                d.run(|d| rustix::fs::fcntl_getfl(d)).await,
                d.open_mode,
                true,
            ),
        };
        let fd_flags = fd_flags.map_err(|e| ErrorCode::from(io::Error::from(e)))?;
        use rustix::fs::OFlags;
        let mut flags = DescriptorFlags {
            read: mode.contains(OpenMode::READ),
            ..DescriptorFlags::default()
        };
        if is_dir {
            flags.mutate_directory = mode.contains(OpenMode::WRITE);
        } else {
            flags.write = mode.contains(OpenMode::WRITE);
        }
        flags.data_integrity_sync = fd_flags.contains(OFlags::DSYNC);
        flags.requested_write_sync = fd_flags.contains(OFlags::RSYNC);
        flags.file_integrity_sync = fd_flags.contains(OFlags::SYNC);
        Ok(flags)
    }

    /// `set-times`.
    pub async fn set_times(
        &self,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> Result<(), ErrorCode> {
        // `futimens` from our own conversion: fs-set-times panics on times before 1970.
        let times = times::timestamps(atime, mtime).ok_or(ErrorCode::Overflow)?;
        match self {
            Descriptor::File(f) => {
                write_denied(f.perms)?;
                Ok(f.run(move |f| times::set_fd_times(f, &times)).await?)
            }
            Descriptor::Dir(d) => {
                write_denied(d.perms)?;
                Ok(d.run(move |d| times::set_fd_times(d, &times)).await?)
            }
        }
    }

    /// `sync`.
    pub async fn sync(&self) -> Result<(), ErrorCode> {
        match self {
            Descriptor::File(f) => Ok(f.run(|f| f.sync_all()).await?),
            Descriptor::Dir(d) => Ok(d.run(|d| sync_dir(d, false)).await?),
        }
    }

    /// `sync-data`.
    pub async fn sync_data(&self) -> Result<(), ErrorCode> {
        match self {
            Descriptor::File(f) => Ok(f.run(|f| f.sync_data()).await?),
            Descriptor::Dir(d) => Ok(d.run(|d| sync_dir(d, true)).await?),
        }
    }

    /// `is-same-object`.
    ///
    /// A descriptor whose metadata cannot be read cannot be shown to be the same object as
    /// another, so a failed `stat` answers `false`.
    pub async fn is_same_object(&self, other: &Descriptor) -> bool {
        match (self.meta().await, other.meta().await) {
            (Ok(a), Ok(b)) => (a.dev(), a.ino()) == (b.dev(), b.ino()),
            _ => false,
        }
    }

    /// `read-via-stream`: a byte source from `offset`; a directory is `is-directory`.
    pub fn read_via_stream(&self, offset: u64) -> Result<FileSource, ErrorCode> {
        match self {
            Descriptor::File(f) => f.reader(offset),
            Descriptor::Dir(_) => Err(ErrorCode::IsDirectory),
        }
    }

    /// `write-via-stream`: a byte sink from `offset`; a directory is `bad-descriptor`.
    pub fn write_via_stream(&self, offset: u64) -> Result<FileSink, ErrorCode> {
        self.file()?.writer(Some(offset))
    }

    /// `append-via-stream`: a byte sink appending at the end; a directory is `bad-descriptor`.
    pub fn append_via_stream(&self) -> Result<FileSink, ErrorCode> {
        self.file()?.writer(None)
    }

    /// `metadata-hash`.
    pub async fn metadata_hash(&self) -> Result<MetadataHashValue, ErrorCode> {
        Ok(MetadataHashValue::of(&self.meta().await?))
    }
}

/// Syncs a directory through a fresh read handle on it, as wasmtime-wasi does: the handle a
/// descriptor holds may not allow `fsync` (a read-only preopen's gives EBADF).
pub(super) fn sync_dir(d: &cap_std::fs::Dir, data_only: bool) -> io::Result<()> {
    let f = d.open_with(".", cap_std::fs::OpenOptions::new().read(true))?;
    if data_only {
        f.sync_data()
    } else {
        f.sync_all()
    }
}
