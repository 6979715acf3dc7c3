//! `--invoke 'f(1, 2)'`: a WAVE-encoded call of a component export, found and printed as
//! `wasmtime run --invoke` does.

use crate::command::common::{Failure, usage};
use crate::command::host::CliHost;
use wasmtime::Store;
use wasmtime::component::types::{ComponentFunc, ComponentItem};
use wasmtime::component::wasm_wave::untyped::UntypedFuncCall;
use wasmtime::component::wasm_wave::wasm::{DisplayFuncResults, WasmFunc};
use wasmtime::component::{Component, ComponentExportIndex, Linker, Val};
use wit_parser::ItemName;

/// Calls the export `call` names with the arguments it gives, prints the results in WAVE
/// and returns the exit status (0, or the guest's own `exit`).
pub async fn invoke(
    store: &mut Store<CliHost>,
    linker: &Linker<CliHost>,
    component: &Component,
    call: &str,
) -> Result<i32, Failure> {
    let untyped = UntypedFuncCall::parse(call).map_err(|e| {
        usage(format!(
            "--invoke {call}: {e} (expected a WAVE call such as `run()` or `add(1, 2)`; \
             quote it for the shell)"
        ))
    })?;
    let name: ItemName = untyped.name().parse().map_err(|e| {
        usage(format!(
            "--invoke {call}: `{}` is not a WIT item name: {e}",
            untyped.name()
        ))
    })?;
    let (index, ty) = find(store.engine(), component, &name)?;
    let param_types = WasmFunc::params(&ty).collect::<Vec<_>>();
    let params = untyped
        .to_wasm_params::<Val>(&param_types)
        .map_err(|e| usage(format!("--invoke {call}: {e}")))?;
    let instance = linker
        .instantiate_async(&mut *store, component)
        .await
        .map_err(Failure::Guest)?;
    let func = instance
        .get_func(&mut *store, index)
        .ok_or_else(|| usage(format!("--invoke {call}: the export is not a function")))?;
    let mut results = vec![Val::Bool(false); ty.results().len()];
    let outcome = store
        .run_concurrent(async |store| func.call_concurrent(store, &params, &mut results).await)
        .await
        .and_then(|r| r);
    store.data_mut().flush_stdio().await;
    match crate::run::exit_status(outcome.map(|()| Ok(()))) {
        Ok(0) => {
            println!("{}", DisplayFuncResults(&results));
            Ok(0)
        }
        Ok(code) => Ok(code),
        Err(e) => Err(Failure::Guest(
            e.context(format!("failed to invoke `{call}`")),
        )),
    }
}

/// Finds a function export: `pkg:name/iface.func@ver` in its instance; a bare name at the
/// root, else in the one exported instance that has it.
fn find(
    engine: &wasmtime::Engine,
    component: &Component,
    name: &ItemName,
) -> Result<(ComponentExportIndex, ComponentFunc), Failure> {
    let not_found = || usage(format!("No exported func named `{name}` in component."));
    if let Some(instance) = name.instance_name() {
        let (_, instance) = component
            .get_export(None, &instance)
            .ok_or_else(not_found)?;
        return match component.get_export(Some(&instance), &name.name) {
            Some((ComponentItem::ComponentFunc(f), index)) => Ok((index, f)),
            _ => Err(not_found()),
        };
    }
    if let Some((ComponentItem::ComponentFunc(f), index)) = component.get_export(None, &name.name) {
        return Ok((index, f));
    }
    let mut found = Vec::new();
    for (instance, item) in component.component_type().exports(engine) {
        if let ComponentItem::ComponentInstance(ty) = item.ty
            && ty.exports(engine).any(|(leaf, item)| {
                leaf == name.name && matches!(item.ty, ComponentItem::ComponentFunc(_))
            })
        {
            found.push(instance.to_string());
        }
    }
    match found.as_slice() {
        [] => Err(not_found()),
        [instance] => {
            let (_, instance) = component.get_export(None, instance).ok_or_else(not_found)?;
            match component.get_export(Some(&instance), &name.name) {
                Some((ComponentItem::ComponentFunc(f), index)) => Ok((index, f)),
                _ => Err(not_found()),
            }
        }
        many => Err(usage(format!(
            "Multiple instances contained funcs named `{}`, retry with a more specific name: {}",
            name.name,
            many.iter()
                .map(|i| match i.split_once('@') {
                    Some((iface, version)) => format!("`{iface}.{}@{version}`", name.name),
                    None => format!("`{i}.{}`", name.name),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
