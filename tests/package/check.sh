#!/usr/bin/env bash
# The crates as a release would publish them: `cargo package` of each (WIT and witx inside the
# crate that reads them, versioned path dependencies, the lock file in the library's package),
# every package unpacked side by side and its generated bindings' inputs checked present.
# With `--check`, the unpacked packages are also compiled (`cargo check`) from their own files
# alone — the crates each other's, as crates.io would give them (`[patch.crates-io]` stands
# in for the registry), the library's lock file kept, so the `bindgen!`/`from_witx!` macros
# read the packaged WIT and witx and nothing of the checkout (about 3 minutes on 2 cores; CI
# leaves it out for time, a release runs it). With `--install`, the CLI is installed from its
# package with `cargo install --locked` and runs the README's example (a release build).
set -euo pipefail
cd "$(dirname "$0")/../.."
crates=(wasi-bridge-p3-core wasi-bridge-p2-adapter wasi-bridge-p1-adapter wasi-bridge)
args=(); for c in "${crates[@]}"; do args+=(-p "$c"); done
cargo package -q --no-verify "${args[@]}"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
dir=target/package-check/src
rm -rf "$dir" && mkdir -p "$dir"
members=() patch=()
for c in "${crates[@]}"; do
  tar xzf "target/package/$c-$version.crate" -C "$dir"
  members+=("\"$c-$version\"")
  patch+=("$c = { path = \"$c-$version\" }")
done
for c in wasi-bridge-p2-adapter wasi-bridge-p3-core; do
  [ -f "$dir/$c-$version/wit/deps/cli.wit" ] || { echo "$c's package has no wit/" >&2; exit 1; }
done
[ -f "$dir/wasi-bridge-p1-adapter-$version/witx/wasi_snapshot_preview1.witx" ] \
  || { echo "wasi-bridge-p1-adapter's package has no witx/" >&2; exit 1; }
[ -f "$dir/wasi-bridge-$version/Cargo.lock" ] || { echo "wasi-bridge's package has no Cargo.lock (cargo install --locked)" >&2; exit 1; }
{
  echo '[workspace]'
  echo "members = [$(IFS=,; echo "${members[*]}")]"
  echo 'resolver = "3"'
  echo '[patch.crates-io]'
  printf '%s\n' "${patch[@]}"
} > "$dir/Cargo.toml"
cp "$dir/wasi-bridge-$version/Cargo.lock" "$dir/Cargo.lock"
if [ "${1:-}" = --check ]; then
  CARGO_TARGET_DIR=$PWD/target/package-check/target cargo check -q --manifest-path "$dir/Cargo.toml" --workspace
  echo "the crates package and check from their packages: ${crates[*]} $version"
elif [ "${1:-}" = --install ]; then
  # `cargo install --locked` of the CLI from its package (the lock file in it), into a scratch
  # root, then the README's example with the installed binary (a release build: ~12 minutes).
  root=target/package-check/root
  CARGO_TARGET_DIR=$PWD/target/package-check/target cargo install -q --locked \
    --path "$dir/wasi-bridge-$version" --root "$root"
  out=$("$root/bin/wasi-bridge" run tests/guests/wasm/p2-cli.wasm env)
  grep -q '^arg: env$' <<<"$out" || { echo "the installed wasi-bridge did not run the example: $out" >&2; exit 1; }
  echo "wasi-bridge $version installs from its package (--locked) and runs the README's example"
else
  echo "the crates package, with their WIT, witx and lock file: ${crates[*]} $version (--check compiles them)"
fi
