//! `wasi:filesystem/types@0.3.0-rc-2025-09-16` on the core's descriptors: the host code of
//! `0.3.0-rc-2026-01-06` (`candidate_filesystem_impls!`, itself 0.3.0's `filesystem_impls!`)
//! over this candidate's types, whose timestamps are `datetime`s.

use super::bindings::clocks::wall_clock::Datetime;
use super::bindings::filesystem::preopens;
use super::bindings::filesystem::types::{
    self, Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};
use crate::error::CoreError;
use crate::filesystem::{self as core, Descriptor, DirEntries};
use crate::filesystem::{WasiFilesystem, WasiFilesystemCtxView};
use crate::p3::filesystem::{HOST_DIRENT_BATCH, MAX_DIRENT_BATCH, file_sink, filesystem_impls};
use crate::p3::rc_2026_01_06::filesystem::candidate_filesystem_impls;
use crate::p3::streams;
use crate::veneer::TrappableError;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::SystemTime;
use tokio::sync::oneshot;
use wasmtime::StoreContextMut;
use wasmtime::component::{
    Access, Accessor, Destination, FutureReader, Resource, StreamProducer, StreamReader,
    StreamResult, VecBuffer,
};

/// The error of a candidate filesystem call: an error code for the guest, or a trap.
pub type FilesystemError = TrappableError<ErrorCode>;
type FsError = FilesystemError;
type FsResult<T> = Result<T, FilesystemError>;

// Defines `From<core ErrorCode>`, `descriptor_type`, `stat`, … (p3_core::veneer::filesystem).
crate::filesystem_conversions!(unknown = DescriptorType::Unknown);

/// A `datetime` has no time before 1970 (as p2's): such a timestamp is not reported.
fn timestamp(t: Option<SystemTime>) -> Option<Datetime> {
    let (seconds, nanoseconds) = core::unix_time(t?)?;
    Some(Datetime {
        seconds: u64::try_from(seconds).ok()?,
        nanoseconds,
    })
}

fn stream_error_code(err: CoreError) -> ErrorCode {
    err.filesystem_code().map_or(ErrorCode::Io, ErrorCode::from)
}

// The host traits on the core's descriptors, with the candidate's `async func`s.
candidate_filesystem_impls!();

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// A `datetime` cannot hold a time before 1970: such a timestamp is not reported.
    #[test]
    fn timestamps_before_1970_are_not_reported() {
        let later = UNIX_EPOCH + Duration::new(5, 7);
        let t = timestamp(Some(later)).expect("a time after 1970");
        assert_eq!((t.seconds, t.nanoseconds), (5, 7));
        assert!(timestamp(Some(UNIX_EPOCH - Duration::from_secs(1))).is_none());
        assert!(timestamp(None).is_none());
    }
}
