//! Errors of the core, typed by the domain they came from, so that each ABI maps them back to
//! its own error codes exactly.
//!
//! This module sits at the bottom of the crate: the domain modules use it, it uses none of them.
//! The typed codes of each domain live here ([`filesystem::ErrorCode`], [`sockets::ErrorCode`],
//! [`sockets::LookupError`]) and are re-exported by their domain modules.

pub mod filesystem;
pub mod sockets;

use std::io;

/// An error raised by a core byte stream (stdio, a file, a connection).
///
/// The WASIp2 adapter hands it to the guest inside the `wasi:io/error` resource as it is, and
/// `filesystem-error-code` / `network-error-code` read the code back from it.
///
/// ```
/// use p3_core::CoreError;
/// use p3_core::error::{filesystem, sockets};
///
/// let full = CoreError::filesystem(std::io::Error::from_raw_os_error(28)); // ENOSPC
/// assert_eq!(full.filesystem_code(), Some(filesystem::ErrorCode::InsufficientSpace));
///
/// let reset = CoreError::from(sockets::ErrorCode::ConnectionReset);
/// assert_eq!(reset.network_code(), sockets::ErrorCode::ConnectionReset);
/// assert_eq!(reset.filesystem_code(), None, "a network error has no filesystem code");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The other end of a stream is gone (a broken pipe, a closed reader).
    #[error("stream closed")]
    Closed,
    /// An operating-system error from a stdio stream.
    #[error("stdio: {0}")]
    Stdio(#[source] io::Error),
    /// An operating-system error from a file, with the filesystem code it maps to.
    #[error("filesystem: {1}")]
    Filesystem(filesystem::ErrorCode, #[source] io::Error),
    /// A network error.
    #[error("network: {0}")]
    Network(sockets::ErrorCode),
    /// An HTTP body's error, with the `error-code` it maps to.
    #[cfg(feature = "http")]
    #[error("http: {0}")]
    Http(wasmtime_wasi_http::Error),
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

    /// Wraps an I/O error from a file.
    pub fn filesystem(err: io::Error) -> Self {
        CoreError::Filesystem(filesystem::ErrorCode::from(&err), err)
    }

    /// The operating-system error behind this error, if there is one.
    pub fn os_error(&self) -> Option<&io::Error> {
        match self {
            CoreError::Stdio(e) | CoreError::Filesystem(_, e) => Some(e),
            CoreError::Closed | CoreError::Network(_) => None,
            #[cfg(feature = "http")]
            CoreError::Http(_) => None,
        }
    }

    /// This error as a filesystem code: a closed stream is `pipe`, an OS error its code.
    /// `None` for a network error, which has no filesystem meaning.
    pub fn filesystem_code(&self) -> Option<filesystem::ErrorCode> {
        match self {
            CoreError::Closed => Some(filesystem::ErrorCode::Pipe),
            CoreError::Filesystem(code, _) => Some(*code),
            CoreError::Stdio(e) => Some(e.into()),
            CoreError::Network(_) => None,
            #[cfg(feature = "http")]
            CoreError::Http(_) => None,
        }
    }

    /// This error as a network code: a closed stream is `connection-broken`, an OS error its
    /// code.
    pub fn network_code(&self) -> sockets::ErrorCode {
        match self {
            CoreError::Closed => sockets::ErrorCode::ConnectionBroken,
            CoreError::Network(code) => *code,
            CoreError::Stdio(e) | CoreError::Filesystem(_, e) => e.into(),
            #[cfg(feature = "http")]
            CoreError::Http(_) => sockets::ErrorCode::Other,
        }
    }
}

impl From<sockets::ErrorCode> for CoreError {
    /// A network code as a stream error; `connection-broken` is a closed stream.
    fn from(code: sockets::ErrorCode) -> Self {
        match code {
            sockets::ErrorCode::ConnectionBroken => CoreError::Closed,
            other => CoreError::Network(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_come_from_the_domain_that_raised_the_error() {
        let enoent = || io::Error::from_raw_os_error(rustix::io::Errno::NOENT.raw_os_error());
        let file = CoreError::filesystem(enoent());
        assert_eq!(file.filesystem_code(), Some(filesystem::ErrorCode::NoEntry));
        let reset = CoreError::from(sockets::ErrorCode::ConnectionReset);
        assert_eq!(reset.network_code(), sockets::ErrorCode::ConnectionReset);
        assert_eq!(reset.filesystem_code(), None);
        assert!(reset.os_error().is_none());
        assert!(matches!(
            CoreError::from(sockets::ErrorCode::ConnectionBroken),
            CoreError::Closed
        ));
        assert!(matches!(
            CoreError::stdio(io::ErrorKind::BrokenPipe.into()),
            CoreError::Closed
        ));
    }
}
