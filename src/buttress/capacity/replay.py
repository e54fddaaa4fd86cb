"""A quick, deterministic replay of a ramp with predicted latencies instead of simulated requests.

The same ramp, the same autoscaler (``autoscaler.Autoscaler``) and the same pod start-up delays as
``simulation``, but each step is judged by the M/M/c prediction at the replicas then serving and the
step's rate (overloaded: broken; with several latency objectives, broken when any is), and the
autoscaler sees the expected metric. No backlog is carried
from step to step, so the replay under-states how long an overload lasts; it is a screen, not the
answer. ``plan``'s ``screened`` mode (the ``capacity-headroom`` control) runs it for every module that
has to scale during the ramp and simulates request by request only those it finds breaking their
objective, so that ``check`` stays fast on large blueprints. Steps at the autoscaler's sync period.
"""

from __future__ import annotations

import heapq
import math

from buttress.capacity.autoscaler import Autoscaler, AutoscalerSettings
from buttress.capacity.erlang import erlang_c, response_exceeds
from buttress.capacity.inputs import AutoscaleTarget, ModuleInputs
from buttress.capacity.ramp import RampShape, initial_replicas
from buttress.capacity.sizing import latency


def breaks(inputs: ModuleInputs, servers: int, rate: float) -> bool:
    """Whether a predicted latency quantile at ``servers`` and ``rate`` is above its objective (any one)."""
    assert inputs.service_time is not None and inputs.objectives
    if rate <= 0:
        return False
    offered = rate * inputs.service_time
    if servers <= offered:
        return True
    wait = erlang_c(servers, offered)
    return any(response_exceeds(o.seconds, servers, rate, inputs.service_time, wait) > 1.0 - o.quantile
               for o in inputs.objectives)


def highest_rate(inputs: ModuleInputs, servers: int) -> float:
    """The highest rate (to 1 part in 10^5) at which ``servers`` still meet every objective; 0 if none."""
    assert inputs.service_time is not None
    low, high = 0.0, servers / inputs.service_time
    if servers <= 0 or breaks(inputs, servers, high * 1e-6):
        return 0.0
    while high - low > 1e-5 * high:
        mid = (low + high) / 2
        low, high = (low, mid) if breaks(inputs, servers, mid) else (mid, high)
    return low


def _limit(limits: dict[int, float], inputs: ModuleInputs, ready: int) -> float:
    if ready not in limits:
        limits[ready] = highest_rate(inputs, ready * inputs.concurrency)
    return limits[ready]


def _ratio(inputs: ModuleInputs, target: AutoscaleTarget, ready: int, desired: int, rate: float) -> float:
    """Expected metric over target, as the HPA computes it (starting pods carry no load)."""
    assert inputs.service_time is not None
    if not desired:
        return 2.0
    if target.metric == "rps":
        return rate / (target.value * desired)
    if not ready:
        return 1e3 if target.metric == "p95Latency" else 1.0 / target.value
    if target.metric == "cpu":
        busy = min(rate * inputs.service_time / (ready * inputs.concurrency), 1.0)
        return busy * ready / (target.value * desired)
    return min(latency(inputs, ready, rate, 0.95) / target.value, 1e3)


def _shrink(pending: list[tuple[float, int]], ready: int, pods: int) -> int:
    """Cancel the newest starting pods first, then stop ready ones; the replicas left ready."""
    pending.sort()
    while pods and pending:
        when, count = pending.pop()
        if count > pods:
            pending.append((when, count - pods))
        pods -= min(pods, count)
    heapq.heapify(pending)
    return ready - pods


def breach_seconds(inputs: ModuleInputs, peak: float, shape: RampShape,
                   autoscaler: AutoscalerSettings | None = None, *, enough: int | None = None,
                   stop_after: float = math.inf) -> float:
    """Seconds of the ramp during which the predicted latency breaks one of ``inputs``' objectives.

    ``enough`` (optional) is a replica count known to meet the objective at the peak, such as the
    steady-state sizing: with that many serving no step can break it (the load never exceeds the
    peak), so no prediction is needed. The replay stops once ``stop_after`` seconds are broken.
    """
    assert inputs.objectives
    settings = autoscaler or AutoscalerSettings()
    hpa = Autoscaler(settings, inputs.min_replicas, inputs.max_replicas)
    step = settings.sync_period
    ready = desired = initial_replicas(inputs, peak * shape.baseline)
    pending: list[tuple[float, int]] = []
    limits: dict[int, float] = {}
    """Per replica count serving, the highest rate meeting the objective (computed once)."""
    broken = 0.0
    for i in range(math.ceil(shape.duration / step - 1e-9)):
        t = i * step
        rate = peak * shape.factor(t + step / 2)
        while pending and pending[0][0] <= t + 1e-9:
            ready += heapq.heappop(pending)[1]
        if i and inputs.targets:
            wanted = hpa.decide(t, desired, max(_ratio(inputs, x, ready, desired, rate) for x in inputs.targets))
            if wanted > desired:
                heapq.heappush(pending, (t + inputs.startup, wanted - desired))
            elif wanted < desired:
                ready = _shrink(pending, ready, desired - wanted)
            desired = wanted
        if (enough is None or ready < enough) and rate > _limit(limits, inputs, ready):
            broken += step
            if broken > stop_after:
                break
    return broken
