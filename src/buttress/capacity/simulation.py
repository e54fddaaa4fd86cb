"""Discrete-event simulation of a load ramp with the autoscaler in the loop, one module at a time.

The load rises from the scenario's baseline to its peak over the ramp (after a two-minute warm-up
at baseline) and holds the peak for ten minutes. Time advances in fixed steps (5 s); the control
events (autoscaler syncs, pods becoming ready ``capacity.startup`` after they are created) are kept
in an event queue and take effect at the first step at or after their time.

In each step the module's queue (``queue.ServerPool``: replicas × concurrency servers, one FCFS
queue) is simulated request by request for the step's Poisson arrivals, or, at high rates, for a
probe of the first ``probe`` arrivals; the rest of the step then moves the queued work as a fluid
(it grows at λS - c when overloaded, drains at c - λS once a backlog beyond 50 service times is
being worked off) and otherwise carries the probe's state on unchanged, so consecutive probes
form one stationary run. Modules are simulated independently, each fed Poisson arrivals at its
propagated rate (the Jackson-network view). Every latency objective the module declares (p95 and
p99) is judged; a step breaks the objectives when it breaks any of them. Seeded and deterministic.
Called by ``plan``.
"""

from __future__ import annotations

import heapq
import math
import zlib

import numpy as np
import numpy.typing as npt

from buttress.capacity.autoscaler import Autoscaler, AutoscalerSettings
from buttress.capacity.inputs import AutoscaleTarget, ModuleInputs
from buttress.capacity.queue import ServerPool
from buttress.capacity.ramp import ObjectiveTrace, RampShape, SimulationSettings, Trace, initial_replicas, judged_breaches
from buttress.capacity.sizing import DEFAULT_QUANTILE

FloatArray = npt.NDArray[np.float64]


def seed_for(seed: int, module: str) -> np.random.Generator:
    """The random stream of one module: depends on the seed and the module's name only."""
    return np.random.default_rng([seed, zlib.crc32(module.encode())])


class _Run:
    """The mutable state of one module's simulation."""

    def __init__(self, inputs: ModuleInputs, peak: float, shape: RampShape, seed: int,
                 settings: SimulationSettings, autoscaler: AutoscalerSettings) -> None:
        assert inputs.service_time is not None
        self.inputs, self.peak, self.shape, self.settings = inputs, peak, shape, settings
        self.service = inputs.service_time
        self.rng = seed_for(seed, inputs.name)
        self.hpa = Autoscaler(autoscaler, inputs.min_replicas, inputs.max_replicas)
        self.sync_period = autoscaler.sync_period
        self.ready = initial_replicas(inputs, peak * shape.baseline)
        self.spec = self.ready
        self.pool = ServerPool(self.ready * inputs.concurrency)
        self.clock = 0.0
        """The queue's own time (see ``window``)."""
        self.pending: list[tuple[float, int, int]] = []
        """Heap of (ready time, creation order, pods)."""
        self.created = 0
        self.observed: list[tuple[float, float]] = []
        """(busy share, p95 latency) per step since the last sync."""

    def window(self, rate: float) -> tuple[FloatArray, float, float]:
        """Simulate one step's arrivals: the latencies seen (sorted), their total wait, the busy share.

        The queue keeps its own clock: a full step advances it by the step, a probe only by the
        time its arrivals span, so that consecutive probes continue one another.
        """
        step, servers, start = self.settings.step, self.pool.servers, self.clock
        if rate <= 0:
            self.clock += step
            return np.empty(0), 0.0, 0.0
        expected = rate * step
        if expected <= self.settings.probe:
            count = int(self.rng.poisson(expected))
            arrivals = np.sort(self.rng.uniform(start, start + step, count))
            self.clock, rest = start + step, 0.0
        else:
            arrivals = start + np.cumsum(self.rng.exponential(1.0 / rate, self.settings.probe))
            self.clock = float(arrivals[-1])
            rest = max(step - (self.clock - start), 0.0)
        services = self.rng.exponential(self.service, len(arrivals))
        waits = np.asarray(self.pool.serve(arrivals.tolist(), services.tolist()))
        latencies = np.sort(waits + services)
        if servers == 0:
            return latencies, float(waits.sum()), 1.0
        rho = rate * self.service / servers
        excess = self.pool.latest() - self.clock > self.settings.excess_backlog * self.service
        if rest and (rho >= 1.0 or excess):
            drift = (rho - 1.0) * rest
            self.pool.reset(self.clock, [max(b + drift, 0.0) for b in self.pool.backlog(self.clock)])
        return latencies, float(waits.sum()), 1.0 if rho >= 1.0 or excess else rho

    def sync(self, now: float, rate: float) -> None:
        """One autoscaler decision from what was observed since the last one."""
        if not self.inputs.targets or not self.observed:
            self.observed = []
            return
        ratio = max(self._ratio(t, rate) for t in self.inputs.targets)
        self.observed = []
        desired = self.hpa.decide(now, self.spec, ratio)
        if desired > self.spec:
            self.created += 1
            heapq.heappush(self.pending, (now + self.inputs.startup, self.created, desired - self.spec))
        elif desired < self.spec:
            self._shrink(self.spec - desired)
        self.spec = desired

    def _ratio(self, target: AutoscaleTarget, rate: float) -> float:
        """Observed metric over target, as the HPA computes it (starting pods carry no load)."""
        if not self.spec:
            return 2.0
        if target.metric == "cpu":
            busy = sum(b for b, _ in self.observed) / len(self.observed)
            return busy * self.ready / (target.value * self.spec)
        if target.metric == "rps":
            return rate / (target.value * self.spec)
        return min(max(lat for _, lat in self.observed) / target.value, 1e3)

    def _shrink(self, pods: int) -> None:
        """Cancel starting pods first (newest first), then stop ready ones."""
        while pods and self.pending:
            latest = max(self.pending, key=lambda p: p[1])
            self.pending.remove(latest)
            cancelled = min(pods, latest[2])
            pods -= cancelled
            if latest[2] > cancelled:
                self.pending.append((latest[0], latest[1], latest[2] - cancelled))
            heapq.heapify(self.pending)
        if pods:
            self.ready -= pods
            self.pool.resize(self.ready * self.inputs.concurrency, self.clock)

    def start_ready_pods(self, now: float) -> None:
        """Pods whose start-up has finished by ``now`` begin serving."""
        while self.pending and self.pending[0][0] <= now + 1e-9:
            _, _, pods = heapq.heappop(self.pending)
            self.ready += pods
            self.pool.resize(self.ready * self.inputs.concurrency, self.clock)


def _quantile_of(latencies: FloatArray, quantile: float) -> float:
    """The empirical ``quantile`` of sorted ``latencies`` (0 when there are none)."""
    return float(latencies[max(math.ceil(quantile * len(latencies)) - 1, 0)]) if len(latencies) else 0.0


def simulate(inputs: ModuleInputs, peak: float, shape: RampShape, *, seed: int = 0,
             settings: SimulationSettings | None = None,
             autoscaler: AutoscalerSettings | None = None) -> Trace:
    """Run the ramp for one module that receives ``peak`` requests per second at the peak."""
    settings = settings or SimulationSettings()
    run = _Run(inputs, peak, shape, seed, settings, autoscaler or AutoscalerSettings())
    objectives = inputs.objectives
    quantiles = [o.quantile for o in objectives] or [DEFAULT_QUANTILE]
    steps = math.ceil(shape.duration / settings.step - 1e-9)
    next_sync = run.sync_period
    times, rates, ready, desired = [], [], [], []
    lat: list[list[float]] = [[] for _ in quantiles]
    wait_sum = 0.0
    samples = 0
    bad = [0.0] * len(objectives)
    worst_share = [0.0] * len(objectives)
    slow_counts: list[list[int]] = [[] for _ in objectives]
    step_counts: list[int] = []
    for i in range(steps):
        t = i * settings.step
        rate = peak * shape.factor(t + settings.step / 2)
        run.start_ready_pods(t)
        if t + 1e-9 >= next_sync:
            run.sync(t, rate)
            next_sync += run.sync_period
        latencies, waited, busy = run.window(rate)
        run.observed.append((busy, _quantile_of(latencies, DEFAULT_QUANTILE)))  # what a p95Latency target sees
        times.append(t)
        rates.append(rate)
        ready.append(run.ready)
        desired.append(run.spec)
        for series, quantile in zip(lat, quantiles, strict=True):
            series.append(_quantile_of(latencies, quantile))
        services = len(latencies)
        step_counts.append(services)
        if services:
            samples += services
            wait_sum += waited
        for j, o in enumerate(objectives):
            slow = services - int(np.searchsorted(latencies, o.seconds, side="right"))
            slow_counts[j].append(slow)
            if services:
                share = slow / services
                bad[j] += share * rate * settings.step
                worst_share[j] = max(worst_share[j], share)
    per: list[ObjectiveTrace] = []
    normal = peak * (shape.baseline or 1.0)
    for j, o in enumerate(objectives):
        allowed = 1.0 - o.quantile
        flags = judged_breaches(slow_counts[j], step_counts, allowed, settings.step, settings)
        per.append(ObjectiveTrace(o, tuple(lat[j]), settings.step * sum(flags),
                                  bad[j] / (allowed * normal * inputs.slo_window), worst_share[j] / allowed,
                                  tuple(flags)))
    combined = tuple(any(step) for step in zip(*(o.breached for o in per), strict=True)) if per else ()
    return Trace(inputs.name, tuple(times), tuple(rates), tuple(ready), tuple(desired), tuple(lat[0]),
                 wait_sum / samples if samples else 0.0,
                 settings.step * sum(combined) if per else None,
                 max(o.budget_burned for o in per) if per else None,
                 max(o.peak_burn_rate for o in per) if per else None,
                 combined, tuple(per))
