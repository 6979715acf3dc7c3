//! The filesystem conversions both bindings expand.

/// Conversions between the core's filesystem types and a `wasi:filesystem/types` binding's.
///
/// The calling module must have the binding's `ErrorCode`, `DescriptorType`, `DescriptorStat`,
/// `DescriptorFlags`, `OpenFlags`, `PathFlags`, `Advice`, `NewTimestamp`, `MetadataHashValue`
/// and `DirectoryEntry` in scope, and a `fn timestamp(Option<SystemTime>) -> Option<_>` giving
/// the binding's timestamp type (p2 cannot express times before 1970, p3 can). `unknown` is the
/// binding's descriptor type for a type the core cannot name.
///
/// Expands to `impl From<core ErrorCode> for ErrorCode` and private functions `descriptor_type`,
/// `stat`, `follow`, `open_flags`, `descriptor_flags_in`, `descriptor_flags_out`, `advice`,
/// `hash`, `new_timestamp` and `directory_entry`, and the calls whose several arguments all
/// need converting: `open_at`, `link_at`, `set_times` and `set_times_at`.
#[doc(hidden)]
#[macro_export]
macro_rules! filesystem_conversions {
    (unknown = $unknown:expr) => {
        impl From<$crate::filesystem::ErrorCode> for ErrorCode {
            fn from(code: $crate::filesystem::ErrorCode) -> Self {
                $crate::filesystem_conversions!(@codes code,
                    Access, Already, BadDescriptor, Busy, Exist, FileTooLarge, IllegalByteSequence,
                    InProgress, Interrupted, Invalid, Io, IsDirectory, Loop, TooManyLinks,
                    NameTooLong, NoEntry, InsufficientMemory, InsufficientSpace, NotDirectory,
                    NotEmpty, Unsupported, Overflow, NotPermitted, Pipe, InvalidSeek)
            }
        }

        fn descriptor_type(t: $crate::filesystem::DescriptorType) -> DescriptorType {
            use $crate::filesystem::DescriptorType as T;
            match t {
                T::Unknown => $unknown,
                T::BlockDevice => DescriptorType::BlockDevice,
                T::CharacterDevice => DescriptorType::CharacterDevice,
                T::Directory => DescriptorType::Directory,
                T::Fifo => DescriptorType::Fifo,
                T::SymbolicLink => DescriptorType::SymbolicLink,
                T::RegularFile => DescriptorType::RegularFile,
                T::Socket => DescriptorType::Socket,
            }
        }

        fn stat(s: $crate::filesystem::DescriptorStat) -> DescriptorStat {
            DescriptorStat {
                type_: descriptor_type(s.type_),
                link_count: s.link_count,
                size: s.size,
                data_access_timestamp: timestamp(s.data_access_timestamp),
                data_modification_timestamp: timestamp(s.data_modification_timestamp),
                status_change_timestamp: timestamp(s.status_change_timestamp),
            }
        }

        fn directory_entry(e: $crate::filesystem::DirectoryEntry) -> DirectoryEntry {
            DirectoryEntry {
                type_: descriptor_type(e.type_),
                name: e.name,
            }
        }

        fn follow(flags: PathFlags) -> bool {
            flags.contains(PathFlags::SYMLINK_FOLLOW)
        }

        fn open_flags(f: OpenFlags) -> $crate::filesystem::OpenFlags {
            $crate::filesystem::OpenFlags {
                create: f.contains(OpenFlags::CREATE),
                directory: f.contains(OpenFlags::DIRECTORY),
                exclusive: f.contains(OpenFlags::EXCLUSIVE),
                truncate: f.contains(OpenFlags::TRUNCATE),
            }
        }

        $crate::filesystem_conversions!(@flags
            read: READ, write: WRITE, file_integrity_sync: FILE_INTEGRITY_SYNC,
            data_integrity_sync: DATA_INTEGRITY_SYNC, requested_write_sync: REQUESTED_WRITE_SYNC,
            mutate_directory: MUTATE_DIRECTORY);

        fn advice(a: Advice) -> $crate::filesystem::Advice {
            use $crate::filesystem::Advice as A;
            match a {
                Advice::Normal => A::Normal,
                Advice::Sequential => A::Sequential,
                Advice::Random => A::Random,
                Advice::WillNeed => A::WillNeed,
                Advice::DontNeed => A::DontNeed,
                Advice::NoReuse => A::NoReuse,
            }
        }

        fn hash(h: $crate::filesystem::MetadataHashValue) -> MetadataHashValue {
            MetadataHashValue {
                lower: h.lower,
                upper: h.upper,
            }
        }

        fn new_timestamp(
            t: NewTimestamp,
        ) -> Result<$crate::filesystem::NewTimestamp, $crate::filesystem::ErrorCode> {
            use $crate::filesystem::NewTimestamp as N;
            Ok(match t {
                NewTimestamp::NoChange => N::NoChange,
                NewTimestamp::Now => N::Now,
                NewTimestamp::Timestamp(t) => N::Timestamp($crate::filesystem::system_time(
                    t.seconds.into(),
                    t.nanoseconds,
                )?),
            })
        }

        $crate::filesystem_conversions!(@calls);
    };
    (@calls) => {
        async fn open_at(
            dir: $crate::filesystem::Dir,
            flags: PathFlags,
            path: String,
            oflags: OpenFlags,
            dflags: DescriptorFlags,
        ) -> Result<$crate::filesystem::Descriptor, $crate::filesystem::ErrorCode> {
            let (oflags, dflags) = (open_flags(oflags), descriptor_flags_in(dflags));
            dir.open_at(follow(flags), path, oflags, dflags).await
        }

        async fn link_at(
            old: $crate::filesystem::Dir,
            old_flags: PathFlags,
            old_path: String,
            new: $crate::filesystem::Dir,
            new_path: String,
        ) -> Result<(), $crate::filesystem::ErrorCode> {
            old.link_at(follow(old_flags), old_path, &new, new_path)
                .await
        }

        async fn set_times(
            d: $crate::filesystem::Descriptor,
            atime: NewTimestamp,
            mtime: NewTimestamp,
        ) -> Result<(), $crate::filesystem::ErrorCode> {
            d.set_times(new_timestamp(atime)?, new_timestamp(mtime)?)
                .await
        }

        async fn set_times_at(
            dir: $crate::filesystem::Dir,
            flags: PathFlags,
            path: String,
            atime: NewTimestamp,
            mtime: NewTimestamp,
        ) -> Result<(), $crate::filesystem::ErrorCode> {
            let (atime, mtime) = (new_timestamp(atime)?, new_timestamp(mtime)?);
            dir.set_times_at(follow(flags), path, atime, mtime).await
        }
    };
    (@codes $code:ident, $($name:ident),*) => {
        match $code {
            $($crate::filesystem::ErrorCode::$name => ErrorCode::$name,)*
        }
    };
    (@flags $($field:ident: $flag:ident),*) => {
        fn descriptor_flags_in(f: DescriptorFlags) -> $crate::filesystem::DescriptorFlags {
            $crate::filesystem::DescriptorFlags {
                $($field: f.contains(DescriptorFlags::$flag),)*
            }
        }

        fn descriptor_flags_out(f: $crate::filesystem::DescriptorFlags) -> DescriptorFlags {
            let mut out = DescriptorFlags::empty();
            $(if f.$field {
                out |= DescriptorFlags::$flag;
            })*
            out
        }
    };
}
