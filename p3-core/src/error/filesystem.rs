//! `wasi:filesystem`'s error codes and how OS errors map onto them.

use std::io;

/// Filesystem error codes, the same set in `wasi:filesystem@0.2.x` and `@0.3.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorCode {
    /// Permission denied (`EACCES`).
    #[error("access denied")]
    Access,
    /// A connection or operation is already in progress (`EALREADY`).
    #[error("operation already in progress")]
    Already,
    /// The descriptor is not usable for this operation (`EBADF`).
    #[error("bad descriptor")]
    BadDescriptor,
    /// Device or resource busy (`EBUSY`).
    #[error("device or resource busy")]
    Busy,
    /// The file exists (`EEXIST`).
    #[error("file exists")]
    Exist,
    /// The file is too large (`EFBIG`).
    #[error("file too large")]
    FileTooLarge,
    /// A name is not valid UTF-8 or otherwise malformed (`EILSEQ`).
    #[error("illegal byte sequence")]
    IllegalByteSequence,
    /// The operation is in progress (`EINPROGRESS`).
    #[error("operation in progress")]
    InProgress,
    /// The call was interrupted (`EINTR`).
    #[error("interrupted")]
    Interrupted,
    /// An argument is invalid (`EINVAL`).
    #[error("invalid argument")]
    Invalid,
    /// An I/O error, or an OS error with no closer code (`EIO`).
    #[error("I/O error")]
    Io,
    /// The descriptor or path is a directory (`EISDIR`).
    #[error("is a directory")]
    IsDirectory,
    /// Too many symbolic links (`ELOOP`).
    #[error("too many levels of symbolic links")]
    Loop,
    /// Too many hard links (`EMLINK`).
    #[error("too many links")]
    TooManyLinks,
    /// A path or name is too long (`ENAMETOOLONG`).
    #[error("name too long")]
    NameTooLong,
    /// No such file or directory (`ENOENT`).
    #[error("no such file or directory")]
    NoEntry,
    /// Not enough memory (`ENOMEM`).
    #[error("not enough memory")]
    InsufficientMemory,
    /// No space left on the device (`ENOSPC`).
    #[error("no space left on device")]
    InsufficientSpace,
    /// Not a directory (`ENOTDIR`).
    #[error("not a directory")]
    NotDirectory,
    /// The directory is not empty (`ENOTEMPTY`).
    #[error("directory not empty")]
    NotEmpty,
    /// The operation is not supported (`ENOTSUP`).
    #[error("operation not supported")]
    Unsupported,
    /// A value does not fit its type (`EOVERFLOW`).
    #[error("value too large")]
    Overflow,
    /// Not permitted, including by the preopen's permissions (`EPERM`).
    #[error("operation not permitted")]
    NotPermitted,
    /// The other end is gone (`EPIPE`).
    #[error("broken pipe")]
    Pipe,
    /// The descriptor cannot seek (`ESPIPE`).
    #[error("invalid seek")]
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
