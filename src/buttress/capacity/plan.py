"""``plan``: every scenario of one environment, sized module by module and simulated through its ramp.

The result is plain frozen data with numbers in message-ready form (``ModulePlan.message``,
``ModulePlan.ramp_message``) and a stable ``as_dict`` for JSON. The ``capacity`` command and the
``capacity-headroom`` control build on it. Pure: the same inputs and seed give the same plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from buttress.capacity.autoscaler import AutoscalerSettings
from buttress.capacity.inputs import ModuleInputs, Objective, inputs_of
from buttress.capacity.propagation import Flow, propagate
from buttress.capacity.ramp import ObjectiveTrace, RampShape, SimulationSettings, Trace, initial_replicas
from buttress.capacity.replay import breach_seconds, breaks
from buttress.capacity.sizing import ObjectiveSizing, Sizing, size
from buttress.capacity.totals import ResourceTotals, totals
from buttress.errors import BlueprintError, Problem
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment

Verdict = Literal["ok", "short", "no-capacity-data"]
Simulate = Literal["all", "critical-path", "screened", "none"]
"""Which modules the ramp is simulated for: ``screened`` picks those ``worth_simulating``."""
DEFAULT_BASELINE = 0.2
DEFAULT_RAMP_SECONDS = 1800.0
DEFAULT_TOLERANCE_SECONDS = 300.0


def duration_text(seconds: float | None) -> str:
    """``35.9 ms``, ``3.5 s``; ``unbounded`` for None or infinity."""
    if seconds is None or math.isinf(seconds):
        return "unbounded"
    return f"{seconds * 1000:.3g} ms" if seconds < 1 else f"{seconds:.3g} s"


def _rate(rps: float) -> str:
    return f"{rps:.4g} rps" if rps >= 1 else f"{rps * 60:.3g} rpm"


def _goal(o: Objective) -> str:
    return f"{o.label} ≤ {duration_text(o.seconds)}"


def _and(parts: list[str]) -> str:
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else "".join(parts)


@dataclass(frozen=True)
class ModulePlan:
    """One module in one scenario: steady-state sizing and, when simulated, the ramp."""

    module: str
    arrival_rate: float
    """Requests per second at the peak."""
    replicas_needed: int | None
    """None without capacity data, or when no replica count meets the objective."""
    replicas_allowed: int
    """``scaling.replicas.max`` (or the fixed count when no maximum is set)."""
    utilisation_at_max: float | None
    latency_at_max: float | None
    """Predicted latency at the binding objective's quantile with max replicas, seconds; inf when overloaded."""
    objective: Objective | None
    """The binding latency objective: of those declared, the one needing the most replicas (the first
    declared when the module is not sized)."""
    headroom: float
    verdict: Verdict
    breach_minutes: float | None
    """Minutes the simulated ramp broke a latency objective (any); None when not simulated or no objective."""
    budget_burned: float | None
    """Share of the SLO window's latency error budget the ramp burned (0.01 = 1%; the objective worst off)."""
    peak_burn_rate: float | None
    trace: Trace | None
    objectives: tuple[Objective, ...] = ()
    """Every latency objective the module declares (p95 first)."""
    sized: tuple[ObjectiveSizing, ...] = ()
    """Each objective's own sizing (empty without capacity data)."""

    @property
    def quantile(self) -> str:
        """``p95`` or ``p99``: the quantile latencies are given at."""
        return self.objective.label if self.objective else "p95"

    @property
    def message(self) -> str:
        """The steady-state verdict as one sentence with its numbers."""
        if self.verdict == "no-capacity-data":
            return (f"receives {_rate(self.arrival_rate)} at the peak but declares no capacity.serviceTime, "
                    "so it cannot be sized")
        goal = f"{_goal(self.objective)}, " if self.objective else ""
        others = [s for s in self.sized if s.objective != self.objective]
        alone = "".join(f"; {_goal(s.objective)} alone needs {s.replicas_needed}" for s in others
                        if s.replicas_needed is not None)
        need = (f"needs {self.replicas_needed} replicas for {_rate(self.arrival_rate)} "
                f"({goal}≤ {self.headroom:.0%} busy{alone})" if self.replicas_needed is not None else
                f"cannot meet {goal.rstrip(', ')} at any replica count: its service time alone is too slow")
        util = self.utilisation_at_max or 0.0
        at_max = (f"{util:.0%} busy, {self.quantile} {duration_text(self.latency_at_max)}"
                  + "".join(f", {s.objective.label} {duration_text(s.latency_at_max)}" for s in others)
                  if util < 1 else f"{util:.0%} of capacity: overloaded, the queue grows without bound")
        verb = "allows it" if self.verdict == "ok" else "falls short"
        replicas = f"{self.replicas_allowed} replica" + ("" if self.replicas_allowed == 1 else "s")
        return f"{need}; max {self.replicas_allowed} {verb} ({at_max} at {replicas})"

    def _ramp_objectives(self) -> tuple[ObjectiveTrace, ...]:
        return self.trace.objectives if self.trace else ()

    def ramp_message(self, tolerance: float) -> str | None:
        """The ramp's effect on the objectives as one sentence, or None when not simulated."""
        per = self._ramp_objectives()
        if self.breach_minutes is None or not per:
            return None
        if self.breach_minutes == 0:
            kept = _and([f"{o.objective.label} within {duration_text(o.objective.seconds)}" for o in per])
            return f"the ramp keeps {kept} throughout"
        broken = [o for o in per if o.breach_seconds > 0] or list(per)
        names = _and([_goal(o.objective) for o in broken]) + (" objectives" if len(broken) > 1 else " objective")
        worst = max(per, key=lambda o: o.budget_burned)
        budget = "the latency error budget" if len(per) == 1 else f"the {worst.objective.label} latency error budget"
        over = "more than" if self.breach_minutes * 60 > tolerance else "within"
        return (f"the ramp breaks the {names} for "
                f"{self.breach_minutes:.1f} min ({over} the {tolerance / 60:g} min tolerated) and burns "
                f"{(self.budget_burned or 0):.2%} of {budget} (peak burn rate "
                f"{(self.peak_burn_rate or 0):.1f}x)")

    def ramp_verdict(self, tolerance: float) -> Literal["ok", "breach"] | None:
        """``breach`` when the ramp breaks the objective for longer than ``tolerance`` seconds."""
        if self.breach_minutes is None:
            return None
        return "breach" if self.breach_minutes * 60 > tolerance else "ok"

    def as_dict(self, tolerance: float) -> dict[str, Any]:
        """Stable JSON form (seconds, ratios; null for unbounded or unknown)."""
        def finite(x: float | None) -> float | None:
            return None if x is None or math.isinf(x) else round(x, 6)

        sized = {s.objective: s for s in self.sized}

        return {
            "module": self.module,
            "arrivalRate": round(self.arrival_rate, 6),
            "replicasNeeded": self.replicas_needed,
            "replicasAllowed": self.replicas_allowed,
            "utilisationAtMax": finite(self.utilisation_at_max),
            "latencyAtMax": finite(self.latency_at_max),
            "quantile": self.quantile,
            "objective": self.objective.seconds if self.objective else None,
            "objectiveSource": self.objective.source if self.objective else None,
            "headroom": self.headroom,
            "verdict": self.verdict,
            "message": self.message,
            "ramp": None if self.breach_minutes is None else {
                "verdict": self.ramp_verdict(tolerance),
                "breachMinutes": round(self.breach_minutes, 3),
                "budgetBurned": finite(self.budget_burned),
                "peakBurnRate": finite(self.peak_burn_rate),
                "maxReplicasReached": max(self.trace.ready) if self.trace else None,
                "message": self.ramp_message(tolerance),
                "objectives": [{
                    "quantile": o.objective.label,
                    "breachMinutes": round(o.breach_seconds / 60, 3),
                    "budgetBurned": finite(o.budget_burned),
                    "peakBurnRate": finite(o.peak_burn_rate),
                } for o in self._ramp_objectives()],
            },
            "objectives": [{
                "quantile": o.label,
                "objective": o.seconds,
                "source": o.source,
                "binding": o == self.objective,
                "replicasNeeded": sized[o].replicas_needed if o in sized else None,
                "latencyAtMax": finite(sized[o].latency_at_max) if o in sized else None,
            } for o in self.objectives],
        }


@dataclass(frozen=True)
class ScenarioPlan:
    """One scenario in one environment."""

    name: str
    description: str | None
    baseline: float
    ramp_seconds: float
    tolerance_seconds: float
    modules: tuple[ModulePlan, ...]
    """In call order: entry modules first."""
    critical_path: tuple[str, ...]
    totals: ResourceTotals

    @property
    def verdict(self) -> Verdict:
        """``short`` if any module falls short, else ``no-capacity-data`` if any lacks data, else ``ok``."""
        verdicts = {m.verdict for m in self.modules}
        return "short" if "short" in verdicts else "no-capacity-data" if "no-capacity-data" in verdicts else "ok"

    def as_dict(self) -> dict[str, Any]:
        """Stable JSON form."""
        return {
            "scenario": self.name,
            "description": self.description,
            "verdict": self.verdict,
            "baseline": self.baseline,
            "rampSeconds": self.ramp_seconds,
            "toleranceSeconds": self.tolerance_seconds,
            "criticalPath": list(self.critical_path),
            "modules": [m.as_dict(self.tolerance_seconds) for m in self.modules],
            "resources": self.totals.as_dict(),
        }


@dataclass(frozen=True)
class CapacityPlan:
    """Every requested scenario of one environment."""

    environment: str
    scenarios: tuple[ScenarioPlan, ...]


def critical_path(flow: Flow, inputs: dict[str, ModuleInputs]) -> tuple[str, ...]:
    """The chain of calls from an entry module with the largest summed service time."""
    best: dict[str, tuple[float, tuple[str, ...]]] = {}
    callees: dict[str, list[str]] = {m: [] for m in flow.rates}
    for callee, callers in flow.callers.items():
        for caller in callers:
            callees[caller].append(callee)
    for name in reversed(list(flow.rates)):
        own = inputs[name].service_time or 0.0
        tail = max((best[c] for c in callees[name]), default=(0.0, ()), key=lambda b: (b[0], len(b[1])))
        best[name] = (own + tail[0], (name, *tail[1]))
    entries = [m for m in flow.rates if not flow.callers[m]]
    return max((best[m] for m in entries), key=lambda b: (b[0], len(b[1])), default=(0.0, ()))[1]


def _module_plan(i: ModuleInputs, rate: float, sizing: Sizing | None, trace: Trace | None) -> ModulePlan:
    if sizing is None:
        return ModulePlan(i.name, rate, None, i.max_replicas, None, None, i.objectives[0] if i.objectives else None,
                          i.headroom, "no-capacity-data", None, None, None, None, i.objectives)
    ok = sizing.replicas_needed is not None and sizing.replicas_needed <= i.max_replicas
    return ModulePlan(i.name, rate, sizing.replicas_needed, i.max_replicas, sizing.utilisation_at_max,
                      sizing.latency_at_max, sizing.objective, i.headroom, "ok" if ok else "short",
                      None if trace is None else (trace.breach_seconds / 60 if trace.breach_seconds is not None else None),
                      trace.budget_burned if trace else None, trace.peak_burn_rate if trace else None, trace,
                      i.objectives, sizing.objectives)


def worth_simulating(i: ModuleInputs, rate: float, sizing: Sizing, shape: RampShape, tolerance: float,
                     autoscaler: AutoscalerSettings | None) -> bool:
    """The ``screened`` choice: could the ramp break ``i``'s objective for longer than ``tolerance``?

    Not when it falls short at the peak anyway (that is the error), has no objective, or already runs,
    where the autoscaler settles at the baseline, enough replicas to meet every objective at the peak.
    Otherwise the replay (``replay.breach_seconds``) decides, with half the tolerance as margin for
    the backlog it does not carry.
    """
    if not i.objectives or sizing.replicas_needed is None or sizing.replicas_needed > i.max_replicas:
        return False
    start = initial_replicas(i, rate * shape.baseline)
    if not breaks(i, start * i.concurrency, rate):
        return False
    margin = tolerance / 2
    return breach_seconds(i, rate, shape, autoscaler, enough=sizing.replicas_needed, stop_after=margin) > margin


def _simulate(i: ModuleInputs, rate: float, shape: RampShape, seed: int, settings: SimulationSettings | None,
              autoscaler: AutoscalerSettings | None) -> Trace:
    """``simulation.simulate``, imported on first use: numpy takes longer to import than ``check``
    takes to screen a 1,000-module blueprint, which mostly simulates nothing."""
    from buttress.capacity.simulation import simulate

    return simulate(i, rate, shape, seed=seed, settings=settings, autoscaler=autoscaler)


def plan_scenario(bp: Blueprint, env: Environment, scenario: str, *, seed: int = 0, simulate_modules: Simulate = "all",
                  settings: SimulationSettings | None = None,
                  autoscaler: AutoscalerSettings | None = None) -> ScenarioPlan:
    """Size and simulate one scenario in ``env``."""
    spec = bp.spec.scenarios[scenario]
    flow = propagate(bp, env, scenario)
    inputs = {name: inputs_of(m) for name, m in env.modules.items()}
    path = critical_path(flow, inputs)
    baseline = spec.baseline if spec.baseline is not None else DEFAULT_BASELINE
    shape = RampShape(baseline, spec.ramp.seconds if spec.ramp else DEFAULT_RAMP_SECONDS)
    tolerance = spec.tolerance.seconds if spec.tolerance else DEFAULT_TOLERANCE_SECONDS
    chosen = set(path) if simulate_modules == "critical-path" else set(flow.rates) if simulate_modules == "all" \
        else set()
    modules = []
    for name, rate in flow.rates.items():
        i = inputs[name]
        sizing = size(i, rate) if i.has_data else None
        wanted = name in chosen or (simulate_modules == "screened" and sizing is not None
                                    and worth_simulating(i, rate, sizing, shape, tolerance, autoscaler))
        trace = _simulate(i, rate, shape, seed, settings, autoscaler) if wanted and sizing is not None else None
        modules.append(_module_plan(i, rate, sizing, trace))
    needed = {m.module: m.replicas_needed if m.replicas_needed is not None else m.replicas_allowed for m in modules}
    return ScenarioPlan(scenario, spec.description, baseline, shape.ramp, tolerance,
                        tuple(modules), path, totals(env, inputs, needed))


def plan(bp: Blueprint, env: Environment, scenarios: list[str] | None = None, *, seed: int = 0,
         simulate_modules: Simulate = "all", settings: SimulationSettings | None = None,
         autoscaler: AutoscalerSettings | None = None) -> CapacityPlan:
    """Plan ``scenarios`` (default: every scenario of the blueprint) for ``env``.

    ``BlueprintError`` for located problems (call cycles, unknown interfaces), all scenarios'
    problems together.
    """
    names = scenarios if scenarios is not None else list(bp.spec.scenarios)
    out: list[ScenarioPlan] = []
    problems: list[Problem] = []
    for name in names:
        try:
            out.append(plan_scenario(bp, env, name, seed=seed, simulate_modules=simulate_modules,
                                     settings=settings, autoscaler=autoscaler))
        except BlueprintError as exc:
            problems += exc.problems
    if problems:
        raise BlueprintError(problems)
    return CapacityPlan(env.name, tuple(out))
