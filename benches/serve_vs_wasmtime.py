#!/usr/bin/env python3
"""`wasi-bridge serve` against the real `wasmtime serve`, as a user meets them.

Both servers run the same component with the same flags on 127.0.0.1:0, each pinned to core 0
(`taskset`); `wrk -t1` runs on core 1. For each workload both servers stay up while rounds
alternate between them (A B, B A, ...); each round is preceded by a short warm-up. Printed per
round and as medians: requests per second, p99 latency, and the server's CPU time per request
(utime + stime from /proc/PID/stat, so it counts every thread the server runs), and the ratios
wasi-bridge / wasmtime (RPS above 1 and CPU below 1 favour wasi-bridge).

    WASMTIME=/path/to/wasmtime benches/serve_vs_wasmtime.py [--rounds 3] [--seconds 5] [ROW...]
    benches/serve_vs_wasmtime.py --backtrace-cost [--rounds 3] [--seconds 5] [ROW...]

`--backtrace-cost` runs each server twice side by side instead, without `RUST_BACKTRACE` and
with `RUST_BACKTRACE=1` (as deployments often set it), and prints what the variable costs
each: RPS and CPU per request with it over without (wasmtime's pair only when WASMTIME is set).

WASMTIME is the wasmtime 48.0.8 binary (`cargo install --locked wasmtime-cli@48.0.8 --root
DIR`); WASI_BRIDGE defaults to target/release/wasi-bridge (built here when missing). The Python
rows build tests/guests/py-http/ with componentize-py (tests/guests/py-http/build.sh). Rows are
named as in the table; with none, every row runs. Needs wrk and taskset. CI does not run this.
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUESTS = os.path.join(ROOT, "tests", "guests", "wasm")
PY = os.path.join(ROOT, "target", "py-http")
P3_FLAGS = ["-Wcomponent-model-async", "-Sp3"]

# name, component, serve flags, method, path, body bytes, connections
ROWS = [
    ("p2 C hello", f"{GUESTS}/p2-http.wasm", [], "GET", "/hello", 0, 50),
    ("p2 C hello reuse 128", f"{GUESTS}/p2-http.wasm",
     ["--max-instance-reuse-count", "128"], "GET", "/hello", 0, 50),
    # Two preopens, as a pod's `serve` has (the rootfs and a mount): opened per instance or once.
    ("p2 C hello, two --dir", f"{GUESTS}/p2-http.wasm",
     ["--dir", f"{ROOT}::/app", "--dir", f"{GUESTS}::/guests"], "GET", "/hello", 0, 50),
    ("p2 C echo 64 KiB", f"{GUESTS}/p2-http.wasm", [], "POST", "/echo", 65536, 50),
    ("p2 C GET 1 MiB", f"{GUESTS}/p2-http.wasm", [], "GET", "/bytes/1048576", 0, 50),
    ("p3 C hello", f"{GUESTS}/p3-http.wasm", P3_FLAGS, "GET", "/hello", 0, 50),
    ("p3 C echo 64 KiB", f"{GUESTS}/p3-http.wasm", P3_FLAGS, "POST", "/echo", 65536, 50),
    ("p3 C GET 1 MiB", f"{GUESTS}/p3-http.wasm", P3_FLAGS, "GET", "/bytes/1048576", 0, 50),
    ("p2 Python hello", f"{PY}/py-http-p2.wasm", ["-Scli"], "GET", "/hello", 0, 20),
    ("p2 Python hello reuse 128", f"{PY}/py-http-p2.wasm",
     ["-Scli", "--max-instance-reuse-count", "128"], "GET", "/hello", 0, 20),
    ("p2 Python echo 64 KiB reuse 128", f"{PY}/py-http-p2.wasm",
     ["-Scli", "--max-instance-reuse-count", "128"], "POST", "/echo", 65536, 20),
    ("p3 Python hello", f"{PY}/py-http-p3.wasm", ["-Scli"] + P3_FLAGS, "GET", "/hello", 0, 20),
    ("p3 Python echo 64 KiB", f"{PY}/py-http-p3.wasm", ["-Scli"] + P3_FLAGS,
     "POST", "/echo", 65536, 20),
]

TICK = os.sysconf("SC_CLK_TCK")


class Server:
    """A `serve` process on 127.0.0.1:0, pinned to core 0."""

    def __init__(self, name, binary, component, flags, backtrace=False):
        self.name = name
        # A user's default environment: no backtraces captured for errors, unless asked.
        env = {k: v for k, v in os.environ.items()
               if k not in ("RUST_BACKTRACE", "RUST_LIB_BACKTRACE", "WASMTIME_LOG")}
        if backtrace:
            env["RUST_BACKTRACE"] = "1"
        self.proc = subprocess.Popen(
            ["taskset", "-c", "0", binary, "serve", "--addr", "127.0.0.1:0", *flags, component],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, env=env,
        )
        line = self.proc.stderr.readline()
        m = re.match(r"Serving HTTP on (http://[^/]+)/", line)
        if not m:
            self.proc.kill()
            sys.exit(f"{name}: did not start: {line}{self.proc.stderr.read()}")
        self.url = m.group(1)
        # Keep draining stderr so a chatty server never blocks on a full pipe.
        self.errors = subprocess.Popen(["cat"], stdin=self.proc.stderr,
                                       stdout=subprocess.DEVNULL)

    def cpu_ticks(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.errors.wait()


def wrk(url, method, path, body, conns, seconds, script_dir):
    """One wrk run: (requests, rps, p99 in ms)."""
    script = os.path.join(script_dir, f"{method}-{body}.lua")
    if not os.path.exists(script):
        with open(script, "w") as f:
            f.write(f'wrk.method = "{method}"\n')
            if body:
                f.write(f'wrk.body = string.rep("x", {body})\n')
    out = subprocess.run(
        ["taskset", "-c", "1", "wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency",
         "-s", script, url + path],
        capture_output=True, text=True, check=True,
    ).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        sys.exit(f"{url}{path}: {errors.group(1)} error responses\n{out}")
    return requests, rps, float(p99.group(1)) * scale


def measure(server, row, seconds, script_dir):
    _, _, method, path, body, conns = row[1:]
    wrk(server.url, method, path, body, conns, 1, script_dir)  # warm-up
    before = server.cpu_ticks()
    requests, rps, p99 = wrk(server.url, method, path, body, conns, seconds, script_dir)
    cpu_us = (server.cpu_ticks() - before) * 1e6 / TICK / max(requests, 1)
    return rps, p99, cpu_us


def run_row(row, hosts, rounds, seconds, script_dir):
    """Medians (rps, p99, cpu) per host of `hosts` (name, binary, backtrace), rounds
    alternating between them."""
    name, component, flags = row[0], row[1], row[2]
    servers = [Server(h, binary, component, flags, backtrace) for h, binary, backtrace in hosts]
    results = {s.name: [] for s in servers}
    try:
        for r in range(rounds):
            order = servers if r % 2 == 0 else servers[::-1]
            for s in order:
                rps, p99, cpu = measure(s, row, seconds, script_dir)
                results[s.name].append((rps, p99, cpu))
                print(f"  {name:32} round {r + 1} {s.name:14} {rps:9.0f} rps  "
                      f"p99 {p99:7.2f} ms  {cpu:7.1f} us/req", flush=True)
    finally:
        for s in servers:
            s.stop()
    return {k: tuple(statistics.median(x[i] for x in v) for i in range(3))
            for k, v in results.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--backtrace-cost", action="store_true",
                    help="each server without and with RUST_BACKTRACE=1")
    ap.add_argument("rows", nargs="*", help="row names (default: all)")
    args = ap.parse_args()
    wasmtime = os.environ.get("WASMTIME")
    if wasmtime and os.access(wasmtime, os.X_OK):
        version = subprocess.run([wasmtime, "--version"], capture_output=True,
                                 text=True).stdout.strip()
    elif args.backtrace_cost:
        wasmtime, version = None, "itself"
    else:
        sys.exit("set WASMTIME to the wasmtime 48.0.8 binary "
                 "(cargo install --locked wasmtime-cli@48.0.8 --root DIR)")
    bridge = os.environ.get("WASI_BRIDGE", os.path.join(ROOT, "target", "release", "wasi-bridge"))
    if "WASI_BRIDGE" not in os.environ:
        subprocess.run(["cargo", "build", "--release", "-q", "--bin", "wasi-bridge"],
                       cwd=ROOT, check=True)
    rows = [r for r in ROWS if not args.rows or r[0] in args.rows]
    if any(r[1].startswith(PY) and not os.path.exists(r[1]) for r in rows):
        subprocess.run(["bash", os.path.join(ROOT, "tests/guests/py-http/build.sh")], check=True)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    print(f"# {time.strftime('%Y-%m-%d')}, wasi-bridge {commit} vs {version}; "
          f"{args.rounds} rounds of {args.seconds} s, server on core 0, wrk -t1 on core 1")
    if args.backtrace_cost:
        pairs = [("wasi-bridge", bridge)] + ([("wasmtime", wasmtime)] if wasmtime else [])
        hosts = [(f"{n}{' +bt' if bt else ''}", b, bt) for n, b in pairs for bt in (False, True)]
    else:
        hosts = [("wasmtime", wasmtime, False), ("wasi-bridge", bridge, False)]
    table = []
    with tempfile.TemporaryDirectory() as script_dir:
        for row in rows:
            table.append((row[0], run_row(row, hosts, args.rounds, args.seconds, script_dir)))
    print()
    if args.backtrace_cost:
        print("| workload | server | RPS without / with `RUST_BACKTRACE=1` | **RPS ratio** | "
              "CPU µs/req without / with | CPU ratio |")
        print("|---|---|---:|---:|---:|---:|")
        for name, med in table:
            for n, _ in pairs:
                a, b = med[n], med[f"{n} +bt"]
                print(f"| {name} | {n} | {a[0]:.0f} / {b[0]:.0f} | **{b[0] / a[0]:.3f}** | "
                      f"{a[2]:.1f} / {b[2]:.1f} | {b[2] / a[2]:.3f} |")
        return
    print("| workload | wasmtime serve RPS | wasi-bridge RPS | **RPS ratio** | p99 ms (wasmtime / "
          "wasi-bridge) | CPU µs/req (wasmtime / wasi-bridge) | CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, med in table:
        w, b = med["wasmtime"], med["wasi-bridge"]
        print(f"| {name} | {w[0]:.0f} | {b[0]:.0f} | **{b[0] / w[0]:.2f}** | {w[1]:.2f} / {b[1]:.2f}"
              f" | {w[2]:.1f} / {b[2]:.1f} | {b[2] / w[2]:.2f} |")


if __name__ == "__main__":
    main()
