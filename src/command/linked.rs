//! What a command links, decided once from the `-S` options: [`Linked`]. Run's linker, serve's
//! linker, the import check with its messages and `-W unknown-imports-trap`'s stubs all come
//! from it, and so does the list of served names — the per-ABI interface lists of the p2
//! adapter, the p3 bindings and their wasi:http, and of the two non-WASI crates below.

use super::common::{Failure, usage};
use super::host::CliHost;
use crate::WasiView;
use crate::run::{self, LinkOptions};
use wasmtime::Engine;
use wasmtime::component::{Component, InstancePre, Linker, ResourceType};
use wasmtime::component::{LinkerInstance, types::ComponentItem};
use wasmtime_cli_flags::WasiOptions;

/// The interfaces wasmtime-wasi-config links (`-S config`).
const CONFIG: &[&str] = &["wasi:config/store@0.2.0-rc.1"];

/// The interfaces wasmtime-wasi-keyvalue links (`-S keyvalue`).
const KEYVALUE: &[&str] = &[
    "wasi:keyvalue/store@0.2.0-draft",
    "wasi:keyvalue/atomics@0.2.0-draft",
    "wasi:keyvalue/batch@0.2.0-draft",
];

/// How much of WASI is linked beside wasi:http.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Wasi {
    /// All of it (`run`; `serve -S cli`).
    All,
    /// What the HTTP proxy worlds import (`serve`'s default, as `wasmtime serve`): p2's
    /// proxy world, and p3's cli, clocks and random.
    Proxy,
}

/// What a command links, from `-S`.
pub struct Linked {
    wasi: Wasi,
    /// WASI 0.3.0 beside 0.2.x (`-S p3`, on unless `-S p3=n`).
    p3: bool,
    /// wasi:http at both versions (`-S http`; always for `serve`).
    http: bool,
    /// p2's unstable `network-error-code` (`-S network-error-code`).
    network_error_code: bool,
    /// wasi:config (`-S config`).
    config: bool,
    /// wasi:keyvalue (`-S keyvalue`).
    keyvalue: bool,
    /// Every import nobody serves becomes a trap (`-W unknown-imports-trap`).
    unknown_imports_trap: bool,
}

impl Linked {
    /// What `run` links for `opts`.
    pub fn for_run(opts: &WasiOptions, unknown_imports_trap: Option<bool>) -> Self {
        Linked {
            wasi: Wasi::All,
            p3: opts.p3 != Some(false),
            http: opts.http == Some(true),
            network_error_code: opts.network_error_code == Some(true),
            config: opts.config == Some(true),
            keyvalue: opts.keyvalue == Some(true),
            unknown_imports_trap: unknown_imports_trap == Some(true),
        }
    }

    /// What `serve` links for `opts`: wasi:http, the proxy worlds' WASI unless `-S cli`, and
    /// wasi:config / wasi:keyvalue with `-S config` / `-S keyvalue`.
    pub fn for_serve(opts: &WasiOptions) -> Self {
        Linked {
            wasi: if opts.cli == Some(true) {
                Wasi::All
            } else {
                Wasi::Proxy
            },
            p3: opts.p3 != Some(false),
            http: true,
            network_error_code: opts.network_error_code == Some(true),
            // As `wasmtime serve` 48: each instance gets the variables and a fresh store.
            config: opts.config == Some(true),
            keyvalue: opts.keyvalue == Some(true),
            unknown_imports_trap: false,
        }
    }

    /// Whether WASI 0.3.0 is linked.
    pub fn p3(&self) -> bool {
        self.p3
    }

    /// The linker: the WASI this value names, then the options' extras, then (with
    /// `-W unknown-imports-trap`) stubs for the rest of `component`'s imports.
    pub fn linker(
        &self,
        engine: &Engine,
        component: &Component,
    ) -> Result<Linker<CliHost>, Failure> {
        let mut linker = Linker::new(engine);
        self.add_to(&mut linker).map_err(Failure::Guest)?;
        if self.unknown_imports_trap {
            self.stub_unknown_imports(&mut linker, engine, component)
                .map_err(Failure::Guest)?;
        }
        Ok(linker)
    }

    fn add_to(&self, linker: &mut Linker<CliHost>) -> wasmtime::Result<()> {
        match self.wasi {
            Wasi::All => {
                let options = LinkOptions {
                    p3: self.p3,
                    network_error_code: self.network_error_code,
                };
                run::add_to_linker_with(linker, options)?;
                if self.http {
                    crate::http::p2::add_only_http_to_linker_async(linker)?;
                }
            }
            Wasi::Proxy => {
                crate::http::p2::add_to_linker_async(linker)?;
                if self.p3 {
                    crate::p3::cli::add_to_linker(linker)?;
                    crate::p3::clocks::add_to_linker(linker)?;
                    crate::p3::random::add_to_linker(linker)?;
                }
            }
        }
        if self.http && self.p3 {
            crate::http::p3::add_to_linker(linker)?;
        }
        if self.config {
            wasmtime_wasi_config::add_to_linker(linker, |h: &mut CliHost| {
                wasmtime_wasi_config::WasiConfig::new(h.config.as_ref().expect("-S config"))
            })?;
        }
        if self.keyvalue {
            wasmtime_wasi_keyvalue::add_to_linker(linker, |h: &mut CliHost| {
                wasmtime_wasi_keyvalue::WasiKeyValue::new(
                    h.keyvalue.as_ref().expect("-S keyvalue"),
                    WasiView::ctx(&mut h.wasi).table,
                )
            })?;
        }
        Ok(())
    }

    /// Whether an import served only with an option is linked: wasi:http (at any 0.2 patch
    /// version, as the rest of WASIp2), wasi:config, wasi:keyvalue.
    fn serves_extra(&self, name: &str) -> bool {
        let (iface, version) = name.split_once('@').unwrap_or((name, ""));
        (self.http && version.starts_with("0.2.") && crate::http::p2::INTERFACES.contains(&iface))
            || (self.http
                && self.p3
                && run::is_p3_version(version)
                && crate::http::p3::INTERFACES.contains(&iface))
            || (self.http
                && self.p3
                && version == crate::p3::rc_2026_01_06::VERSION
                && crate::p3::rc_2026_01_06::http::INTERFACES.contains(&iface))
            || (self.http
                && self.p3
                && version == crate::p3::rc_2025_09_16::VERSION
                && crate::p3::rc_2025_09_16::http::INTERFACES.contains(&iface))
            || (self.config && CONFIG.contains(&name))
            || (self.keyvalue && KEYVALUE.contains(&name))
    }

    /// Checks `component`'s imports against what is linked (not with
    /// `-W unknown-imports-trap`), with a message that says which option links what is missing.
    pub fn check_imports(
        &self,
        engine: &Engine,
        component: &Component,
        path: &str,
    ) -> Result<(), Failure> {
        if self.unknown_imports_trap {
            return Ok(());
        }
        let imports: Vec<String> = component
            .component_type()
            .imports(engine)
            .map(|(name, _)| name.to_string())
            .filter(|name| !self.serves_extra(name))
            .collect();
        run::check_import_names(imports.iter().map(String::as_str)).map_err(|problem| {
            let hint = if imports.iter().any(|n| n.starts_with("wasi:http/")) {
                " (wasi:http is linked with -S http)"
            } else if imports
                .iter()
                .any(|n| n.starts_with("wasi:config/") || n.starts_with("wasi:keyvalue/"))
            {
                " (wasi:config and wasi:keyvalue are linked with -S config / -S keyvalue)"
            } else {
                ""
            };
            usage(format!("cannot run {path}: {problem}{hint}"))
        })?;
        if !self.p3
            && let Some(name) = imports.iter().find(|n| {
                n.split_once('@')
                    .is_some_and(|(_, v)| run::is_p3_version(v))
            })
        {
            return Err(usage(format!(
                "cannot run {path}: it imports {name}, and -S p3=n turns WASIp3 off"
            )));
        }
        Ok(())
    }

    /// Pre-instantiates a component `verb` (`run`, `serve`) will instantiate: wasmtime's
    /// message, in one line, when an import is missing — an interface this run does not link,
    /// or a function a newer WASI 0.3.N release adds that the core lacks — with the option
    /// that would link more.
    pub fn instantiate_pre(
        &self,
        linker: &Linker<CliHost>,
        component: &Component,
        verb: &str,
        path: &str,
    ) -> Result<InstancePre<CliHost>, Failure> {
        linker.instantiate_pre(component).map_err(|e| {
            let hint = match self.wasi {
                Wasi::All => "",
                Wasi::Proxy => {
                    " (serve links only the HTTP proxy worlds' imports; -S cli links all of WASI)"
                }
            };
            usage(format!("cannot {verb} {path}: {e:#}{hint}"))
        })
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
        let ty = component.component_type();
        let served =
            |name: &str| self.serves_extra(name) || run::check_import_names([name]).is_ok();
        let unknown = |qualified: String| {
            move || wasmtime::format_err!("unknown import: `{qualified}` has not been defined")
        };
        for (name, item) in ty.imports(engine) {
            if served(name) {
                continue;
            }
            let mut root = linker.root();
            let stub = |l: &mut LinkerInstance<'_, CliHost>,
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
}
