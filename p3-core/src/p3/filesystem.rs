//! `wasi:filesystem@0.3.0` on the core's descriptors.
//!
//! File streams go through the generic adapters in [`super::streams`]: reads land in the
//! guest's buffer in chunks as large as the guest asked for, writes come straight from it, and
//! the cursor moves only by what was delivered. `read-directory` delivers as many entries per
//! guest read as the guest has room for.

use super::WasiP3;
use super::bindings::clocks::system_clock;
use super::bindings::filesystem::preopens;
use super::bindings::filesystem::types::{
    self, Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    MetadataHashValue, NewTimestamp, OpenFlags, PathFlags,
};
use super::streams::{SinkConsumer, SourceProducer, finish};
use crate::WasiCtxView;
use crate::error::{CoreError, TrappableError};
use crate::filesystem::{self as core, Descriptor, DirEntries};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};
use tokio::sync::oneshot;
use wasmtime::StoreContextMut;
use wasmtime::component::{
    Access, Accessor, Destination, FutureReader, Resource, StreamProducer, StreamReader,
    StreamResult, VecBuffer,
};

/// The error of a p3 filesystem call.
pub type FsError = TrappableError<ErrorCode>;
type FsResult<T> = Result<T, FsError>;

/// Entries fetched per batch when the reader is the host (no guest buffer to size it).
const HOST_DIRENT_BATCH: usize = 64;
/// Most entries fetched in one batch, whatever room the guest offers.
const MAX_DIRENT_BATCH: usize = 4096;

impl From<core::ErrorCode> for ErrorCode {
    fn from(code: core::ErrorCode) -> Self {
        use core::ErrorCode as C;
        match code {
            C::Access => ErrorCode::Access,
            C::Already => ErrorCode::Already,
            C::BadDescriptor => ErrorCode::BadDescriptor,
            C::Busy => ErrorCode::Busy,
            C::Exist => ErrorCode::Exist,
            C::FileTooLarge => ErrorCode::FileTooLarge,
            C::IllegalByteSequence => ErrorCode::IllegalByteSequence,
            C::InProgress => ErrorCode::InProgress,
            C::Interrupted => ErrorCode::Interrupted,
            C::Invalid => ErrorCode::Invalid,
            C::Io => ErrorCode::Io,
            C::IsDirectory => ErrorCode::IsDirectory,
            C::Loop => ErrorCode::Loop,
            C::TooManyLinks => ErrorCode::TooManyLinks,
            C::NameTooLong => ErrorCode::NameTooLong,
            C::NoEntry => ErrorCode::NoEntry,
            C::InsufficientMemory => ErrorCode::InsufficientMemory,
            C::InsufficientSpace => ErrorCode::InsufficientSpace,
            C::NotDirectory => ErrorCode::NotDirectory,
            C::NotEmpty => ErrorCode::NotEmpty,
            C::Unsupported => ErrorCode::Unsupported,
            C::Overflow => ErrorCode::Overflow,
            C::NotPermitted => ErrorCode::NotPermitted,
            C::Pipe => ErrorCode::Pipe,
            C::InvalidSeek => ErrorCode::InvalidSeek,
        }
    }
}

/// A stream error as the error code the result future carries.
fn stream_error_code(err: CoreError) -> ErrorCode {
    match err {
        CoreError::Closed => ErrorCode::Pipe,
        other => match other.io_error() {
            Some(e) => core::ErrorCode::from(e).into(),
            None => ErrorCode::Io,
        },
    }
}

fn descriptor_type(t: core::DescriptorType) -> DescriptorType {
    use core::DescriptorType as T;
    match t {
        T::Unknown => DescriptorType::Other(None),
        T::BlockDevice => DescriptorType::BlockDevice,
        T::CharacterDevice => DescriptorType::CharacterDevice,
        T::Directory => DescriptorType::Directory,
        T::Fifo => DescriptorType::Fifo,
        T::SymbolicLink => DescriptorType::SymbolicLink,
        T::RegularFile => DescriptorType::RegularFile,
        T::Socket => DescriptorType::Socket,
    }
}

/// p3's `instant` is signed: times before 1970 are representable.
fn instant(t: Option<SystemTime>) -> Option<system_clock::Instant> {
    let t = t?;
    Some(match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => system_clock::Instant {
            seconds: i64::try_from(d.as_secs()).ok()?,
            nanoseconds: d.subsec_nanos(),
        },
        Err(e) => {
            let d = e.duration();
            let (mut secs, mut nanos) = (-i64::try_from(d.as_secs()).ok()?, d.subsec_nanos());
            if nanos > 0 {
                secs -= 1;
                nanos = 1_000_000_000 - nanos;
            }
            system_clock::Instant {
                seconds: secs,
                nanoseconds: nanos,
            }
        }
    })
}

fn stat(s: core::DescriptorStat) -> DescriptorStat {
    DescriptorStat {
        type_: descriptor_type(s.type_),
        link_count: s.link_count,
        size: s.size,
        data_access_timestamp: instant(s.data_access_timestamp),
        data_modification_timestamp: instant(s.data_modification_timestamp),
        status_change_timestamp: instant(s.status_change_timestamp),
    }
}

fn system_time(t: system_clock::Instant) -> FsResult<SystemTime> {
    // Nanoseconds past a second carry into the seconds, as in wasmtime-wasi.
    let overflow = || FsError::code(ErrorCode::Overflow);
    let secs = t
        .seconds
        .unsigned_abs()
        .checked_add(u64::from(t.nanoseconds / 1_000_000_000))
        .ok_or_else(overflow)?;
    let d = Duration::new(secs, t.nanoseconds % 1_000_000_000);
    if t.seconds >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(d).ok_or_else(overflow)
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(d).ok_or_else(overflow)
    }
}

fn new_timestamp(t: NewTimestamp) -> FsResult<core::NewTimestamp> {
    Ok(match t {
        NewTimestamp::NoChange => core::NewTimestamp::NoChange,
        NewTimestamp::Now => core::NewTimestamp::Now,
        NewTimestamp::Timestamp(i) => core::NewTimestamp::Timestamp(system_time(i)?),
    })
}

fn follow(flags: PathFlags) -> bool {
    flags.contains(PathFlags::SYMLINK_FOLLOW)
}

fn open_flags(f: OpenFlags) -> core::OpenFlags {
    core::OpenFlags {
        create: f.contains(OpenFlags::CREATE),
        directory: f.contains(OpenFlags::DIRECTORY),
        exclusive: f.contains(OpenFlags::EXCLUSIVE),
        truncate: f.contains(OpenFlags::TRUNCATE),
    }
}

fn descriptor_flags_in(f: DescriptorFlags) -> core::DescriptorFlags {
    core::DescriptorFlags {
        read: f.contains(DescriptorFlags::READ),
        write: f.contains(DescriptorFlags::WRITE),
        file_integrity_sync: f.contains(DescriptorFlags::FILE_INTEGRITY_SYNC),
        data_integrity_sync: f.contains(DescriptorFlags::DATA_INTEGRITY_SYNC),
        requested_write_sync: f.contains(DescriptorFlags::REQUESTED_WRITE_SYNC),
        mutate_directory: f.contains(DescriptorFlags::MUTATE_DIRECTORY),
    }
}

fn descriptor_flags_out(f: core::DescriptorFlags) -> DescriptorFlags {
    let mut out = DescriptorFlags::empty();
    for (on, flag) in [
        (f.read, DescriptorFlags::READ),
        (f.write, DescriptorFlags::WRITE),
        (f.file_integrity_sync, DescriptorFlags::FILE_INTEGRITY_SYNC),
        (f.data_integrity_sync, DescriptorFlags::DATA_INTEGRITY_SYNC),
        (
            f.requested_write_sync,
            DescriptorFlags::REQUESTED_WRITE_SYNC,
        ),
        (f.mutate_directory, DescriptorFlags::MUTATE_DIRECTORY),
    ] {
        if on {
            out |= flag;
        }
    }
    out
}

fn advice(a: Advice) -> core::Advice {
    match a {
        Advice::Normal => core::Advice::Normal,
        Advice::Sequential => core::Advice::Sequential,
        Advice::Random => core::Advice::Random,
        Advice::WillNeed => core::Advice::WillNeed,
        Advice::DontNeed => core::Advice::DontNeed,
        Advice::NoReuse => core::Advice::NoReuse,
    }
}

fn hash(h: core::MetadataHashValue) -> MetadataHashValue {
    MetadataHashValue {
        lower: h.lower,
        upper: h.upper,
    }
}

/// Clones a descriptor out of the table so no borrow of the store is held across an await.
fn descriptor<U>(store: &Accessor<U, WasiP3>, fd: &Resource<Descriptor>) -> FsResult<Descriptor> {
    store.with(|mut view| Ok(view.get().table.get(fd)?.clone()))
}

fn file<U>(store: &Accessor<U, WasiP3>, fd: &Resource<Descriptor>) -> FsResult<core::File> {
    Ok(descriptor(store, fd)?.file()?.clone())
}

fn dir<U>(store: &Accessor<U, WasiP3>, fd: &Resource<Descriptor>) -> FsResult<core::Dir> {
    Ok(descriptor(store, fd)?.dir()?.clone())
}

type Batch =
    Pin<Box<dyn Future<Output = Result<Vec<core::DirectoryEntry>, core::ErrorCode>> + Send>>;

/// `read-directory`'s producer: one core batch per guest read, sized by the guest's room.
struct DirProducer {
    entries: DirEntries,
    pending: Option<Batch>,
    result: Option<oneshot::Sender<ErrorCode>>,
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
                let items: Vec<DirectoryEntry> = batch
                    .into_iter()
                    .map(|e| DirectoryEntry {
                        type_: descriptor_type(e.type_),
                        name: e.name,
                    })
                    .collect();
                dst.set_buffer(items.into());
                Poll::Ready(Ok(StreamResult::Completed))
            }
            Err(code) => {
                if let Some(tx) = self.result.take() {
                    let _ = tx.send(code.into());
                }
                Poll::Ready(Ok(StreamResult::Dropped))
            }
        }
    }
}

fn result_future<U>(
    store: &mut Access<U, WasiP3>,
    rx: oneshot::Receiver<ErrorCode>,
) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
    FutureReader::new(store, async move {
        Ok::<_, wasmtime::Error>(match rx.await {
            Ok(code) => Err(code),
            Err(_) => Ok(()),
        })
    })
}

fn failed_future<U>(
    store: &mut Access<U, WasiP3>,
    code: ErrorCode,
) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
    FutureReader::new(store, async move { Ok::<_, wasmtime::Error>(Err(code)) })
}

/// The error code of a failed lookup, or the trap it really is.
fn code_or_trap(err: FsError) -> wasmtime::Result<ErrorCode> {
    err.downcast()
}

fn write_stream<U>(
    mut store: Access<U, WasiP3>,
    fd: Resource<Descriptor>,
    mut data: StreamReader<u8>,
    offset: Option<u64>,
) -> wasmtime::Result<FutureReader<Result<(), ErrorCode>>> {
    let sink = store
        .get()
        .table
        .get(&fd)
        .map_err(FsError::from)
        .and_then(|d| Ok(d.file()?.writer(offset)?));
    match sink {
        Ok(sink) => {
            let (tx, rx) = oneshot::channel();
            data.pipe(&mut store, SinkConsumer::new(sink, tx))?;
            FutureReader::new(&mut store, async move {
                Ok::<_, wasmtime::Error>(finish(rx).await.map_err(stream_error_code))
            })
        }
        Err(e) => {
            let code = code_or_trap(e)?;
            data.close(&mut store)?;
            failed_future(&mut store, code)
        }
    }
}

impl types::Host for WasiCtxView<'_> {
    fn convert_error_code(&mut self, err: FsError) -> wasmtime::Result<ErrorCode> {
        err.downcast()
    }
}

impl types::HostDescriptor for WasiCtxView<'_> {
    fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        self.table.delete(fd)?;
        Ok(())
    }
}

impl<U> types::HostDescriptorWithStore<U> for WasiP3 {
    fn read_via_stream(
        mut store: Access<U, Self>,
        fd: Resource<Descriptor>,
        offset: u64,
    ) -> wasmtime::Result<(StreamReader<u8>, FutureReader<Result<(), ErrorCode>>)> {
        let source = match store.get().table.get(&fd)? {
            Descriptor::File(f) => f.reader(offset).map_err(ErrorCode::from),
            Descriptor::Dir(_) => Err(ErrorCode::IsDirectory),
        };
        match source {
            Ok(source) => {
                let (tx, rx) = oneshot::channel();
                let stream = StreamReader::new(&mut store, SourceProducer::new(source, tx))?;
                let future = FutureReader::new(&mut store, async move {
                    Ok::<_, wasmtime::Error>(match rx.await {
                        Ok(err) => Err(stream_error_code(err)),
                        Err(_) => Ok(()),
                    })
                })?;
                Ok((stream, future))
            }
            Err(code) => Ok((
                StreamReader::new(&mut store, std::iter::empty())?,
                failed_future(&mut store, code)?,
            )),
        }
    }

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
        mut store: Access<U, Self>,
        fd: Resource<Descriptor>,
    ) -> wasmtime::Result<(
        StreamReader<DirectoryEntry>,
        FutureReader<Result<(), ErrorCode>>,
    )> {
        let dir = store
            .get()
            .table
            .get(&fd)
            .map_err(FsError::from)
            .and_then(|d| Ok(d.dir()?.clone()));
        let dir = match dir {
            Ok(dir) => dir,
            Err(e) => {
                let code = code_or_trap(e)?;
                return Ok((
                    StreamReader::new(&mut store, std::iter::empty())?,
                    failed_future(&mut store, code)?,
                ));
            }
        };
        let entries = match dir.read_directory() {
            Ok(entries) => entries,
            Err(code) => {
                return Ok((
                    StreamReader::new(&mut store, std::iter::empty())?,
                    failed_future(&mut store, code.into())?,
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
            result_future(&mut store, rx)?,
        ))
    }

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
        let d = descriptor(store, &fd)?;
        Ok(d.set_times(new_timestamp(atime)?, new_timestamp(mtime)?)
            .await?)
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
        let d = dir(store, &fd)?;
        let (atime, mtime) = (new_timestamp(atime)?, new_timestamp(mtime)?);
        Ok(d.set_times_at(follow(flags), path, atime, mtime).await?)
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
        Ok(old
            .link_at(follow(old_flags), old_path, &new, new_path)
            .await?)
    }

    async fn open_at(
        store: &Accessor<U, Self>,
        fd: Resource<Descriptor>,
        flags: PathFlags,
        path: String,
        oflags: OpenFlags,
        dflags: DescriptorFlags,
    ) -> FsResult<Resource<Descriptor>> {
        let d = dir(store, &fd)?;
        let opened = d
            .open_at(
                follow(flags),
                path,
                open_flags(oflags),
                descriptor_flags_in(dflags),
            )
            .await?;
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
        // A failed stat means the two cannot be shown to be the same object.
        Ok(a.is_same_object(&b).await.unwrap_or(false))
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

impl preopens::Host for WasiCtxView<'_> {
    fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        self.push_preopens()
    }
}
