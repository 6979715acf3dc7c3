#!/usr/bin/env python3
"""Sums a `perf record` profile's self time by what the table in docs/performance.md groups:
the kernel, wasmtime's runtime, malloc/free, hyper/tokio/futures/http, the WASI layers of
either server, and the rest (the guest's JIT code, std, core and alloc, what has no symbol).

    perf record -F 2000 -g -p PID -o perf.data -- sleep 5
    benches/perf_by_crate.py perf.data
"""

import collections
import re
import subprocess
import sys

GROUPS = [
    ("kernel", None),
    ("wasmtime runtime", {"wasmtime", "wasmtime_environ", "wasmtime_internal_fiber",
                          "wasmtime_internal_core", "cranelift_bforest"}),
    ("malloc/free", None),
    ("hyper, tokio, futures, http", {"hyper", "tokio", "futures_util", "futures_core",
                                     "futures_channel", "http", "httparse", "http_body",
                                     "http_body_util", "bytes"}),
    # Either server's WASI and wasi:http layers and its `serve` (wasi-bridge's p2 uses
    # wasmtime-wasi-io's stream and pollable types, so that crate counts for both).
    ("WASI layers and the server", {"wasmtime_wasi_http", "wasmtime_wasi", "wasmtime_wasi_io",
                                    "wasmtime_cli", "p3_core", "p2_adapter", "p1_adapter",
                                    "wasi_bridge"}),
]
MALLOC = re.compile(r"malloc|free|_int_|realloc|tcache|consolidate|unlink_chunk")


def group(dso, kind, sym):
    if kind == "k":
        return "kernel"
    if dso.startswith("libc") and MALLOC.search(sym):
        return "malloc/free"
    names = set(re.findall(r"([a-z_][a-z_0-9]*)::", sym))
    for name, crates in GROUPS:
        if crates and names & crates:
            # The first crate named decides (`<A as B>::f` is A's).
            first = re.search(r"([a-z_][a-z_0-9]*)::", sym).group(1)
            return name if first in crates else next(
                (n for n, c in GROUPS if c and first in c), "rest")
    return "rest"


def main():
    out = subprocess.run(["perf", "report", "-i", sys.argv[1], "--no-children",
                          "--sort", "dso,sym", "--stdio", "-g", "none"],
                         capture_output=True, text=True, check=True).stdout
    total = collections.Counter()
    for line in out.splitlines():
        m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*)", line)
        if m:
            total[group(m.group(2), m.group(3), m.group(4).lstrip("<"))] += float(m.group(1))
    total["rest"] = 100.0 - sum(v for k, v in total.items() if k != "rest")
    for name, _ in GROUPS + [("rest", None)]:
        print(f"{total[name]:6.1f} %  {name}")


if __name__ == "__main__":
    main()
