"""Generate valid blueprints of N modules for benchmarks: a layered dependency graph (no cycles,
compatible contracts), one pattern, an external, three environments (dev overrides every tenth
module's replicas), and a peak scenario that every environment carries (so ``check`` and
``render`` pass: a module gets a quarter of a request per caller's request, so load decays with depth).

Usage: ``python -m benchmarks.generate N FOLDER [--diverse]``. Called by every ``benchmarks/bench_*.py``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import yaml

_HEX = "0123456789abcdef"


def _digest(rng: random.Random) -> str:
    return "".join(rng.choice(_HEX) for _ in range(64))


def _module(i: int, rng: random.Random, services: list[int]) -> tuple[str, dict[str, Any]]:
    name = f"m{i:05d}"
    roll = rng.random()
    kind = "service" if not services or roll < 0.7 else "worker" if roll < 0.85 else "cronjob" if roll < 0.95 else "job"
    module: dict[str, Any] = {
        "kind": kind,
        "description": f"Generated module {i}.",
        "image": f"registry.example.com/bench/{name}@sha256:{_digest(rng)}",
        "resources": {"cpu": f"{rng.choice([100, 250, 500, 1000])}m", "memory": f"{rng.choice([128, 256, 512, 1024])}Mi"},
        "data": {"classification": "restricted"},
    }
    deps = sorted(rng.sample(services[-50:], k=min(len(services), rng.randint(0, 3))))
    if deps:
        module["consumes"] = [f"m{d:05d}.api@^1.{rng.randint(0, 2)}" for d in deps] + ["warehouse"]
    else:
        module["consumes"] = ["warehouse"]
    if kind == "service":
        module["extends"] = "web-service"
        module["provides"] = {"api": {"protocol": "http", "port": 8080, "version": f"1.{rng.randint(2, 9)}.0"}}
        module["slo"] = {"availability": "99.9%", "latency": {"p95": "200ms"}}
        module["capacity"] = {"serviceTime": f"{rng.randint(2, 20)}ms", "concurrency": 4,
                              "calls": {f"m{d:05d}.api": 0.25 for d in deps}}
    if kind in ("service", "worker"):
        module["scaling"] = {"replicas": {"min": 2, "max": rng.randint(30, 60)}, "targets": {"cpu": "70%"}}
    if kind == "worker":
        module["slo"] = {"availability": "99.5%"}
    if kind == "cronjob":
        module["schedule"] = f"{rng.randint(0, 59)} {rng.randint(0, 23)} * * *"
    if rng.random() < 0.5:
        module["secrets"] = {"DB_PASSWORD": f"vault://secret/bench/{name}#password"}
    if kind == "service" and rng.random() < 0.05:
        module["state"] = {"volume": "10Gi", "backup": {"schedule": "0 * * * *", "rpo": "1h", "rto": "4h",
                                                        "retention": "30d"}}
        module["data"]["encryption"] = {"atRest": f"kms://eu/{name}"}
    return name, module


def blueprint(n: int, seed: int = 7) -> tuple[dict[str, Any], dict[str, Any]]:
    """The blueprint and its pattern as plain data."""
    rng = random.Random(seed)
    modules: dict[str, Any] = {}
    services: list[int] = []
    for i in range(n):
        name, module = _module(i, rng, services)
        modules[name] = module
        if module["kind"] == "service":
            services.append(i)
    entry = f"m{services[-1]:05d}.api" if services else None
    overrides = {name: {"scaling": {"replicas": {"min": 1, "max": 2}}}
                 for name, m in list(modules.items())[::10] if "scaling" in m}
    doc = {
        "blueprint": "v1",
        "name": f"bench-{n}",
        "description": f"A generated blueprint of {n} modules.",
        "owner": "bench-team",
        "oncall": "bench-primary",
        "compliance": {"frameworks": ["soc2", "iso27001", "nist-800-53"], "regions": ["eu-west-1"],
                       "registries": ["registry.example.com/bench"]},
        "uses": {"web-service": "patterns/web-service.yaml"},
        "externals": {"warehouse": {"endpoint": "postgres://warehouse.example.com:5432", "classification": "restricted"}},
        "modules": modules,
        "environments": {
            "dev": {"namespace": "bench-dev", "region": "eu-west-1", "enforcement": "advisory", "overrides": overrides},
            "staging": {"namespace": "bench-staging", "region": "eu-west-1", "enforcement": "mandatory",
                        "promotion": {"from": "dev"}},
            "prod": {"namespace": "bench-prod", "region": "eu-west-1", "enforcement": "mandatory",
                     "promotion": {"from": "staging", "approvals": {"count": 2, "roles": ["release-manager", "security"]},
                                   "soak": "24h"}},
        },
        "scenarios": {"peak": {"load": {entry: "500rps"}}} if entry else {},
        "policies": {"profile": "baseline"},
    }
    pattern = {
        "pattern": "v1", "name": "web-service", "version": "1.0.0",
        "defaults": {"kind": "service", "rollout": {"strategy": "rolling"},
                     "probes": {"readiness": {"path": "/ready"}, "liveness": {"path": "/healthz"}}},
    }
    return doc, pattern


def diversify(doc: dict[str, Any], seed: int = 7) -> None:
    """Give every module its own team, on-call and SLO objectives (and every cron job its own
    schedule already): no two modules share a shape, the worst case for the renderers that write a
    shape's text once (``render.common.stand_ins``)."""
    rng = random.Random(seed)
    for i, module in enumerate(doc["modules"].values()):
        module["owner"], module["oncall"] = f"team-{i}", f"oncall-{i}"
        if "slo" in module:
            module["slo"]["availability"] = f"{99 + rng.randint(1, 989) / 1000:.3f}%"
            if "latency" in module["slo"]:
                module["slo"]["latency"]["p95"] = f"{rng.randint(50, 950)}ms"
            module["slo"]["window"] = rng.choice(["7d", "14d", "28d", "30d"])


def generate(n: int, folder: Path, seed: int = 7, *, diverse: bool = False) -> Path:
    """Write an N-module blueprint and its pattern into ``folder``; return the blueprint's path
    (``diverse``: with ``diversify``)."""
    doc, pattern = blueprint(n, seed)
    if diverse:
        diversify(doc, seed)
    (folder / "patterns").mkdir(parents=True, exist_ok=True)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    (folder / "patterns" / "web-service.yaml").write_text(yaml.dump(pattern, Dumper=dumper, sort_keys=False))
    path = folder / "blueprint.yaml"
    path.write_text(yaml.dump(doc, Dumper=dumper, sort_keys=False))
    return path


if __name__ == "__main__":
    print(generate(int(sys.argv[1]), Path(sys.argv[2]), diverse="--diverse" in sys.argv[3:]))
