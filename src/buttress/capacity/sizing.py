"""Steady-state sizing of one module with the M/M/c model.

The replicas needed at a rate are the fewest whose servers (replicas × concurrency) keep the
utilisation at or under the module's headroom and the predicted latency at or under every latency
objective it declares (p95 and p99 alike). The objective needing the most replicas is the one that
binds; it is the one reported. The search walks the Erlang B recursion upward one server at a time,
so sizing a module costs O(servers needed) however large it is. Called by ``plan``; pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from buttress.capacity.erlang import erlang_b, erlang_c, erlang_c_from_b, response_exceeds, response_quantile
from buttress.capacity.inputs import ModuleInputs, Objective

SEARCH_LIMIT = 100_000
"""Most servers the search tries before calling the objective unreachable."""
_EXACT = 1e-9
"""Slack for float rounding: 1400 rps x 4 ms on 8 slots is exactly the 70% headroom, not 70.0000000000001%."""
DEFAULT_QUANTILE = 0.95
"""The quantile latencies are given at when a module declares no objective."""


@dataclass(frozen=True)
class ObjectiveSizing:
    """One latency objective's part of the answer."""

    objective: Objective
    replicas_needed: int | None
    """Fewest replicas meeting this objective within the headroom; None when none can."""
    latency_at_max: float
    """Predicted latency at this objective's quantile with max replicas, seconds (inf when overloaded)."""


@dataclass(frozen=True)
class Sizing:
    """The steady-state answer for one module at one arrival rate."""

    rate: float
    replicas_needed: int | None
    """Fewest replicas meeting the headroom and every objective; None when no count meets them all
    (e.g. the service time alone exceeds one)."""
    utilisation_at_max: float
    """Offered load over the servers of ``max_replicas``; above 1 means the queue grows without bound."""
    latency_at_max: float
    """Predicted latency at the binding objective's quantile (p95 without objective) at max replicas, seconds."""
    latency_at_needed: float | None
    objective: Objective | None = None
    """The binding objective: the one needing the most replicas (None without objectives)."""
    objectives: tuple[ObjectiveSizing, ...] = ()
    """Every objective of the module, in the module's order (p95 first)."""


def latency(inputs: ModuleInputs, replicas: int, rate: float, quantile: float = DEFAULT_QUANTILE) -> float:
    """Predicted ``quantile`` of latency of ``inputs`` at ``replicas`` and ``rate`` (infinite if overloaded)."""
    assert inputs.service_time is not None
    if rate == 0:
        return response_quantile(quantile, max(replicas, 1) * inputs.concurrency, 0.0, inputs.service_time)
    return response_quantile(quantile, replicas * inputs.concurrency, rate, inputs.service_time)


def needed_per_objective(inputs: ModuleInputs, rate: float) -> tuple[int | None, ...]:
    """Per objective of ``inputs`` (one entry, for the headroom alone, without objectives): the fewest
    replicas meeting it within the headroom at ``rate``; None for an objective no count can meet.

    One walk up the server counts serves every objective: each is settled at the first count meeting
    it (its tail only shrinks as servers are added), and the walk ends when all are settled.
    """
    assert inputs.service_time is not None
    service, k = inputs.service_time, inputs.concurrency
    objectives = inputs.objectives
    if rate == 0:
        return (0,) * max(len(objectives), 1)
    offered = rate * service
    found: list[int | None] = [None] * max(len(objectives), 1)
    # an objective the service time alone breaks (at no load) is never met
    open_ = [j for j, o in enumerate(objectives) if response_quantile(o.quantile, 1, 1e-12, service) <= o.seconds]
    if objectives and not open_:
        return tuple(found)
    floor_servers = max(1, math.floor(offered / inputs.headroom))
    b = erlang_b(floor_servers - 1, offered)
    servers = floor_servers - 1
    while servers < SEARCH_LIMIT:
        servers += 1
        b = offered * b / (servers + offered * b)
        if servers % k or offered / servers > inputs.headroom + _EXACT:
            continue
        if not objectives:
            return (servers // k,)
        wait = erlang_c_from_b(servers, offered, b)
        still = []
        for j in open_:
            o = objectives[j]
            # quantile <= objective  <=>  P(latency > objective) <= 1 - quantile: one evaluation, no search
            if response_exceeds(o.seconds, servers, rate, service, wait) <= 1.0 - o.quantile:
                found[j] = servers // k
            else:
                still.append(j)
        open_ = still
        if not open_:
            break
    return tuple(found)


def replicas_needed(inputs: ModuleInputs, rate: float) -> int | None:
    """Fewest replicas meeting headroom and every objective at ``rate`` (``replicas.min`` aside); None when none can."""
    per = needed_per_objective(inputs, rate)
    return None if any(n is None for n in per) else max(n for n in per if n is not None)


def _tightness(inputs: ModuleInputs, o: Objective, replicas: int, rate: float) -> float:
    """P(latency > objective) over what the objective allows, at ``replicas``: 1 is exactly met."""
    assert inputs.service_time is not None
    servers = max(replicas, 1) * inputs.concurrency
    offered = rate * inputs.service_time
    wait = erlang_c(servers, offered) if offered else 0.0
    return response_exceeds(o.seconds, servers, rate, inputs.service_time, wait) / (1.0 - o.quantile)


def binding(inputs: ModuleInputs, rate: float, per: tuple[int | None, ...], needed: int | None) -> Objective | None:
    """The objective that sets ``needed``: the one needing the most replicas (an unreachable one first);
    among equals (e.g. when the headroom decides), the one closest to breaking at ``needed``."""
    objectives = inputs.objectives
    if not objectives:
        return None
    most = max(math.inf if n is None else n for n in per)
    tied = [o for o, n in zip(objectives, per, strict=True) if (math.inf if n is None else n) == most]
    if len(tied) == 1 or needed is None:
        return tied[0]
    return max(tied, key=lambda o: _tightness(inputs, o, needed, rate))


def size(inputs: ModuleInputs, rate: float) -> Sizing:
    """Size ``inputs`` (which must have capacity data) for ``rate`` requests per second."""
    service = inputs.service_time
    assert service is not None
    servers_at_max = inputs.max_replicas * inputs.concurrency
    offered = rate * service
    util = offered / servers_at_max if servers_at_max else math.inf
    per = needed_per_objective(inputs, rate)
    needed = None if any(n is None for n in per) else max(n for n in per if n is not None)
    bound = binding(inputs, rate, per, needed)
    quantile = bound.quantile if bound else DEFAULT_QUANTILE
    wait_at_max = erlang_c(servers_at_max, offered) if servers_at_max and rate else None

    def at_max(q: float) -> float:
        if not servers_at_max:
            return math.inf
        if not rate:
            return latency(inputs, inputs.max_replicas, rate, q)
        return response_quantile(q, servers_at_max, rate, service, wait_at_max)

    sized = tuple(ObjectiveSizing(o, n, at_max(o.quantile)) for o, n in zip(inputs.objectives, per, strict=False))
    bound_latency = next((s.latency_at_max for s in sized if s.objective == bound), None)
    return Sizing(
        rate=rate,
        replicas_needed=needed,
        utilisation_at_max=util,
        latency_at_max=bound_latency if bound_latency is not None else at_max(quantile),
        latency_at_needed=latency(inputs, needed, rate, quantile) if needed else None,
        objective=bound,
        objectives=sized,
    )
