"""The capacity use case: validate, plan the scenarios of one environment, compare with the quota.

The namespace quota is the ResourceQuota the Kubernetes renderer would write for the environment
(``requests.cpu``, ``requests.memory``, ``requests.nvidia.com/gpu``); the peak's resource totals
must fit in it. Called by ``buttress capacity``; the ``capacity-headroom`` control of ``check`` plans
through ``app.capacity_check`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from buttress.app.validate import validate
from buttress.capacity import CapacityPlan, Resources, plan
from buttress.errors import UsageError
from buttress.model.suggest import did_you_mean
from buttress.model.units import Quantity
from buttress.render.kubernetes import render_objects
from buttress.render.kubernetes.sizing import GPU_RESOURCE


@dataclass(frozen=True)
class CapacityReport:
    """A capacity plan with the environment's namespace quota."""

    blueprint: str
    plan: CapacityPlan
    quota: Resources | None
    """None when the environment renders no ResourceQuota."""

    def as_dict(self) -> dict[str, Any]:
        """Stable JSON form of the whole report."""
        scenarios = []
        for s in self.plan.scenarios:
            data = s.as_dict()
            data["resources"]["quota"] = self.quota.as_dict() if self.quota else None
            data["resources"]["peakFitsQuota"] = s.totals.peak.fits(self.quota) if self.quota else None
            scenarios.append(data)
        return {"blueprint": self.blueprint, "environment": self.plan.environment, "scenarios": scenarios}


def _amount(hard: dict[str, str], key: str) -> float:
    return float(Quantity.parse(hard[key]).amount) if key in hard else 0.0


def namespace_quota(objects: list[dict[str, Any]]) -> Resources | None:
    """Requests the rendered ResourceQuota allows, or None when none is rendered."""
    for obj in objects:
        if obj.get("kind") == "ResourceQuota":
            hard = obj["spec"]["hard"]
            return Resources(_amount(hard, "requests.cpu"), _amount(hard, "requests.memory"),
                             int(_amount(hard, f"requests.{GPU_RESOURCE}")))
    return None


def capacity(path: Path | str, environment: str, scenario: str | None = None, *, seed: int = 0) -> CapacityReport:
    """Plan ``scenario`` (default: all) of the blueprint at ``path`` in ``environment``."""
    result = validate(path, [environment])
    bp = result.blueprint
    names = list(bp.spec.scenarios)
    if not names:
        raise UsageError(f"{bp.file} declares no scenarios: add "
                         "scenarios: {NAME: {load: {module.interface: RATE}}} to plan capacity")
    if scenario is not None and scenario not in bp.spec.scenarios:
        raise UsageError(f"scenario {scenario!r} is not in the blueprint{did_you_mean(scenario, names)}"
                         f" (scenarios: {', '.join(names)})")
    env = result.environments[environment]
    planned = plan(bp, env, [scenario] if scenario else None, seed=seed)
    quota = namespace_quota(render_objects(bp, env, result.graphs[environment]))
    return CapacityReport(str(bp.spec.name), planned, quota)
