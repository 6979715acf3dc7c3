//! `wasi:cli@0.2.x` on the core: the same args/env/stdio objects the p3 bindings use.

use crate::bindings::cli::{
    environment, exit, stderr, stdin, stdout, terminal_input, terminal_output, terminal_stderr,
    terminal_stdin, terminal_stdout,
};
use crate::streams::{SinkStream, SourceStream};
use p3_core::WasiCtxView;
use wasmtime::component::Resource;
use wasmtime_wasi_io::streams::{DynInputStream, DynOutputStream};

impl environment::Host for WasiCtxView<'_> {
    fn get_environment(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
        Ok(self.ctx.cli().environment().to_vec())
    }
    fn get_arguments(&mut self) -> wasmtime::Result<Vec<String>> {
        Ok(self.ctx.cli().arguments().to_vec())
    }
    fn initial_cwd(&mut self) -> wasmtime::Result<Option<String>> {
        Ok(self.ctx.cli().initial_cwd().map(str::to_owned))
    }
}

impl exit::Host for WasiCtxView<'_> {
    fn exit(&mut self, status: Result<(), ()>) -> wasmtime::Result<()> {
        Err(p3_core::cli::exit(status))
    }
    fn exit_with_code(&mut self, status_code: u8) -> wasmtime::Result<()> {
        Err(p3_core::cli::exit_with_code(status_code))
    }
}

impl stdin::Host for WasiCtxView<'_> {
    fn get_stdin(&mut self) -> wasmtime::Result<Resource<DynInputStream>> {
        let stream: DynInputStream = Box::new(SourceStream::new(self.ctx.cli().stdin().handle()));
        Ok(self.table.push(stream)?)
    }
}

impl stdout::Host for WasiCtxView<'_> {
    fn get_stdout(&mut self) -> wasmtime::Result<Resource<DynOutputStream>> {
        let stream: DynOutputStream = Box::new(SinkStream::new(self.ctx.cli().stdout().handle()));
        Ok(self.table.push(stream)?)
    }
}

impl stderr::Host for WasiCtxView<'_> {
    fn get_stderr(&mut self) -> wasmtime::Result<Resource<DynOutputStream>> {
        let stream: DynOutputStream = Box::new(SinkStream::new(self.ctx.cli().stderr().handle()));
        Ok(self.table.push(stream)?)
    }
}

p3_core::terminal_resources!();
