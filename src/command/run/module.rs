//! Running a WASIp1 core module on wasi-bridge's native p1: its linker (with `--preload`ed
//! modules), import check, `_initialize`, and `_start` or the `--invoke`d export, with
//! `wasmtime run`'s semantics for core modules.

use crate::command::common::{Failure, RunCommon, usage};
use crate::command::host::CliHost;
use std::ffi::OsString;
use wasmtime::{Engine, Func, Linker, Module, Store, Val, ValType};

/// A compiled module, linked and ready to run.
pub struct Program {
    module: Module,
    linker: Linker<CliHost>,
}

impl Program {
    /// Compiles `bytes`, links WASIp1 and the preloaded modules, and checks the imports.
    pub async fn load(
        run: &RunCommon,
        preloads: &[String],
        engine: &Engine,
        store: &mut Store<CliHost>,
        bytes: &[u8],
        path: &str,
    ) -> Result<Program, Failure> {
        let module = Module::new(engine, bytes).map_err(|e| {
            usage(format!(
                "{path} is not a valid module: {}",
                crate::run::explain_compile_error(&e)
            ))
        })?;
        let mut linker = Linker::<CliHost>::new(engine);
        if let Some(enable) = run.common.wasm.unknown_exports_allow {
            linker.allow_unknown_exports(enable);
        }
        // As `wasmtime run` 48: `wasi_unstable` beside `wasi_snapshot_preview1` unless
        // `-S preview0=n`.
        if run.common.wasi.preview0 != Some(false) {
            crate::p0::add_to_linker_async(&mut linker, |h| &mut h.wasi).map_err(Failure::Guest)?;
        }
        crate::p1::add_to_linker_async(&mut linker, |h| &mut h.wasi).map_err(Failure::Guest)?;
        for preload in preloads {
            let (name, file) = preload.split_once('=').ok_or_else(|| {
                usage(format!(
                    "--preload {preload}: expected NAME=MODULE_PATH (one `=`)"
                ))
            })?;
            let m = Module::from_file(engine, file)
                .map_err(|e| usage(format!("--preload {preload}: {e:#}")))?;
            linker
                .module_async(&mut *store, name, &m)
                .await
                .map_err(|e| {
                    usage(format!(
                        "--preload {preload}: failed to process preload `{name}` at `{file}`: \
                         {e:#}"
                    ))
                })?;
        }
        let wasm = &run.common.wasm;
        if wasm.unknown_imports_trap == Some(true) {
            linker
                .define_unknown_imports_as_traps(&module)
                .map_err(Failure::Guest)?;
        }
        if wasm.unknown_imports_default == Some(true) {
            linker
                .define_unknown_imports_as_default_values(&mut *store, &module)
                .map_err(Failure::Guest)?;
        }
        let missing: Vec<String> = module
            .imports()
            .filter(|i| linker.get_by_import(&mut *store, i).is_none())
            .map(|i| format!("{}::{}", i.module(), i.name()))
            .collect();
        if !missing.is_empty() {
            let preview0_off = run.common.wasi.preview0 == Some(false)
                && missing.iter().any(|m| m.starts_with("wasi_unstable::"));
            if preview0_off {
                return Err(usage(format!(
                    "cannot run {path}: it is a WASI preview 0 (`wasi_unstable`) module and \
                     -S preview0=n turned that off; drop the option to run it"
                )));
            }
            return Err(usage(format!(
                "cannot run {path}: it imports functions wasi-bridge does not provide: {} \
                 (WASIp1 is `wasi_snapshot_preview1`, preview 0 `wasi_unstable` unless \
                 -S preview0=n; -W unknown-imports-trap makes them trap when called)",
                missing.join(", ")
            )));
        }
        Ok(Program { module, linker })
    }

    /// Instantiates it, calls `_initialize` if present, then `--invoke NAME` with the guest
    /// arguments as its parameters, or the default export (`""`, else `_start`).
    pub async fn run(
        &self,
        invoke: Option<&str>,
        args: &[OsString],
        store: &mut Store<CliHost>,
    ) -> Result<i32, Failure> {
        let result = async {
            let instance = self
                .linker
                .instantiate_async(&mut *store, &self.module)
                .await?;
            if let Some(init) = instance.get_func(&mut *store, "_initialize") {
                init.typed::<(), ()>(&*store)?
                    .call_async(&mut *store, ())
                    .await?;
            }
            let func =
                match invoke {
                    Some(name) => Some(instance.get_func(&mut *store, name).ok_or_else(|| {
                        wasmtime::format_err!("no func export named `{name}` found")
                    })?),
                    None => instance
                        .get_func(&mut *store, "")
                        .or_else(|| instance.get_func(&mut *store, "_start")),
                };
            match func {
                Some(func) => call(invoke, args, store, func).await,
                None => Ok(()),
            }
        }
        .await;
        crate::run::exit_status(result.map(|()| Ok(()))).map_err(Failure::Guest)
    }
}

/// Calls `func` with the guest arguments parsed as its parameters (i32/i64 in decimal or
/// `0x` hex, f32/f64), printing its results one per line, as `wasmtime run` does.
async fn call(
    invoke: Option<&str>,
    args: &[OsString],
    store: &mut Store<CliHost>,
    func: Func,
) -> wasmtime::Result<()> {
    let ty = func.ty(&*store);
    if ty.params().len() > 0 {
        eprintln!(
            "warning: using `--invoke` with a function that takes arguments is experimental \
             and may break in the future"
        );
    }
    let name = invoke.unwrap_or("command default");
    let mut args = args.iter();
    let mut values = Vec::new();
    for ty in ty.params() {
        let arg = args
            .next()
            .ok_or_else(|| wasmtime::format_err!("not enough arguments for `{name}`"))?;
        let arg = arg
            .to_str()
            .ok_or_else(|| wasmtime::format_err!("argument is not valid utf-8: {arg:?}"))?;
        let hex = arg.strip_prefix("0x").or_else(|| arg.strip_prefix("0X"));
        values.push(match ty {
            ValType::I32 => Val::I32(match hex {
                Some(h) => i32::from_str_radix(h, 16)?,
                None => arg.parse()?,
            }),
            ValType::I64 => Val::I64(match hex {
                Some(h) => i64::from_str_radix(h, 16)?,
                None => arg.parse()?,
            }),
            ValType::F32 => Val::F32(arg.parse::<f32>()?.to_bits()),
            ValType::F64 => Val::F64(arg.parse::<f64>()?.to_bits()),
            t => wasmtime::bail!("unsupported argument type {t:?}"),
        });
    }
    let mut results = vec![Val::I32(0); ty.results().len()];
    func.call_async(&mut *store, &values, &mut results)
        .await
        .map_err(|e| e.context(format!("failed to invoke `{name}`")))?;
    if !results.is_empty() {
        eprintln!(
            "warning: using `--invoke` with a function that returns values is experimental \
             and may break in the future"
        );
    }
    for r in results {
        match r {
            Val::I32(i) => println!("{i}"),
            Val::I64(i) => println!("{i}"),
            Val::F32(f) => println!("{}", f32::from_bits(f)),
            Val::F64(f) => println!("{}", f64::from_bits(f)),
            Val::V128(v) => println!("{}", v.as_u128()),
            other => println!("<{:?}>", other.ty(&*store)?),
        }
    }
    Ok(())
}
