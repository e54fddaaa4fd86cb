"""Time ``buttress check`` over every environment of a generated N-module blueprint, phase by phase.

Usage: ``.venv/bin/python -m benchmarks.bench_check [N ...]`` (default 1000). The blueprint from
``benchmarks.generate`` gets the benchmark Rego policy set (``benchmarks/policies``: rules over
both packages). Each N runs in a fresh process; phases are timed separately (validate, render,
built-in controls, Rego over the blueprint package, Rego over every rendered object with a cold
cache, then again warm from the persistent cache), and ``check()`` end to end (validation included)
cold (no verdict cache; median of 3) and warm; then the ``buttress check`` command itself, cold
(``--no-cache``) and warm (best of 3 each), as a user runs it: a fresh interpreter, imports included.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLICIES = Path(__file__).with_name("policies")

_CHILD = r"""
from buttress import batch; batch.tune()  # as the command runs: buttress.batch
import datetime as dt, json, sys, time, tempfile
from pathlib import Path
from buttress.app.validate import validate
from buttress.app.check import blueprint_input, check, policy_set
from buttress.policy.catalog import for_profile
from buttress.policy.catalog.base import EnvContext
from buttress.policy.evaluate import evaluate
from buttress.render.kubernetes import render_objects
path, cache = Path(sys.argv[1]), Path(sys.argv[2])
at = dt.date(2026, 12, 1)
r = {}
t = time.perf_counter(); v = validate(path); r["validate"] = time.perf_counter() - t
envs = list(v.environments)
t = time.perf_counter()
objects = {e: render_objects(v.blueprint, v.environments[e], v.graphs[e]) for e in envs}
r["render"] = time.perf_counter() - t
r["objects"] = sum(len(o) for o in objects.values())
controls = for_profile(v.blueprint.spec.policies.profile)
t = time.perf_counter()
found = sum(len(evaluate(EnvContext(v.blueprint, v.environments[e], v.graphs[e]), controls, objects[e])) for e in envs)
r["controls"] = time.perf_counter() - t
r["controls_count"] = len(controls)
policies = policy_set(v.blueprint)
r["rules"] = len(policies.rules())
t = time.perf_counter()
for e in envs:
    policies.evaluate("blueprint", [blueprint_input(v.blueprint, v.environments[e])])
r["rego_blueprint"] = time.perf_counter() - t
t = time.perf_counter()
for e in envs:
    policies.evaluate("main", objects[e])
r["rego_main_cold"] = time.perf_counter() - t
r["rego_evaluations"] = policies.evaluations
t = time.perf_counter()
for e in envs:
    policies.evaluate("main", objects[e])
r["rego_main_cached"] = time.perf_counter() - t
runs = []
for _ in range(3):  # cold: no verdict cache, a fresh policy set each time
    t = time.perf_counter(); check(validate(path), None, at, cache=None); runs.append(time.perf_counter() - t)
r["check_cold"] = sorted(runs)[1]
t = time.perf_counter(); report = check(validate(path), None, at, cache=cache); r["check_fill"] = time.perf_counter() - t
t = time.perf_counter(); report = check(validate(path), None, at, cache=cache); r["check_warm"] = time.perf_counter() - t
r["findings"] = len(report.findings)
print(json.dumps(r))
"""


def main(sizes: list[int]) -> None:
    from benchmarks.generate import generate
    from benchmarks.speed import reference_seconds

    before = reference_seconds()

    print("| modules | objects (3 envs) | validate s | render s | built-in controls s | Rego blueprint s "
          "| Rego main cold s | Rego main cached s | check() cold s | check() warm s "
          "| `buttress check` cold s, best (median) | `buttress check` warm s, best (median) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            path = generate(n, folder)
            shutil.copytree(POLICIES, folder / "policies")
            text = path.read_text()
            path.write_text(text.replace("policies:\n", "policies:\n  rego: [policies/]\n", 1)
                            if "policies:\n" in text else text + "policies:\n  rego: [policies/]\n")
            out = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(folder / "cache")],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout)
            cli_cold = _cli(path, folder, "--no-cache")
            _cli(path, folder)  # fills the verdict cache
            cli_warm = _cli(path, folder)
            print(f"| {n:,} | {r['objects']:,} | {r['validate']:.2f} | {r['render']:.2f} | {r['controls']:.2f} "
                  f"({r['controls_count']} controls) | {r['rego_blueprint']:.2f} | {r['rego_main_cold']:.2f} "
                  f"({r['rules']} rules, {r['rego_evaluations']:,} inputs) | {r['rego_main_cached']:.2f} "
                  f"| {r['check_cold']:.2f} | {r['check_warm']:.2f} | {cli_cold[0]:.2f} ({cli_cold[1]:.2f}) "
                  f"| {cli_warm[0]:.2f} ({cli_warm[1]:.2f}) |")
    print(f"\nmachine speed (benchmarks.speed, ~0.7 s quiet): {before:.2f} s before, {reference_seconds():.2f} s after")


def _cli(path: Path, folder: Path, *extra: str) -> tuple[float, float]:
    """Best and median of 5 wall times of ``buttress check PATH --format json`` (a fresh process
    each: imports, validation, the check, the report), the verdict cache in ``folder``."""
    env = {**os.environ, "BUTTRESS_CACHE_DIR": str(folder / "cli-cache")}
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "buttress", "check", str(path), "--format", "json", *extra],
                       capture_output=True, env=env, check=False)
        runs.append(time.perf_counter() - start)
    return min(runs), sorted(runs)[2]


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000])
