//! `wasi:filesystem/{types,preopens}@0.3.0-rc-2026-01-06` on the core's descriptors: 0.3.0's
//! host traits (`filesystem_impls!`) over the candidate's types, and its three `async func`s.

use super::bindings::filesystem::preopens;
use super::bindings::filesystem::types::{
    self, Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};
use crate::error::CoreError;
use crate::filesystem::{self as core, Descriptor, DirEntries};
use crate::filesystem::{WasiFilesystem, WasiFilesystemCtxView};
use crate::p3::filesystem::{
    HOST_DIRENT_BATCH, MAX_DIRENT_BATCH, file_sink, filesystem_impls, timestamp,
};
use crate::p3::streams;
use crate::veneer::TrappableError;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
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

// Defines `From<core ErrorCode>`, `descriptor_type`, `stat`, … (p3_core::veneer::filesystem):
// the candidate's error codes are the core's, without 0.3.0's `other`.
crate::filesystem_conversions!(unknown = DescriptorType::Unknown);

fn stream_error_code(err: CoreError) -> ErrorCode {
    err.filesystem_code().map_or(ErrorCode::Io, ErrorCode::from)
}

/// The host traits on the core's descriptors for a candidate whose `write-via-stream`,
/// `append-via-stream` and `read-directory` are `async func`s (`0.3.0-rc-2026-01-06` and
/// `0.3.0-rc-2025-09-16`), over the calling module's binding (see `filesystem_impls!`).
macro_rules! candidate_filesystem_impls {
    () => {
        /// Pipes `data` into the file at `offset` (or its end) and waits for it to be written.
        async fn write<U>(
            store: &Accessor<U, WasiFilesystem>,
            fd: Resource<Descriptor>,
            data: StreamReader<u8>,
            offset: Option<u64>,
        ) -> FsResult<()> {
            let written = store.with(|mut view| -> FsResult<_> {
                let sink = file_sink(view.get().table.get(&fd)?, offset);
                Ok(streams::pipe_or_close(view, data, sink)?)
            })?;
            let written = streams::finish(written?).await;
            written.map_err(|e| FsError::code(stream_error_code(e)))
        }

        // The host traits on the core's descriptors, with the candidate's `async func`s.
        filesystem_impls! {
            descriptor_streams: {
                async fn write_via_stream(
                    store: &Accessor<U, Self>,
                    fd: Resource<Descriptor>,
                    data: StreamReader<u8>,
                    offset: u64,
                ) -> FsResult<()> {
                    write(store, fd, data, Some(offset)).await
                }

                async fn append_via_stream(
                    store: &Accessor<U, Self>,
                    fd: Resource<Descriptor>,
                    data: StreamReader<u8>,
                ) -> FsResult<()> {
                    write(store, fd, data, None).await
                }

                async fn read_directory(
                    store: &Accessor<U, Self>,
                    fd: Resource<Descriptor>,
                ) -> wasmtime::Result<(
                    StreamReader<DirectoryEntry>,
                    FutureReader<Result<(), ErrorCode>>,
                )> {
                    store.with(|view| read_directory_in(view, fd))
                }
            }
        }
    };
}
pub(crate) use candidate_filesystem_impls;

candidate_filesystem_impls!();
