//! `wasi:filesystem` on cap-std: preopens, descriptors, file byte streams, directory entries.
//!
//! Every path is resolved by cap-std beneath a directory handle, so `..`, absolute paths and
//! symlinks leading outside a preopen are refused by construction. Permissions ([`FsPerms`]) are
//! checked here, once, for both ABIs.
//!
//! Blocking work runs on tokio's blocking pool (or on the calling thread when the host allows
//! it). File *byte streams* read and write on the calling thread instead: they read straight
//! into the guest's buffer, and a regular-file read or write from the page cache costs less
//! than a hop to the pool.

mod descriptor;
mod dir;
mod entries;
mod streams;
mod times;
mod types;

pub use crate::error::filesystem::ErrorCode;
pub use descriptor::{Descriptor, File};
pub use dir::Dir;
pub use entries::DirEntries;
pub use streams::{FileSink, FileSource};
pub use types::{
    Advice, DescriptorFlags, DescriptorStat, DescriptorType, DirectoryEntry, MetadataHashValue,
    NewTimestamp, OpenFlags, OpenMode, system_time, unix_time,
};
pub use wasmtime_wasi::FsPerms;

use std::sync::Arc;
use wasmtime::component::{HasData, ResourceTable};

/// The [`HasData`] marker of the `wasi:filesystem` interfaces, as wasmtime-wasi's.
pub struct WasiFilesystem;

impl HasData for WasiFilesystem {
    type Data<'a> = WasiFilesystemCtxView<'a>;
}

/// Access to the preopens and the resource table inside a host's store data: what a host that
/// grants only `wasi:filesystem` implements (a [`WasiView`](crate::WasiView) has it already).
pub trait WasiFilesystemView: Send {
    /// Returns the filesystem state and the resource table.
    fn filesystem(&mut self) -> WasiFilesystemCtxView<'_>;
}

/// The filesystem state and the table the `wasi:filesystem` host functions work with.
pub struct WasiFilesystemCtxView<'a> {
    /// The preopens and their policy.
    pub ctx: &'a mut WasiFilesystemCtx,
    /// The guest's resources (descriptors, streams).
    pub table: &'a mut ResourceTable,
}

impl WasiFilesystemCtxView<'_> {
    /// Puts a descriptor for every preopened directory in the table, with its guest name: what
    /// `get-directories` returns on both ABIs.
    pub fn push_preopens(
        &mut self,
    ) -> wasmtime::Result<Vec<(wasmtime::component::Resource<Descriptor>, String)>> {
        let mut out = Vec::with_capacity(self.ctx.preopens.len());
        for p in &self.ctx.preopens {
            let fd = self.table.push(Descriptor::Dir(p.dir.clone()))?;
            out.push((fd, p.guest_path.clone()));
        }
        Ok(out)
    }
}

/// One preopened directory.
#[derive(Clone)]
pub struct Preopen {
    /// The directory descriptor handed to the guest.
    pub dir: Dir,
    /// The name the guest sees.
    pub guest_path: String,
}

/// A host directory opened once, to be preopened in any number of contexts without opening it
/// again ([`WasiCtxBuilder::preopened_shared_dir`]): a server that builds a context per request
/// shares one open directory among them instead of three system calls (check, open, close)
/// per directory per request. Each context's guest sees it as if preopened on its own — the
/// permissions are the context's, and listing a directory opens a descriptor of its own, so
/// instances do not share a read position.
///
/// The handle stays on the directory it opened: one replaced on the host (removed and created
/// again under the same name) is not seen until the `SharedDir` is opened again.
///
/// ```
/// use p3_core::filesystem::SharedDir;
/// use p3_core::WasiCtx;
/// use wasmtime_wasi::FsPerms;
///
/// let tmp = SharedDir::open(std::env::temp_dir())?;
/// for _request in 0..3 {
///     let mut b = WasiCtx::builder();
///     b.preopened_shared_dir(&tmp, "/tmp", FsPerms::ReadOnly);
///     let mut ctx = b.build();
///     assert_eq!(ctx.filesystem().preopens()[0].guest_path, "/tmp");
/// }
/// assert!(SharedDir::open("/no such dir").is_err());
/// # Ok::<_, wasmtime::Error>(())
/// ```
///
/// [`WasiCtxBuilder::preopened_shared_dir`]: crate::WasiCtxBuilder::preopened_shared_dir
#[derive(Clone)]
pub struct SharedDir(pub(crate) Arc<cap_std::fs::Dir>);

impl SharedDir {
    /// Opens the host directory at `host_path` (with ambient authority: the host's choice).
    pub fn open(host_path: impl AsRef<std::path::Path>) -> wasmtime::Result<Self> {
        let host_path = host_path.as_ref();
        cap_std::fs::Dir::open_ambient_dir(host_path, cap_std::ambient_authority())
            .map(Self::from)
            .map_err(|e| {
                wasmtime::format_err!("failed to open directory {}: {e}", host_path.display())
            })
    }
}

impl From<cap_std::fs::Dir> for SharedDir {
    fn from(dir: cap_std::fs::Dir) -> Self {
        SharedDir(Arc::new(dir))
    }
}

impl std::fmt::Debug for SharedDir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedDir").finish_non_exhaustive()
    }
}

/// The filesystem state shared by every ABI.
#[derive(Clone, Default)]
pub struct WasiFilesystemCtx {
    pub(crate) preopens: Vec<Preopen>,
    pub(crate) allow_blocking_current_thread: bool,
}

impl WasiFilesystemCtx {
    /// The preopened directories, in the order they were configured.
    pub fn preopens(&self) -> &[Preopen] {
        &self.preopens
    }

    /// Whether blocking filesystem work may run on the calling thread.
    pub fn allow_blocking_current_thread(&self) -> bool {
        self.allow_blocking_current_thread
    }
}

/// Runs `body` on the blocking pool, or inline when the host allows blocking the calling thread.
async fn run_blocking<T: Send + Sync + 'static, R: Send + 'static>(
    inline: bool,
    handle: &Arc<T>,
    body: impl FnOnce(&T) -> R + Send + 'static,
) -> R {
    if inline {
        return body(handle);
    }
    let handle = handle.clone();
    match tokio::task::spawn_blocking(move || body(&handle)).await {
        Ok(r) => r,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}
