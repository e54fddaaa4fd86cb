"""Fixtures of the capacity tests: small blueprints written from plain data, validated and resolved."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from buttress.app.validate import Validated, validate
from buttress.capacity.inputs import ModuleInputs, Objective

IMAGE = "registry.example.com/t/app@sha256:" + "a" * 64


def service(port: int = 8080, *, service_time: str | None = "10ms", concurrency: int = 4,
            calls: dict[str, float] | None = None, consumes: list[str] | None = None,
            replicas: tuple[int, int] = (2, 10), p95: str | None = "100ms", **extra: Any) -> dict[str, Any]:
    """A service module providing ``api`` with the given capacity data."""
    module: dict[str, Any] = {
        "kind": "service",
        "image": IMAGE,
        "provides": {"api": {"protocol": "http", "port": port, "version": "1.0.0"}},
        "resources": {"cpu": "500m", "memory": "1Gi"},
        "scaling": {"replicas": {"min": replicas[0], "max": replicas[1]}, "targets": {"cpu": "70%"}},
    }
    if consumes or calls:
        module["consumes"] = consumes or list(calls or {})
    capacity: dict[str, Any] = {"concurrency": concurrency}
    if service_time is not None:
        capacity["serviceTime"] = service_time
    if calls:
        capacity["calls"] = calls
    module["capacity"] = capacity
    if p95 is not None:
        module["slo"] = {"availability": "99.9%", "latency": {"p95": p95}}
    module.update(extra)
    return module


@pytest.fixture
def write_blueprint(tmp_path: Path) -> Callable[..., Path]:
    """Write a blueprint of ``modules`` and ``scenarios`` and return its folder."""

    def write(modules: dict[str, Any], scenarios: dict[str, Any], **top: Any) -> Path:
        doc = {"blueprint": "v1", "name": "cap", "owner": "team",
               "modules": modules, "environments": {"prod": {"namespace": "cap-prod"}},
               "scenarios": scenarios, **top}
        folder = tmp_path / "bp"
        folder.mkdir(exist_ok=True)
        (folder / "blueprint.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        return folder

    return write


@pytest.fixture
def validated(write_blueprint: Callable[..., Path]) -> Callable[..., Validated]:
    """Write and validate a blueprint in one call."""

    def make(modules: dict[str, Any], scenarios: dict[str, Any], **top: Any) -> Validated:
        return validate(write_blueprint(modules, scenarios, **top))

    return make


def fixed_inputs(replicas: int, concurrency: int, service: float, *, objective: float = 0.1,
                 name: str = "m") -> ModuleInputs:
    """A module with a fixed replica count (no autoscaler), for queue-level tests."""
    return ModuleInputs(name, service, concurrency, {}, 30.0, 0.7, (Objective(0.95, objective, "slo.latency.p95"),),
                        replicas, replicas, True, (), 1.0, 2**30, 0, 28 * 86400.0)
