"""Time load + parse + resolve + graph for generated blueprints of N modules, and peak memory.

Usage: ``.venv/bin/python -m benchmarks.bench_validate [N ...]`` (default 100 1000 5000).
Each N runs in a fresh process (so memory and caches are per size); best of 3 runs is reported.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
from buttress import batch; batch.tune()  # as the command runs: buttress.batch
import gc, json, resource, sys, time
from buttress.model.parse import load_blueprint
from buttress.model.resolve import resolve
from buttress.model.graph import build_graph
from buttress.app.validate import validate
path = sys.argv[1]
best = {}
for _ in range(3):
    gc.collect()
    gc.disable()  # as validate() does while loading
    t0 = time.perf_counter(); bp = load_blueprint(path); t1 = time.perf_counter()
    memo = {}
    envs = {e: resolve(bp, e, memo) for e in bp.spec.environments}; t2 = time.perf_counter()
    graphs = {e: build_graph(bp, env) for e, env in envs.items()}; t3 = time.perf_counter()
    gc.enable()
    validate(path); t4 = time.perf_counter()
    run = {"load+parse": t1 - t0, "resolve": t2 - t1, "graph": t3 - t2, "validate()": t4 - t3}
    best = {k: min(v, best.get(k, v)) for k, v in run.items()}
best["maxrss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(best))
"""


def main(sizes: list[int]) -> None:
    from benchmarks.generate import generate

    print("| modules | file lines | load+parse s | resolve (3 envs) s | graph (3 envs) s | validate() s | peak RSS MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = generate(n, Path(tmp))
            lines = path.read_text().count("\n")
            out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout)
            print(f"| {n:,} | {lines:,} | {r['load+parse']:.3f} | {r['resolve']:.3f} | {r['graph']:.3f} "
                  f"| {r['validate()']:.3f} | {r['maxrss_mib']:.0f} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 5000])
