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
