"""Replica bounds and resource quantities of a module, and their sums for the namespace quota.

Called by the workload, pod, scaling and namespace renderers of this package so that every
object agrees on how many replicas a module runs and what each replica asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from buttress.model.resolve import ResolvedModule

GPU_RESOURCE = "nvidia.com/gpu"
DEFAULT_EPHEMERAL = Decimal(1024**3)
"""Ephemeral storage requested when a module gives none (1Gi): it bounds the /tmp emptyDir too."""
_MI = Decimal(1024**2)


def replicas(module: ResolvedModule) -> tuple[int, int]:
    """(min, max) replicas; min defaults to 1 and max to min. Jobs and cronjobs run one pod."""
    if not module.long_running:
        return 1, 1
    bounds = module.spec.scaling.replicas if module.spec.scaling else None
    low = bounds.min if bounds and bounds.min is not None else 1
    high = bounds.max if bounds and bounds.max is not None else low
    return low, max(low, high)


def cpu_text(cores: Decimal) -> str:
    """Cores as a Kubernetes quantity: whole cores, else millicores."""
    milli = (cores * 1000).to_integral_value()
    return str(int(milli // 1000)) if milli % 1000 == 0 else f"{int(milli)}m"


def bytes_text(amount: Decimal) -> str:
    """Bytes as a Kubernetes quantity: Gi or Mi where exact, else plain bytes."""
    whole = amount.to_integral_value()
    if whole % (1024 * _MI) == 0:
        return f"{int(whole // (1024 * _MI))}Gi"
    if whole % _MI == 0:
        return f"{int(whole // _MI)}Mi"
    return str(int(whole))


@dataclass(frozen=True)
class Size:
    """What one replica requests and is limited to, in base units (cores, bytes, GPUs)."""

    cpu: Decimal | None
    memory: Decimal | None
    ephemeral: Decimal
    gpu: int
    cpu_limit: Decimal | None
    memory_limit: Decimal | None
    ephemeral_limit: Decimal

    def requests(self) -> dict[str, str]:
        """The container's ``resources.requests``."""
        out: dict[str, str] = {}
        if self.cpu is not None:
            out["cpu"] = cpu_text(self.cpu)
        if self.memory is not None:
            out["memory"] = bytes_text(self.memory)
        out["ephemeral-storage"] = bytes_text(self.ephemeral)
        if self.gpu:
            out[GPU_RESOURCE] = str(self.gpu)
        return out

    def limits(self) -> dict[str, str]:
        """The container's ``resources.limits``: memory (= request unless set), ephemeral storage, GPUs."""
        out: dict[str, str] = {}
        if self.cpu_limit is not None:
            out["cpu"] = cpu_text(self.cpu_limit)
        if self.memory_limit is not None:
            out["memory"] = bytes_text(self.memory_limit)
        out["ephemeral-storage"] = bytes_text(self.ephemeral_limit)
        if self.gpu:
            out[GPU_RESOURCE] = str(self.gpu)
        return out


def size(module: ResolvedModule) -> Size:
    """The per-replica size of ``module`` from its ``resources``."""
    res = module.spec.resources
    lim = res.limits if res else None
    cpu = res.cpu.amount if res and res.cpu else None
    memory = res.memory.amount if res and res.memory else None
    ephemeral = res.ephemeral_storage.amount if res and res.ephemeral_storage else DEFAULT_EPHEMERAL
    return Size(
        cpu=cpu,
        memory=memory,
        ephemeral=ephemeral,
        gpu=res.gpu or 0 if res else 0,
        cpu_limit=lim.cpu.amount if lim and lim.cpu else None,
        memory_limit=lim.memory.amount if lim and lim.memory else memory,
        ephemeral_limit=lim.ephemeral_storage.amount if lim and lim.ephemeral_storage else ephemeral,
    )


def peak_pods(module: ResolvedModule) -> int:
    """Pods the module may run at once: max replicas plus one surge pod during a rollout; twice max for a
    blue-green release, whose preview runs a full set beside the active one until promotion."""
    high = replicas(module)[1]
    rollout = module.spec.rollout
    if module.long_running and module.spec.state is None and rollout and rollout.strategy == "blue-green":
        return 2 * high
    return high + 1
