//! The served-interface lists (`p2_adapter::INTERFACES`, `p3_core::p3::INTERFACES`, from which
//! the CLI's import check and its messages are derived) against the linkers: for every
//! interface of the vendored WIT, a component importing just that interface instantiates
//! against the linker exactly when the list names it.

use wasi_bridge::run::Host;
use wasi_bridge::{ResourceTable, WasiCtx, WasiCtxView, WasiView};
use wasmtime::component::{Component, Linker};
use wit_parser::{LiftLowerAbi, ManglingAndAbi, Resolve};

/// Every interface of the vendored WIT in `dir`, as `wasi:pkg/iface@version`.
fn interfaces(dir: &str) -> (Resolve, Vec<String>) {
    let mut resolve = Resolve::default();
    resolve.push_dir(dir).expect("vendored WIT parses");
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
fn importer(resolve: &Resolve, interface: &str, abi: ManglingAndAbi) -> Vec<u8> {
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
        "wit/p2",
        p2_adapter_interfaces(),
        ManglingAndAbi::Standard32,
        |l: &mut Linker<Host>| wasi_bridge::p2::add_to_linker_async(l).unwrap(),
    );
}

#[test]
fn p3_interface_list_is_what_the_linker_serves() {
    check(
        "wit/p3",
        wasi_bridge::run::SUPPORTED_P3,
        ManglingAndAbi::Legacy(LiftLowerAbi::AsyncCallback),
        |l: &mut Linker<Host>| wasi_bridge::p3::add_to_linker(l).unwrap(),
    );
}

fn p2_adapter_interfaces() -> &'static [&'static str] {
    wasi_bridge::run::SUPPORTED_P2
}

/// A host with wasi:http as well.
struct HttpHost {
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
        "wit/p2",
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
        "wit/p3",
        &list,
        ManglingAndAbi::Legacy(LiftLowerAbi::AsyncCallback),
        |l: &mut Linker<HttpHost>| {
            wasi_bridge::p3::add_to_linker(l).unwrap();
            wasi_bridge::http::p3::add_to_linker(l).unwrap();
        },
    );
}
