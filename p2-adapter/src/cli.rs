//! `wasi:cli@0.2.x` on the core: the same args/env/stdio objects the p3 bindings use.

use crate::bindings::cli::{
    environment, exit, stderr, stdin, stdout, terminal_input, terminal_output, terminal_stderr,
    terminal_stdin, terminal_stdout,
};
use crate::streams::{SinkStream, SourceStream};
use p3_core::WasiCtxView;
use wasmtime::component::Resource;
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

impl stdin::Host for WasiCtxView<'_> {
    fn get_stdin(&mut self) -> wasmtime::Result<Resource<DynInputStream>> {
        let stream: DynInputStream = Box::new(SourceStream::new(self.ctx.cli().stdin().handle()));
        Ok(self.table.push(stream)?)
    }
}

impl stdout::Host for WasiCtxView<'_> {
    fn get_stdout(&mut self) -> wasmtime::Result<Resource<DynOutputStream>> {
        let stream: DynOutputStream =
            Box::new(SinkStream::for_stdio(self.ctx.cli().stdout().handle()));
        Ok(self.table.push(stream)?)
    }
}

impl stderr::Host for WasiCtxView<'_> {
    fn get_stderr(&mut self) -> wasmtime::Result<Resource<DynOutputStream>> {
        let stream: DynOutputStream =
            Box::new(SinkStream::for_stdio(self.ctx.cli().stderr().handle()));
        Ok(self.table.push(stream)?)
    }
}

p3_core::cli_interfaces!(initial_cwd = initial_cwd);
