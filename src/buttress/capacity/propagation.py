"""Load propagation: a scenario's entry rates flow along ``capacity.calls`` to every module.

A request arriving at a module (on any of its interfaces) makes ``calls[target]`` requests to each
consumed interface ``target``; the arrival rate of a module is the sum over everything that calls
it. The flow is computed in topological order of the call graph, so every module is visited once.
A cycle of calls reachable from the scenario, or a load or call naming an interface no module
provides, is a ``BlueprintError`` located at the offending key. Called by ``plan``.
"""

from __future__ import annotations

from dataclasses import dataclass

from buttress.errors import BlueprintError, Problem
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment
from buttress.model.suggest import did_you_mean


@dataclass(frozen=True)
class Flow:
    """Arrival rates (requests per second) at every module a scenario reaches, in call order."""

    rates: dict[str, float]
    """Callers before the modules they call; entry modules first."""
    interfaces: dict[str, float]
    """Rates per ``module.interface``."""
    callers: dict[str, tuple[str, ...]]
    """For every module reached, the modules that call it (empty for entry points)."""


def _split(target: str) -> tuple[str, str]:
    module, _, interface = target.partition(".")
    return module, interface


def _calls(env: Environment, scenario: str, bp: Blueprint) -> tuple[dict[str, dict[str, float]], list[Problem]]:
    """Per module, the consumed interfaces it calls and how often per request (external calls dropped)."""
    calls: dict[str, dict[str, float]] = {}
    problems: list[Problem] = []
    known = [f"{m}.{i}" for m, r in env.modules.items() for i in (r.spec.provides or {})]
    for name, module in env.modules.items():
        out: dict[str, float] = {}
        cap = module.spec.capacity
        for target, per_request in (cap.calls or {}).items() if cap else ():
            if target in bp.spec.externals:
                continue
            mod, iface = _split(target)
            provider = env.modules.get(mod)
            if provider is None or iface not in (provider.spec.provides or {}):
                problems.append(module.problem(("capacity", "calls", target),
                                               f"calls {target!r}, which no module provides" + did_you_mean(target, known)))
                continue
            if per_request > 0:
                out[target] = per_request
        calls[name] = out
    return calls, problems


def _entries(bp: Blueprint, env: Environment, scenario: str) -> tuple[dict[str, float], list[Problem]]:
    spec = bp.spec.scenarios[scenario]
    known = [f"{m}.{i}" for m, r in env.modules.items() for i in (r.spec.provides or {})]
    entries: dict[str, float] = {}
    problems = []
    for target, rate in spec.load.items():
        mod, iface = _split(target)
        provider = env.modules.get(mod)
        if provider is None or iface not in (provider.spec.provides or {}):
            problems.append(bp.problem(("scenarios", scenario, "load", target),
                                       f"scenario loads {target!r}, which no module provides"
                                       + did_you_mean(target, known), key=True))
            continue
        entries[target] = rate.per_second
    return entries, problems


def _order(reached: set[str], calls: dict[str, dict[str, float]], env: Environment) -> tuple[list[str], list[Problem]]:
    """Kahn's algorithm over the reached part of the call graph; a cycle is a located problem."""
    indegree = dict.fromkeys(reached, 0)
    for name in reached:
        for target in calls[name]:
            indegree[_split(target)[0]] += 1
    ready = [m for m in env.modules if m in reached and indegree[m] == 0]
    order: list[str] = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        for target in calls[name]:
            callee = _split(target)[0]
            indegree[callee] -= 1
            if indegree[callee] == 0:
                ready.append(callee)
    if len(order) == len(reached):
        return order, []
    cycle = _find_cycle([m for m in env.modules if m in reached and indegree[m] > 0], calls)
    first, second = cycle[0], cycle[1]
    target = next(t for t in calls[first] if _split(t)[0] == second)
    message = "capacity.calls form a cycle, so load cannot be propagated: " + " -> ".join(cycle)
    return order, [env.modules[first].problem(("capacity", "calls", target), message)]


def _find_cycle(stuck: list[str], calls: dict[str, dict[str, float]]) -> list[str]:
    """A cycle among the modules Kahn's algorithm could not order (each has a stuck caller)."""
    members = set(stuck)
    node = stuck[0]
    path: list[str] = []
    seen: dict[str, int] = {}
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = next(_split(t)[0] for t in calls[node] if _split(t)[0] in members)
    return [*path[seen[node]:], node]


def propagate(bp: Blueprint, env: Environment, scenario: str) -> Flow:
    """Arrival rates at every module ``scenario`` reaches in ``env``; ``BlueprintError`` on problems."""
    entries, problems = _entries(bp, env, scenario)
    calls, call_problems = _calls(env, scenario, bp)
    problems += call_problems
    if problems:
        raise BlueprintError(problems)
    reached: set[str] = set()
    frontier = [_split(t)[0] for t in entries]
    while frontier:
        name = frontier.pop()
        if name not in reached:
            reached.add(name)
            frontier += [_split(t)[0] for t in calls[name]]
    order, problems = _order(reached, calls, env)
    if problems:
        raise BlueprintError(problems)
    interfaces = dict.fromkeys(sorted({*entries, *(t for m in order for t in calls[m])}), 0.0)
    for target, rate in entries.items():
        interfaces[target] += rate
    rates = dict.fromkeys(order, 0.0)
    callers: dict[str, list[str]] = {m: [] for m in order}
    for target, rate in entries.items():
        rates[_split(target)[0]] += rate
    for name in order:
        for target, per_request in calls[name].items():
            callee = _split(target)[0]
            flow = rates[name] * per_request
            rates[callee] += flow
            interfaces[target] += flow
            callers[callee].append(name)
    return Flow(rates, interfaces, {m: tuple(c) for m, c in callers.items()})
