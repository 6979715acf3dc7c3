//! `wasi:filesystem/types@0.2.x` for the synchronous linker: each call runs the async host
//! function to completion (`block_on`, as wasmtime-wasi's sync bindings do) and converts the
//! sync bindings' copies of the WIT types.

use crate::bindings::filesystem::types as a;
use crate::bindings::sync::filesystem::types as s;
use crate::filesystem::{DirectoryEntryStream, FsError, FsResult};
use p3_core::filesystem::Descriptor;
use p3_core::filesystem::WasiFilesystemCtxView;
use wasmtime::component::Resource;
use wasmtime_wasi::runtime::in_tokio;
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

macro_rules! map_flags {
    ($from:ty => $to:ty, $v:expr, [$($f:ident),*]) => {{
        let v = $v;
        let mut out = <$to>::empty();
        $(if v.contains(<$from>::$f) { out |= <$to>::$f; })*
        out
    }};
}

macro_rules! map_enum {
    ($from:path => $to:path, $v:expr, [$($c:ident),*]) => {{
        use $from as F;
        use $to as T;
        match $v { $(F::$c => T::$c,)* }
    }};
}

fn path_flags(f: s::PathFlags) -> a::PathFlags {
    map_flags!(s::PathFlags => a::PathFlags, f, [SYMLINK_FOLLOW])
}

fn open_flags(f: s::OpenFlags) -> a::OpenFlags {
    map_flags!(s::OpenFlags => a::OpenFlags, f, [CREATE, DIRECTORY, EXCLUSIVE, TRUNCATE])
}

fn descriptor_flags_in(f: s::DescriptorFlags) -> a::DescriptorFlags {
    map_flags!(s::DescriptorFlags => a::DescriptorFlags, f,
        [READ, WRITE, FILE_INTEGRITY_SYNC, DATA_INTEGRITY_SYNC, REQUESTED_WRITE_SYNC, MUTATE_DIRECTORY])
}

fn descriptor_flags_out(f: a::DescriptorFlags) -> s::DescriptorFlags {
    map_flags!(a::DescriptorFlags => s::DescriptorFlags, f,
        [READ, WRITE, FILE_INTEGRITY_SYNC, DATA_INTEGRITY_SYNC, REQUESTED_WRITE_SYNC, MUTATE_DIRECTORY])
}

fn descriptor_type(t: a::DescriptorType) -> s::DescriptorType {
    map_enum!(a::DescriptorType => s::DescriptorType, t,
        [Unknown, BlockDevice, CharacterDevice, Directory, Fifo, SymbolicLink, RegularFile, Socket])
}

fn advice(x: s::Advice) -> a::Advice {
    map_enum!(s::Advice => a::Advice, x, [Normal, Sequential, Random, WillNeed, DontNeed, NoReuse])
}

fn new_timestamp(t: s::NewTimestamp) -> a::NewTimestamp {
    match t {
        s::NewTimestamp::NoChange => a::NewTimestamp::NoChange,
        s::NewTimestamp::Now => a::NewTimestamp::Now,
        s::NewTimestamp::Timestamp(d) => a::NewTimestamp::Timestamp(d),
    }
}

fn stat(st: a::DescriptorStat) -> s::DescriptorStat {
    s::DescriptorStat {
        type_: descriptor_type(st.type_),
        link_count: st.link_count,
        size: st.size,
        data_access_timestamp: st.data_access_timestamp,
        data_modification_timestamp: st.data_modification_timestamp,
        status_change_timestamp: st.status_change_timestamp,
    }
}

fn hash(h: a::MetadataHashValue) -> s::MetadataHashValue {
    s::MetadataHashValue {
        lower: h.lower,
        upper: h.upper,
    }
}

fn error_code(e: a::ErrorCode) -> s::ErrorCode {
    map_enum!(a::ErrorCode => s::ErrorCode, e, [
        Access, WouldBlock, Already, BadDescriptor, Busy, Deadlock, Quota, Exist, FileTooLarge,
        IllegalByteSequence, InProgress, Interrupted, Invalid, Io, IsDirectory, Loop,
        TooManyLinks, MessageSize, NameTooLong, NoDevice, NoEntry, NoLock, InsufficientMemory,
        InsufficientSpace, NotDirectory, NotEmpty, NotRecoverable, Unsupported, NoTty,
        NoSuchDevice, Overflow, NotPermitted, Pipe, ReadOnly, InvalidSeek, TextFileBusy,
        CrossDevice])
}

impl s::Host for WasiFilesystemCtxView<'_> {
    fn convert_error_code(&mut self, err: FsError) -> wasmtime::Result<s::ErrorCode> {
        Ok(error_code(err.downcast()?))
    }

    fn filesystem_error_code(
        &mut self,
        err: Resource<wasmtime::Error>,
    ) -> wasmtime::Result<Option<s::ErrorCode>> {
        Ok(a::Host::filesystem_error_code(self, err)?.map(error_code))
    }
}

impl s::HostDescriptor for WasiFilesystemCtxView<'_> {
    fn read_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: u64,
    ) -> FsResult<Resource<DynInputStream>> {
        a::HostDescriptor::read_via_stream(self, fd, offset)
    }

    fn write_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
        offset: u64,
    ) -> FsResult<Resource<DynOutputStream>> {
        a::HostDescriptor::write_via_stream(self, fd, offset)
    }

    fn append_via_stream(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<Resource<DynOutputStream>> {
        a::HostDescriptor::append_via_stream(self, fd)
    }

    fn advise(
        &mut self,
        fd: Resource<Descriptor>,
        offset: u64,
        len: u64,
        x: s::Advice,
    ) -> FsResult<()> {
        in_tokio(a::HostDescriptor::advise(self, fd, offset, len, advice(x)))
    }

    fn sync_data(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        in_tokio(a::HostDescriptor::sync_data(self, fd))
    }

    fn get_flags(&mut self, fd: Resource<Descriptor>) -> FsResult<s::DescriptorFlags> {
        in_tokio(a::HostDescriptor::get_flags(self, fd)).map(descriptor_flags_out)
    }

    fn get_type(&mut self, fd: Resource<Descriptor>) -> FsResult<s::DescriptorType> {
        in_tokio(a::HostDescriptor::get_type(self, fd)).map(descriptor_type)
    }

    fn set_size(&mut self, fd: Resource<Descriptor>, size: u64) -> FsResult<()> {
        in_tokio(a::HostDescriptor::set_size(self, fd, size))
    }

    fn set_times(
        &mut self,
        fd: Resource<Descriptor>,
        atime: s::NewTimestamp,
        mtime: s::NewTimestamp,
    ) -> FsResult<()> {
        in_tokio(a::HostDescriptor::set_times(
            self,
            fd,
            new_timestamp(atime),
            new_timestamp(mtime),
        ))
    }

    fn read(
        &mut self,
        fd: Resource<Descriptor>,
        len: u64,
        offset: u64,
    ) -> FsResult<(Vec<u8>, bool)> {
        in_tokio(a::HostDescriptor::read(self, fd, len, offset))
    }

    fn write(&mut self, fd: Resource<Descriptor>, buf: Vec<u8>, offset: u64) -> FsResult<u64> {
        in_tokio(a::HostDescriptor::write(self, fd, buf, offset))
    }

    fn read_directory(
        &mut self,
        fd: Resource<Descriptor>,
    ) -> FsResult<Resource<DirectoryEntryStream>> {
        in_tokio(a::HostDescriptor::read_directory(self, fd))
    }

    fn sync(&mut self, fd: Resource<Descriptor>) -> FsResult<()> {
        in_tokio(a::HostDescriptor::sync(self, fd))
    }

    fn create_directory_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<()> {
        in_tokio(a::HostDescriptor::create_directory_at(self, fd, path))
    }

    fn stat(&mut self, fd: Resource<Descriptor>) -> FsResult<s::DescriptorStat> {
        in_tokio(a::HostDescriptor::stat(self, fd)).map(stat)
    }

    fn stat_at(
        &mut self,
        fd: Resource<Descriptor>,
        flags: s::PathFlags,
        path: String,
    ) -> FsResult<s::DescriptorStat> {
        in_tokio(a::HostDescriptor::stat_at(
            self,
            fd,
            path_flags(flags),
            path,
        ))
        .map(stat)
    }

    fn set_times_at(
        &mut self,
        fd: Resource<Descriptor>,
        flags: s::PathFlags,
        path: String,
        atime: s::NewTimestamp,
        mtime: s::NewTimestamp,
    ) -> FsResult<()> {
        in_tokio(a::HostDescriptor::set_times_at(
            self,
            fd,
            path_flags(flags),
            path,
            new_timestamp(atime),
            new_timestamp(mtime),
        ))
    }

    fn link_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_flags: s::PathFlags,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        in_tokio(a::HostDescriptor::link_at(
            self,
            fd,
            path_flags(old_flags),
            old_path,
            new_fd,
            new_path,
        ))
    }

    fn open_at(
        &mut self,
        fd: Resource<Descriptor>,
        flags: s::PathFlags,
        path: String,
        oflags: s::OpenFlags,
        dflags: s::DescriptorFlags,
    ) -> FsResult<Resource<Descriptor>> {
        in_tokio(a::HostDescriptor::open_at(
            self,
            fd,
            path_flags(flags),
            path,
            open_flags(oflags),
            descriptor_flags_in(dflags),
        ))
    }

    fn readlink_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<String> {
        in_tokio(a::HostDescriptor::readlink_at(self, fd, path))
    }

    fn remove_directory_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<()> {
        in_tokio(a::HostDescriptor::remove_directory_at(self, fd, path))
    }

    fn rename_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_fd: Resource<Descriptor>,
        new_path: String,
    ) -> FsResult<()> {
        in_tokio(a::HostDescriptor::rename_at(
            self, fd, old_path, new_fd, new_path,
        ))
    }

    fn symlink_at(
        &mut self,
        fd: Resource<Descriptor>,
        old_path: String,
        new_path: String,
    ) -> FsResult<()> {
        in_tokio(a::HostDescriptor::symlink_at(self, fd, old_path, new_path))
    }

    fn unlink_file_at(&mut self, fd: Resource<Descriptor>, path: String) -> FsResult<()> {
        in_tokio(a::HostDescriptor::unlink_file_at(self, fd, path))
    }

    fn is_same_object(
        &mut self,
        x: Resource<Descriptor>,
        y: Resource<Descriptor>,
    ) -> wasmtime::Result<bool> {
        in_tokio(a::HostDescriptor::is_same_object(self, x, y))
    }

    fn metadata_hash(&mut self, fd: Resource<Descriptor>) -> FsResult<s::MetadataHashValue> {
        in_tokio(a::HostDescriptor::metadata_hash(self, fd)).map(hash)
    }

    fn metadata_hash_at(
        &mut self,
        fd: Resource<Descriptor>,
        flags: s::PathFlags,
        path: String,
    ) -> FsResult<s::MetadataHashValue> {
        in_tokio(a::HostDescriptor::metadata_hash_at(
            self,
            fd,
            path_flags(flags),
            path,
        ))
        .map(hash)
    }

    fn drop(&mut self, fd: Resource<Descriptor>) -> wasmtime::Result<()> {
        a::HostDescriptor::drop(self, fd)
    }
}

impl s::HostDirectoryEntryStream for WasiFilesystemCtxView<'_> {
    fn read_directory_entry(
        &mut self,
        stream: Resource<DirectoryEntryStream>,
    ) -> FsResult<Option<s::DirectoryEntry>> {
        Ok(in_tokio(a::HostDirectoryEntryStream::read_directory_entry(
            self, stream,
        ))?
        .map(|e| s::DirectoryEntry {
            type_: descriptor_type(e.type_),
            name: e.name,
        }))
    }

    fn drop(&mut self, stream: Resource<DirectoryEntryStream>) -> wasmtime::Result<()> {
        a::HostDirectoryEntryStream::drop(self, stream)
    }
}
