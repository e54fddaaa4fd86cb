"""Time the observing renderers (rules + promtool tests, dashboards, runbooks) and the compliance
evidence against the Kubernetes render of the same environments, for generated blueprints of N modules.

Usage: ``.venv/bin/python -m benchmarks.bench_observe [N ...] [--diverse]`` (default 100 1000;
``--diverse``: every module with its own team, on-call and objectives, ``generate.diversify``).
Each N in a fresh process; best of 3 runs, all environments, each run on a freshly validated
blueprint (what the renderers work out once per environment, ``render.signals.memo``, is not
carried from run to run). "render" is ``app.render.environment_files`` without the extra
renderers (objects + YAML dump + kustomization); "observe" is the three observing renderers'
files plus ``app.evidence.evidence_files`` (given the check report that ``buttress render``
computes anyway, and the Kubernetes objects the render has just written, as ``app.render``
passes them); "added" is observe / render; "added to check+render" is observe / (check +
render), the check (controls and Rego, cold, one run) being what ``buttress render`` runs before
rendering. Then the whole ``buttress render`` command as a user waits for it (check, render,
atomic write of every file), without and with the observing output, best of 3 each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = r"""
from buttress import batch; batch.tune()  # as the command runs: buttress.batch
import datetime, json, sys, time
from buttress.app import render as app_render
from buttress.app.check import check
from buttress.app.evidence import evidence_files
from buttress.app.validate import validate
from buttress.render.dashboards import render_dashboards
from buttress.render.monitoring import render_monitoring
from buttress.render.runbooks import render_runbooks
v = validate(sys.argv[1])
t0 = time.perf_counter()
report = check(v, at=datetime.date(2026, 12, 1))
checked = time.perf_counter() - t0
extras = list(app_render.EXTRA_RENDERERS)
best = {}
for _ in range(3):
    v = validate(sys.argv[1])  # fresh model objects each run: nothing worked out per environment is kept
    objects = {e: app_render.rendered_environment(v.blueprint, v.environments[e], v.graphs[e])[1]
               for e in v.environments}
    app_render.EXTRA_RENDERERS[:] = []
    t0 = time.perf_counter()
    for e in v.environments:
        app_render.environment_files(v.blueprint, v.environments[e], v.graphs[e])
    t1 = time.perf_counter()
    run = {"render": t1 - t0}
    files = 0
    for name, fn in (("monitoring", render_monitoring), ("dashboards", render_dashboards), ("runbooks", render_runbooks)):
        t = time.perf_counter()
        for e in v.environments:
            files += len(fn(v.blueprint, v.environments[e], v.graphs[e]))
        run[name] = time.perf_counter() - t
    t = time.perf_counter()
    for e in v.environments:
        files += len(evidence_files(report, v, e, objects[e]))
    run["evidence"] = time.perf_counter() - t
    run["files"] = files
    best = {k: min(x, best.get(k, x)) for k, x in run.items()}
app_render.EXTRA_RENDERERS[:] = extras
print(json.dumps({**best, "check": checked}))
"""


_COMMAND = r"""
import sys
from buttress import batch
import buttress.app.render as app_render
if sys.argv[1] == "without":  # the render issue's output only: manifests and kustomizations
    app_render.EXTRA_RENDERERS[:] = []
    app_render.evidence_files = lambda *a, **k: {}
from buttress.cli.main import main
batch.tune()
batch.exit_now(main(["render", sys.argv[2], "--out", sys.argv[3], "--no-cache", "--format", "json"]))
"""


def command_seconds(path: Path, out: Path, runs: int = 3) -> tuple[float, float]:
    """Best wall times of the whole ``buttress render`` command (check, render, atomic write) over every
    environment, without and with the observing renderers and the evidence; the two alternate, so that a
    slow minute of the machine's disk hits both."""
    times: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(runs):
        for variant, seen in times.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", _COMMAND, variant, str(path), str(out / variant)],
                           capture_output=True, check=True)
            seen.append(time.perf_counter() - start)
    return min(times["without"]), min(times["with"])


def main(sizes: list[int], diverse: bool = False) -> None:
    from benchmarks.generate import generate

    print("| modules | render s (k8s, 3 envs) | check s | monitoring s | dashboards s | runbooks s | evidence s "
          "| observe files | added | added to check+render |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    commands = []
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            path = generate(n, Path(tmp), diverse=diverse)
            out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout)
            observe = r["monitoring"] + r["dashboards"] + r["runbooks"] + r["evidence"]
            print(f"| {n:,} | {r['render']:.2f} | {r['check']:.2f} | {r['monitoring']:.2f} | {r['dashboards']:.2f} "
                  f"| {r['runbooks']:.2f} | {r['evidence']:.2f} | {r['files']:,} | {observe / r['render']:.0%} "
                  f"| {observe / (r['check'] + r['render']):.0%} |")
            without, full = command_seconds(path, Path(tmp))
            commands.append(f"| {n:,} | {without:.2f} | {full:.2f} | {full / without - 1:.0%} |")
    print("\nThe whole `buttress render` command, best of 3 (a fresh process: check, render, atomic write):\n")
    print("| modules | without observe s | with observe s | added |")
    print("|---:|---:|---:|---:|")
    print("\n".join(commands))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:] if a != "--diverse"] or [100, 1000], "--diverse" in sys.argv[1:])
