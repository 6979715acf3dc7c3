//! `wasi:filesystem` on cap-std: preopens, descriptors, file byte streams, directory entries.
//!
//! Every path is resolved by cap-std beneath a directory handle, so `..`, absolute paths and
//! symlinks leading outside a preopen are refused by construction. Permissions ([`FsPerms`]) are
//! checked here, once, for both ABIs.
//!
//! Blocking work runs on tokio's blocking pool (or on the calling thread when the host allows
//! it). File *byte streams* read and write on the calling thread instead: they read straight
//! into the guest's buffer, and a regular-file read or write from the page cache costs less
//! than a hop to the pool.

use crate::error::CoreError;
use crate::io::{ByteSink, ByteSource};
use bytes::BytesMut;
use cap_fs_ext::{
    DirExt, FollowSymlinks, MetadataExt as _, OpenOptionsFollowExt, OpenOptionsMaybeDirExt,
};
use cap_std::fs::{FileExt, Metadata, OpenOptions};
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::SystemTime;
pub use wasmtime_wasi::FsPerms;

/// One preopened directory.
#[derive(Clone)]
pub struct Preopen {
    /// The directory descriptor handed to the guest.
    pub dir: Dir,
    /// The name the guest sees.
    pub guest_path: String,
}

/// The filesystem state shared by every ABI.
#[derive(Clone, Default)]
pub struct FilesystemCtx {
    pub(crate) preopens: Vec<Preopen>,
    pub(crate) allow_blocking_current_thread: bool,
}

impl FilesystemCtx {
    /// The preopened directories, in the order they were configured.
    pub fn preopens(&self) -> &[Preopen] {
        &self.preopens
    }

    /// Whether blocking filesystem work may run on the calling thread.
    pub fn allow_blocking_current_thread(&self) -> bool {
        self.allow_blocking_current_thread
    }
}

/// Filesystem error codes, the same set in `wasi:filesystem@0.2.x` and `@0.3.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ErrorCode {
    Access,
    Already,
    BadDescriptor,
    Busy,
    Exist,
    FileTooLarge,
    IllegalByteSequence,
    InProgress,
    Interrupted,
    Invalid,
    Io,
    IsDirectory,
    Loop,
    TooManyLinks,
    NameTooLong,
    NoEntry,
    InsufficientMemory,
    InsufficientSpace,
    NotDirectory,
    NotEmpty,
    Unsupported,
    Overflow,
    NotPermitted,
    Pipe,
    InvalidSeek,
}

impl From<&io::Error> for ErrorCode {
    fn from(err: &io::Error) -> ErrorCode {
        use rustix::io::Errno;
        if let Some(raw) = err.raw_os_error() {
            let code = match Errno::from_raw_os_error(raw) {
                Errno::PIPE => Some(ErrorCode::Pipe),
                Errno::PERM => Some(ErrorCode::NotPermitted),
                Errno::NOENT => Some(ErrorCode::NoEntry),
                Errno::NOMEM => Some(ErrorCode::InsufficientMemory),
                Errno::IO => Some(ErrorCode::Io),
                Errno::BADF => Some(ErrorCode::BadDescriptor),
                Errno::BUSY => Some(ErrorCode::Busy),
                Errno::ACCESS => Some(ErrorCode::Access),
                Errno::NOTDIR => Some(ErrorCode::NotDirectory),
                Errno::ISDIR => Some(ErrorCode::IsDirectory),
                Errno::INVAL => Some(ErrorCode::Invalid),
                Errno::EXIST => Some(ErrorCode::Exist),
                Errno::FBIG => Some(ErrorCode::FileTooLarge),
                Errno::NOSPC => Some(ErrorCode::InsufficientSpace),
                Errno::SPIPE => Some(ErrorCode::InvalidSeek),
                Errno::MLINK => Some(ErrorCode::TooManyLinks),
                Errno::NAMETOOLONG => Some(ErrorCode::NameTooLong),
                Errno::NOTEMPTY => Some(ErrorCode::NotEmpty),
                Errno::LOOP => Some(ErrorCode::Loop),
                Errno::OVERFLOW => Some(ErrorCode::Overflow),
                Errno::ILSEQ => Some(ErrorCode::IllegalByteSequence),
                Errno::NOTSUP => Some(ErrorCode::Unsupported),
                Errno::ALREADY => Some(ErrorCode::Already),
                Errno::INPROGRESS => Some(ErrorCode::InProgress),
                Errno::INTR => Some(ErrorCode::Interrupted),
                _ => None,
            };
            if let Some(code) = code {
                return code;
            }
        }
        match err.kind() {
            io::ErrorKind::NotFound => ErrorCode::NoEntry,
            io::ErrorKind::PermissionDenied => ErrorCode::NotPermitted,
            io::ErrorKind::AlreadyExists => ErrorCode::Exist,
            io::ErrorKind::InvalidInput => ErrorCode::Invalid,
            _ => ErrorCode::Io,
        }
    }
}

impl From<io::Error> for ErrorCode {
    fn from(err: io::Error) -> ErrorCode {
        ErrorCode::from(&err)
    }
}

/// The type of a descriptor or directory entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum DescriptorType {
    Unknown,
    BlockDevice,
    CharacterDevice,
    Directory,
    Fifo,
    SymbolicLink,
    RegularFile,
    Socket,
}

impl From<cap_std::fs::FileType> for DescriptorType {
    fn from(ft: cap_std::fs::FileType) -> Self {
        use cap_std::fs::FileTypeExt;
        if ft.is_dir() {
            DescriptorType::Directory
        } else if ft.is_symlink() {
            DescriptorType::SymbolicLink
        } else if ft.is_file() {
            DescriptorType::RegularFile
        } else if ft.is_block_device() {
            DescriptorType::BlockDevice
        } else if ft.is_char_device() {
            DescriptorType::CharacterDevice
        } else if ft.is_fifo() {
            DescriptorType::Fifo
        } else if ft.is_socket() {
            DescriptorType::Socket
        } else {
            DescriptorType::Unknown
        }
    }
}

/// What `stat` reports. Timestamps the platform cannot give are `None`.
#[derive(Clone, Copy, Debug)]
#[allow(missing_docs)]
pub struct DescriptorStat {
    pub type_: DescriptorType,
    pub link_count: u64,
    pub size: u64,
    pub data_access_timestamp: Option<SystemTime>,
    pub data_modification_timestamp: Option<SystemTime>,
    pub status_change_timestamp: Option<SystemTime>,
}

impl DescriptorStat {
    fn new(meta: &Metadata) -> Self {
        DescriptorStat {
            type_: meta.file_type().into(),
            link_count: meta.nlink(),
            size: meta.len(),
            data_access_timestamp: meta.accessed().ok().map(|t| t.into_std()),
            data_modification_timestamp: meta.modified().ok().map(|t| t.into_std()),
            status_change_timestamp: meta.created().ok().map(|t| t.into_std()),
        }
    }
}

/// A 128-bit hash identifying a file (device and inode), as wasmtime-wasi computes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct MetadataHashValue {
    pub lower: u64,
    pub upper: u64,
}

impl MetadataHashValue {
    fn of(meta: &Metadata) -> Self {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (meta.dev(), meta.ino()).hash(&mut hasher);
        let lower = hasher.finish();
        // The same constant wasmtime-wasi uses to synthesize the upper half.
        MetadataHashValue {
            lower,
            upper: lower ^ 4614256656552045848u64,
        }
    }
}

/// How to change a timestamp.
#[derive(Clone, Copy, Debug)]
pub enum NewTimestamp {
    /// Leave it.
    NoChange,
    /// Set it to the current time.
    Now,
    /// Set it to this time.
    Timestamp(SystemTime),
}

impl NewTimestamp {
    fn spec(self) -> Option<fs_set_times::SystemTimeSpec> {
        match self {
            NewTimestamp::NoChange => None,
            NewTimestamp::Now => Some(fs_set_times::SystemTimeSpec::SymbolicNow),
            NewTimestamp::Timestamp(t) => Some(fs_set_times::SystemTimeSpec::Absolute(t)),
        }
    }
    fn cap_spec(self) -> Option<cap_fs_ext::SystemTimeSpec> {
        self.spec().map(cap_fs_ext::SystemTimeSpec::from_std)
    }
}

/// `advise` hints.
#[derive(Clone, Copy, Debug)]
#[allow(missing_docs)]
pub enum Advice {
    Normal,
    Sequential,
    Random,
    WillNeed,
    DontNeed,
    NoReuse,
}

/// `open-at` flags.
#[derive(Clone, Copy, Debug, Default)]
#[allow(missing_docs)]
pub struct OpenFlags {
    pub create: bool,
    pub directory: bool,
    pub exclusive: bool,
    pub truncate: bool,
}

/// Descriptor flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct DescriptorFlags {
    pub read: bool,
    pub write: bool,
    pub file_integrity_sync: bool,
    pub data_integrity_sync: bool,
    pub requested_write_sync: bool,
    pub mutate_directory: bool,
}

/// How a descriptor was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenMode {
    /// Opened for reading.
    pub read: bool,
    /// Opened for writing (for a directory: may mutate it).
    pub write: bool,
}

/// A directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// Its type, from the directory itself where the platform gives it (no `stat` per entry).
    pub type_: DescriptorType,
    /// Its name.
    pub name: String,
}

fn follow(symlink_follow: bool) -> FollowSymlinks {
    if symlink_follow {
        FollowSymlinks::Yes
    } else {
        FollowSymlinks::No
    }
}

/// An open file.
#[derive(Clone)]
pub struct File {
    file: Arc<cap_std::fs::File>,
    /// The preopen's permissions.
    pub perms: FsPerms,
    /// How it was opened.
    pub open_mode: OpenMode,
    allow_blocking_current_thread: bool,
}

/// An open directory.
#[derive(Clone)]
pub struct Dir {
    dir: Arc<cap_std::fs::Dir>,
    /// The preopen's permissions.
    pub perms: FsPerms,
    /// How it was opened.
    pub open_mode: OpenMode,
    allow_blocking_current_thread: bool,
}

/// A filesystem descriptor: a file or a directory.
#[derive(Clone)]
pub enum Descriptor {
    /// A file.
    File(File),
    /// A directory.
    Dir(Dir),
}

async fn run_blocking<T: Send + Sync + 'static, R: Send + 'static>(
    inline: bool,
    handle: &Arc<T>,
    body: impl FnOnce(&T) -> R + Send + 'static,
) -> R {
    if inline {
        return body(handle);
    }
    let handle = handle.clone();
    match tokio::task::spawn_blocking(move || body(&handle)).await {
        Ok(r) => r,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

fn write_denied(perms: FsPerms) -> Result<(), ErrorCode> {
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

    /// The underlying file.
    pub fn file(&self) -> &Arc<cap_std::fs::File> {
        &self.file
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
            let n = loop {
                match f.read_at(&mut buf, offset) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(ErrorCode::from(e)),
                }
            };
            buf.truncate(n);
            Ok((buf, n == 0))
        })
        .await
    }

    /// `write` at an offset (pwrite); returns how many bytes were written.
    pub async fn write_at(&self, data: Vec<u8>, offset: u64) -> Result<u64, ErrorCode> {
        write_denied(self.perms)?;
        self.run(move |f| {
            f.write_at(&data, offset)
                .map(|n| n as u64)
                .map_err(ErrorCode::from)
        })
        .await
    }

    /// A byte source reading from `offset`, with its own cursor. (A descriptor not open for
    /// reading fails at the first read, with the OS's `bad-descriptor`.)
    pub fn reader(&self, offset: u64) -> Result<FileSource, ErrorCode> {
        Ok(FileSource {
            file: self.file.clone(),
            offset,
        })
    }

    /// A byte sink writing from `offset` (or appending at the end), with its own cursor. The
    /// preopen's permissions are checked here; a descriptor not open for writing fails at the
    /// first write, with the OS's `bad-descriptor`.
    pub fn writer(&self, offset: Option<u64>) -> Result<FileSink, ErrorCode> {
        write_denied(self.perms)?;
        Ok(FileSink {
            file: self.file.clone(),
            position: match offset {
                Some(o) => SinkPosition::At(o),
                None => SinkPosition::Append,
            },
        })
    }
}

impl Dir {
    /// Wraps an opened directory.
    pub fn new(
        dir: cap_std::fs::Dir,
        perms: FsPerms,
        open_mode: OpenMode,
        allow_blocking_current_thread: bool,
    ) -> Self {
        Dir {
            dir: Arc::new(dir),
            perms,
            open_mode,
            allow_blocking_current_thread,
        }
    }

    async fn run<R: Send + 'static>(
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

    async fn metadata_at(&self, symlink_follow: bool, path: String) -> Result<Metadata, ErrorCode> {
        Ok(self
            .run(move |d| {
                if symlink_follow {
                    d.metadata(&path)
                } else {
                    d.symlink_metadata(&path)
                }
            })
            .await?)
    }

    /// `stat-at`.
    pub async fn stat_at(
        &self,
        symlink_follow: bool,
        path: String,
    ) -> Result<DescriptorStat, ErrorCode> {
        Ok(DescriptorStat::new(
            &self.metadata_at(symlink_follow, path).await?,
        ))
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
        let mut open_mode = OpenMode::default();
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
            open_mode.write = true;
        }
        if oflags.truncate {
            opts.truncate(true).write(true);
            open_mode.write = true;
        }
        if flags.read {
            opts.read(true);
            open_mode.read = true;
        }
        if flags.write {
            opts.write(true);
            open_mode.write = true;
        } else {
            // Open for reading so the OS lets us open it; permissions reject writes later.
            opts.read(true);
            open_mode.read = true;
        }
        opts.follow(follow(symlink_follow));
        if flags.file_integrity_sync || flags.data_integrity_sync || flags.requested_write_sync {
            return Err(ErrorCode::Unsupported);
        }
        if oflags.directory && (oflags.create || oflags.exclusive || oflags.truncate) {
            return Err(ErrorCode::Invalid);
        }
        if self.perms.write_not_permitted() && (create || open_mode.write) {
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
        Ok(self
            .run(move |d| d.rename(&old_path, &new, &new_path))
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
        Ok(MetadataHashValue::of(
            &self.metadata_at(symlink_follow, path).await?,
        ))
    }

    /// `read-directory`: the entries, produced lazily in batches. The directory is opened
    /// for listing by the first batch, so this never blocks.
    pub fn read_directory(&self) -> Result<DirEntries, ErrorCode> {
        if !self.open_mode.read {
            return Err(ErrorCode::NotPermitted);
        }
        Ok(DirEntries {
            inner: Arc::new(std::sync::Mutex::new(Listing::NotOpened(self.dir.clone()))),
            inline: self.allow_blocking_current_thread,
        })
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
            read: mode.read,
            ..DescriptorFlags::default()
        };
        if is_dir {
            flags.mutate_directory = mode.write;
        } else {
            flags.write = mode.write;
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
        use fs_set_times::SetTimes;
        match self {
            Descriptor::File(f) => {
                write_denied(f.perms)?;
                Ok(f.run(move |f| f.set_times(atime.spec(), mtime.spec()))
                    .await?)
            }
            Descriptor::Dir(d) => {
                write_denied(d.perms)?;
                Ok(
                    d.run(move |d| SetTimes::set_times(d, atime.spec(), mtime.spec()))
                        .await?,
                )
            }
        }
    }

    /// `sync`.
    pub async fn sync(&self) -> Result<(), ErrorCode> {
        match self {
            Descriptor::File(f) => Ok(f.run(|f| f.sync_all()).await?),
            Descriptor::Dir(d) => Ok(d
                .run(|d| rustix::fs::fsync(d).map_err(io::Error::from))
                .await?),
        }
    }

    /// `sync-data`.
    pub async fn sync_data(&self) -> Result<(), ErrorCode> {
        match self {
            Descriptor::File(f) => Ok(f.run(|f| f.sync_data()).await?),
            Descriptor::Dir(d) => Ok(d
                .run(|d| rustix::fs::fdatasync(d).map_err(io::Error::from))
                .await?),
        }
    }

    /// `is-same-object`.
    pub async fn is_same_object(&self, other: &Descriptor) -> Result<bool, ErrorCode> {
        let a = self.meta().await?;
        let b = other.meta().await?;
        Ok((a.dev(), a.ino()) == (b.dev(), b.ino()))
    }

    /// `metadata-hash`.
    pub async fn metadata_hash(&self) -> Result<MetadataHashValue, ErrorCode> {
        Ok(MetadataHashValue::of(&self.meta().await?))
    }
}

/// A file's byte source with its own cursor: reads go straight into the caller's buffer.
pub struct FileSource {
    file: Arc<cap_std::fs::File>,
    offset: u64,
}

fn fs_error(e: io::Error) -> CoreError {
    CoreError::Filesystem(e)
}

impl ByteSource for FileSource {
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<()> {
        // Regular files are always ready.
        Poll::Ready(())
    }

    fn poll_read(
        &mut self,
        _cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<Result<usize, CoreError>> {
        loop {
            match self.file.read_at(dst, self.offset) {
                Ok(n) => {
                    self.offset += n as u64;
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(fs_error(e))),
            }
        }
    }

    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        buf: &mut BytesMut,
    ) -> Poll<Result<usize, CoreError>> {
        // Never allocate more than the file can still give.
        let left = match self.file.metadata() {
            Ok(m) => m.len().saturating_sub(self.offset),
            Err(e) => return Poll::Ready(Err(fs_error(e))),
        };
        let max = max.min(usize::try_from(left).unwrap_or(usize::MAX));
        let start = buf.len();
        buf.resize(start + max, 0);
        let res = self.poll_read(cx, &mut buf[start..]);
        let n = match &res {
            Poll::Ready(Ok(n)) => *n,
            _ => 0,
        };
        buf.truncate(start + n);
        res
    }
}

enum SinkPosition {
    At(u64),
    Append,
}

/// A file's byte sink with its own cursor (or appending at the end).
pub struct FileSink {
    file: Arc<cap_std::fs::File>,
    position: SinkPosition,
}

impl ByteSink for FileSink {
    fn poll_write_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<usize, CoreError>> {
        Poll::Ready(Ok(crate::io::SINK_BUFFER))
    }

    fn poll_write(&mut self, _cx: &mut Context<'_>, src: &[u8]) -> Poll<Result<usize, CoreError>> {
        let offset = match self.position {
            SinkPosition::At(o) => o,
            SinkPosition::Append => match self.file.metadata() {
                Ok(m) => m.len(),
                Err(e) => return Poll::Ready(Err(fs_error(e))),
            },
        };
        loop {
            match self.file.write_at(src, offset) {
                Ok(n) => {
                    if let SinkPosition::At(o) = &mut self.position {
                        *o += n as u64;
                    }
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(fs_error(e))),
            }
        }
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        // Writes go straight to the file; there is nothing buffered here.
        Poll::Ready(Ok(()))
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        self.poll_flush(cx)
    }
}

/// A directory's entries, read lazily (no `stat` of the whole directory up front).
#[derive(Clone)]
pub struct DirEntries {
    inner: Arc<std::sync::Mutex<Listing>>,
    inline: bool,
}

enum Listing {
    NotOpened(Arc<cap_std::fs::Dir>),
    Open(cap_std::fs::ReadDir),
    Done,
}

impl DirEntries {
    /// Up to `max` more entries; an empty batch means the end. `.` and `..` are skipped.
    pub async fn next_batch(&self, max: usize) -> Result<Vec<DirectoryEntry>, ErrorCode> {
        let body = move |inner: &std::sync::Mutex<Listing>| {
            let mut guard = inner.lock().unwrap_or_else(|p| p.into_inner());
            if let Listing::NotOpened(dir) = &*guard {
                let entries = dir.entries();
                *guard = match entries {
                    Ok(e) => Listing::Open(e),
                    Err(e) => {
                        *guard = Listing::Done;
                        return Err(ErrorCode::from(e));
                    }
                };
            }
            let mut out = Vec::new();
            let Listing::Open(iter) = &mut *guard else {
                return Ok(out);
            };
            while out.len() < max {
                let Some(entry) = iter.next() else {
                    *guard = Listing::Done;
                    break;
                };
                let entry = entry?;
                let name = entry
                    .file_name()
                    .into_string()
                    .map_err(|_| ErrorCode::IllegalByteSequence)?;
                if name == "." || name == ".." {
                    continue;
                }
                let type_ = entry.file_type().map(DescriptorType::from)?;
                out.push(DirectoryEntry { type_, name });
            }
            Ok(out)
        };
        run_blocking(self.inline, &self.inner, body).await
    }
}
