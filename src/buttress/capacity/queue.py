"""The request-level queue the simulator runs: ``c`` servers sharing one first-come-first-served queue.

Each server is represented by the time it next becomes free; a request starts on the earliest free
server (or on arrival, if one is idle). That is exactly FCFS M/M/c when arrivals are Poisson and
service times exponential, which is what the agreement test checks against Erlang C. Servers can be
added and removed between windows (pods becoming ready or being scaled away). Called by
``simulation``.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence


class ServerPool:
    """Servers of one module, each known by the time it next becomes free."""

    def __init__(self, servers: int, now: float = 0.0) -> None:
        self._free: list[float] = [now] * servers
        heapq.heapify(self._free)

    @property
    def servers(self) -> int:
        """How many servers the pool has."""
        return len(self._free)

    def serve(self, arrivals: Sequence[float], services: Sequence[float]) -> list[float]:
        """Queue each request in arrival order; return each one's waiting time (seconds)."""
        free = self._free
        if not free:
            return [float("inf")] * len(arrivals)
        waits = [0.0] * len(arrivals)
        replace = heapq.heapreplace
        for i, arrival in enumerate(arrivals):
            earliest = free[0]
            if earliest > arrival:
                waits[i] = earliest - arrival
                replace(free, earliest + services[i])
            else:
                replace(free, arrival + services[i])
        return waits

    def latest(self) -> float:
        """When the last busy server becomes free (the pool's clock start if it has no servers)."""
        return max(self._free, default=0.0)

    def backlog(self, now: float) -> list[float]:
        """Work each server still has queued at ``now`` (seconds, 0 for idle servers)."""
        return [max(f - now, 0.0) for f in self._free]

    def reset(self, now: float, backlog: Sequence[float]) -> None:
        """Set each server free at ``now`` plus its ``backlog``."""
        self._free = [now + b for b in backlog]
        heapq.heapify(self._free)

    def resize(self, servers: int, now: float) -> None:
        """Add idle servers, or remove the least committed ones, spreading their queued work evenly."""
        current = self.backlog(now)
        if servers >= len(current):
            current += [0.0] * (servers - len(current))
        else:
            current.sort(reverse=True)
            kept, dropped = current[:servers], current[servers:]
            orphaned = sum(dropped)
            if kept and orphaned:
                kept = [b + orphaned / len(kept) for b in kept]
            current = kept
        self.reset(now, current)
