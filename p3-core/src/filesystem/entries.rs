//! A directory's entries, listed lazily in batches.

use super::{DescriptorType, DirectoryEntry, ErrorCode, run_blocking};
use std::sync::Arc;

/// A directory's entries, read lazily (no `stat` of the whole directory up front).
#[derive(Clone)]
pub struct DirEntries {
    inner: Arc<std::sync::Mutex<Listing>>,
    inline: bool,
}

enum Listing {
    NotOpened(Arc<cap_std::fs::Dir>),
    Open(cap_std::fs::ReadDir),
    Done,
}

impl DirEntries {
    /// The entries of `dir`, listed by the first batch (inline when `inline`).
    pub(super) fn new(dir: Arc<cap_std::fs::Dir>, inline: bool) -> Self {
        DirEntries {
            inner: Arc::new(std::sync::Mutex::new(Listing::NotOpened(dir))),
            inline,
        }
    }

    /// Up to `max` more entries; an empty batch means the end. `.` and `..` are skipped.
    pub async fn next_batch(&self, max: usize) -> Result<Vec<DirectoryEntry>, ErrorCode> {
        let body = move |inner: &std::sync::Mutex<Listing>| {
            let mut guard = inner.lock().unwrap_or_else(|p| p.into_inner());
            if let Listing::NotOpened(dir) = &*guard {
                let entries = dir.entries();
                *guard = match entries {
                    Ok(e) => Listing::Open(e),
                    Err(e) => {
                        *guard = Listing::Done;
                        return Err(ErrorCode::from(e));
                    }
                };
            }
            let mut out = Vec::new();
            let Listing::Open(iter) = &mut *guard else {
                return Ok(out);
            };
            while out.len() < max {
                let Some(entry) = iter.next() else {
                    *guard = Listing::Done;
                    break;
                };
                let entry = entry?;
                let name = entry
                    .file_name()
                    .into_string()
                    .map_err(|_| ErrorCode::IllegalByteSequence)?;
                if name == "." || name == ".." {
                    continue;
                }
                let type_ = entry.file_type().map(DescriptorType::from)?;
                out.push(DirectoryEntry { type_, name });
            }
            Ok(out)
        };
        run_blocking(self.inline, &self.inner, body).await
    }
}
