//! Running a component (p2, p3, mixed, or a p1 module wrapped with the preview1 adapter):
//! its linker, import check, entry point and run.

use super::{CliHost, Failure, RunCommand, WasiRun, invoke, usage};
use wasi_bridge::WasiView;
use wasi_bridge::run::{self, Entry};
use wasmtime::component::{Component, Linker};
use wasmtime::{Engine, Store};

/// A compiled component, linked and ready to run.
pub(super) struct Program {
    component: Component,
    linker: Linker<CliHost>,
    /// The entry point; `None` with `--invoke`.
    entry: Option<Entry>,
}

impl Program {
    /// Compiles `bytes`, checks its imports and chooses its entry point.
    pub fn load(
        cmd: &RunCommand,
        engine: &Engine,
        bytes: &[u8],
        path: &str,
    ) -> Result<Program, Failure> {
        let component = Component::new(engine, bytes)
            .map_err(|e| usage(format!("{path} is not a valid component: {e:#}")))?;
        cmd.check_imports(engine, &component)?;
        let linker = cmd.linker(engine, &component)?;
        let p3 = cmd.common.wasi.p3 != Some(false);
        let entry = if cmd.invoke.is_some() {
            None
        } else {
            Some(match (cmd.wasi_run, run::entry_of(engine, &component)) {
                (Some(WasiRun::P2), _) | (None, Some(Entry::P3)) if !p3 => Entry::P2,
                (Some(WasiRun::P2), _) => Entry::P2,
                (Some(WasiRun::P3), _) => Entry::P3,
                (None, Some(entry)) => entry,
                (None, None) => {
                    return Err(usage(format!(
                        "{path} exports no wasi:cli/run (neither @0.2.x nor @0.3.0); for a \
                         reactor, name the export to call with --invoke 'NAME(ARGS)'"
                    )));
                }
            })
        };
        Ok(Program {
            component,
            linker,
            entry,
        })
    }

    /// Runs it: `run`, or the `--invoke` call.
    pub async fn run(&self, cmd: &RunCommand, store: &mut Store<CliHost>) -> Result<i32, Failure> {
        match (&cmd.invoke, self.entry) {
            (Some(call), _) => invoke::invoke(store, &self.linker, &self.component, call).await,
            (None, Some(entry)) => run::run_in(store, &self.linker, &self.component, entry)
                .await
                .map_err(|e| Failure::Guest(e.context("failed to invoke `run` function"))),
            (None, None) => unreachable!("an entry is chosen unless --invoke is given"),
        }
    }
}

impl RunCommand {
    fn linker(&self, engine: &Engine, component: &Component) -> Result<Linker<CliHost>, Failure> {
        let wasi = &self.common.wasi;
        let mut linker = Linker::new(engine);
        let p3 = wasi.p3 != Some(false);
        run::add_to_linker_with(&mut linker, p3, wasi.network_error_code == Some(true))
            .map_err(Failure::Guest)?;
        if wasi.http == Some(true) {
            wasi_bridge::http::p2::add_only_http_to_linker_async(&mut linker)
                .map_err(Failure::Guest)?;
            if p3 {
                wasi_bridge::http::p3::add_to_linker(&mut linker).map_err(Failure::Guest)?;
            }
        }
        if wasi.config == Some(true) {
            wasmtime_wasi_config::add_to_linker(&mut linker, |h: &mut CliHost| {
                wasmtime_wasi_config::WasiConfig::new(h.config.as_ref().expect("-S config"))
            })
            .map_err(Failure::Guest)?;
        }
        if wasi.keyvalue == Some(true) {
            wasmtime_wasi_keyvalue::add_to_linker(&mut linker, |h: &mut CliHost| {
                wasmtime_wasi_keyvalue::WasiKeyValue::new(
                    h.keyvalue.as_ref().expect("-S keyvalue"),
                    WasiView::ctx(&mut h.wasi).table,
                )
            })
            .map_err(Failure::Guest)?;
        }
        if self.common.wasm.unknown_imports_trap == Some(true) {
            self.stub_unknown_imports(&mut linker, engine, component)
                .map_err(Failure::Guest)?;
        }
        Ok(linker)
    }

    /// `-W unknown-imports-trap`: every import this run does not serve becomes functions that
    /// trap when called (and resources nobody can create). wasmtime's own
    /// `define_unknown_imports_as_traps` looks names up exactly, so it would shadow the WASI
    /// interfaces a guest imports at a newer patch version than the linker's; this stubs only
    /// what the import check reports as unknown.
    fn stub_unknown_imports(
        &self,
        linker: &mut Linker<CliHost>,
        engine: &Engine,
        component: &Component,
    ) -> wasmtime::Result<()> {
        use wasmtime::component::ResourceType;
        use wasmtime::component::types::ComponentItem;
        let ty = component.component_type();
        let served = |name: &str| {
            self.extra_imports().contains(&name) || run::check_import_names([name]).is_ok()
        };
        let unknown = |qualified: String| {
            move || wasmtime::format_err!("unknown import: `{qualified}` has not been defined")
        };
        for (name, item) in ty.imports(engine) {
            if served(name) {
                continue;
            }
            let mut root = linker.root();
            let stub = |l: &mut wasmtime::component::LinkerInstance<'_, CliHost>,
                        item_name: &str,
                        item: ComponentItem,
                        qualified: String|
             -> wasmtime::Result<()> {
                match item {
                    ComponentItem::ComponentFunc(f) if f.async_() => {
                        let err = unknown(qualified);
                        l.func_new_concurrent(item_name, move |_, _, _, _| {
                            let e = err();
                            Box::pin(async move { Err(e) })
                        })
                    }
                    ComponentItem::ComponentFunc(_) => {
                        let err = unknown(qualified);
                        l.func_new(item_name, move |_, _, _, _| Err(err()))
                    }
                    ComponentItem::Resource(_) => {
                        l.resource(item_name, ResourceType::host::<()>(), |_, _| Ok(()))
                    }
                    _ => Ok(()),
                }
            };
            match item.ty {
                ComponentItem::ComponentInstance(instance) => {
                    let mut l = root.instance(name)?;
                    for (export, item) in instance.exports(engine) {
                        stub(&mut l, export, item.ty, format!("{name}#{export}"))?;
                    }
                }
                item => stub(&mut root, name, item, name.to_string())?,
            }
        }
        Ok(())
    }

    /// Import names served only with an option: wasi:http (`-S http`) and the non-WASI crates
    /// (`-S config`, `-S keyvalue`).
    fn extra_imports(&self) -> Vec<&'static str> {
        let wasi = &self.common.wasi;
        let mut extra = Vec::new();
        if wasi.http == Some(true) {
            extra.extend(HTTP_P2);
            if wasi.p3 != Some(false) {
                extra.extend(HTTP_P3);
            }
        }
        if wasi.config == Some(true) {
            extra.push("wasi:config/store@0.2.0-rc.1");
        }
        if wasi.keyvalue == Some(true) {
            extra.extend([
                "wasi:keyvalue/store@0.2.0-draft",
                "wasi:keyvalue/atomics@0.2.0-draft",
                "wasi:keyvalue/batch@0.2.0-draft",
            ]);
        }
        extra
    }

    /// Checks the imports against what this run links, unless unknown imports trap.
    fn check_imports(&self, engine: &Engine, component: &Component) -> Result<(), Failure> {
        if self.common.wasm.unknown_imports_trap == Some(true) {
            return Ok(());
        }
        let path = self.path().display();
        let wasi = &self.common.wasi;
        let extra = self.extra_imports();
        let served_extra = |name: &str| {
            extra.contains(&name)
                || extra.iter().any(|e| {
                    // wasi:http@0.2.x is served at any patch version, as the rest of WASIp2.
                    e.strip_suffix("@0.2.12").is_some_and(|iface| {
                        name.strip_prefix(iface)
                            .and_then(|v| v.strip_prefix("@0.2."))
                            .is_some()
                    })
                })
        };
        let imports: Vec<String> = component
            .component_type()
            .imports(engine)
            .map(|(name, _)| name.to_string())
            .filter(|name| !served_extra(name))
            .collect();
        run::check_import_names(imports.iter().map(String::as_str)).map_err(|problem| {
            let hint = if imports.iter().any(|n| n.starts_with("wasi:http/")) {
                " (wasi:http is linked with -S http)"
            } else if imports.iter().any(|n| n.starts_with("wasi:config/"))
                || imports.iter().any(|n| n.starts_with("wasi:keyvalue/"))
            {
                " (wasi:config and wasi:keyvalue are linked with -S config / -S keyvalue)"
            } else {
                ""
            };
            usage(format!("cannot run {path}: {problem}{hint}"))
        })?;
        if wasi.p3 == Some(false)
            && let Some(name) = imports.iter().find(|n| n.ends_with("@0.3.0"))
        {
            return Err(usage(format!(
                "cannot run {path}: it imports {name}, and -S p3=n turns WASIp3 off"
            )));
        }
        Ok(())
    }
}

/// The wasi:http@0.3.0 interfaces `-S http` links (unless `-S p3=n`).
const HTTP_P3: [&str; 2] = ["wasi:http/types@0.3.0", "wasi:http/client@0.3.0"];

/// The wasi:http@0.2.x interfaces `-S http` links.
const HTTP_P2: [&str; 2] = [
    "wasi:http/types@0.2.12",
    "wasi:http/outgoing-handler@0.2.12",
];
