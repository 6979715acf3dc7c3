//! Errors of the core, tagged by the domain they came from so that each ABI can map them back
//! to its own error codes exactly.

use std::io;

/// An error raised by a core object.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The other end of a stream is gone (a broken pipe, a closed reader).
    #[error("stream closed")]
    Closed,
    /// An operating-system error from a stdio stream.
    #[error("stdio: {0}")]
    Stdio(#[source] io::Error),
    /// An operating-system error from the filesystem.
    #[error("filesystem: {0}")]
    Filesystem(#[source] io::Error),
    /// An operating-system error from a socket.
    #[error("network: {0}")]
    Network(#[source] io::Error),
}

impl CoreError {
    /// Wraps an I/O error from a stdio stream; a broken pipe becomes [`CoreError::Closed`].
    pub fn stdio(err: io::Error) -> Self {
        if err.kind() == io::ErrorKind::BrokenPipe {
            CoreError::Closed
        } else {
            CoreError::Stdio(err)
        }
    }

    /// The underlying I/O error, if there is one.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            CoreError::Closed => None,
            CoreError::Stdio(e) | CoreError::Filesystem(e) | CoreError::Network(e) => Some(e),
        }
    }

    /// Turns this error into an owned `std::io::Error`, keeping its kind and OS code.
    pub fn into_io_error(self) -> io::Error {
        match self {
            CoreError::Closed => io::ErrorKind::BrokenPipe.into(),
            CoreError::Stdio(e) | CoreError::Filesystem(e) | CoreError::Network(e) => e,
        }
    }
}

/// The error of a binding call whose WIT result carries an error code: either that code, for the
/// guest, or a trap. Bindings name it as their `trappable_error_type`.
pub struct TrappableError<T> {
    err: wasmtime::Error,
    _code: std::marker::PhantomData<fn() -> T>,
}

impl<T> TrappableError<T> {
    /// An error that traps the guest.
    pub fn trap(err: impl Into<wasmtime::Error>) -> Self {
        TrappableError {
            err: err.into(),
            _code: std::marker::PhantomData,
        }
    }

    /// An error code for the guest.
    pub fn code(code: T) -> Self
    where
        T: std::error::Error + Send + Sync + 'static,
    {
        Self::trap(wasmtime::Error::new(code))
    }

    /// The error code, or the trap.
    pub fn downcast(self) -> wasmtime::Result<T>
    where
        T: std::error::Error + Send + Sync + 'static,
    {
        self.err.downcast()
    }
}

impl<T> std::fmt::Debug for TrappableError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.err.fmt(f)
    }
}

impl<T> std::fmt::Display for TrappableError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.err.fmt(f)
    }
}

impl<T> std::error::Error for TrappableError<T> {}

impl<T> From<wasmtime::component::ResourceTableError> for TrappableError<T> {
    fn from(err: wasmtime::component::ResourceTableError) -> Self {
        Self::trap(err)
    }
}

impl<T> From<wasmtime::Error> for TrappableError<T> {
    fn from(err: wasmtime::Error) -> Self {
        Self::trap(err)
    }
}

impl<T> From<crate::filesystem::ErrorCode> for TrappableError<T>
where
    T: From<crate::filesystem::ErrorCode> + std::error::Error + Send + Sync + 'static,
{
    fn from(code: crate::filesystem::ErrorCode) -> Self {
        Self::code(T::from(code))
    }
}

impl<T> From<crate::sockets::ErrorCode> for TrappableError<T>
where
    T: From<crate::sockets::ErrorCode> + std::error::Error + Send + Sync + 'static,
{
    fn from(code: crate::sockets::ErrorCode) -> Self {
        Self::code(T::from(code))
    }
}
