"""Resource totals of an environment at a scenario's peak, and at every module's maximum.

At the peak, a module the scenario loads runs the replicas it needs (at least ``replicas.min``);
every other long-running module runs ``replicas.min``; every job and cronjob counts one pod, since
it may run during the peak. The ceiling counts long-running modules at ``replicas.max``. CPU in
cores, memory in bytes, GPUs in devices. Called by ``plan``; ``app.capacity`` compares the totals
with the namespace quota.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from buttress.capacity.inputs import ModuleInputs
from buttress.model.resolve import Environment


@dataclass(frozen=True)
class Resources:
    """CPU (cores), memory (bytes) and GPUs."""

    cpu: float
    memory: float
    gpu: int

    def as_dict(self) -> dict[str, Any]:
        """Stable JSON form."""
        return {"cpu": round(self.cpu, 3), "memory": round(self.memory), "gpu": self.gpu}

    def fits(self, limit: Resources) -> bool:
        """Whether every amount is within ``limit``."""
        return self.cpu <= limit.cpu + 1e-9 and self.memory <= limit.memory + 1e-9 and self.gpu <= limit.gpu


@dataclass(frozen=True)
class ResourceTotals:
    """What the peak needs, and what every module at its maximum would take."""

    peak: Resources
    at_max: Resources

    def as_dict(self) -> dict[str, Any]:
        """Stable JSON form."""
        return {"peak": self.peak.as_dict(), "atMax": self.at_max.as_dict()}


def _sum(replicas: dict[str, int], inputs: dict[str, ModuleInputs]) -> Resources:
    return Resources(sum(inputs[m].cpu * n for m, n in replicas.items()),
                     sum(inputs[m].memory * n for m, n in replicas.items()),
                     sum(inputs[m].gpu * n for m, n in replicas.items()))


def totals(env: Environment, inputs: dict[str, ModuleInputs], needed: dict[str, int]) -> ResourceTotals:
    """Totals for ``env`` when the modules in ``needed`` run that many replicas at the peak."""
    peak: dict[str, int] = {}
    ceiling: dict[str, int] = {}
    for name, module in env.modules.items():
        i = inputs[name]
        if not module.long_running:
            peak[name] = ceiling[name] = 1
            continue
        peak[name] = max(needed.get(name, i.min_replicas), i.min_replicas)
        ceiling[name] = i.max_replicas
    return ResourceTotals(_sum(peak, inputs), _sum(ceiling, inputs))
