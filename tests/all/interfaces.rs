//! The served-interface lists (`p2_adapter::INTERFACES`, `p3_core::p3::INTERFACES`, from which
//! the CLI's import check and its messages are derived) against the linkers: for every
//! interface of the vendored WIT, a component importing just that interface instantiates
//! against the linker exactly when the list names it.

use wasi_bridge::run::Host;
use wasi_bridge::{ResourceTable, WasiCtx, WasiCtxView, WasiView};
use wasmtime::component::{Component, Linker};
use wit_parser::{LiftLowerAbi, ManglingAndAbi, Resolve};

/// Every interface of the vendored WIT in `dir`, as `wasi:pkg/iface@version`.
pub(crate) fn interfaces(dir: &str) -> (Resolve, Vec<String>) {
    let mut resolve = Resolve::default();
    resolve.push_dir(dir).expect("vendored WIT parses");
    interface_names(resolve)
}

/// Every `wasi` interface `resolve` holds, as `wasi:pkg/iface@version`.
pub(crate) fn interface_names(resolve: Resolve) -> (Resolve, Vec<String>) {
    let mut names = Vec::new();
    for (_, package) in &resolve.packages {
        if package.name.namespace != "wasi" {
            continue;
        }
        for name in package.interfaces.keys() {
            let version = package.name.version.as_ref().expect("versioned");
            names.push(format!(
                "{}:{}/{name}@{version}",
                package.name.namespace, package.name.name
            ));
        }
    }
    names.sort();
    (resolve, names)
}

/// A component that imports `interface` and nothing else.
pub(crate) fn importer(resolve: &Resolve, interface: &str, abi: ManglingAndAbi) -> Vec<u8> {
    let mut resolve = resolve.clone();
    let world = format!("package test:probe;\nworld probe {{ import {interface}; }}\n");
    let package = resolve.push_str("probe.wit", &world).expect("probe world");
    let world = resolve.select_world(&[package], Some("probe")).unwrap();
    let mut module = wit_component::dummy_module(&resolve, world, abi);
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .expect("probe component")
}

fn check<T: 'static>(dir: &str, list: &[&str], abi: ManglingAndAbi, link: fn(&mut Linker<T>)) {
    let engine = wasi_bridge::run::engine().unwrap();
    let mut linker = Linker::new(&engine);
    link(&mut linker);
    let (resolve, all) = interfaces(dir);
    let mut linked = Vec::new();
    for name in &all {
        let bytes = importer(&resolve, name, abi);
        let component = Component::new(&engine, &bytes).expect("probe compiles");
        if linker.instantiate_pre(&component).is_ok() {
            linked.push(name.split_once('@').unwrap().0.to_string());
        }
    }
    let mut listed: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    listed.sort();
    linked.sort();
    // An interface that defines only types has nothing to link and counts as served here; the
    // lists name each of those the vendored WIT has, since their types are served.
    assert_eq!(
        listed, linked,
        "the served-interface list and the linker disagree"
    );
}

#[test]
fn p2_interface_list_is_what_the_linker_serves() {
    check(
        "p2-adapter/wit",
        p2_adapter_interfaces(),
        ManglingAndAbi::Standard32,
        |l: &mut Linker<Host>| wasi_bridge::p2::add_to_linker_async(l).unwrap(),
    );
}

#[test]
fn p3_interface_list_is_what_the_linker_serves() {
    check(
        "p3-core/wit",
        wasi_bridge::run::SUPPORTED_P3,
        ManglingAndAbi::Legacy(LiftLowerAbi::AsyncCallback),
        |l: &mut Linker<Host>| wasi_bridge::p3::add_to_linker(l).unwrap(),
    );
}

fn p2_adapter_interfaces() -> &'static [&'static str] {
    wasi_bridge::run::SUPPORTED_P2
}

/// A host with wasi:http as well.
pub(crate) struct HttpHost {
    ctx: WasiCtx,
    http: wasi_bridge::http::WasiHttpCtx,
    table: ResourceTable,
}

impl WasiView for HttpHost {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

impl wasi_bridge::http::WasiHttpView for HttpHost {
    fn http(&mut self) -> wasi_bridge::http::WasiHttpCtxView<'_> {
        wasi_bridge::http::WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

#[test]
fn p2_http_interface_list_is_what_the_linker_serves() {
    let list: Vec<&str> = [p2_adapter_interfaces(), wasi_bridge::http::p2::INTERFACES].concat();
    check(
        "p2-adapter/wit",
        &list,
        ManglingAndAbi::Standard32,
        |l: &mut Linker<HttpHost>| {
            wasi_bridge::p2::add_to_linker_async(l).unwrap();
            wasi_bridge::http::p2::add_only_http_to_linker_async(l).unwrap();
        },
    );
}

#[test]
fn p3_http_interface_list_is_what_the_linker_serves() {
    let list: Vec<&str> = [
        wasi_bridge::run::SUPPORTED_P3,
        wasi_bridge::http::p3::INTERFACES,
    ]
    .concat();
    check(
        "p3-core/wit",
        &list,
        ManglingAndAbi::Legacy(LiftLowerAbi::AsyncCallback),
        |l: &mut Linker<HttpHost>| {
            wasi_bridge::p3::add_to_linker(l).unwrap();
            wasi_bridge::http::p3::add_to_linker(l).unwrap();
        },
    );
}

/// A plugin host that grants only `wasi:clocks` and `wasi:random`: its store holds only those
/// two per-package contexts, with wasmtime-wasi's names and shapes.
#[derive(Default)]
struct Granted {
    clocks: wasi_bridge::clocks::WasiClocksCtx,
    random: wasi_bridge::random::WasiRandomCtx,
    table: ResourceTable,
}

impl wasi_bridge::clocks::WasiClocksView for Granted {
    fn clocks(&mut self) -> wasi_bridge::clocks::WasiClocksCtxView<'_> {
        wasi_bridge::clocks::WasiClocksCtxView {
            ctx: &mut self.clocks,
            table: &mut self.table,
        }
    }
}

impl wasi_bridge::random::WasiRandomView for Granted {
    fn random(&mut self) -> &mut wasi_bridge::random::WasiRandomCtx {
        &mut self.random
    }
}

/// What a granted guest reads: two random numbers and two clock readings.
fn granted_readings(calls: impl FnMut(&str) -> u64) -> [u64; 4] {
    let mut calls = calls;
    [calls("random"), calls("random"), calls("now"), calls("now")]
}

fn check_granted_readings([r1, r2, t1, t2]: [u64; 4]) {
    assert_ne!(r1, r2, "wasi:random returned the same u64 twice");
    assert!(t2 >= t1, "the monotonic clock went back: {t1} then {t2}");
}

#[test]
fn a_p2_host_can_link_and_hold_only_clocks_and_random() {
    use wasi_bridge::p2::bindings::{clocks, random};
    let engine = wasmtime::Engine::default();
    let mut linker = Linker::<Granted>::new(&engine);
    // wasmtime-wasi's per-interface form: a HasData marker and a getter per package.
    clocks::monotonic_clock::add_to_linker::<_, wasi_bridge::clocks::WasiClocks>(
        &mut linker,
        |s| wasi_bridge::clocks::WasiClocksCtxView {
            ctx: &mut s.clocks,
            table: &mut s.table,
        },
    )
    .unwrap();
    random::random::add_to_linker::<_, wasi_bridge::random::WasiRandom>(&mut linker, |s| {
        &mut s.random
    })
    .unwrap();
    let mut store = wasmtime::Store::new(&engine, Granted::default());
    let granted = Component::from_file(&engine, "tests/guests/wasm/granted-p2.wasm").unwrap();
    let instance = linker.instantiate(&mut store, &granted).unwrap();
    let readings = granted_readings(|name| {
        let f = instance
            .get_typed_func::<(), (u64,)>(&mut store, name)
            .unwrap();
        let (v,) = f.call(&mut store, ()).unwrap();
        v
    });
    check_granted_readings(readings);
    // Nothing else is linked: a command that wants the environment does not instantiate.
    let command = Component::from_file(&engine, "tests/guests/wasm/p2-cli.wasm").unwrap();
    let err = linker
        .instantiate_pre(&command)
        .err()
        .expect("p2-cli needs more than granted");
    assert!(format!("{err:?}").contains("wasi:"), "{err:?}");
}

#[tokio::test]
async fn a_p3_host_can_link_and_hold_only_clocks_and_random() {
    let engine = wasi_bridge::run::engine().unwrap();
    let mut linker = Linker::<Granted>::new(&engine);
    // wasmtime-wasi's per-package form: `T` implements only the granted views.
    wasi_bridge::p3::clocks::add_to_linker(&mut linker).unwrap();
    wasi_bridge::p3::random::add_to_linker(&mut linker).unwrap();
    let mut store = wasmtime::Store::new(&engine, Granted::default());
    let granted = Component::from_file(&engine, "tests/guests/wasm/granted-p3.wasm").unwrap();
    let instance = linker
        .instantiate_async(&mut store, &granted)
        .await
        .unwrap();
    let mut readings = [0; 4];
    for (slot, name) in readings.iter_mut().zip(["random", "random", "now", "now"]) {
        let f = instance
            .get_typed_func::<(), (u64,)>(&mut store, name)
            .unwrap();
        let (v,) = f.call_async(&mut store, ()).await.unwrap();
        *slot = v;
    }
    check_granted_readings(readings);
    let command = Component::from_file(&engine, "tests/guests/wasm/p3-cli.wasm").unwrap();
    assert!(linker.instantiate_pre(&command).is_err());
}
