"""What capacity planning reads from a resolved module, in plain numbers.

One place decides the defaults (concurrency 1, headroom 70%, start-up 30 s, which latency objectives
apply), so that sizing, the simulator and the reports agree. Called by ``plan``.
"""

from __future__ import annotations

from dataclasses import dataclass

from buttress.model.resolve import ResolvedModule

DEFAULT_HEADROOM = 0.70
"""Highest utilisation accepted at the peak unless ``capacity.headroom`` says otherwise."""
DEFAULT_STARTUP_SECONDS = 30.0
"""Time for a new replica to serve traffic unless ``capacity.startup`` says otherwise."""


@dataclass(frozen=True)
class Objective:
    """A latency objective: the ``quantile`` of latency must stay at or under ``seconds``."""

    quantile: float
    seconds: float
    source: str
    """The key it comes from, e.g. ``slo.latency.p95``."""

    @property
    def label(self) -> str:
        """``p95`` or ``p99``."""
        return f"p{round(self.quantile * 100)}"


@dataclass(frozen=True)
class AutoscaleTarget:
    """The metric the module's HorizontalPodAutoscaler follows, as the simulator models it."""

    metric: str
    """``cpu`` (busy share of the replicas' concurrency), ``rps`` (per replica) or ``p95Latency``."""
    value: float
    """Utilisation ratio for cpu, requests per second for rps, seconds for p95Latency."""


@dataclass(frozen=True)
class ModuleInputs:
    """A module's capacity data and bounds in one environment."""

    name: str
    service_time: float | None
    """Mean service time in seconds; None when the module declares no capacity data."""
    concurrency: int
    calls: dict[str, float]
    startup: float
    headroom: float
    objectives: tuple[Objective, ...]
    """Every latency objective that applies (see ``objectives_of``); each must be met."""
    min_replicas: int
    max_replicas: int
    """``scaling.replicas.max``, or the fixed count (``min``, else 1) when there is no maximum."""
    max_declared: bool
    targets: tuple[AutoscaleTarget, ...]
    """Empty when the replica count is fixed (no targets, or min = max); the HPA follows the highest."""
    cpu: float
    """CPU request per replica, cores."""
    memory: float
    """Memory request per replica, bytes."""
    gpu: int
    slo_window: float
    """Seconds the latency error budget is counted over (``slo.window``, default 28 days)."""

    @property
    def has_data(self) -> bool:
        """Whether the module can be sized (it declares ``capacity.serviceTime``)."""
        return self.service_time is not None


def objectives_of(module: ResolvedModule) -> tuple[Objective, ...]:
    """``slo.latency.p95`` and ``slo.latency.p99`` (each declared one, p95 first); without either,
    ``scaling.targets.p95Latency``; else none."""
    s = module.spec
    latency = s.slo.latency if s.slo else None
    out = []
    if latency and latency.p95:
        out.append(Objective(0.95, latency.p95.seconds, "slo.latency.p95"))
    if latency and latency.p99:
        out.append(Objective(0.99, latency.p99.seconds, "slo.latency.p99"))
    if out:
        return tuple(out)
    targets = s.scaling.targets if s.scaling else None
    if targets and targets.p95_latency:
        return (Objective(0.95, targets.p95_latency.seconds, "scaling.targets.p95Latency"),)
    return ()


def _targets(module: ResolvedModule) -> tuple[AutoscaleTarget, ...]:
    """The request-driven targets (memory and queue depth do not follow request load here)."""
    targets = module.spec.scaling.targets if module.spec.scaling else None
    if targets is None:
        return ()
    out = []
    if targets.cpu is not None:
        out.append(AutoscaleTarget("cpu", targets.cpu.ratio))
    if targets.rps is not None:
        out.append(AutoscaleTarget("rps", targets.rps))
    if targets.p95_latency is not None:
        out.append(AutoscaleTarget("p95Latency", targets.p95_latency.seconds))
    return tuple(out)


def inputs_of(module: ResolvedModule) -> ModuleInputs:
    """Read ``module``'s capacity data, bounds, objective and requests."""
    s = module.spec
    cap = s.capacity
    replicas = s.scaling.replicas if s.scaling else None
    low = replicas.min if replicas and replicas.min is not None else None
    high = replicas.max if replicas and replicas.max is not None else None
    fixed = high if high is not None else (low if low is not None else 1)
    min_replicas = low if low is not None else min(1, fixed)
    targets = _targets(module) if high is not None and high > min_replicas else ()
    res = s.resources
    window = s.slo.window.seconds if s.slo and s.slo.window else 28 * 86400.0
    return ModuleInputs(
        name=module.name,
        service_time=cap.service_time.seconds if cap and cap.service_time and cap.service_time.seconds > 0 else None,
        concurrency=cap.concurrency if cap and cap.concurrency else 1,
        calls=dict(cap.calls or {}) if cap else {},
        startup=cap.startup.seconds if cap and cap.startup else DEFAULT_STARTUP_SECONDS,
        headroom=cap.headroom.ratio if cap and cap.headroom else DEFAULT_HEADROOM,
        objectives=objectives_of(module),
        min_replicas=min(min_replicas, fixed),
        max_replicas=fixed,
        max_declared=high is not None,
        targets=targets,
        cpu=float(res.cpu.amount) if res and res.cpu else 0.0,
        memory=float(res.memory.amount) if res and res.memory else 0.0,
        gpu=res.gpu or 0 if res else 0,
        slo_window=window,
    )
