"""The ramp's model: the load shape, the simulation's resolution, what a simulated module did
(``Trace``), and where the autoscaler starts. Free of numpy, so that ``plan`` and the capacity
replay screen load fast; the simulation itself is ``capacity.simulation``. Called by ``plan``,
``replay``, ``simulation`` and ``plot``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from buttress.capacity.inputs import AutoscaleTarget, ModuleInputs, Objective
from buttress.capacity.sizing import latency

WARMUP_SECONDS = 120.0
HOLD_SECONDS = 600.0


@dataclass(frozen=True)
class RampShape:
    """Load over time as a fraction of the peak: warm-up at ``baseline``, linear ramp, hold."""

    baseline: float
    ramp: float
    warmup: float = WARMUP_SECONDS
    hold: float = HOLD_SECONDS

    @property
    def duration(self) -> float:
        """Seconds simulated."""
        return self.warmup + self.ramp + self.hold

    def factor(self, t: float) -> float:
        """Fraction of the peak at time ``t``."""
        if t <= self.warmup:
            return self.baseline
        if self.ramp <= 0 or t >= self.warmup + self.ramp:
            return 1.0
        return self.baseline + (1.0 - self.baseline) * (t - self.warmup) / self.ramp


@dataclass(frozen=True)
class SimulationSettings:
    """Resolution of the simulation."""

    step: float = 5.0
    probe: int = 200
    """Most requests simulated one by one per module and step."""
    excess_backlog: float = 50.0
    """Backlog, in service times, beyond which queued work is drained as a fluid."""
    judge_window: float = 60.0
    """Seconds of requests the objective is judged over (a step alone holds too few to tell a
    quantile from sampling noise)."""
    judge_samples: int = 400
    """Fewest requests a judgement needs: the window reaches further back, up to ``judge_limit``."""
    judge_limit: float = 300.0


def judged_breaches(slow: list[int], total: list[int], allowed: float, step: float,
                    settings: SimulationSettings) -> list[bool]:
    """Per step, whether the share of requests slower than the objective over the window ending
    with that step is above what the objective allows (``allowed`` = 1 - quantile). The window
    covers ``judge_window`` seconds, or more (up to ``judge_limit``) until ``judge_samples``."""
    base = max(math.ceil(settings.judge_window / step - 1e-9), 1)
    limit = max(math.ceil(settings.judge_limit / step - 1e-9), base)
    out = []
    for i in range(len(total)):
        lo = max(i + 1 - base, 0)
        while lo > 0 and i + 1 - lo < limit and sum(total[lo:i + 1]) < settings.judge_samples:
            lo -= 1
        seen = sum(total[lo:i + 1])
        out.append(seen > 0 and sum(slow[lo:i + 1]) > allowed * seen)
    return out


@dataclass(frozen=True)
class ObjectiveTrace:
    """One latency objective over the ramp."""

    objective: Objective
    latency: tuple[float, ...]
    """Per step, the latency at the objective's quantile, seconds; inf when nothing serves."""
    breach_seconds: float
    """Time this objective was broken (judged as ``Trace.breached``)."""
    budget_burned: float
    """Requests over this objective, as a fraction of the SLO window's error budget for it."""
    peak_burn_rate: float
    breached: tuple[bool, ...]


@dataclass(frozen=True)
class Trace:
    """What one module did over the ramp; series have one value per step (at the step's start).

    With several latency objectives the summary fields combine them: a step is broken when any
    objective is, and the budget burned and peak burn rate are those of the objective worst off.
    """

    module: str
    times: tuple[float, ...]
    rates: tuple[float, ...]
    ready: tuple[int, ...]
    """Replicas serving traffic."""
    desired: tuple[int, ...]
    """Replicas the autoscaler asked for (ready plus starting)."""
    latency: tuple[float, ...]
    """Latency at the first objective's quantile (p95 first; p95 without objective), seconds; inf when
    nothing serves. ``objectives`` has the series of each objective."""
    mean_wait: float
    """Mean time in queue over every simulated request, seconds."""
    breach_seconds: float | None
    """Time any objective was broken (see ``breached``); None without objective."""
    budget_burned: float | None
    """Requests over an objective, as a fraction of the SLO window's latency error budget (the largest
    over the objectives)."""
    peak_burn_rate: float | None
    """Highest step's share of slow requests over the share the objective allows (the largest over the
    objectives)."""
    breached: tuple[bool, ...] = ()
    """Per step: whether any objective was broken over the judging window ending with the step."""
    objectives: tuple[ObjectiveTrace, ...] = ()
    """Each objective of the module on its own, in the module's order."""

    def series(self, objective: Objective | None) -> tuple[float, ...]:
        """The latency series at ``objective``'s quantile (``latency`` for None or an unknown one)."""
        return next((o.latency for o in self.objectives if o.objective == objective), self.latency)


def _settled(inputs: ModuleInputs, target: AutoscaleTarget, rate: float) -> int:
    """Replicas at which ``target`` is met at ``rate``."""
    assert inputs.service_time is not None
    if target.metric == "cpu":
        return math.ceil(rate * inputs.service_time / (inputs.concurrency * target.value) - 1e-9)
    if target.metric == "rps":
        return math.ceil(rate / target.value - 1e-9)
    wanted = max(inputs.min_replicas, 1)
    while wanted < inputs.max_replicas and latency(inputs, wanted, rate, 0.95) > target.value:
        wanted += 1
    return wanted


def initial_replicas(inputs: ModuleInputs, rate: float) -> int:
    """Where the autoscaler settles at the baseline rate (the fixed count without targets)."""
    if not inputs.targets:
        return inputs.max_replicas
    wanted = max(_settled(inputs, t, rate) for t in inputs.targets)
    return min(max(wanted, inputs.min_replicas, 1 if rate > 0 else 0), inputs.max_replicas)
