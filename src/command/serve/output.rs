//! The guests' stdout and stderr under `serve`: each line prefixed with its instance, and
//! written out by one thread a moment later, together with what other instances wrote
//! meanwhile (`super::queue`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Which of the process's streams a guest stream goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// The process's stdout.
    Stdout,
    /// The process's stderr.
    Stderr,
}

/// A guest's stdout or stderr, each line prefixed with its instance (as `wasmtime serve`:
/// `stdout [N] :: `), or not (`--no-logging-prefix`). The prefix is written as the line starts,
/// not kept as a string: a store per request costs no formatting until its guest prints.
#[derive(Clone)]
pub struct LogStream {
    output: Output,
    instance: Option<u64>,
    at_line_start: Arc<AtomicBool>,
}

impl LogStream {
    /// A stream to `output`, prefixed with `instance` unless it is `None`.
    pub fn new(instance: Option<u64>, output: Output) -> Self {
        LogStream {
            output,
            instance,
            at_line_start: Arc::new(AtomicBool::new(true)),
        }
    }

    fn write_all(&self, mut bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        super::queue::write(self.output, |out| {
            while !bytes.is_empty() {
                if self.at_line_start.swap(false, Ordering::Relaxed)
                    && let Some(id) = self.instance
                {
                    let name = match self.output {
                        Output::Stdout => "stdout",
                        Output::Stderr => "stderr",
                    };
                    // Writing into a Vec cannot fail.
                    let _ = write!(out, "{name} [{id}] :: ");
                }
                match bytes.iter().position(|b| *b == b'\n') {
                    Some(i) => {
                        out.extend_from_slice(&bytes[..=i]);
                        bytes = &bytes[i + 1..];
                        self.at_line_start.store(true, Ordering::Relaxed);
                    }
                    None => {
                        out.extend_from_slice(bytes);
                        break;
                    }
                }
            }
        })
    }
}

impl crate::cli::IsTerminal for LogStream {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl crate::cli::StdoutStream for LogStream {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for LogStream {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(self.write_all(buf).map(|()| buf.len()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
