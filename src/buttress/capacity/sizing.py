"""Steady-state sizing of one module with the M/M/c model.

The replicas needed at a rate are the fewest whose servers (replicas × concurrency) keep the
utilisation at or under the module's headroom and the predicted latency quantile at or under its
objective. The search walks the Erlang B recursion upward one server at a time, so sizing a module
costs O(servers needed) however large it is. Called by ``plan``; pure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from buttress.capacity.erlang import erlang_b, erlang_c_from_b, response_exceeds, response_quantile
from buttress.capacity.inputs import ModuleInputs

SEARCH_LIMIT = 100_000
"""Most servers the search tries before calling the objective unreachable."""


@dataclass(frozen=True)
class Sizing:
    """The steady-state answer for one module at one arrival rate."""

    rate: float
    replicas_needed: int | None
    """None when no replica count meets the objective (e.g. the service time alone exceeds it)."""
    utilisation_at_max: float
    """Offered load over the servers of ``max_replicas``; above 1 means the queue grows without bound."""
    latency_at_max: float
    """Predicted latency at the objective's quantile (p95 without objective) at max replicas, seconds."""
    latency_at_needed: float | None


def _quantile(inputs: ModuleInputs) -> float:
    return inputs.objective.quantile if inputs.objective else 0.95


def latency(inputs: ModuleInputs, replicas: int, rate: float) -> float:
    """Predicted latency quantile of ``inputs`` at ``replicas`` and ``rate`` (infinite if overloaded)."""
    assert inputs.service_time is not None
    if rate == 0:
        return response_quantile(_quantile(inputs), max(replicas, 1) * inputs.concurrency, 0.0, inputs.service_time)
    return response_quantile(_quantile(inputs), replicas * inputs.concurrency, rate, inputs.service_time)


def replicas_needed(inputs: ModuleInputs, rate: float) -> int | None:
    """Fewest replicas meeting headroom and objective at ``rate`` (``replicas.min`` aside); None when none can."""
    assert inputs.service_time is not None
    service, k = inputs.service_time, inputs.concurrency
    if rate == 0:
        return 0
    offered = rate * service
    quantile = _quantile(inputs)
    objective = inputs.objective.seconds if inputs.objective else math.inf
    if response_quantile(quantile, 1, 1e-12, service) > objective:
        return None
    floor_servers = max(1, math.floor(offered / inputs.headroom))
    b = erlang_b(floor_servers - 1, offered)
    servers = floor_servers - 1
    while servers < SEARCH_LIMIT:
        servers += 1
        b = offered * b / (servers + offered * b)
        if servers % k or offered / servers > inputs.headroom:
            continue
        wait = erlang_c_from_b(servers, offered, b)
        # quantile <= objective  <=>  P(latency > objective) <= 1 - quantile: one evaluation, no search
        if math.isinf(objective) or response_exceeds(objective, servers, rate, service, wait) <= 1.0 - quantile:
            return servers // k
    return None


def size(inputs: ModuleInputs, rate: float) -> Sizing:
    """Size ``inputs`` (which must have capacity data) for ``rate`` requests per second."""
    assert inputs.service_time is not None
    servers_at_max = inputs.max_replicas * inputs.concurrency
    offered = rate * inputs.service_time
    util = offered / servers_at_max if servers_at_max else math.inf
    needed = replicas_needed(inputs, rate)
    return Sizing(
        rate=rate,
        replicas_needed=needed,
        utilisation_at_max=util,
        latency_at_max=latency(inputs, inputs.max_replicas, rate) if servers_at_max else math.inf,
        latency_at_needed=latency(inputs, needed, rate) if needed else None,
    )
