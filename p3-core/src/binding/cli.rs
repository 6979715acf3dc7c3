//! The `wasi:cli/terminal-*` interfaces both bindings expand.

/// The `wasi:cli/terminal-{input,output,stdin,stdout,stderr}` host traits on
/// [`WasiCtxView`](crate::WasiCtxView), for a binding whose `terminal-input` and
/// `terminal-output` resources are [`cli::TerminalInput`](crate::cli::TerminalInput) and
/// [`cli::TerminalOutput`](crate::cli::TerminalOutput).
///
/// The calling module must have the binding's `terminal_input`, `terminal_output`,
/// `terminal_stdin`, `terminal_stdout` and `terminal_stderr` modules in scope.
#[macro_export]
macro_rules! terminal_resources {
    () => {
        impl terminal_input::Host for $crate::WasiCtxView<'_> {}
        impl terminal_output::Host for $crate::WasiCtxView<'_> {}

        impl terminal_input::HostTerminalInput for $crate::WasiCtxView<'_> {
            fn drop(
                &mut self,
                rep: wasmtime::component::Resource<$crate::cli::TerminalInput>,
            ) -> wasmtime::Result<()> {
                self.table.delete(rep)?;
                Ok(())
            }
        }

        impl terminal_output::HostTerminalOutput for $crate::WasiCtxView<'_> {
            fn drop(
                &mut self,
                rep: wasmtime::component::Resource<$crate::cli::TerminalOutput>,
            ) -> wasmtime::Result<()> {
                self.table.delete(rep)?;
                Ok(())
            }
        }

        impl terminal_stdin::Host for $crate::WasiCtxView<'_> {
            fn get_terminal_stdin(
                &mut self,
            ) -> wasmtime::Result<Option<wasmtime::component::Resource<$crate::cli::TerminalInput>>>
            {
                let is_terminal = self.ctx.cli().stdin().is_terminal();
                $crate::cli::push_terminal(self.table, is_terminal, $crate::cli::TerminalInput)
            }
        }

        impl terminal_stdout::Host for $crate::WasiCtxView<'_> {
            fn get_terminal_stdout(
                &mut self,
            ) -> wasmtime::Result<Option<wasmtime::component::Resource<$crate::cli::TerminalOutput>>>
            {
                let is_terminal = self.ctx.cli().stdout().is_terminal();
                $crate::cli::push_terminal(self.table, is_terminal, $crate::cli::TerminalOutput)
            }
        }

        impl terminal_stderr::Host for $crate::WasiCtxView<'_> {
            fn get_terminal_stderr(
                &mut self,
            ) -> wasmtime::Result<Option<wasmtime::component::Resource<$crate::cli::TerminalOutput>>>
            {
                let is_terminal = self.ctx.cli().stderr().is_terminal();
                $crate::cli::push_terminal(self.table, is_terminal, $crate::cli::TerminalOutput)
            }
        }
    };
}
