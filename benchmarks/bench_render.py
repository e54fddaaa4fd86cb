"""Time rendering every environment of generated blueprints of N modules against the floor of
serialising the same Kubernetes objects with PyYAML's C dumper alone.

Usage: ``.venv/bin/python -m benchmarks.bench_render [--runs R] [N ...]`` (default 1000 5000, best
of 3). Each N runs in a fresh process, after validation (not timed here; see bench_validate):

- objects: ``render_objects`` for the three environments (plain dicts, no YAML);
- k8s render: objects + YAML + kustomization (``environment_files`` without the observe renderers);
- floor: ``yaml.dump(obj, Dumper=CSafeDumper)`` of the same objects, one document each;
- full render: ``render_environments`` (manifests, monitoring, dashboards, runbooks, bundle.json);
- write: ``write_atomic`` of that bundle into a fresh folder (fsync of every file);
- check: ``app.check.check`` of the three environments (every control, capacity headroom and the
  blueprint's Rego policies), which ``buttress render`` runs before rendering (once, not best of);
  "blocked" says whether it would stop the render (generated blueprints may fall short of their
  load scenarios: ``capacity-headroom``).

``buttress render`` of all environments costs about check + full render + write.

The issue's targets: k8s render <= 2x the floor; all three environments of N = 1,000 under 3 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = r"""
from buttress import batch; batch.tune()  # as the command runs: buttress.batch
import json, sys, tempfile, time
from pathlib import Path
import yaml
from buttress.app import render as app_render
from buttress.app.check import check
from buttress.app.validate import validate
from buttress.render.bundle import write_atomic
from buttress.render.kubernetes import render_objects

v = validate(sys.argv[1])
runs = int(sys.argv[2])
envs = list(v.environments)
extras = list(app_render.EXTRA_RENDERERS)
best, count, size = {}, 0, 0
for _ in range(runs):
    t = time.perf_counter()
    objects = [o for e in envs for o in render_objects(v.blueprint, v.environments[e], v.graphs[e])]
    run = {"objects": time.perf_counter() - t}
    t = time.perf_counter()
    texts = [yaml.dump(o, Dumper=yaml.CSafeDumper, sort_keys=False) for o in objects]
    run["floor"] = time.perf_counter() - t
    app_render.EXTRA_RENDERERS[:] = []
    try:
        t = time.perf_counter()
        for e in envs:
            app_render.environment_files(v.blueprint, v.environments[e], v.graphs[e])
        run["k8s"] = time.perf_counter() - t
    finally:
        app_render.EXTRA_RENDERERS[:] = extras
    t = time.perf_counter()
    bundle = app_render.render_environments(v, envs)
    run["full"] = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        write_atomic(bundle.files, Path(tmp) / "out")
        run["write"] = time.perf_counter() - t
    best = {k: min(x, best.get(k, x)) for k, x in run.items()}
    count, size, files = len(objects), sum(map(len, texts)), len(bundle.files)
t = time.perf_counter()
report = check(v, envs)
best["check"] = time.perf_counter() - t
print(json.dumps({**best, "count": count, "bytes": size, "files": files, "blocked": report.blocked}))
"""


def main(argv: list[str]) -> None:
    from benchmarks.generate import generate

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per size; the best is reported")
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000])
    args = parser.parse_args(argv)
    print("| modules | objects | floor MB | objects s | floor s | k8s render s | k8s / floor | full render s "
          "| files | write s | check s (once) | blocked |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = generate(n, Path(tmp))
            out = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(args.runs)], capture_output=True,
                                 text=True, check=True)
            r = json.loads(out.stdout)
            print(f"| {n:,} | {r['count']:,} | {r['bytes'] / 1e6:.1f} | {r['objects']:.2f} | {r['floor']:.2f} "
                  f"| {r['k8s']:.2f} | {r['k8s'] / r['floor']:.2f}x | {r['full']:.2f} | {r['files']:,} "
                  f"| {r['write']:.2f} | {r['check']:.2f} | {'yes' if r['blocked'] else 'no'} |")


if __name__ == "__main__":
    main(sys.argv[1:])
