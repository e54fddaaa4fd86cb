"""Time capacity planning: steady-state sizing over generated blueprints, and the ramp simulation.

Usage: ``.venv/bin/python -m benchmarks.bench_capacity [N ...]`` (default 1000 5000).

- Sizing: the generated blueprint of N modules (``benchmarks.generate``) with one more scenario,
  ``everything``, that loads every service's interface at 20 rps, so that every module with
  capacity data is sized; ``plan(..., simulate_modules="none")`` in prod, best of 3.
- Simulation: a chain of 20 services (each calls the next once; 1,000 rps at the entry; 5-20 ms
  service times; CPU-target autoscaling) through a 30-minute ramp, every module on the critical
  path simulated; best of 3. Targets (issue 6): sizing N = 1,000 under 1 s, the ramp under 5 s.
- Control: ``headroom_findings`` (what ``check`` adds for the ``capacity-headroom`` control) over
  every environment of the generated N-module blueprint (its own ``peak`` scenario), best of 3.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from benchmarks.generate import blueprint
from buttress.app.capacity_check import headroom_findings
from buttress.app.validate import validate
from buttress.capacity import plan

IMAGE = "registry.example.com/bench/m@sha256:" + "b" * 64


def _best(fn: Callable[[], object], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _write(folder: Path, doc: dict[str, Any], pattern: dict[str, Any] | None = None) -> Path:
    if pattern is not None:
        (folder / "patterns").mkdir(parents=True, exist_ok=True)
        (folder / "patterns" / "web-service.yaml").write_text(yaml.safe_dump(pattern, sort_keys=False))
    (folder / "blueprint.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return folder


def sizing(n: int) -> tuple[int, int, float]:
    """(modules sized by the generator's scenario, by ``everything``, seconds for both scenarios)."""
    doc, pattern = blueprint(n)
    services = [name for name, m in doc["modules"].items() if m["kind"] == "service"]
    doc["scenarios"]["everything"] = {"load": {f"{name}.api": "20rps" for name in services}}
    with tempfile.TemporaryDirectory() as tmp:
        v = validate(_write(Path(tmp), doc, pattern), ["prod"])
    env = v.environments["prod"]
    result = plan(v.blueprint, env, simulate_modules="none")
    seconds = _best(lambda: plan(v.blueprint, env, simulate_modules="none"))
    reached = {s.name: len(s.modules) for s in result.scenarios}
    return reached["peak"], reached["everything"], seconds


def control(n: int) -> tuple[int, int, int, float]:
    """(environments, errors, warnings, seconds) of ``headroom_findings`` over every environment."""
    doc, pattern = blueprint(n)
    with tempfile.TemporaryDirectory() as tmp:
        v = validate(_write(Path(tmp), doc, pattern))
    found = [f for env in v.environments for f in headroom_findings(v, env)]
    seconds = _best(lambda: [headroom_findings(v, env) for env in v.environments])
    errors = sum(f.severity == "error" for f in found)
    return len(v.environments), errors, len(found) - errors, seconds


def chain(length: int = 20) -> dict[str, Any]:
    """A blueprint of ``length`` services, each calling the next once per request."""
    modules: dict[str, Any] = {}
    for i in range(length):
        name = f"s{i:02d}"
        module: dict[str, Any] = {
            "kind": "service", "image": IMAGE,
            "provides": {"api": {"protocol": "http", "port": 8080, "version": "1.0.0"}},
            "resources": {"cpu": "500m", "memory": "512Mi"},
            "scaling": {"replicas": {"min": 2, "max": 60}, "targets": {"cpu": "70%"}},
            "slo": {"availability": "99.9%", "latency": {"p95": "100ms"}},
            "capacity": {"serviceTime": f"{5 + (i * 7) % 16}ms", "concurrency": 4, "startup": "40s"},
        }
        if i + 1 < length:
            module["consumes"] = [f"s{i + 1:02d}.api"]
            module["capacity"]["calls"] = {f"s{i + 1:02d}.api": 1}
        modules[name] = module
    return {"blueprint": "v1", "name": "chain", "owner": "bench", "modules": modules,
            "environments": {"prod": {"namespace": "chain-prod"}},
            "scenarios": {"ramp": {"load": {"s00.api": "1000rps"}, "baseline": 0.2, "ramp": "30m"}}}


def simulation() -> tuple[int, float, float]:
    """(modules simulated, simulated minutes, seconds) for the 20-module chain."""
    with tempfile.TemporaryDirectory() as tmp:
        v = validate(_write(Path(tmp), chain()))
    env = v.environments["prod"]
    result = plan(v.blueprint, env, simulate_modules="critical-path")
    scenario = result.scenarios[0]
    traced = [m for m in scenario.modules if m.trace is not None]
    minutes = (traced[0].trace.times[-1] + 5) / 60 if traced and traced[0].trace else 0.0
    sizing_only = _best(lambda: plan(v.blueprint, env, simulate_modules="none"))
    seconds = _best(lambda: plan(v.blueprint, env, simulate_modules="critical-path")) - sizing_only
    return len(traced), minutes, seconds


def main(sizes: list[int]) -> None:
    print("| modules | sized by `peak` | sized by `everything` | plan (2 scenarios, no simulation) s |")
    print("|---:|---:|---:|---:|")
    for n in sizes:
        peak, everything, seconds = sizing(n)
        print(f"| {n:,} | {peak:,} | {everything:,} | {seconds:.3f} |")
    print()
    print("| modules | environments | capacity-headroom errors | warnings | headroom_findings s (all environments) |")
    print("|---:|---:|---:|---:|---:|")
    for n in sizes:
        envs, errors, warnings, seconds = control(n)
        print(f"| {n:,} | {envs} | {errors:,} | {warnings:,} | {seconds:.3f} |")
    modules, minutes, seconds = simulation()
    print()
    print("| critical path | simulated time | ramp simulation s |")
    print("|---:|---:|---:|")
    print(f"| {modules} modules | {minutes:.0f} min (2 warm-up + 30 ramp + 10 hold) | {seconds:.3f} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 5000])
