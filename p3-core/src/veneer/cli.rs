//! The `wasi:cli` interfaces both bindings expand the same way.

/// The `wasi:cli/{environment,exit,terminal-*}` host traits on
/// [`WasiCliCtxView`](crate::cli::WasiCliCtxView), for a binding whose `terminal-input` and
/// `terminal-output` resources are [`cli::TerminalInput`](crate::cli::TerminalInput) and
/// [`cli::TerminalOutput`](crate::cli::TerminalOutput). `initial_cwd` names the binding's
/// function for the initial directory (p2: `initial-cwd`, p3: `get-initial-cwd`).
///
/// The calling module must have the binding's `environment`, `exit`, `terminal_input`,
/// `terminal_output`, `terminal_stdin`, `terminal_stdout` and `terminal_stderr` modules in
/// scope.
#[doc(hidden)]
#[macro_export]
macro_rules! cli_interfaces {
    (initial_cwd = $initial_cwd:ident) => {
        impl environment::Host for $crate::cli::WasiCliCtxView<'_> {
            fn get_environment(&mut self) -> wasmtime::Result<Vec<(String, String)>> {
                Ok(self.ctx.environment().to_vec())
            }
            fn get_arguments(&mut self) -> wasmtime::Result<Vec<String>> {
                Ok(self.ctx.arguments().to_vec())
            }
            fn $initial_cwd(&mut self) -> wasmtime::Result<Option<String>> {
                Ok(self.ctx.initial_cwd().map(str::to_owned))
            }
        }

        impl exit::Host for $crate::cli::WasiCliCtxView<'_> {
            fn exit(&mut self, status: Result<(), ()>) -> wasmtime::Result<()> {
                Err($crate::cli::exit(status))
            }
            fn exit_with_code(&mut self, status_code: u8) -> wasmtime::Result<()> {
                Err($crate::cli::exit_with_code(status_code))
            }
        }

        impl terminal_input::Host for $crate::cli::WasiCliCtxView<'_> {}
        impl terminal_output::Host for $crate::cli::WasiCliCtxView<'_> {}

        impl terminal_input::HostTerminalInput for $crate::cli::WasiCliCtxView<'_> {
            fn drop(
                &mut self,
                rep: wasmtime::component::Resource<$crate::cli::TerminalInput>,
            ) -> wasmtime::Result<()> {
                self.table.delete(rep)?;
                Ok(())
            }
        }

        impl terminal_output::HostTerminalOutput for $crate::cli::WasiCliCtxView<'_> {
            fn drop(
                &mut self,
                rep: wasmtime::component::Resource<$crate::cli::TerminalOutput>,
            ) -> wasmtime::Result<()> {
                self.table.delete(rep)?;
                Ok(())
            }
        }

        impl terminal_stdin::Host for $crate::cli::WasiCliCtxView<'_> {
            fn get_terminal_stdin(
                &mut self,
            ) -> wasmtime::Result<Option<wasmtime::component::Resource<$crate::cli::TerminalInput>>>
            {
                let is_terminal = self.ctx.stdin().is_terminal();
                $crate::cli::push_terminal(self.table, is_terminal, $crate::cli::TerminalInput)
            }
        }

        impl terminal_stdout::Host for $crate::cli::WasiCliCtxView<'_> {
            fn get_terminal_stdout(
                &mut self,
            ) -> wasmtime::Result<Option<wasmtime::component::Resource<$crate::cli::TerminalOutput>>>
            {
                let is_terminal = self.ctx.stdout().is_terminal();
                $crate::cli::push_terminal(self.table, is_terminal, $crate::cli::TerminalOutput)
            }
        }

        impl terminal_stderr::Host for $crate::cli::WasiCliCtxView<'_> {
            fn get_terminal_stderr(
                &mut self,
            ) -> wasmtime::Result<Option<wasmtime::component::Resource<$crate::cli::TerminalOutput>>>
            {
                let is_terminal = self.ctx.stderr().is_terminal();
                $crate::cli::push_terminal(self.table, is_terminal, $crate::cli::TerminalOutput)
            }
        }
    };
}
