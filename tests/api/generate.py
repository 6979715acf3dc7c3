#!/usr/bin/env python3
"""The public names of wasmtime-wasi 48.0.8 and wasmtime-wasi-http 48.0.8, and the test that
`use`s each of them under wasi-bridge's paths.

    python3 tests/api/generate.py            # rustdoc JSON (nightly) -> names.txt -> api_names.rs
    python3 tests/api/generate.py --from-list   # names.txt -> api_names.rs only (no nightly)

The names come from rustdoc's JSON output (`cargo +nightly rustdoc -- --output-format json`) of
the two crates with the features a host uses (wasmtime-wasi: p0, p1, p2, p3; wasmtime-wasi-http:
p2, p3, default-send-request, component-model-async), built in a scratch crate outside the repository. A name is every
public path a host can write: modules, types, traits, functions, constants, macros, and
re-exports, walked from each crate root. Generated bindings are listed to one level below each
`bindings` module (the world types, `LinkOptions`, the per-package modules and `sync`): below
that they are WIT-generated code with the same shape in any bindgen of the same WIT. The
witx-generated modules of p0 and p1 (`types`, `wasi_unstable`, `wasi_snapshot_preview1`) are
listed without their contents, for the same reason.

`names.txt` holds one `crate kind path generics` line per name (generics: `L`/`T`/`C` per
lifetime, type and const parameter, `-` for none, `?` for another crate's item); `exceptions.txt` lists the names that
cannot exist under wasi-bridge with the reason (docs/differences.md repeats them). The
generated test (`tests/all/api_names.rs`) `use`s every other name under the swapped path
(`wasmtime_wasi::` -> `wasi_bridge::`, `wasmtime_wasi_http::` -> `wasi_bridge::http::`) and
checks its kind where the kind can be checked without knowing generic parameters.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
CRATES = {
    "wasmtime_wasi": ("wasmtime-wasi", '["p0", "p1", "p2", "p3"]', "wasi_bridge"),
    "wasmtime_wasi_http": (
        "wasmtime-wasi-http",
        '["p2", "p3", "default-send-request", "component-model-async"]',
        "wasi_bridge::http",
    ),
}
VERSION = "48.0.8"


def rustdoc_json(work: pathlib.Path) -> dict:
    (work / "src").mkdir(parents=True, exist_ok=True)
    deps = "\n".join(
        f'{pkg} = {{ version = "={VERSION}", features = {features} }}'
        for pkg, features, _ in CRATES.values()
    )
    (work / "Cargo.toml").write_text(
        f'[package]\nname = "apilist"\nversion = "0.0.0"\nedition = "2024"\n'
        f"[dependencies]\n{deps}\n[workspace]\n"
    )
    (work / "src/lib.rs").write_text("")
    lock = REPO / "Cargo.lock"
    if lock.exists():
        (work / "Cargo.lock").write_bytes(lock.read_bytes())
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", work / "target"))
    docs = {}
    for krate, (pkg, _, _) in CRATES.items():
        subprocess.run(
            ["cargo", "+nightly", "rustdoc", "-q", "-p", pkg, "--",
             "-Zunstable-options", "--output-format", "json"],
            cwd=work, check=True, env={**os.environ, "CARGO_TARGET_DIR": str(target)},
        )
        docs[krate] = json.loads((target / "doc" / f"{krate}.json").read_text())
    return docs


KINDS = {
    "module": "mod", "struct": "struct", "enum": "enum", "union": "union", "trait": "trait",
    "function": "fn", "type_alias": "type", "constant": "const", "static": "static",
    "macro": "macro", "proc_macro": "macro", "trait_alias": "trait", "primitive": None,
    "variant": None, "struct_field": None, "impl": None, "assoc_const": None,
    "assoc_type": None, "extern_crate": None,
}


WITX_MODULES = {"p0::types", "p0::wasi_unstable", "p1::types", "p1::wasi_snapshot_preview1"}


def descend(path: list[str], depth_below_bindings: int | None) -> tuple[bool, int | None]:
    """Whether to walk into the module at `path`, and its depth below a `bindings` module: a
    `bindings` module's direct children are listed, and `sync`'s (generated code below that has
    the same shape in any bindgen of the same WIT); the witx-generated p0/p1 modules are listed,
    not walked."""
    depth = depth_below_bindings
    if depth is not None:
        depth += 1
    if path[-1] == "bindings":
        depth = 0
    if "::".join(path) in WITX_MODULES:
        return False, depth
    return depth is None or depth == 0 or (depth == 1 and path[-1] == "sync"), depth


def names_of(doc: dict) -> list[tuple[str, str]]:
    index, paths = doc["index"], doc["paths"]
    out: dict[str, str] = {}

    def generics_of(item_id) -> str:
        """`L`/`T`/`C` per generic parameter (lifetime, type, const) of a local item, `-` for
        none, `?` when the item is another crate's (its parameters are not in this JSON)."""
        item = index.get(str(item_id))
        if item is None:
            return "?"
        (inner,) = item["inner"].keys()
        if inner == "use":
            target = item["inner"]["use"].get("id")
            return generics_of(target) if target is not None else "?"
        body = item["inner"][inner]
        generics = body.get("generics") if isinstance(body, dict) else None
        if generics is None:
            return "-"
        letters = []
        for param in generics["params"]:
            (k,) = param["kind"].keys()
            # (`impl Trait` arguments are type parameters too: synthetic ones.)
            letters.append({"lifetime": "L", "type": "T", "const": "C"}[k])
        return ",".join(letters) or "-"

    def kind_of(item_id) -> str | None:
        item = index.get(str(item_id))
        if item is not None:
            (inner,) = item["inner"].keys()
            if inner == "use":
                target = item["inner"]["use"].get("id")
                return kind_of(target) if target is not None else None
            return KINDS.get(inner)
        summary = paths.get(str(item_id))
        return KINDS.get(summary["kind"]) if summary else None

    def walk(module_id, prefix: list[str], depth_below_bindings: int | None):
        module = index[str(module_id)]["inner"]["module"]
        for item_id in module["items"]:
            item = index[str(item_id)]
            if item.get("visibility") != "public":
                continue
            (inner,) = item["inner"].keys()
            if inner == "use":
                use = item["inner"]["use"]
                target = use.get("id")
                if use["is_glob"]:
                    if target is not None and str(target) in index:
                        walk(target, prefix, depth_below_bindings)
                    continue
                name, kind = use["name"], kind_of(target)
                is_local_module = (
                    kind == "mod" and target is not None and str(target) in index
                )
            else:
                name, kind = item.get("name"), KINDS.get(inner)
                is_local_module = inner == "module"
                target = item_id
            if kind is None or name is None:
                continue
            path = prefix + [name]
            out["::".join(path)] = f"{kind} {generics_of(target)}"
            if is_local_module:
                deeper, depth = descend(path, depth_below_bindings)
                if deeper:
                    walk(target, path, depth)

    walk(doc["root"], [], None)
    return sorted(out.items())


def read_list() -> list[tuple[str, str, str]]:
    rows = []
    for line in (HERE / "names.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            krate, kind, path, generics = line.split()
            rows.append((krate, kind, path, generics))
    return rows


def read_exceptions() -> dict[str, str]:
    out = {}
    for line in (HERE / "exceptions.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, reason = line.split(None, 1)
            out[name] = reason
    return out


def swapped(krate: str, path: str) -> str:
    return f"{CRATES[krate][2]}::{path}"


def kind_check(n: int, kind: str, ours: str, generics: str) -> str:
    """Rust that compiles only if `ours` names an item of `kind` (with `generics`' parameters,
    where they are known): a glob import for a module, a type alias for a type (aliases do not
    check bounds), a bound for a trait, a value for a function, constant or static. Names whose
    parameters are unknown (other crates' items) or that are macros are imported by name."""
    params = [] if generics in ("-", "?") else generics.split(",")
    if kind == "mod":
        return f"mod m{n} {{ pub use {ours}::*; }}"
    if generics == "?" or "C" in params:
        return f"use {ours} as _n{n};"
    decl = ", ".join(f"'l{i}" if p == "L" else f"T{i}" for i, p in enumerate(params))
    args = decl
    if kind in ("struct", "enum", "union", "type"):
        return f"type _T{n}<{decl}> = {ours}<{args}>;"
    if kind == "trait":
        if params:
            return f"use {ours} as _n{n};"
        return f"fn _t{n}<X: ?Sized + {ours}>() {{}}"
    if kind == "fn":
        if any(p == "T" for p in params):
            return f"use {ours} as _n{n};"
        return f"fn _f{n}() {{ let _ = {ours}; }}"
    if kind in ("const", "static"):
        return f"fn _c{n}() {{ let _ = &{ours}; }}"
    return f"use {ours} as _n{n};"


def write_test(rows, exceptions):
    lines = [
        "//! GENERATED by `tests/api/generate.py` from `tests/api/names.txt` (do not edit):",
        "//! every public name of wasmtime-wasi 48.0.8 and wasmtime-wasi-http 48.0.8 resolves",
        "//! under wasi-bridge's paths, with the same kind (a module, a type with the same generic",
        "//! parameters, a trait, a function, a constant) where the list knows it;",
        "//! `tests/api/exceptions.txt` lists the names that cannot exist here, with reasons.",
        "#![allow(unused_imports, dead_code, clippy::all)]",
        "",
    ]
    checks = []
    used = []
    for n, (krate, kind, path, generics) in enumerate(rows):
        key = f"{krate}::{path}"
        if key in exceptions:
            continue
        ours = swapped(krate, path)
        used.append(key)
        checks.append(kind_check(n, kind, ours, generics))
    lines += checks
    lines += [
        "",
        "/// The names `use`d above, to check this file against the list it was generated from.",
        "const USED: &[&str] = &[",
        *[f'    "{k}",' for k in used],
        "];",
        "",
        "#[test]",
        "fn every_listed_name_is_used_here_or_a_reasoned_exception() {",
        '    let exceptions = include_str!("../api/exceptions.txt");',
        '    let exceptions: Vec<&str> = exceptions',
        "        .lines()",
        "        .filter(|l| !l.is_empty() && !l.starts_with('#'))",
        "        .map(|l| l.split_whitespace().next().unwrap())",
        "        .collect();",
        '    let missing: Vec<String> = include_str!("../api/names.txt")',
        "        .lines()",
        "        .filter(|l| !l.is_empty() && !l.starts_with('#'))",
        "        .map(|l| {",
        "            let f: Vec<&str> = l.split_whitespace().collect();",
        '            format!("{}::{}", f[0], f[2])',
        "        })",
        "        .filter(|k| !USED.contains(&k.as_str()) && !exceptions.contains(&k.as_str()))",
        "        .collect();",
        '    assert!(missing.is_empty(), "regenerate tests/all/api_names.rs: {missing:?}");',
        "    assert!(USED.len() > 150, \"the list lost its names: {}\", USED.len());",
        "}",
    ]
    out = REPO / "tests" / "all" / "api_names.rs"
    out.write_text("\n".join(lines) + "\n")
    # As `cargo fmt` leaves it, so CI can check the file is current with a plain diff.
    subprocess.run(["rustfmt", "--edition", "2024", str(out)], check=True)


def main():
    if "--from-list" not in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            work = pathlib.Path(os.environ.get("APILIST_DIR", tmp))
            docs = rustdoc_json(work)
        with open(HERE / "names.txt", "w") as f:
            f.write("# GENERATED by tests/api/generate.py: crate kind path generics, one name per line\n")
            for krate, doc in docs.items():
                for path, kind_generics in names_of(doc):
                    kind, generics = kind_generics.split()
                    f.write(f"{krate} {kind} {path} {generics}\n")
    write_test(read_list(), read_exceptions())


if __name__ == "__main__":
    main()
