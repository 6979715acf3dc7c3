#!/usr/bin/env python3
"""wasi-bridge's public surface, as a list checked into the repository (`surface.txt`), so a
change to what a host can name is a visible diff.

    python3 tests/api/surface.py     # rustdoc JSON (nightly) of the workspace -> surface.txt

Every public path a host can write under `wasi_bridge::` is listed with its kind, walked from the
crate root as `generate.py` walks wasmtime-wasi's (generated `bindings` to one level, the witx
modules unwalked). A re-export of another workspace crate's item (`p3_core`, `p2_adapter`,
`p1_adapter`) is followed into that crate's JSON, so what the facade exposes through a
re-exported module is listed too; an item of a crate outside the workspace (wasmtime-wasi's
stdio types, say) is listed by name with `= its::path`. CI regenerates the file and fails on a
difference: commit the new list with the change that made it.
"""
import json
import os
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from generate import KINDS, descend  # noqa: E402  (the same kinds and the same walk rule)

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent.parent
# crate name -> cargo package
WORKSPACE = {
    "wasi_bridge": "wasi-bridge",
    "p3_core": "wasi-bridge-p3-core",
    "p2_adapter": "wasi-bridge-p2-adapter",
    "p1_adapter": "wasi-bridge-p1-adapter",
}


def rustdoc_json() -> dict:
    target = pathlib.Path(os.environ.get("SURFACE_TARGET_DIR", REPO / "target" / "surface"))
    docs = {}
    for krate, pkg in WORKSPACE.items():
        subprocess.run(
            ["cargo", "+nightly", "rustdoc", "-q", "-p", pkg, "--lib", "--",
             "-Zunstable-options", "--output-format", "json"],
            cwd=REPO, check=True, env={**os.environ, "CARGO_TARGET_DIR": str(target)},
        )
        docs[krate] = json.loads((target / "doc" / f"{krate}.json").read_text())
    return docs


def surface(docs: dict) -> list[str]:
    out: dict[str, str] = {}

    def find(krate: str, path: list[str]):
        """The id of the item at `path` in a workspace crate's JSON, if it is there."""
        doc = docs[krate]
        for item_id, summary in doc["paths"].items():
            if summary["crate_id"] == 0 and summary["path"] == [krate] + path:
                return item_id
        return None

    def resolve(krate: str, item_id):
        """(crate, id) of the item `item_id` names in `krate`'s JSON, following re-exports
        into the other workspace crates; (None, display path) for an item outside them."""
        doc = docs[krate]
        key = str(item_id)
        if key in doc["index"]:
            return krate, key
        summary = doc["paths"].get(key)
        if summary is None:
            return None, "?"
        owner = doc["external_crates"][str(summary["crate_id"])]["name"]
        if owner in docs:
            found = find(owner, summary["path"][1:])
            if found is not None and found in docs[owner]["index"]:
                return owner, found
        return None, "::".join(summary["path"])

    def deref(krate: str, item_id):
        """Follows re-exports to the item itself: (crate, id), or (None, path) outside the
        workspace."""
        owner, found = resolve(krate, item_id)
        if owner is None:
            return None, found
        item = docs[owner]["index"][found]
        if "use" in item["inner"] and not item["inner"]["use"]["is_glob"]:
            target = item["inner"]["use"].get("id")
            return deref(owner, target) if target is not None else (None, "?")
        return owner, found

    def external_kind(krate: str, item_id) -> str:
        summary = docs[krate]["paths"].get(str(item_id))
        return (KINDS.get(summary["kind"]) if summary else None) or "item"

    def walk(krate: str, module_key: str, prefix: list[str], below_bindings: int | None):
        module = docs[krate]["index"][module_key]["inner"]["module"]
        for item_id in module["items"]:
            item = docs[krate]["index"][str(item_id)]
            if item.get("visibility") != "public":
                continue
            (inner,) = item["inner"].keys()
            if inner == "use":
                use = item["inner"]["use"]
                target = use.get("id")
                if target is None:
                    continue
                if use["is_glob"]:
                    owner, found = deref(krate, target)
                    if owner is not None:
                        walk(owner, found, prefix, below_bindings)
                    else:
                        out["::".join(prefix + ["*"])] = f"glob = {found}"
                    continue
                name = use["name"]
                owner, key = deref(krate, target)
                if owner is None:
                    out["::".join(prefix + [name])] = f"{external_kind(krate, target)} = {key}"
                    continue
            else:
                name = item.get("name")
                owner, key = krate, str(item_id)
            (kind_inner,) = docs[owner]["index"][key]["inner"].keys()
            kind = KINDS.get(kind_inner)
            if kind is None or name is None:
                continue
            path = prefix + [name]
            out["::".join(path)] = kind
            if kind == "mod":
                deeper, depth = descend(path, below_bindings)
                if deeper:
                    walk(owner, key, path, depth)

    root = docs["wasi_bridge"]
    walk("wasi_bridge", str(root["root"]), [], None)
    return [f"wasi_bridge::{path} {kind}" for path, kind in sorted(out.items())]


def main():
    lines = surface(rustdoc_json())
    with open(HERE / "surface.txt", "w") as f:
        f.write("# GENERATED by tests/api/surface.py: path kind (= the item, for other crates' items)\n")
        f.write("\n".join(lines) + "\n")
    print(f"{len(lines)} public names")


if __name__ == "__main__":
    main()
