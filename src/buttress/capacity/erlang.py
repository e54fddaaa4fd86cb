"""The M/M/c queue (Erlang C): probability of waiting, mean wait, and latency quantiles.

A module's replicas together are ``c`` servers (replicas × concurrency) sharing one queue, fed by
Poisson arrivals at rate ``lam`` per second, each request served in an exponential time of mean
``service`` seconds. Called by ``sizing`` (steady-state sizing) and by the simulator's tests,
which check the simulated queue against these formulas.

Erlang B is computed with the stable recursion ``B(k) = a B(k-1) / (k + a B(k-1))`` over the
servers where the Poisson mass lies, so that millions of servers neither overflow, lose precision
nor take long; Erlang C follows from it.
"""

from __future__ import annotations

import math

INFINITE = math.inf


def erlang_b(servers: int, offered: float) -> float:
    """Blocking probability of an M/M/c/c system offered ``offered`` erlangs (λ × mean service).

    B(c, a) = pmf(c) / cdf(c) of a Poisson(a) variable. The recursion only needs to start where
    the Poisson mass begins (``a - 12√a``: what lies below is under e^-70 of the total), and far
    above the mean the cdf is 1 and the pmf is computed directly, so the cost is O(√a), not O(c).
    """
    if servers < 0 or offered < 0:
        raise ValueError("servers and offered load must not be negative")
    if offered == 0:
        return 1.0 if servers == 0 else 0.0
    spread = 12.0 * math.sqrt(offered) + 20.0
    if servers > offered + spread:
        return math.exp(servers * math.log(offered) - offered - math.lgamma(servers + 1))
    b = 1.0
    for k in range(max(0, int(min(servers, offered) - spread)) + 1, servers + 1):
        b = offered * b / (k + offered * b)
    return b


def erlang_c_from_b(servers: int, offered: float, b: float) -> float:
    """Erlang C from the Erlang B value of the same system (lets callers reuse the recursion)."""
    if offered >= servers:
        return 1.0
    return servers * b / (servers - offered * (1.0 - b))


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arriving request waits (1 when the system is overloaded)."""
    if servers <= 0:
        return 1.0
    return erlang_c_from_b(servers, offered, erlang_b(servers, offered))


def mean_wait(servers: int, lam: float, service: float) -> float:
    """Mean time in queue (seconds), infinite when the servers cannot keep up."""
    offered = lam * service
    if offered >= servers:
        return INFINITE
    if lam == 0:
        return 0.0
    return erlang_c(servers, offered) * service / (servers - offered)


def response_exceeds(t: float, servers: int, lam: float, service: float, wait_probability: float) -> float:
    """P(wait + service > t) for FCFS M/M/c, given the Erlang C value ``wait_probability``.

    The wait is 0 with probability 1 - C and otherwise exponential with rate cμ - λ; the service
    is exponential with rate μ, independent of the wait.
    """
    mu = 1.0 / service
    theta = servers * mu - lam
    tail_service = math.exp(-mu * t)
    if abs(theta - mu) < 1e-9 * mu:
        tail_sum = (1.0 + mu * t) * tail_service
    else:
        tail_sum = (theta * tail_service - mu * math.exp(-theta * t)) / (theta - mu)
    return (1.0 - wait_probability) * tail_service + wait_probability * tail_sum


def response_quantile(q: float, servers: int, lam: float, service: float,
                      wait_probability: float | None = None) -> float:
    """The ``q`` quantile (e.g. 0.95) of latency = wait + service, in seconds; infinite if overloaded."""
    if not 0 < q < 1:
        raise ValueError("quantile must lie strictly between 0 and 1")
    offered = lam * service
    if servers <= 0 or offered >= servers:
        return INFINITE
    c = erlang_c(servers, offered) if wait_probability is None else wait_probability
    target = 1.0 - q
    low, high = 0.0, service
    while response_exceeds(high, servers, lam, service, c) > target:
        high *= 2.0
    for _ in range(60):
        mid = (low + high) / 2.0
        if response_exceeds(mid, servers, lam, service, c) > target:
            low = mid
        else:
            high = mid
        if high - low <= 1e-7 * high:
            break
    return high
