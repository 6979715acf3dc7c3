#!/usr/bin/env bash
# Builds the componentize-py apps (p2: wasi:http/proxy, p3: wasi:http/service) into OUT_DIR
# (default target/py-http): py-http-p2.wasm and py-http-p3.wasm. They are not committed (each
# is ~40 MB of CPython): benches/serve_vs_wasmtime.sh builds them when it needs them.
# Tool: componentize-py 0.25.1 (pip), installed here when missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
out=${OUT_DIR:-$root/target/py-http}
if ! componentize-py --version 2>/dev/null | grep -q '^componentize-py 0.25.1'; then
  pip install -q 'componentize-py==0.25.1'
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
  PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
fi
mkdir -p "$out"
gen=$(mktemp -d); trap 'rm -rf "$gen"' EXIT
for abi in p2 p3; do
  mkdir -p "$gen/$abi/wit"
  cp "$here/$abi/world.wit" "$gen/$abi/wit/"
  case $abi in p2) crate=p2-adapter ;; p3) crate=p3-core ;; esac
  cp -r "$root/$crate/wit/deps" "$gen/$abi/wit/"
  (cd "$here/$abi" && componentize-py -q -d "$gen/$abi/wit" -w app componentize app \
     -o "$out/py-http-$abi.wasm")
done
ls -l "$out"/py-http-*.wasm
