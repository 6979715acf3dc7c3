//! The two shared stdio objects: [`SharedSink`], one ordered sink that all stdout (or stderr)
//! handles of every ABI write into (`sink.rs`), and [`SharedSource`], one read-ahead source that
//! all stdin handles read from (`source.rs`). Neither holds its lock across `Pending`.

mod sink;
mod source;
#[cfg(test)]
mod tests;

pub use sink::{MAX_BACKLOG, SharedSink, SinkHandle};
pub use source::{SharedSource, SourceHandle};
