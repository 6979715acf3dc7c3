#!/usr/bin/env python3
"""A guest of a renamed WASI version against its twin of the final version, on one binary.

wasi-bridge serves a release candidate whose interfaces have a release's shape by renaming the
component's imports and exports before compiling it (`run::final_names`); this measures what
that costs a user, against the same guest built for the release (docs/performance.md):

- `run`: the whole process, from exec to exit, of a command and its twin, runs alternating,
  median wall time of each (the compiled-code cache warm for both, as a user's second run);
- `serve`: requests per second of a handler and its twin, both servers up, rounds alternating,
  server on core 0 and `wrk -t1 -c50` on core 1 (as benches/serve_vs_wasmtime.py).

    benches/versions_vs_twin.py [--runs 40] [--rounds 5] [--seconds 3] [ROW NAME...]

WASI_BRIDGE defaults to target/release/wasi-bridge (built here when missing). Needs wrk and
taskset. CI does not run this.
"""

import argparse
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serve_vs_wasmtime as serve  # noqa: E402

ROOT = serve.ROOT
GUESTS = serve.GUESTS

# (name, twin, renamed, arguments)
RUN_PAIRS = [
    ("p1 hello, adapter of 0.2.0-rc-2023-11-10", "hello.p1-component.wasm",
     "hello.rc-2023-11-10.wasm", []),
    ("p1 hello, adapter of 0.2.0-rc-2023-12-05", "hello.p1-component.wasm",
     "hello.rc-2023-12-05.wasm", []),
    ("p3 cli, 0.3.0-rc-2026-03-15", "p3-cli.wasm", "p3-cli-rc-2026-03-15.wasm", ["stdout"]),
    ("p3 cli, 0.3.2", "p3-cli.wasm", "p3-cli-0.3.2.wasm", ["stdout"]),
    # The candidate served partly through a veneer (p3_core::p3::rc_2026_01_06): its async
    # write-via-stream and read-directory, under a preopen ("DIR" below).
    ("p3 fs write 64 MiB, 0.3.0-rc-2026-01-06", "p3-fs.wasm", "p3-fs-rc-2026-01-06.wasm",
     ["bench-write", "out.bin", "64"]),
    ("p3 fs readdir 2000, 0.3.0-rc-2026-01-06", "p3-fs.wasm", "p3-fs-rc-2026-01-06.wasm",
     ["bench-readdir", "many"]),
    ("p3 fs write 64 MiB, 0.3.0-rc-2025-09-16", "p3-fs.wasm", "p3-fs-rc-2025-09-16.wasm",
     ["bench-write", "out.bin", "64"]),
]
# The preopen of the rows that name files: a scratch directory with `many/` (2000 files).
DIR = tempfile.mkdtemp(prefix="versions-vs-twin-")
atexit.register(shutil.rmtree, DIR, True)
os.makedirs(os.path.join(DIR, "many"))
for i in range(2000):
    open(os.path.join(DIR, "many", f"f{i}"), "w").close()
# (name, twin, renamed, serve flags, connections); a bare file name is a committed fixture.
SERVE_PAIRS = [
    ("p2 C hello, 0.2.0-rc-2023-12-05", "p2-http.wasm", "p2-http-rc-2023-12-05.wasm", [], 50),
    ("p3 C hello, 0.3.0-rc-2026-03-15", "p3-http.wasm", "p3-http-rc-2026-03-15.wasm",
     serve.P3_FLAGS, 50),
    # Its wasi:http/types through the veneer (p3_core::p3::rc_2026_01_06::http), its stdout
    # write an async func.
    ("p3 C hello, 0.3.0-rc-2026-01-06", "p3-http.wasm", "p3-http-rc-2026-01-06.wasm",
     serve.P3_FLAGS, 50),
    ("p3 C hello, 0.3.0-rc-2025-09-16", "p3-http.wasm", "p3-http-rc-2025-09-16.wasm",
     serve.P3_FLAGS, 50),
    # A guest of that era's own toolchain (tests/guests/py-http/build.sh): the Python app built
    # by componentize-py 0.22 for the candidate, against the same app by 0.25.1 for 0.3.0.
    ("p3 Python hello, componentize-py 0.22 (0.3.0-rc-2026-03-15)",
     os.path.join(serve.PY, "py-http-p3.wasm"),
     os.path.join(serve.PY, "py-http-p3-rc-2026-03-15.wasm"), ["-Scli"] + serve.P3_FLAGS, 20),
    # And by componentize-py 0.21 for 0.3.0-rc-2026-01-06 (served partly through the veneer).
    ("p3 Python hello, componentize-py 0.21 (0.3.0-rc-2026-01-06)",
     os.path.join(serve.PY, "py-http-p3.wasm"),
     os.path.join(serve.PY, "py-http-p3-rc-2026-01-06.wasm"), ["-Scli"] + serve.P3_FLAGS, 20),
    # And by componentize-py 0.20 for 0.3.0-rc-2025-09-16.
    ("p3 Python hello, componentize-py 0.20 (0.3.0-rc-2025-09-16)",
     os.path.join(serve.PY, "py-http-p3.wasm"),
     os.path.join(serve.PY, "py-http-p3-rc-2025-09-16.wasm"), ["-Scli"] + serve.P3_FLAGS, 20),
]


def run_once(bridge, program, args):
    start = time.perf_counter()
    # Only the rows that name files get the preopen.
    flags = ["--dir", f"{DIR}::/"] if args[:1] in (["bench-write"], ["bench-readdir"]) else []
    subprocess.run([bridge, "run", *flags, os.path.join(GUESTS, program), *args],
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=int, default=3)
    ap.add_argument("rows", nargs="*", help="row names (default: all)")
    args = ap.parse_args()
    picked = lambda name: not args.rows or name in args.rows  # noqa: E731
    bridge = os.environ.get("WASI_BRIDGE", os.path.join(ROOT, "target", "release", "wasi-bridge"))
    if "WASI_BRIDGE" not in os.environ:
        subprocess.run(["cargo", "build", "--release", "-q", "--bin", "wasi-bridge"],
                       cwd=ROOT, check=True)
    print("| `run`, whole process | twin ms | renamed ms | **ratio** |")
    print("|---|---:|---:|---:|")
    for name, twin, renamed, argv in RUN_PAIRS:
        if not picked(name):
            continue
        for program in (twin, renamed):
            run_once(bridge, program, argv)  # fills the compiled-code cache
        times = {twin: [], renamed: []}
        for i in range(args.runs):
            for program in ((twin, renamed) if i % 2 == 0 else (renamed, twin)):
                times[program].append(run_once(bridge, program, argv))
        a, b = (statistics.median(times[p]) * 1000 for p in (twin, renamed))
        print(f"| {name} | {a:.1f} | {b:.1f} | **{b / a:.3f}** |", flush=True)
    print()
    print("| `serve` | twin RPS | renamed RPS | **ratio** | CPU µs/req twin / renamed |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as script_dir:
        for name, twin, renamed, flags, conns in SERVE_PAIRS:
            if not picked(name):
                continue
            if not all(os.path.exists(os.path.join(GUESTS, p)) for p in (twin, renamed)):
                subprocess.run(["bash", os.path.join(ROOT, "tests/guests/py-http/build.sh")],
                               check=True)
            results = {}
            servers = [serve.Server(p, bridge, os.path.join(GUESTS, p), flags)
                       for p in (twin, renamed)]
            try:
                for server in servers:
                    results[server.name] = []
                for r in range(args.rounds):
                    for server in (servers if r % 2 == 0 else servers[::-1]):
                        row = (name, None, flags, "GET", "/hello", 0, conns)
                        results[server.name].append(
                            serve.measure(server, row, args.seconds, script_dir))
            finally:
                for server in servers:
                    server.stop()
            med = {k: [statistics.median(x[i] for x in v) for i in range(3)]
                   for k, v in results.items()}
            a, b = med[twin], med[renamed]
            print(f"| {name} | {a[0]:.0f} | {b[0]:.0f} | **{b[0] / a[0]:.3f}** | "
                  f"{a[2]:.1f} / {b[2]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
