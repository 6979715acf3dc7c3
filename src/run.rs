//! Running a whole WASI program: detect what it is (p1 module, p2, p3 or mixed component),
//! prepare it, and run it to an exit status on one [`WasiCtx`].
//!
//! What `wasi-bridge run` does, in a few calls:
//!
//! ```
//! use wasi_bridge::WasiCtx;
//! use wasi_bridge::p2::pipe::MemoryOutputPipe;
//! use wasi_bridge::run;
//! use wasmtime::component::Component;
//!
//! # fn main() -> wasmtime::Result<()> {
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let engine = run::engine()?;
//! let linker = run::linker(&engine)?; // both ABIs
//! let component = Component::from_file(&engine, "tests/guests/wasm/p2-cli.wasm")?;
//! run::check_imports(&engine, &component).expect("wasi-bridge serves every import");
//! let entry = run::entry_of(&engine, &component).expect("a command");
//! assert_eq!(entry, run::Entry::P2);
//!
//! let stdout = MemoryOutputPipe::new(4096);
//! let ctx = WasiCtx::builder().args(&["p2-cli", "hello"]).stdout(stdout.clone()).build();
//! let status = run::run(&engine, &linker, &component, ctx, entry).await?;
//! assert_eq!(status, 0);
//! assert_eq!(&stdout.contents()[..], b"hello from p2\n");
//! # Ok::<_, wasmtime::Error>(())
//! # })
//! # }
//! ```

use crate::{ResourceTable, WasiCtx, WasiCtxView, WasiView};
use p3_core::p3::{rc_2025_09_16, rc_2026_01_06};
use wasmtime::component::{Component, Linker, types::ComponentItem};
use wasmtime::{Engine, Store};

/// The store data used by [`run`]: a context and a resource table.
pub struct Host {
    /// The WASI context.
    pub ctx: WasiCtx,
    /// The resource table.
    pub table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

/// Which entry point to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// `wasi:cli/run@0.2.x`, run with `call_async`.
    P2,
    /// `wasi:cli/run@0.3.x`, run on the component-model event loop.
    P3,
}

/// Whether to turn wasmtime's pooling allocator on for a server, as `wasmtime serve` 48 decides
/// it (`Some(true)`), or leave it off (`None`): its default pool reserves about 2^42 bytes of
/// address space (1000 linear memories of 4 GiB plus guards), which some systems cannot give
/// (39-bit address spaces, a `ulimit -v`), and a store that can reserve one 2^42-byte memory
/// says the machine can. Pass the answer to `wasmtime_cli_flags::CommonOptions::config`, or
/// turn the allocator on with `Config::allocation_strategy` when it is `Some(true)`.
pub fn pooling_allocator_by_default() -> Option<bool> {
    const BITS: u32 = 42;
    let mut config = wasmtime::Config::new();
    config.wasm_memory64(true);
    config.memory_reservation(1 << BITS);
    let engine = Engine::new(&config).ok()?;
    let mut store = wasmtime::Store::new(&engine, ());
    // The maximum is counted in 64 KiB pages.
    let ty = wasmtime::MemoryType::new64(0, Some(1 << (BITS - 16)));
    wasmtime::Memory::new(&mut store, ty)
        .is_ok()
        .then_some(true)
}

/// A configured engine for WASI programs of every version, with [`refuse_unbuilt_proposals`].
pub fn engine() -> wasmtime::Result<Engine> {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model_async(true);
    refuse_unbuilt_proposals(&mut config);
    Engine::new(&config)
}

/// Turns off, in `config`, the WebAssembly proposals wasmtime 48.0.8 enables by default but
/// cannot run safely in this build: the GC proposal. wasi-bridge builds wasmtime without its
/// `gc` feature, and wasmtime 48.0.8 then still validates the GC proposal's function
/// subtypes while the runtime check a `call_indirect` on such a type needs is compiled out:
/// the process aborts (GHSA-rc4p-x33f-vpr2, fixed in wasmtime 48.0.9). With the proposal
/// off, such a module or component is refused when it is compiled. [`engine`] and the
/// `wasi-bridge` command call this; an embedder that builds its own `wasmtime::Config`
/// without wasmtime's `gc` feature should call it too.
pub fn refuse_unbuilt_proposals(config: &mut wasmtime::Config) -> &mut wasmtime::Config {
    config.wasm_gc(false)
}

/// `error`, a failure to compile a program, with why: a program that uses the GC proposal is
/// told that this build refuses it ([`refuse_unbuilt_proposals`]), and one of the mid-2025
/// `[async]`-named encoding which toolchains made it and what to rebuild it with.
pub fn explain_compile_error(error: &wasmtime::Error) -> String {
    // wasmparser's words for a GC type, subtype or instruction met with the proposal off.
    const GC_REFUSED: &[&str] = &[
        "gc proposal",
        "gc support is not enabled",
        "gc types are disallowed",
        "without the gc feature",
    ];
    let text = format!("{error:#}");
    if text.contains("`[async]") && text.contains("is not a valid extern name") {
        // wasmparser's two lines for a function name of the mid-2025 encoding.
        return "it names functions `[async]…`, the encoding of the WASI 0.3 release \
                candidates of mid-2025 (wit-bindgen before 0.48, componentize-py before 0.20), \
                which wasmtime 48 no longer reads; rebuild it against WASI 0.3.0 (e.g. \
                wit-bindgen 0.63)"
            .to_string();
    }
    if GC_REFUSED.iter().any(|words| text.contains(words)) {
        format!(
            "{text} (it uses the WebAssembly GC proposal, which this build of wasi-bridge \
             refuses: its wasmtime 48.0.8 has no garbage collector, and `-W gc=y` cannot turn \
             one on; docs/differences.md)"
        )
    } else {
        text
    }
}

/// The `wasi:*@0.2.x` interfaces wasi-bridge serves (any patch version): the p2 adapter's
/// list, which its linker is tested against.
pub const SUPPORTED_P2: &[&str] = p2_adapter::INTERFACES;

/// The `wasi:*@0.3.0` interfaces wasi-bridge serves (and every `0.3.N` of them, see
/// [`is_p3_version`]): the p3 bindings' list, which their linker is tested against.
pub const SUPPORTED_P3: &[&str] = p3_core::p3::INTERFACES;

/// Whether `version` (what follows the `@` of an import or export name) is a WASI 0.3 release:
/// `0.3.N`, no pre-release. These are the versions wasmtime's linker takes as semver-compatible
/// with the `0.3.0` the p3 bindings define, so a guest built against `wasi:*@0.3.2` runs
/// on them; a function a newer release adds, and the core lacks, is refused by name when the
/// component is linked.
///
/// ```
/// use wasi_bridge::run::is_p3_version;
/// assert!(is_p3_version("0.3.0") && is_p3_version("0.3.2") && is_p3_version("0.3.17"));
/// assert!(!is_p3_version("0.3.0-rc-2026-03-15") && !is_p3_version("0.2.6"));
/// assert!(!is_p3_version("0.4.0") && !is_p3_version("0.3"));
/// ```
pub fn is_p3_version(version: &str) -> bool {
    semver::Version::parse(version).is_ok_and(|v| v.major == 0 && v.minor == 3 && v.pre.is_empty())
}

/// Whether `name` (`wasi:cli/run@0.3.2`) is `interface` (`wasi:cli/run`) at a WASI 0.3
/// release ([`is_p3_version`]).
pub fn is_p3_name(name: &str, interface: &str) -> bool {
    name.split_once('@')
        .is_some_and(|(iface, version)| iface == interface && is_p3_version(version))
}

/// The packages (`wasi:cli`, ...) of a list of interfaces, each once, in order.
fn packages(interfaces: &[&'static str]) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for iface in interfaces {
        let package = iface.split_once('/').map_or(*iface, |(p, _)| p);
        if !out.contains(&package) {
            out.push(package);
        }
    }
    out
}

/// Why a component's imports cannot be satisfied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportProblem {
    /// It was built against a WASI release candidate (`0.3.0-rc-…`, `0.2.0-rc-…`); these
    /// imports name one.
    ReleaseCandidate(Vec<String>),
    /// It imports interfaces wasi-bridge does not provide.
    Unsupported(Vec<String>),
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportProblem::ReleaseCandidate(names) => write!(
                f,
                "it was built against a WASI release candidate ({}); rebuild it against a WASI \
                 release: 0.2.x, or 0.3.x (the wasi@0.3.0 WIT, e.g. wit-bindgen 0.63)",
                names.join(", ")
            ),
            ImportProblem::Unsupported(names) => write!(
                f,
                "it imports interfaces wasi-bridge does not provide: {}; supported are {} at \
                 @0.2.x and {} at @0.3.x",
                names.join(", "),
                packages(SUPPORTED_P2).join(", "),
                packages(SUPPORTED_P3).join(", "),
            ),
        }
    }
}

impl std::error::Error for ImportProblem {}

/// Checks every import of `component` against what wasi-bridge provides.
///
/// ```
/// use wasi_bridge::run::{self, ImportProblem};
/// use wasmtime::component::Component;
///
/// let engine = run::engine()?;
/// let component = Component::from_file(&engine, "tests/guests/wasm/needs-http.wasm")?;
/// let problem = run::check_imports(&engine, &component).unwrap_err();
/// assert!(matches!(&problem, ImportProblem::Unsupported(names)
///     if names.iter().any(|n| n.starts_with("wasi:http/"))));
/// // The message names what is missing and what is served.
/// assert!(problem.to_string().contains("supported are wasi:io, wasi:cli"));
/// # Ok::<_, wasmtime::Error>(())
/// ```
pub fn check_imports(engine: &Engine, component: &Component) -> Result<(), ImportProblem> {
    let ty = component.component_type();
    check_import_names(ty.imports(engine).map(|(name, _)| name))
}

/// [`check_imports`] over import names (for hosts that link more than WASI and leave their own
/// imports out of the list).
pub fn check_import_names<'a>(
    imports: impl IntoIterator<Item = &'a str>,
) -> Result<(), ImportProblem> {
    let (mut rc, mut unsupported) = (Vec::new(), Vec::new());
    for name in imports {
        let (iface, version) = name.split_once('@').unwrap_or((name, ""));
        let pre_release = semver::Version::parse(version).is_ok_and(|v| !v.pre.is_empty());
        // A candidate of a package served at some release (wasi:http: `serve`, `-S http`).
        let package = iface.split_once('/').map_or(iface, |(p, _)| p);
        let served = |list: &[&str]| {
            list.iter()
                .any(|i| i.split_once('/').is_some_and(|(p, _)| p == package))
        };
        if is_veneered(iface, version) {
            continue;
        }
        if (version == rc_2026_01_06::VERSION && rc_2026_01_06::http::INTERFACES.contains(&iface))
            || (version == rc_2025_09_16::VERSION
                && rc_2025_09_16::http::INTERFACES.contains(&iface))
        {
            // Served with wasi:http (`-S http`, `serve`), as wasi:http of a release is.
            unsupported.push(name.to_string());
            continue;
        }
        if pre_release && (served(SUPPORTED_P2) || served(SUPPORTED_P3) || package == "wasi:http") {
            rc.push(name.to_string());
        } else if !((version.starts_with("0.2.") && SUPPORTED_P2.contains(&iface))
            || (is_p3_version(version) && SUPPORTED_P3.contains(&iface)))
        {
            unsupported.push(name.to_string());
        }
    }
    if !rc.is_empty() {
        Err(ImportProblem::ReleaseCandidate(rc))
    } else if !unsupported.is_empty() {
        Err(ImportProblem::Unsupported(unsupported))
    } else {
        Ok(())
    }
}

/// The WASI release candidates whose interfaces have the shape of a release wasi-bridge serves:
/// `(candidate, release)`.
///
/// - `0.3.0-rc-2026-03-15` (wasmtime 43–45, wasip3 0.5–0.6, spin-sdk 6, componentize-py
///   0.22–0.24; Spin 4 serves it) differs from `0.3.0` only in its version and comments —
///   every package, wasi:http included, compared.
/// - `0.3.0-rc-2026-01-06` (wasmtime 41–42, wasip3 0.4, componentize-py 0.21): its clocks,
///   random, `wasi:cli/{environment,exit,stdin,types,run,terminal-*}`, `wasi:http/{client,
///   handler}` have 0.3.0's shape; the seven interfaces whose shape differs keep their names
///   ([`KEPT_NAMES`]) and are served by the core's veneer for them
///   (`p3_core::p3::rc_2026_01_06`).
/// - `0.3.0-rc-2025-09-16` (wasmtime 38–40, wit-bindgen 0.48+, componentize-py 0.20): the same
///   as `-2026-01-06` where that has 0.3.0's shape; its stdout, stderr, sockets and
///   `wasi:http/types` have `-2026-01-06`'s shape and are renamed to it ([`RENAMED_TO`]); its
///   `wall-clock` and filesystem keep their names (`p3_core::p3::rc_2025_09_16`).
/// - `0.2.0-rc-2023-11-10` (wasmtime 15, cargo-component 0.5's adapter) and
///   `0.2.0-rc-2023-12-05` (wasmtime 16, cargo-component 0.6's adapter, componentize-py 0.9;
///   its guests import wasi:cli and wasi:http at `-12-05`, the rest at `-11-10`): every
///   function 0.2.0 has is the same, but for `-11-10`'s wasi:http ([`KEPT_NAMES`]);
///   0.2.0 adds functions (served, unused by these guests) and drops `ipv6-only` /
///   `set-ipv6-only` of TCP and UDP sockets, which the p2 adapter links for them.
pub const SAME_SHAPE_CANDIDATES: &[(&str, &str)] = &[
    ("0.3.0-rc-2026-03-15", "0.3.0"),
    ("0.3.0-rc-2026-01-06", "0.3.0"),
    ("0.3.0-rc-2025-09-16", "0.3.0"),
    ("0.2.0-rc-2023-11-10", "0.2.0"),
    ("0.2.0-rc-2023-12-05", "0.2.0"),
];

/// The packages and interfaces of a [`SAME_SHAPE_CANDIDATES`] version that do not have their
/// release's shape and keep their names: `(candidate, package or interface)`. The core's
/// veneers serve `0.3.0-rc-2026-01-06`'s under the candidate's names (stdout, stderr,
/// filesystem and sockets; `wasi:http/types`, whose `header-error` and `request-options-error`
/// lack `other`, with wasi:http) and `0.3.0-rc-2025-09-16`'s (`wall-clock`, filesystem); a
/// guest importing `0.2.0-rc-2023-11-10`'s wasi:http (`future-trailers.get` nests its result
/// differently and `request-options` names its timeouts `…-timeout-ms`) or
/// `0.3.0-rc-2025-09-16`'s unstable `timezone` (no version served here has one) is refused as
/// a release candidate.
pub const KEPT_NAMES: &[(&str, &str)] = &[
    ("0.2.0-rc-2023-11-10", "wasi:http"),
    ("0.3.0-rc-2025-09-16", "wasi:clocks/wall-clock"),
    ("0.3.0-rc-2025-09-16", "wasi:clocks/timezone"),
    ("0.3.0-rc-2025-09-16", "wasi:filesystem"),
    ("0.3.0-rc-2026-01-06", "wasi:http/types"),
    ("0.3.0-rc-2026-01-06", "wasi:cli/stdout"),
    ("0.3.0-rc-2026-01-06", "wasi:cli/stderr"),
    ("0.3.0-rc-2026-01-06", "wasi:filesystem"),
    ("0.3.0-rc-2026-01-06", "wasi:sockets"),
];

/// The interfaces of a [`SAME_SHAPE_CANDIDATES`] version that keep their names when a
/// component imports them (exported, they are renamed as the rest): `0.3.0-rc-2025-09-16`'s
/// `wasi:http/handler`, which its guests import to send requests (that candidate has no
/// `client`), served by `p3_core::p3::rc_2025_09_16::http` with 0.3.0's `client.send`, and
/// export as 0.3.0's handler.
pub const KEPT_IMPORTS: &[(&str, &str)] = &[("0.3.0-rc-2025-09-16", "wasi:http/handler")];

/// The packages and interfaces of a [`SAME_SHAPE_CANDIDATES`] version that have the shape of
/// another candidate's served under its own names: `(candidate, package or interface, the
/// version its names take)`. `0.3.0-rc-2025-09-16`'s stdout, stderr, sockets and
/// `wasi:http/types` are `0.3.0-rc-2026-01-06`'s (compared, `tests/all/versions.rs`).
pub const RENAMED_TO: &[(&str, &str, &str)] = &[
    (
        "0.3.0-rc-2025-09-16",
        "wasi:cli/stdout",
        "0.3.0-rc-2026-01-06",
    ),
    (
        "0.3.0-rc-2025-09-16",
        "wasi:cli/stderr",
        "0.3.0-rc-2026-01-06",
    ),
    ("0.3.0-rc-2025-09-16", "wasi:sockets", "0.3.0-rc-2026-01-06"),
    (
        "0.3.0-rc-2025-09-16",
        "wasi:http/types",
        "0.3.0-rc-2026-01-06",
    ),
];

/// Whether `iface@version` is one of the candidate interfaces the core serves under their own
/// names (`p3_core::p3::rc_2026_01_06`, `rc_2025_09_16`).
fn is_veneered(iface: &str, version: &str) -> bool {
    (version == rc_2026_01_06::VERSION && rc_2026_01_06::INTERFACES.contains(&iface))
        || (version == rc_2025_09_16::VERSION && rc_2025_09_16::INTERFACES.contains(&iface))
}

/// `name` with a [`SAME_SHAPE_CANDIDATES`] version replaced by its release, if it has one.
fn final_name(name: &str, import: bool) -> Option<String> {
    let (iface, version) = name.split_once('@')?;
    let (_, release) = SAME_SHAPE_CANDIDATES
        .iter()
        .find(|(rc, _)| *rc == version)?;
    let package = iface.split_once('/').map_or(iface, |(p, _)| p);
    let matches = |rc: &str, named: &str| rc == version && (named == package || named == iface);
    if !iface.starts_with("wasi:")
        || KEPT_NAMES.iter().any(|(rc, kept)| matches(rc, kept))
        || (import && KEPT_IMPORTS.iter().any(|(rc, kept)| matches(rc, kept)))
    {
        return None;
    }
    let target = RENAMED_TO
        .iter()
        .find(|(rc, named, _)| matches(rc, named))
        .map_or(*release, |(_, _, to)| *to);
    Some(format!("{iface}@{target}"))
}

/// A component built against a WASI release candidate whose interfaces have the shape of a
/// release ([`SAME_SHAPE_CANDIDATES`]), with its top-level `wasi:*` import and export names
/// renamed to that release, so the one set of bindings serves it: `None` when `bytes` names no
/// such candidate (or is not a component). Nothing else of the component changes (its core
/// modules and nested components are copied as they are). `run`, `serve` and the containerd
/// shim do this before compiling; an embedder calls it on the bytes it compiles.
///
/// ```
/// use wasi_bridge::run;
/// use wasmtime::component::Component;
/// let rc = std::fs::read("tests/guests/wasm/p3-cli-rc-2026-03-15.wasm")?;
/// let engine = run::engine()?;
/// let as_built = Component::new(&engine, &rc)?;
/// assert!(run::check_imports(&engine, &as_built).is_err());
/// let renamed = Component::new(&engine, run::final_names(&rc).expect("a candidate"))?;
/// run::check_imports(&engine, &renamed)?;
/// assert!(run::entry_of(&engine, &renamed).is_some());
/// // A release's component is left as it is.
/// assert!(run::final_names(&std::fs::read("tests/guests/wasm/p3-cli.wasm")?).is_none());
/// # Ok::<_, wasmtime::Error>(())
/// ```
pub fn final_names(bytes: &[u8]) -> Option<Vec<u8>> {
    // Every `run` and `serve` start comes here: a release's component (nearly all) costs one
    // pass over its top-level section headers, and nothing is copied.
    if !wasmparser::Parser::is_component(bytes) || !names_a_candidate(bytes) {
        return None;
    }
    rename_candidates(bytes)
}

/// Whether a top-level import or export of the component `bytes` names a
/// [`SAME_SHAPE_CANDIDATES`] version (nested modules and components are skipped unread).
fn names_a_candidate(bytes: &[u8]) -> bool {
    use wasmparser::{Chunk, Parser, Payload};
    let mut parser = Parser::new(0);
    let mut rest = bytes;
    loop {
        let Ok(Chunk::Parsed { consumed, payload }) = parser.parse(rest, true) else {
            return false;
        };
        let mut skip = 0;
        match payload {
            Payload::End(_) => return false,
            Payload::ComponentImportSection(reader) => {
                let names = reader.into_iter().flatten().map(|i| i.name.name);
                if names.into_iter().any(|n| final_name(n, true).is_some()) {
                    return true;
                }
            }
            Payload::ComponentExportSection(reader) => {
                let names = reader.into_iter().flatten().map(|e| e.name.name);
                if names.into_iter().any(|n| final_name(n, false).is_some()) {
                    return true;
                }
            }
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => skip = unchecked_range.len(),
            _ => {}
        }
        let Some(next) = rest.get(consumed + skip..) else {
            return false;
        };
        rest = next;
    }
}

/// [`final_names`]' rewrite, for a component [`names_a_candidate`].
fn rename_candidates(bytes: &[u8]) -> Option<Vec<u8>> {
    use wasm_encoder::reencode::{ReencodeComponent, RoundtripReencoder};
    use wasmparser::{Chunk, Parser, Payload};
    let mut out = wasm_encoder::Component::new();
    let mut renamed = false;
    let mut parser = Parser::new(0);
    let mut rest = bytes;
    loop {
        let Ok(Chunk::Parsed { consumed, payload }) = parser.parse(rest, true) else {
            return None;
        };
        let section = payload.as_section();
        let mut skip = 0;
        match payload {
            Payload::End(_) => break,
            Payload::Version { .. } => {}
            Payload::ComponentImportSection(reader) => {
                let mut imports = wasm_encoder::ComponentImportSection::new();
                for import in reader {
                    let import = import.ok()?;
                    let name = final_name(import.name.name, true);
                    renamed |= name.is_some();
                    let ty = RoundtripReencoder.component_type_ref(import.ty).ok()?;
                    imports.import(name.as_deref().unwrap_or(import.name.name), ty);
                }
                out.section(&imports);
            }
            Payload::ComponentExportSection(reader) => {
                let mut exports = wasm_encoder::ComponentExportSection::new();
                for export in reader {
                    let export = export.ok()?;
                    let name = final_name(export.name.name, false);
                    renamed |= name.is_some();
                    let ty = match export.ty {
                        Some(ty) => Some(RoundtripReencoder.component_type_ref(ty).ok()?),
                        None => None,
                    };
                    exports.export(
                        name.as_deref().unwrap_or(export.name.name),
                        export.kind.into(),
                        export.index,
                        ty,
                    );
                }
                out.section(&exports);
            }
            Payload::ModuleSection {
                unchecked_range, ..
            }
            | Payload::ComponentSection {
                unchecked_range, ..
            } => {
                // Copied whole: its own names are not WASI's. The parser has stepped over it;
                // its bytes follow the header just consumed.
                skip = unchecked_range.len();
                let (id, range) = section?;
                // The parser does not check a nested section's length against the input.
                out.section(&wasm_encoder::RawSection {
                    id,
                    data: bytes.get(range)?,
                });
            }
            _ => {
                let (id, range) = section?;
                out.section(&wasm_encoder::RawSection {
                    id,
                    data: bytes.get(range)?,
                });
            }
        }
        rest = rest.get(consumed + skip..)?;
    }
    renamed.then(|| out.finish())
}

/// True if `bytes` is a core wasm module (as opposed to a component).
pub fn is_core_module(bytes: &[u8]) -> bool {
    wasmparser::Parser::is_core_wasm(bytes)
}

/// True if `bytes` is a component exporting an HTTP handler (`wasi:http/handler@0.3.x` or
/// `wasi:http/incoming-handler@0.2.x`), the components `serve` takes. Read from the binary's
/// own export section, without compiling it; false for anything that does not parse.
pub fn exports_http_handler(bytes: &[u8]) -> bool {
    use wasmparser::{Parser, Payload};
    // Nested modules and components have export sections of their own: only the outermost
    // component's count.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload {
            Ok(Payload::ModuleSection { .. } | Payload::ComponentSection { .. }) => depth += 1,
            Ok(Payload::End(_)) => depth = depth.saturating_sub(1),
            Ok(Payload::ComponentExportSection(exports)) if depth == 0 => {
                for export in exports.into_iter().flatten() {
                    let name = export.name.name;
                    let name = final_name(name, false).unwrap_or_else(|| name.to_string());
                    if is_p3_name(&name, "wasi:http/handler")
                        || name.starts_with("wasi:http/incoming-handler@0.2.")
                    {
                        return true;
                    }
                }
            }
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

/// Wraps a WASIp1 core module with the official preview1 command adapter into a component.
///
/// ```
/// use wasi_bridge::run;
///
/// let module = std::fs::read("tests/guests/wasm/hello.p1.wasm")?;
/// assert!(run::is_core_module(&module));
/// let engine = run::engine()?;
/// let component = run::componentize_p1(&module)?;
/// let component = wasmtime::component::Component::new(&engine, &component)?;
/// // It runs on the p2 adapter, like any p2 command.
/// assert_eq!(run::entry_of(&engine, &component), Some(run::Entry::P2));
/// # Ok::<_, wasmtime::Error>(())
/// ```
pub fn componentize_p1(module: &[u8]) -> wasmtime::Result<Vec<u8>> {
    // wit-component slices sections by the ranges its parser reports; a truncated module would
    // make it panic (found by the `load` fuzz target), so the module is validated first.
    wasmparser::Validator::new_with_features(wasmparser::WasmFeatures::all())
        .validate_all(module)
        .map_err(|e| wasmtime::format_err!("not a valid WASIp1 module: {e}"))?;
    let adapter = wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_COMMAND_ADAPTER;
    let mut encoder = wit_component::ComponentEncoder::default()
        .module(module)
        .and_then(|e| e.adapter("wasi_snapshot_preview1", adapter))
        .map_err(|e| wasmtime::format_err!("failed to wrap the WASIp1 module: {e:#}"))?
        .validate(true);
    encoder
        .encode()
        .map_err(|e| wasmtime::format_err!("failed to wrap the WASIp1 module: {e:#}"))
}

/// Finds the entry point of a component: `run@0.3.x` if exported, else `run@0.2.x`.
pub fn entry_of(engine: &Engine, component: &Component) -> Option<Entry> {
    let ty = component.component_type();
    let mut entry = None;
    for (name, item) in ty.exports(engine) {
        if !matches!(item.ty, ComponentItem::ComponentInstance(_)) {
            continue;
        }
        if is_p3_name(name, "wasi:cli/run") {
            return Some(Entry::P3);
        }
        if name.starts_with("wasi:cli/run@0.2.") {
            entry = Some(Entry::P2);
        }
    }
    entry
}

/// A linker with both ABIs for [`Host`].
pub fn linker(engine: &Engine) -> wasmtime::Result<Linker<Host>> {
    let mut linker = Linker::new(engine);
    // The library's linker also serves the unstable `network-error-code`; it only reads an
    // error the guest already holds.
    let options = LinkOptions {
        p3: true,
        network_error_code: true,
    };
    add_to_linker_with(&mut linker, options)?;
    Ok(linker)
}

/// What [`add_to_linker_with`] links beside the `wasi:*@0.2.x` interfaces (as `wasmtime run
/// -S p3,network-error-code` chooses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkOptions {
    /// The `wasi:*@0.3.0` interfaces.
    pub p3: bool,
    /// p2's unstable `wasi:sockets/network.network-error-code`.
    pub network_error_code: bool,
}

impl Default for LinkOptions {
    /// WASIp3 on, as in `wasmtime run` 48; the unstable function off.
    fn default() -> Self {
        LinkOptions {
            p3: true,
            network_error_code: false,
        }
    }
}

/// Adds the `wasi:*@0.2.x` interfaces and what `options` adds to a linker for any store data
/// that is a [`WasiView`].
pub fn add_to_linker_with<T: WasiView + 'static>(
    linker: &mut Linker<T>,
    options: LinkOptions,
) -> wasmtime::Result<()> {
    let mut p2 = p2_adapter::bindings::LinkOptions::default();
    p2.network_error_code(options.network_error_code);
    p2_adapter::add_to_linker_with_options_async(linker, &p2)?;
    if options.p3 {
        p3_core::p3::add_to_linker(linker)?;
    }
    Ok(())
}

/// The exit status of a guest that returned or exited, or the error that trapped it.
pub fn exit_status(result: wasmtime::Result<Result<(), ()>>) -> wasmtime::Result<i32> {
    match result {
        Ok(Ok(())) => Ok(0),
        Ok(Err(())) => Ok(1),
        Err(e) => match e.downcast_ref::<crate::I32Exit>() {
            Some(exit) => Ok(exit.0),
            None => Err(e),
        },
    }
}

/// Runs `component` to completion with `ctx` and returns its exit status; a trap is an error.
///
/// stdout and stderr are flushed before this returns, whichever way the guest ended.
pub async fn run(
    engine: &Engine,
    linker: &Linker<Host>,
    component: &Component,
    ctx: WasiCtx,
    entry: Entry,
) -> wasmtime::Result<i32> {
    let mut store = Store::new(
        engine,
        Host {
            ctx,
            table: ResourceTable::new(),
        },
    );
    run_in(&mut store, linker, component, entry).await
}

/// [`run`] in a store the caller prepared (limits, fuel, epoch deadline, other contexts).
///
/// A panic inside wasmtime while the program runs (a bug of the runtime a guest can reach)
/// is this call's error, not the caller's panic.
pub async fn run_in<T: WasiView + 'static>(
    store: &mut Store<T>,
    linker: &Linker<T>,
    component: &Component,
    entry: Entry,
) -> wasmtime::Result<i32> {
    // A panic in the runtime (a wasmtime 48.0.8 bug the guest reached) ends this program
    // with an error, not the caller's thread.
    crate::contain::contain("the program", async move {
        let result = match entry {
            Entry::P3 => {
                let command =
                    crate::p3::bindings::Command::instantiate_async(&mut *store, component, linker)
                        .await?;
                store
                    .run_concurrent(async move |store| command.wasi_cli_run().call_run(store).await)
                    .await
                    .and_then(|r| r)
            }
            Entry::P2 => {
                let command =
                    crate::p2::bindings::Command::instantiate_async(&mut *store, component, linker)
                        .await?;
                command.wasi_cli_run().call_run(&mut *store).await
            }
        };
        store.data_mut().ctx().ctx.flush_stdio().await;
        exit_status(result)
    })
    .await
    .and_then(|status| status)
}
