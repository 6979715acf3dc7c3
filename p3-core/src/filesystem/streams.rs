//! A file's byte source and sink: each with its own cursor, reading into and writing from the
//! caller's buffer on the calling thread.

use crate::error::CoreError;
use crate::io::{ByteSink, ByteSource, SINK_BUFFER, poll_read_zeroed};
use bytes::BytesMut;
use cap_std::fs::FileExt;
use std::io;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

/// A file's byte source with its own cursor: reads go straight into the caller's buffer.
pub struct FileSource {
    file: Arc<cap_std::fs::File>,
    offset: u64,
}

impl FileSource {
    pub(super) fn new(file: Arc<cap_std::fs::File>, offset: u64) -> Self {
        FileSource { file, offset }
    }
}

fn fs_error(e: io::Error) -> CoreError {
    CoreError::filesystem(e)
}

impl ByteSource for FileSource {
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<()> {
        // Regular files are always ready.
        Poll::Ready(())
    }

    fn poll_read(
        &mut self,
        _cx: &mut Context<'_>,
        dst: &mut [u8],
    ) -> Poll<Result<usize, CoreError>> {
        loop {
            match self.file.read_at(dst, self.offset) {
                Ok(n) => {
                    self.offset += n as u64;
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Poll::Ready(Err(fs_error(e))),
            }
        }
    }

    fn poll_read_buf(
        &mut self,
        cx: &mut Context<'_>,
        max: usize,
        buf: &mut BytesMut,
    ) -> Poll<Result<usize, CoreError>> {
        // Never allocate more than the file can still give.
        let left = match self.file.metadata() {
            Ok(m) => m.len().saturating_sub(self.offset),
            Err(e) => return Poll::Ready(Err(fs_error(e))),
        };
        let max = max.min(usize::try_from(left).unwrap_or(usize::MAX));
        poll_read_zeroed(self, cx, max, buf)
    }
}

enum SinkPosition {
    At(u64),
    Append,
}

/// One write at `offset`, or at the current end of the file when `None` (the end is read
/// first: appends by two writers on one file may interleave, as in wasmtime-wasi's streams);
/// an interrupted write is retried.
pub(super) fn write_at_or_end(
    file: &cap_std::fs::File,
    src: &[u8],
    offset: Option<u64>,
) -> io::Result<usize> {
    let offset = match offset {
        Some(o) => o,
        None => file.metadata()?.len(),
    };
    loop {
        match file.write_at(src, offset) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// One read at `offset` into `dst`; an interrupted read is retried.
pub(super) fn read_at_into(
    file: &cap_std::fs::File,
    dst: &mut [u8],
    offset: u64,
) -> io::Result<usize> {
    loop {
        match file.read_at(dst, offset) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// A file's byte sink with its own cursor (or appending at the end).
pub struct FileSink {
    file: Arc<cap_std::fs::File>,
    position: SinkPosition,
}

impl FileSink {
    /// A sink writing from `offset`, or appending at the end when `None`.
    pub(super) fn new(file: Arc<cap_std::fs::File>, offset: Option<u64>) -> Self {
        FileSink {
            file,
            position: match offset {
                Some(o) => SinkPosition::At(o),
                None => SinkPosition::Append,
            },
        }
    }
}

impl ByteSink for FileSink {
    fn poll_write_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<usize, CoreError>> {
        Poll::Ready(Ok(SINK_BUFFER))
    }

    fn poll_write(&mut self, _cx: &mut Context<'_>, src: &[u8]) -> Poll<Result<usize, CoreError>> {
        let offset = match self.position {
            SinkPosition::At(o) => Some(o),
            SinkPosition::Append => None,
        };
        match write_at_or_end(&self.file, src, offset) {
            Ok(n) => {
                if let SinkPosition::At(o) = &mut self.position {
                    *o += n as u64;
                }
                Poll::Ready(Ok(n))
            }
            Err(e) => Poll::Ready(Err(fs_error(e))),
        }
    }

    fn write_granted(&mut self, mut src: &[u8]) -> Result<bool, CoreError> {
        // An empty write still goes to the file, as wasmtime-wasi's does: the OS then reports
        // a descriptor not open for writing (EBADF) or an offset past the file-size limit.
        loop {
            let n = match self.poll_write(&mut Context::from_waker(Waker::noop()), src) {
                Poll::Ready(Ok(n)) => n,
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => return Ok(false),
            };
            src = &src[n..];
            if src.is_empty() {
                return Ok(true);
            }
        }
    }

    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        // Writes go straight to the file; there is nothing buffered here.
        Poll::Ready(Ok(()))
    }

    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CoreError>> {
        self.poll_flush(cx)
    }
}
