//! `wasi:cli@0.2.x` on the core: the same args/env/stdio objects the p3 bindings use.

use crate::bindings::cli::{
    environment, exit, stderr, stdin, stdout, terminal_input, terminal_output, terminal_stderr,
    terminal_stdin, terminal_stdout,
};
use crate::streams::{SinkStream, SourceStream};
use p3_core::cli::WasiCliCtxView;
use wasmtime::component::Resource;
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

impl stdin::Host for WasiCliCtxView<'_> {
    fn get_stdin(&mut self) -> wasmtime::Result<Resource<DynInputStream>> {
        let stream: DynInputStream = Box::new(SourceStream::new(self.ctx.stdin().handle()));
        Ok(self.table.push(stream)?)
    }
}

impl stdout::Host for WasiCliCtxView<'_> {
    fn get_stdout(&mut self) -> wasmtime::Result<Resource<DynOutputStream>> {
        let stream: DynOutputStream = Box::new(SinkStream::for_stdio(self.ctx.stdout().handle()));
        Ok(self.table.push(stream)?)
    }
}

impl stderr::Host for WasiCliCtxView<'_> {
    fn get_stderr(&mut self) -> wasmtime::Result<Resource<DynOutputStream>> {
        let stream: DynOutputStream = Box::new(SinkStream::for_stdio(self.ctx.stderr().handle()));
        Ok(self.table.push(stream)?)
    }
}

// Implements `environment`, `exit`, `terminal-*` on `WasiCliCtxView` (p3_core::veneer::cli).
p3_core::cli_interfaces!(initial_cwd = initial_cwd);
