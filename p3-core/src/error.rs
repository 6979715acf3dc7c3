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
