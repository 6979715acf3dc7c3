//! The plain data of the filesystem: descriptor types, stat, flags, timestamps, entries.

use super::ErrorCode;
use cap_fs_ext::MetadataExt as _;
use cap_std::fs::Metadata;
use std::time::{Duration, SystemTime};

/// The type of a descriptor or directory entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DescriptorType {
    /// A type the core cannot name.
    Unknown,
    /// A block device.
    BlockDevice,
    /// A character device.
    CharacterDevice,
    /// A directory.
    Directory,
    /// A named pipe.
    Fifo,
    /// A symbolic link.
    SymbolicLink,
    /// A regular file.
    RegularFile,
    /// A Unix-domain socket.
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
pub struct DescriptorStat {
    /// The file's type.
    pub type_: DescriptorType,
    /// How many hard links it has.
    pub link_count: u64,
    /// Its size in bytes.
    pub size: u64,
    /// When its data was last read.
    pub data_access_timestamp: Option<SystemTime>,
    /// When its data was last written.
    pub data_modification_timestamp: Option<SystemTime>,
    /// When its status last changed (the platform's creation time, as in wasmtime-wasi).
    pub status_change_timestamp: Option<SystemTime>,
}

impl DescriptorStat {
    pub(super) fn new(meta: &Metadata) -> Self {
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

/// What a `statx` found, as `stat` reports it (the times converted without panicking at
/// either end of `i64`, as wasmtime-wasi 48.0.8's copy of cap-primitives converts them).
#[cfg(target_os = "linux")]
impl From<&rustix::fs::Statx> for DescriptorStat {
    fn from(st: &rustix::fs::Statx) -> Self {
        use rustix::fs::{FileType, StatxFlags};
        let time = |t: &rustix::fs::StatxTimestamp| {
            let sec = t.tv_sec;
            if sec >= 0 {
                SystemTime::UNIX_EPOCH.checked_add(Duration::new(sec.unsigned_abs(), t.tv_nsec))
            } else {
                SystemTime::UNIX_EPOCH
                    .checked_sub(Duration::new(sec.unsigned_abs(), 0))?
                    .checked_add(Duration::new(0, t.tv_nsec))
            }
        };
        let type_ = match FileType::from_raw_mode(st.stx_mode.into()) {
            FileType::RegularFile => DescriptorType::RegularFile,
            FileType::Directory => DescriptorType::Directory,
            FileType::Symlink => DescriptorType::SymbolicLink,
            FileType::Fifo => DescriptorType::Fifo,
            FileType::Socket => DescriptorType::Socket,
            FileType::CharacterDevice => DescriptorType::CharacterDevice,
            FileType::BlockDevice => DescriptorType::BlockDevice,
            FileType::Unknown => DescriptorType::Unknown,
        };
        let has = |flag: StatxFlags| StatxFlags::from_bits_retain(st.stx_mask).contains(flag);
        DescriptorStat {
            type_,
            link_count: st.stx_nlink.into(),
            size: st.stx_size,
            data_access_timestamp: has(StatxFlags::ATIME)
                .then(|| time(&st.stx_atime))
                .flatten(),
            data_modification_timestamp: has(StatxFlags::MTIME)
                .then(|| time(&st.stx_mtime))
                .flatten(),
            status_change_timestamp: has(StatxFlags::BTIME)
                .then(|| time(&st.stx_btime))
                .flatten(),
        }
    }
}

/// A 128-bit hash identifying a file (device and inode), as wasmtime-wasi computes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MetadataHashValue {
    /// The lower 64 bits.
    pub lower: u64,
    /// The upper 64 bits.
    pub upper: u64,
}

impl MetadataHashValue {
    pub(super) fn of(meta: &Metadata) -> Self {
        Self::of_ids(meta.dev(), meta.ino())
    }

    /// The hash of a file by its device and inode numbers.
    pub(super) fn of_ids(dev: u64, ino: u64) -> Self {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (dev, ino).hash(&mut hasher);
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
    pub(super) fn spec(self) -> Option<fs_set_times::SystemTimeSpec> {
        match self {
            NewTimestamp::NoChange => None,
            NewTimestamp::Now => Some(fs_set_times::SystemTimeSpec::SymbolicNow),
            NewTimestamp::Timestamp(t) => Some(fs_set_times::SystemTimeSpec::Absolute(t)),
        }
    }
    pub(super) fn cap_spec(self) -> Option<cap_fs_ext::SystemTimeSpec> {
        self.spec().map(cap_fs_ext::SystemTimeSpec::from_std)
    }
}

/// `advise` hints.
#[derive(Clone, Copy, Debug)]
pub enum Advice {
    /// No particular pattern.
    Normal,
    /// Read front to back.
    Sequential,
    /// Read in random order.
    Random,
    /// Will be read soon.
    WillNeed,
    /// Will not be read soon.
    DontNeed,
    /// Read once.
    NoReuse,
}

/// `open-at` flags.
#[derive(Clone, Copy, Debug, Default)]
pub struct OpenFlags {
    /// Create the file if it does not exist.
    pub create: bool,
    /// Fail unless it is a directory.
    pub directory: bool,
    /// Fail if it exists (with `create`).
    pub exclusive: bool,
    /// Truncate it to size 0.
    pub truncate: bool,
}

/// Descriptor flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DescriptorFlags {
    /// Open for reading.
    pub read: bool,
    /// Open for writing (files).
    pub write: bool,
    /// Writes are synchronised with file integrity (`O_SYNC`).
    pub file_integrity_sync: bool,
    /// Writes are synchronised with data integrity (`O_DSYNC`).
    pub data_integrity_sync: bool,
    /// Reads are synchronised as writes are (`O_RSYNC`).
    pub requested_write_sync: bool,
    /// May create, rename and remove entries (directories).
    pub mutate_directory: bool,
}

/// How a descriptor was opened (`READ`, `WRITE`; for a directory, `WRITE` means it may be
/// mutated): wasmtime-wasi's own type, so a host names it the same way.
pub use wasmtime_wasi::OpenMode;

/// A directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// Its type, from the directory itself where the platform gives it (no `stat` per entry).
    pub type_: DescriptorType,
    /// Its name.
    pub name: String,
}

/// Seconds and nanoseconds since the Unix epoch as a `SystemTime`, for `set-times`: nanoseconds
/// past a second carry into the seconds (as in wasmtime-wasi), and a time the platform cannot
/// represent is `overflow`.
pub fn system_time(seconds: i128, nanoseconds: u32) -> Result<SystemTime, ErrorCode> {
    let secs = u64::try_from(seconds.unsigned_abs())
        .ok()
        .and_then(|s| s.checked_add(u64::from(nanoseconds / 1_000_000_000)))
        .ok_or(ErrorCode::Overflow)?;
    let d = Duration::new(secs, nanoseconds % 1_000_000_000);
    if seconds >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(d)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(d)
    }
    .ok_or(ErrorCode::Overflow)
}

/// `t` as whole seconds since the Unix epoch (negative before 1970, rounded down) and the
/// nanoseconds past them; `None` when the seconds do not fit an `i64`.
pub fn unix_time(t: SystemTime) -> Option<(i64, u32)> {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => Some((i64::try_from(d.as_secs()).ok()?, d.subsec_nanos())),
        Err(e) => {
            // In i128: `i64::MIN` seconds is a time the platform holds, and its magnitude
            // does not fit an i64.
            let d = e.duration();
            let (mut secs, mut nanos) = (-i128::from(d.as_secs()), d.subsec_nanos());
            if nanos > 0 {
                secs -= 1;
                nanos = 1_000_000_000 - nanos;
            }
            Some((i64::try_from(secs).ok()?, nanos))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_times_round_trip_both_sides_of_1970() {
        for (s, n) in [(0i64, 0u32), (1_700_000_000, 5), (-1, 0), (-86_400, 0)] {
            let t = system_time(s.into(), n).unwrap();
            assert_eq!(unix_time(t), Some((s, n)), "{s}.{n}");
        }
        // Before 1970 the seconds round down and the nanoseconds count up from them.
        let half_before = SystemTime::UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(unix_time(half_before), Some((-1, 500_000_000)));
        // Nanoseconds past a second carry into the seconds.
        assert_eq!(
            unix_time(system_time(1, 1_500_000_000).unwrap()),
            Some((2, 500_000_000))
        );
        assert_eq!(
            system_time(u64::MAX.into(), 2_000_000_000),
            Err(ErrorCode::Overflow)
        );
        // Both ends of the i64 range the platform holds.
        for s in [i64::MIN, i64::MAX] {
            assert_eq!(unix_time(system_time(s.into(), 0).unwrap()), Some((s, 0)));
        }
    }
}
