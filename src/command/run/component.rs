//! Running a component (p2, p3, mixed, or a p1 module wrapped with the preview1 adapter):
//! compiled, checked against what is [`Linked`], and started at its entry point or at the
//! `--invoke`d export.

use super::invoke;
use crate::command::common::{Failure, usage};
use crate::command::host::CliHost;
use crate::command::linked::Linked;
use crate::run::{self, Entry};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

/// `--wasi-run`: the entry point to call instead of the one detected.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum WasiRun {
    /// Call `wasi:cli/run@0.2.x`.
    P2,
    /// Call `wasi:cli/run@0.3.0` on the event loop.
    P3,
}

/// How the component is started.
pub enum Start {
    /// `wasi:cli/run`, at the version `--wasi-run` forces or the one it exports.
    Run(Option<WasiRun>),
    /// The `--invoke`d export.
    Invoke,
}

/// A compiled component, linked and ready to run.
pub struct Program {
    component: Component,
    linker: Linker<CliHost>,
    /// The entry point; `None` with `--invoke`.
    entry: Option<Entry>,
}

impl Program {
    /// Compiles `bytes`, checks its imports and chooses its entry point.
    pub fn load(
        linked: &Linked,
        engine: &Engine,
        bytes: &[u8],
        path: &str,
        start: Start,
    ) -> Result<Program, Failure> {
        // A same-shape release candidate's names, as its release's.
        let renamed = run::final_names(bytes);
        let bytes = renamed.as_deref().unwrap_or(bytes);
        let component = Component::new(engine, bytes).map_err(|e| {
            usage(format!(
                "{path} is not a valid component: {}",
                run::explain_compile_error(&e)
            ))
        })?;
        linked.check_imports(engine, &component, path)?;
        let linker = linked.linker(engine, &component)?;
        // Every import resolves (a function a newer 0.3.N adds is refused here, by name).
        linked.instantiate_pre(&linker, &component, "run", path)?;
        let entry = match start {
            Start::Invoke => None,
            Start::Run(forced) => Some(match (forced, run::entry_of(engine, &component)) {
                (Some(WasiRun::P2), _) | (None, Some(Entry::P3)) if !linked.p3() => Entry::P2,
                (Some(WasiRun::P2), _) => Entry::P2,
                (Some(WasiRun::P3), _) => Entry::P3,
                (None, Some(entry)) => entry,
                (None, None) => {
                    return Err(usage(format!(
                        "{path} exports no wasi:cli/run (neither @0.2.x nor @0.3.x); for a \
                         reactor, name the export to call with --invoke 'NAME(ARGS)'"
                    )));
                }
            }),
        };
        Ok(Program {
            component,
            linker,
            entry,
        })
    }

    /// Runs it: `run`, or the `--invoke` call.
    pub async fn run(
        &self,
        invoke: Option<&str>,
        store: &mut Store<CliHost>,
    ) -> Result<i32, Failure> {
        match (invoke, self.entry) {
            (Some(call), _) => invoke::invoke(store, &self.linker, &self.component, call).await,
            (None, Some(entry)) => run::run_in(store, &self.linker, &self.component, entry)
                .await
                .map_err(|e| Failure::Guest(e.context("failed to invoke `run` function"))),
            (None, None) => unreachable!("an entry is chosen unless --invoke is given"),
        }
    }
}
