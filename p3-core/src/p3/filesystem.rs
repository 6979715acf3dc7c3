//! `wasi:filesystem@0.3.0` on the core's descriptors.
//!
//! File streams go through the generic adapters in [`super::streams`]: reads land in the
//! guest's buffer in chunks as large as the guest asked for, writes come straight from it, and
//! the cursor moves only by what was delivered. `read-directory` delivers as many entries per
//! guest read as the guest has room for.

use super::bindings::clocks::system_clock;
use super::bindings::filesystem::preopens;
use super::bindings::filesystem::types::{
    self, Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};
use super::streams;
use crate::error::CoreError;
use crate::filesystem::{self as core, Descriptor, DirEntries};
use crate::filesystem::{WasiFilesystem, WasiFilesystemCtxView};
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

/// The error of a p3 filesystem call: an error code for the guest, or a trap.
pub type FilesystemError = TrappableError<ErrorCode>;
/// The result of a p3 filesystem call.
pub type FilesystemResult<T> = Result<T, FilesystemError>;
use FilesystemError as FsError;
use FilesystemResult as FsResult;

/// Entries fetched per batch when the reader is the host (no guest buffer to size it).
pub(crate) const HOST_DIRENT_BATCH: usize = 64;
/// Most entries fetched in one batch, whatever room the guest offers.
pub(crate) const MAX_DIRENT_BATCH: usize = 4096;

// Defines `From<core ErrorCode>`, `descriptor_type`, `stat`, `directory_entry`, `follow`,
// `open_flags`, `advice`, `hash`, `new_timestamp`, `open_at`, `link_at`, `set_times(_at)`,
// `descriptor_flags_{in,out}` (p3_core::veneer::filesystem).
crate::filesystem_conversions!(unknown = DescriptorType::Other(None));

/// p3's `instant` is signed: times before 1970 are representable.
pub(crate) fn timestamp(t: Option<SystemTime>) -> Option<system_clock::Instant> {
    let (seconds, nanoseconds) = core::unix_time(t?)?;
    Some(system_clock::Instant {
        seconds,
        nanoseconds,
    })
}

/// A stream error as the error code the result future carries.
fn stream_error_code(err: CoreError) -> ErrorCode {
    err.filesystem_code().map_or(ErrorCode::Io, ErrorCode::from)
}

/// The `wasi:filesystem/{types,preopens}` host traits for a binding of the 0.3.0 shape (0.3.0
/// and `0.3.0-rc-2026-01-06` generate distinct types of it): every function but
/// `write-via-stream`, `append-via-stream` and `read-directory`, which the caller gives (0.3.0
/// returns futures, the candidate has `async func`s; both can call `read_directory_in`).
///
/// The calling module must have the binding's `types` and `preopens` modules, their types,
/// `FsResult` / `FsError`, `stream_error_code` and `filesystem_conversions!`'s functions in
/// scope.
macro_rules! filesystem_impls {
    (descriptor_streams: { $($streams:tt)* }) => {
        /// Clones a descriptor out of the table so no borrow of the store is held across an await.
        fn descriptor<U>(
            store: &Accessor<U, WasiFilesystem>,
            fd: &Resource<Descriptor>,
        ) -> FsResult<Descriptor> {
            store.with(|mut view| Ok(view.get().table.get(fd)?.clone()))
        }

        fn file<U>(store: &Accessor<U, WasiFilesystem>, fd: &Resource<Descriptor>) -> FsResult<core::File> {
            Ok(descriptor(store, fd)?.file()?.clone())
        }

        fn dir<U>(store: &Accessor<U, WasiFilesystem>, fd: &Resource<Descriptor>) -> FsResult<core::Dir> {
            Ok(descriptor(store, fd)?.dir()?.clone())
        }

        type Batch =
            Pin<Box<dyn Future<Output = Result<Vec<core::DirectoryEntry>, core::ErrorCode>> + Send>>;

        /// `read-directory`'s producer: one core batch per guest read, sized by the guest's room.
        struct DirProducer {
            entries: DirEntries,
            pending: Option<Batch>,
            result: Option<oneshot::Sender<core::ErrorCode>>,
        }

        impl<D> StreamProducer<D> for DirProducer {
            type Item = DirectoryEntry;
            type Buffer = VecBuffer<DirectoryEntry>;

            fn poll_produce<'a>(
                mut self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                mut store: StoreContextMut<'a, D>,
                mut dst: Destination<'a, DirectoryEntry, Self::Buffer>,
                _finish: bool,
            ) -> Poll<wasmtime::Result<StreamResult>> {
                let room = dst.remaining(&mut store);
                if room == Some(0) && self.pending.is_none() {
                    return Poll::Ready(Ok(StreamResult::Completed));
                }
                let want = room.unwrap_or(HOST_DIRENT_BATCH).clamp(1, MAX_DIRENT_BATCH);
                let entries = self.entries.clone();
                // A batch in flight is never abandoned (its entries would be lost), so a cancel request
                // waits for it to land.
                let batch = self
                    .pending
                    .get_or_insert_with(|| Box::pin(async move { entries.next_batch(want).await }));
                let result = match batch.as_mut().poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(r) => r,
                };
                self.pending = None;
                match result {
                    Ok(batch) if batch.is_empty() => Poll::Ready(Ok(StreamResult::Dropped)),
                    Ok(batch) => {
                        let items: Vec<DirectoryEntry> = batch.into_iter().map(directory_entry).collect();
                        dst.set_buffer(items.into());
                        Poll::Ready(Ok(StreamResult::Completed))
                    }
                    Err(code) => {
                        if let Some(tx) = self.result.take() {
                            let _ = tx.send(code);
                        }
                        Poll::Ready(Ok(StreamResult::Dropped))
                    }
                }
            }
        }

        /// `read-directory` on the core: the entries as a stream, and the future of its result.
        fn read_directory_in<U>(
            mut store: Access<U, WasiFilesystem>,
            fd: Resource<Descriptor>,
        ) -> wasmtime::Result<(
            StreamReader<DirectoryEntry>,
            FutureReader<Result<(), ErrorCode>>,
        )> {
            let entries = store
                .get()
                .table
                .get(&fd)?
                .dir()
                .and_then(|dir| dir.read_directory());
            let entries = match entries {
                Ok(entries) => entries,
                Err(code) => {
                    return Ok((
                        StreamReader::new(&mut store, std::iter::empty())?,
                        streams::failed_future(&mut store, code.into())?,
                    ));
                }
            };
            let (tx, rx) = oneshot::channel();
            let producer = DirProducer {
                entries,
                pending: None,
                result: Some(tx),
            };
            Ok((
                StreamReader::new(&mut store, producer)?,
                streams::result_future(&mut store, rx, ErrorCode::from)?,
            ))
        }

        impl types::Host for WasiFilesystemCtxView<'_> {
            fn convert_error_code(&mut self, err: FsError) -> wasmtime::Result<ErrorCode> {
                err.downcast()
            }
        }

        impl types::HostDescriptor for WasiFilesystemCtxView<'_> {
            fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
                self.table.delete(fd)?;
                Ok(())
            }
        }

        impl<U> types::HostDescriptorWithStore<U> for WasiFilesystem {
            fn read_via_stream(
                mut store: Access<U, Self>,
                fd: Resource<Descriptor>,
                offset: u64,
            ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Result<(), ErrorCode>>)> {
                let source = store.get().table.get(&fd)?.read_via_stream(offset);
                streams::read_stream(store, source.map_err(ErrorCode::from), stream_error_code)
            }

        $($streams)*

            async fn advise(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                offset: u64,
                length: u64,
                a: Advice,
            ) -> FsResult<()> {
                Ok(file(store, &fd)?.advise(offset, length, advice(a)).await?)
            }

            async fn sync_data(store: &Accessor<U, Self>, fd: Resource<Descriptor>) -> FsResult<()> {
                Ok(descriptor(store, &fd)?.sync_data().await?)
            }

            async fn get_flags(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
            ) -> FsResult<DescriptorFlags> {
                Ok(descriptor_flags_out(
                    descriptor(store, &fd)?.get_flags().await?,
                ))
            }

            async fn get_type(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
            ) -> FsResult<DescriptorType> {
                Ok(descriptor_type(descriptor(store, &fd)?.get_type().await?))
            }

            async fn set_size(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                size: u64,
            ) -> FsResult<()> {
                Ok(file(store, &fd)?.set_size(size).await?)
            }

            async fn set_times(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                atime: NewTimestamp,
                mtime: NewTimestamp,
            ) -> FsResult<()> {
                Ok(set_times(descriptor(store, &fd)?, atime, mtime).await?)
            }

            async fn sync(store: &Accessor<U, Self>, fd: Resource<Descriptor>) -> FsResult<()> {
                Ok(descriptor(store, &fd)?.sync().await?)
            }

            async fn create_directory_at(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                path: String,
            ) -> FsResult<()> {
                Ok(dir(store, &fd)?.create_directory_at(path).await?)
            }

            async fn stat(store: &Accessor<U, Self>, fd: Resource<Descriptor>) -> FsResult<DescriptorStat> {
                Ok(stat(descriptor(store, &fd)?.stat().await?))
            }

            async fn stat_at(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                flags: PathFlags,
                path: String,
            ) -> FsResult<DescriptorStat> {
                Ok(stat(dir(store, &fd)?.stat_at(follow(flags), path).await?))
            }

            async fn set_times_at(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                flags: PathFlags,
                path: String,
                atime: NewTimestamp,
                mtime: NewTimestamp,
            ) -> FsResult<()> {
                Ok(set_times_at(dir(store, &fd)?, flags, path, atime, mtime).await?)
            }

            async fn link_at(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                old_flags: PathFlags,
                old_path: String,
                new_fd: Resource<Descriptor>,
                new_path: String,
            ) -> FsResult<()> {
                let (old, new) = (dir(store, &fd)?, dir(store, &new_fd)?);
                Ok(link_at(old, old_flags, old_path, new, new_path).await?)
            }

            async fn open_at(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                flags: PathFlags,
                path: String,
                oflags: OpenFlags,
                dflags: DescriptorFlags,
            ) -> FsResult<Resource<Descriptor>> {
                let opened = open_at(dir(store, &fd)?, flags, path, oflags, dflags).await?;
                store.with(|mut view| Ok(view.get().table.push(opened)?))
            }

            async fn readlink_at(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                path: String,
            ) -> FsResult<String> {
                Ok(dir(store, &fd)?.readlink_at(path).await?)
            }

            async fn remove_directory_at(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                path: String,
            ) -> FsResult<()> {
                Ok(dir(store, &fd)?.remove_directory_at(path).await?)
            }

            async fn rename_at(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                old_path: String,
                new_fd: Resource<Descriptor>,
                new_path: String,
            ) -> FsResult<()> {
                let (old, new) = (dir(store, &fd)?, dir(store, &new_fd)?);
                Ok(old.rename_at(old_path, &new, new_path).await?)
            }

            async fn symlink_at(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                old_path: String,
                new_path: String,
            ) -> FsResult<()> {
                Ok(dir(store, &fd)?.symlink_at(old_path, new_path).await?)
            }

            async fn unlink_file_at(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                path: String,
            ) -> FsResult<()> {
                Ok(dir(store, &fd)?.unlink_file_at(path).await?)
            }

            async fn is_same_object(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                other: Resource<Descriptor>,
            ) -> wasmtime::Result<bool> {
                let a = store.with(|mut view| view.get().table.get(&fd).cloned())?;
                let b = store.with(|mut view| view.get().table.get(&other).cloned())?;
                Ok(a.is_same_object(&b).await)
            }

            async fn metadata_hash(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
            ) -> FsResult<MetadataHashValue> {
                Ok(hash(descriptor(store, &fd)?.metadata_hash().await?))
            }

            async fn metadata_hash_at(
                store: &Accessor<U, Self>,
                fd: Resource<Descriptor>,
                flags: PathFlags,
                path: String,
            ) -> FsResult<MetadataHashValue> {
                Ok(hash(
                    dir(store, &fd)?
                        .metadata_hash_at(follow(flags), path)
                        .await?,
                ))
            }
        }

        impl preopens::Host for WasiFilesystemCtxView<'_> {
            fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
                self.push_preopens()
            }
        }
    };
}
pub(crate) use filesystem_impls;

// The host traits on the core's descriptors, with 0.3.0's stream functions.
filesystem_impls! {
    descriptor_streams: {
        fn write_via_stream(
            store: Access<U, Self>,
            fd: Resource<Descriptor>,
            data: StreamReader<u8>,
            offset: u64,
        ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
            write_stream(store, fd, data, Some(offset))
        }

        fn append_via_stream(
            store: Access<U, Self>,
            fd: Resource<Descriptor>,
            data: StreamReader<u8>,
        ) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
            write_stream(store, fd, data, None)
        }

        fn read_directory(
            store: Access<U, Self>,
            fd: Resource<Descriptor>,
        ) -> wasmtime::Result<(
            StreamReader<DirectoryEntry>,
            FutureReader<Result<(), ErrorCode>>,
        )> {
            read_directory_in(store, fd)
        }
    }
}

fn write_stream<U>(
    mut store: Access<U, WasiFilesystem>,
    fd: Resource<Descriptor>,
    data: StreamReader<u8>,
    offset: Option<u64>,
) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
    let sink = file_sink(store.get().table.get(&fd)?, offset);
    streams::write_stream(
        store,
        data,
        sink.map_err(ErrorCode::from),
        stream_error_code,
    )
}

/// The sink a write stream goes into: at `offset`, or appending (`None`).
pub(crate) fn file_sink(
    d: &Descriptor,
    offset: Option<u64>,
) -> Result<crate::filesystem::FileSink, core::ErrorCode> {
    match offset {
        Some(offset) => d.write_via_stream(offset),
        None => d.append_via_stream(),
    }
}

/// Adds the `wasi:filesystem/*@0.3.0` interfaces to `linker` (wasmtime-wasi's
/// `p3::filesystem::add_to_linker`).
pub fn add_to_linker<T: crate::filesystem::WasiFilesystemView + 'static>(
    linker: &mut wasmtime::component::Linker<T>,
) -> wasmtime::Result<()> {
    use super::bindings::filesystem;
    crate::add_interfaces!(linker, T, WasiFilesystem, T::filesystem;
        filesystem::{types, preopens},
    );
    // The release candidate's interfaces of this package that keep their names.
    super::rc_2026_01_06::add_filesystem_to_linker(linker)?;
    super::rc_2025_09_16::add_filesystem_to_linker(linker)
}
