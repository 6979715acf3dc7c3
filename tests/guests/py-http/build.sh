#!/usr/bin/env bash
# Builds the componentize-py apps (p2: wasi:http/proxy, p3: wasi:http/service) into OUT_DIR
# (default target/py-http): py-http-p2.wasm and py-http-p3.wasm, and the p3 app built by
# componentize-py 0.22 for WASI 0.3.0-rc-2026-03-15, py-http-p3-rc-2026-03-15.wasm, and by
# componentize-py 0.21 for 0.3.0-rc-2026-01-06, py-http-p3-rc-2026-01-06.wasm, and by
# componentize-py 0.20 for 0.3.0-rc-2025-09-16, py-http-p3-rc-2025-09-16.wasm. They are not
# committed (each is ~20 MB of CPython): benches/serve_vs_wasmtime.py and
# benches/versions_vs_twin.py build them when they need them.
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
# The p3 app as componentize-py 0.22 builds it — the toolchain of wasmtime 43–45's era, WASI
# 0.3.0-rc-2026-03-15 (wit/p3-rc-2026-03-15) —, in a virtual environment of its own.
venv=$out/componentize-py-0.22
if [ ! -x "$venv/bin/componentize-py" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'componentize-py==0.22.0'
fi
mkdir -p "$gen/rc/wit"
sed 's/@0\.3\.0;/@0.3.0-rc-2026-03-15;/' "$here/p3/world.wit" > "$gen/rc/wit/world.wit"
cp -r "$root/wit/p3-rc-2026-03-15/deps" "$gen/rc/wit/"
(cd "$here/p3" && "$venv/bin/componentize-py" -q -d "$gen/rc/wit" -w app componentize app \
   -o "$out/py-http-p3-rc-2026-03-15.wasm")
# And as componentize-py 0.21 builds it — wasmtime 41–42's era, WASI 0.3.0-rc-2026-01-06
# (p3-core/wit-rc-2026-01-06), whose cli, filesystem, sockets and wasi:http/types differ from
# 0.3.0's in shape. That release refuses a world named as the app module: the world is renamed.
venv=$out/componentize-py-0.21
if [ ! -x "$venv/bin/componentize-py" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'componentize-py==0.21.0'
fi
mkdir -p "$gen/rc0106/wit"
sed -e 's/@0\.3\.0;/@0.3.0-rc-2026-01-06;/' -e 's/^world app {/world service-app {/' \
  "$here/p3/world.wit" > "$gen/rc0106/wit/world.wit"
cp -r "$root/p3-core/wit-rc-2026-01-06/deps" "$gen/rc0106/wit/"
(cd "$here/p3" && "$venv/bin/componentize-py" -q -d "$gen/rc0106/wit" -w service-app componentize \
   app -o "$out/py-http-p3-rc-2026-01-06.wasm")
# And as componentize-py 0.20 builds it — wasmtime 38–40's era, WASI 0.3.0-rc-2025-09-16
# (p3-core/wit-rc-2025-09-16), whose http has no `client` (its `proxy` world imports `handler`
# to send requests) and no `service` world.
venv=$out/componentize-py-0.20
if [ ! -x "$venv/bin/componentize-py" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'componentize-py==0.20.0'
fi
mkdir -p "$gen/rc0916/wit"
printf 'package bridge:pyhttp3rc0916;\n\nworld service-app {\n  include wasi:http/proxy@0.3.0-rc-2025-09-16;\n}\n' \
  > "$gen/rc0916/wit/world.wit"
cp -r "$root/p3-core/wit-rc-2025-09-16/deps" "$gen/rc0916/wit/"
(cd "$here/p3" && "$venv/bin/componentize-py" -q -d "$gen/rc0916/wit" -w service-app componentize \
   app -o "$out/py-http-p3-rc-2025-09-16.wasm")
ls -l "$out"/py-http-*.wasm
