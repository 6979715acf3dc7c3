//! `wasi:filesystem@0.2.x` on the core's descriptors: type conversions, p2 streams over the
//! core's file sources and sinks, and one-at-a-time directory entries over the core's batches.

use crate::bindings::clocks::wall_clock::Datetime;
use crate::bindings::filesystem::preopens;
use crate::bindings::filesystem::types::{
    self, Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, ErrorCode,
    HostDescriptor, HostDirectoryEntryStream, MetadataHashValue, NewTimestamp, OpenFlags,
    PathFlags,
};
use crate::streams::{SinkStream, SourceStream};
use p3_core::CoreError;
use p3_core::filesystem::WasiFilesystemCtxView;
use p3_core::filesystem::{self as core, Descriptor, DirEntries};
use std::collections::VecDeque;
use std::time::SystemTime;
use wasmtime::component::Resource;
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

/// Most bytes one p2 `read` (pread) returns; larger requests return a prefix.
const MAX_PREAD: u64 = 1 << 20;

/// How many directory entries the core is asked for at once.
const DIRENT_BATCH: usize = 64;

/// The error of a p2 filesystem call: an `error-code` for the guest, or a trap.
pub type FsError = p3_core::TrappableError<ErrorCode>;

/// The result of a p2 filesystem call.
pub type FsResult<T> = Result<T, FsError>;

// Defines `From<core ErrorCode>`, `descriptor_type`, `stat`, `directory_entry`, `follow`,
// `open_flags`, `advice`, `hash`, `new_timestamp`, `open_at`, `link_at`, `set_times(_at)`,
// `descriptor_flags_{in,out}` (p3_core::veneer::filesystem).
p3_core::filesystem_conversions!(unknown = DescriptorType::Unknown);

/// p2's `datetime` cannot express times before 1970: those become `none`.
fn timestamp(t: Option<SystemTime>) -> Option<Datetime> {
    let (seconds, nanoseconds) = core::unix_time(t?)?;
    Some(Datetime {
        seconds: u64::try_from(seconds).ok()?,
        nanoseconds,
    })
}

/// p2's `directory-entry-stream`: one entry per call over the core's batches.
pub struct DirectoryEntryStream {
    entries: DirEntries,
    buffered: VecDeque<core::DirectoryEntry>,
    done: bool,
}

impl DirectoryEntryStream {
    async fn next(&mut self) -> FsResult<Option<DirectoryEntry>> {
        if self.buffered.is_empty() && !self.done {
            let batch = self.entries.next_batch(DIRENT_BATCH).await?;
            self.done = batch.is_empty();
            self.buffered.extend(batch);
        }
        Ok(self.buffered.pop_front().map(directory_entry))
    }
}

impl types::Host for WasiFilesystemCtxView<'_> {
    fn convert_error_code(&mut self, err: FsError) -> wasmtime::Result<ErrorCode> {
        err.downcast()
    }

    fn filesystem_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<ErrorCode>> {
        let err = self.table.get(&err)?;
        // The adapter's streams put the core's error in the resource; other wasi:io users
        // (wasmtime-wasi-http's bodies, say) put an `std::io::Error` there, as wasmtime-wasi does.
        Ok(match err.downcast_ref::<CoreError>() {
            Some(e) => e.filesystem_code().map(ErrorCode::from),
            None => err
                .downcast_ref::<std::io::Error>()
                .map(|e| core::ErrorCode::from(e).into()),
        })
    }
}

impl HostDescriptor for WasiFilesystemCtxView<'_> {
    fn read_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: u64,
    ) -> FsResult<Resource<DynInputStream>> {
        let source = self.table.get(&fd)?.read_via_stream(offset)?;
        let stream: DynInputStream = Box::new(SourceStream::new(source));
        Ok(self.table.push(stream)?)
    }

    fn write_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: u64,
    ) -> FsResult<Resource<DynOutputStream>> {
        let sink = self.table.get(&fd)?.write_via_stream(offset)?;
        let stream: DynOutputStream = Box::new(SinkStream::new(sink));
        Ok(self.table.push(stream)?)
    }

    fn append_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<Resource<DynOutputStream>> {
        let sink = self.table.get(&fd)?.append_via_stream()?;
        let stream: DynOutputStream = Box::new(SinkStream::new(sink));
        Ok(self.table.push(stream)?)
    }

    async fn advise(
        &mut self,
        fd: Resource<Descriptor>,
        offset: u64,
        len: u64,
        a: Advice,
    ) -> FsResult<()> {
        let file = self.table.get(&fd)?.file()?.clone();
        Ok(file.advise(offset, len, advice(a)).await?)
    }

    async fn sync_data(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        let d = self.table.get(&fd)?.clone();
        Ok(d.sync_data().await?)
    }

    async fn get_flags(&mut self, fd: Resource<Descriptor>) -> FsResult<DescriptorFlags> {
        let d = self.table.get(&fd)?.clone();
        Ok(descriptor_flags_out(d.get_flags().await?))
    }

    async fn get_type(&mut self, fd: Resource<Descriptor>) -> FsResult<DescriptorType> {
        let d = self.table.get(&fd)?.clone();
        Ok(descriptor_type(d.get_type().await?))
    }

    async fn set_size(&mut self, fd: Resource<Descriptor>, size: u64) -> FsResult<()> {
        let file = self.table.get(&fd)?.file()?.clone();
        Ok(file.set_size(size).await?)
    }

    async fn set_times(
        &mut self,
        fd: Resource<Descriptor>,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> FsResult<()> {
        let d = self.table.get(&fd)?.clone();
        Ok(set_times(d, atime, mtime).await?)
    }

    async fn read(
        &mut self,
        fd: Resource<Descriptor>,
        len: u64,
        offset: u64,
    ) -> FsResult<(Vec<u8>, bool)> {
        let file = self.table.get(&fd)?.file()?.clone();
        let len = usize::try_from(len.min(MAX_PREAD)).unwrap_or(usize::MAX);
        Ok(file.read_at(len, offset).await?)
    }

    async fn write(
        &mut self,
        fd: Resource<Descriptor>,
        buf: Vec<u8>,
        offset: u64,
    ) -> FsResult<u64> {
        let file = self.table.get(&fd)?.file()?.clone();
        Ok(file.write_at(buf, offset).await?)
    }

    async fn read_directory(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<Resource<DirectoryEntryStream>> {
        let dir = self.table.get(&fd)?.dir()?.clone();
        let entries = dir.read_directory()?;
        Ok(self.table.push(DirectoryEntryStream {
            entries,
            buffered: VecDeque::new(),
            done: false,
        })?)
    }

    async fn sync(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        let d = self.table.get(&fd)?.clone();
        Ok(d.sync().await?)
    }

    async fn create_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> FsResult<()> {
        let dir = self.table.get(&fd)?.dir()?.clone();
        Ok(dir.create_directory_at(path).await?)
    }

    async fn stat(&mut self, fd: Resource<Descriptor>) -> FsResult<DescriptorStat> {
        let d = self.table.get(&fd)?.clone();
        Ok(stat(d.stat().await?))
    }

    async fn stat_at(
        &mut self,
        fd: Resource<Descriptor>,
        flags: PathFlags,
        path: String,
    ) -> FsResult<DescriptorStat> {
        let dir = self.table.get(&fd)?.dir()?.clone();
        Ok(stat(dir.stat_at(follow(flags), path).await?))
    }

    async fn set_times_at(
        &mut self,
        fd: Resource<Descriptor>,
        flags: PathFlags,
        path: String,
        atime: NewTimestamp,
        mtime: NewTimestamp,
    ) -> FsResult<()> {
        let dir = self.table.get(&fd)?.dir()?.clone();
        Ok(set_times_at(dir, flags, path, atime, mtime).await?)
    }

    async fn link_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_flags: PathFlags,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let old = self.table.get(&fd)?.dir()?.clone();
        let new = self.table.get(&new_fd)?.dir()?.clone();
        Ok(link_at(old, old_flags, old_path, new, new_path).await?)
    }

    async fn open_at(
        &mut self,
        fd: Resource<Descriptor>,
        flags: PathFlags,
        path: String,
        oflags: OpenFlags,
        dflags: DescriptorFlags,
    ) -> FsResult<Resource<Descriptor>> {
        let dir = self.table.get(&fd)?.dir()?.clone();
        let opened = open_at(dir, flags, path, oflags, dflags).await?;
        Ok(self.table.push(opened)?)
    }

    async fn readlink_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<String> {
        let dir = self.table.get(&fd)?.dir()?.clone();
        Ok(dir.readlink_at(path).await?)
    }

    async fn remove_directory_at(
        &mut self,
        fd: Resource<Descriptor>,
        path: String,
    ) -> FsResult<()> {
        let dir = self.table.get(&fd)?.dir()?.clone();
        Ok(dir.remove_directory_at(path).await?)
    }

    async fn rename_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        let old = self.table.get(&fd)?.dir()?.clone();
        let new = self.table.get(&new_fd)?.dir()?.clone();
        Ok(old.rename_at(old_path, &new, new_path).await?)
    }

    async fn symlink_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> FsResult<()> {
        let dir = self.table.get(&fd)?.dir()?.clone();
        Ok(dir.symlink_at(old_path, new_path).await?)
    }

    async fn unlink_file_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<()> {
        let dir = self.table.get(&fd)?.dir()?.clone();
        Ok(dir.unlink_file_at(path).await?)
    }

    async fn is_same_object(
        &mut self,
        a: Resource<Descriptor>,
        b: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        let a = self.table.get(&a)?.clone();
        let b = self.table.get(&b)?.clone();
        Ok(a.is_same_object(&b).await)
    }

    async fn metadata_hash(&mut self, fd: Resource<Descriptor>) -> FsResult<MetadataHashValue> {
        let d = self.table.get(&fd)?.clone();
        Ok(hash(d.metadata_hash().await?))
    }

    async fn metadata_hash_at(
        &mut self,
        fd: Resource<Descriptor>,
        flags: PathFlags,
        path: String,
    ) -> FsResult<MetadataHashValue> {
        let dir = self.table.get(&fd)?.dir()?.clone();
        Ok(hash(dir.metadata_hash_at(follow(flags), path).await?))
    }

    fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        self.table.delete(fd)?;
        Ok(())
    }
}

impl HostDirectoryEntryStream for WasiFilesystemCtxView<'_> {
    async fn read_directory_entry(
        &mut self,
        stream: Resource<DirectoryEntryStream>,
    ) -> FsResult<Option<DirectoryEntry>> {
        self.table.get_mut(&stream)?.next().await
    }

    fn drop(&mut self, stream: Resource<DirectoryEntryStream>) -> wasmtime::Result<()> {
        self.table.delete(stream)?;
        Ok(())
    }
}

impl preopens::Host for WasiFilesystemCtxView<'_> {
    fn get_directories(&mut self) -> wasmtime::Result<Vec<(Resource<Descriptor>, String)>> {
        self.push_preopens()
    }
}
