//! `wasi:cli/{stdout,stderr}@0.3.0-rc-2026-01-06`: `write-via-stream` as an `async func`.

use super::bindings::cli::{stderr, stdout};
use crate::cli::{WasiCli, WasiCliCtxView};
use crate::io::ByteSink;
use crate::p3::bindings::cli::types::ErrorCode;
use crate::p3::cli::error_code;
use crate::p3::streams::{finish, pipe};
use wasmtime::component::{Accessor, StreamReader};

/// Pipes `data` into the sink `which` picks and waits for it to be written and flushed.
async fn write<U, S: ByteSink + Unpin + 'static>(
    store: &Accessor<U, WasiCli>,
    data: StreamReader<u8>,
    which: fn(&mut WasiCliCtxView<'_>) -> S,
) -> wasmtime::Result<Result<(), ErrorCode>> {
    let written = store.with(|mut view| {
        let sink = which(&mut view.get());
        pipe(view, data, sink)
    })?;
    Ok(finish(written).await.map_err(error_code))
}

impl stdout::Host for WasiCliCtxView<'_> {}

impl<U> stdout::HostWithStore<U> for WasiCli {
    async fn write_via_stream(
        store: &Accessor<U, Self>,
        data: StreamReader<u8>,
    ) -> wasmtime::Result<Result<(), ErrorCode>> {
        write(store, data, |view| view.ctx.stdout().handle()).await
    }
}

impl stderr::Host for WasiCliCtxView<'_> {}

impl<U> stderr::HostWithStore<U> for WasiCli {
    async fn write_via_stream(
        store: &Accessor<U, Self>,
        data: StreamReader<u8>,
    ) -> wasmtime::Result<Result<(), ErrorCode>> {
        write(store, data, |view| view.ctx.stderr().handle()).await
    }
}
