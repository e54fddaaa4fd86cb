"""The dependency graph of one resolved environment: who consumes what, contracts, cycles.

Every ``consumes`` entry must name a module interface (``module.interface[@range]``) or an
external; unknown ones are errors with a suggestion. Contract compatibility and cycles are
computed here and reported as findings by the ``contract-compatible`` and ``dependency-cycle``
controls. Pure: called by ``app`` use cases and renderers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from buttress.errors import BlueprintError, Problem
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.model.suggest import did_you_mean
from buttress.model.units import SemVer, SemverRange


@dataclass(frozen=True)
class Edge:
    """One ``consumes`` entry, resolved."""

    consumer: str
    index: int
    target: str
    interface: str | None
    """None when the target is an external."""
    range: SemverRange | None
    provider_version: SemVer | None

    @property
    def external(self) -> bool:
        """Whether the edge leaves the blueprint."""
        return self.interface is None

    @property
    def compatible(self) -> bool:
        """Whether the provider's version satisfies the consumer's range (True without a range)."""
        if self.range is None or self.provider_version is None:
            return True
        return self.range.satisfied_by(self.provider_version)


@dataclass(frozen=True)
class Graph:
    """Edges between modules and to externals, in blueprint order."""

    modules: tuple[str, ...]
    edges: tuple[Edge, ...]

    def outgoing(self, module: str) -> Iterator[Edge]:
        """Edges from ``module``."""
        return (e for e in self.edges if e.consumer == module)

    def incoming(self, module: str) -> Iterator[Edge]:
        """Edges into ``module``."""
        return (e for e in self.edges if e.target == module and not e.external)

    @cached_property
    def cycles(self) -> tuple[tuple[str, ...], ...]:
        """One cycle path per strongly connected component that has one, e.g. ``(a, b, a)``."""
        adjacency: dict[str, list[str]] = {m: [] for m in self.modules}
        for e in self.edges:
            if not e.external and e.target not in adjacency[e.consumer]:
                adjacency[e.consumer].append(e.target)
        cycles = []
        for component in _strongly_connected(adjacency):
            members = set(component)
            start = min(component)
            if len(component) == 1 and start not in adjacency[start]:
                continue
            cycles.append(_cycle_from(start, members, adjacency))
        return tuple(sorted(cycles))


def _strongly_connected(adjacency: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative so that long chains do not hit the recursion limit."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for root in adjacency:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            recurse = False
            for j in range(i, len(adjacency[node])):
                nxt = adjacency[node][j]
                if nxt not in index:
                    work.append((node, j + 1))
                    work.append((nxt, 0))
                    recurse = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if recurse:
                continue
            if low[node] == index[node]:
                component = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    component.append(w)
                    if w == node:
                        break
                out.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out


def _cycle_from(start: str, members: set[str], adjacency: dict[str, list[str]]) -> tuple[str, ...]:
    """A shortest cycle through ``start`` inside one component (breadth-first)."""
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        nxt_frontier = []
        for node in frontier:
            for nxt in adjacency[node]:
                if nxt not in members:
                    continue
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return (start, *reversed(path[:-1]), start)
                if nxt not in parents:
                    parents[nxt] = node
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return (start, start)


def build_graph(bp: Blueprint, env: Environment) -> Graph:
    """Resolve every ``consumes`` entry of ``env``; ``BlueprintError`` for unknown references."""
    edges: list[Edge] = []
    problems: list[Problem] = []
    externals = bp.spec.externals
    for name, module in env.modules.items():
        for i, ref in enumerate(module.spec.consumes or []):
            edge = _edge(name, i, ref, env, externals, module, problems)
            if edge is not None:
                edges.append(edge)
        problems += _check_module_refs(module, env, externals)
    problems += _check_scenarios(bp, env)
    if problems:
        raise BlueprintError(problems)
    return Graph(tuple(env.modules), tuple(edges))


def _edge(name: str, i: int, ref: str, env: Environment, externals: Mapping[str, object],
          module: ResolvedModule, problems: list[Problem]) -> Edge | None:
    target_part, _, range_text = ref.partition("@")
    target, dot, iface = target_part.strip().partition(".")
    where = ("consumes", i)
    if not dot:
        if target in externals:
            if range_text:
                problems.append(module.problem(where, f"external {target!r} has no version to match a range"))
            return Edge(name, i, target, None, None, None)
        if target in env.modules:
            ifaces = sorted(env.modules[target].spec.provides or {})
            problems.append(module.problem(where, f"{target!r} is a module: name its interface"
                                           + (f", e.g. {target}.{ifaces[0]}" if ifaces else "")))
            return None
        problems.append(module.problem(where, f"{target!r} is neither an external nor a module interface"
                                       + did_you_mean(target, [*externals, *env.modules])))
        return None
    provider = env.modules.get(target)
    if provider is None:
        problems.append(module.problem(where, f"module {target!r} does not exist" + did_you_mean(target, env.modules)))
        return None
    provided = provider.spec.provides or {}
    if iface not in provided:
        problems.append(module.problem(where, f"module {target!r} provides no interface {iface!r}"
                                       + did_you_mean(iface, provided)))
        return None
    semver_range = None
    if range_text:
        try:
            semver_range = SemverRange.validate(range_text.strip())
        except ValueError as exc:
            problems.append(module.problem(where, str(exc)))
            return None
    return Edge(name, i, target, iface, semver_range, provided[iface].version)


def _check_module_refs(module: ResolvedModule, env: Environment, externals: Mapping[str, object]) -> list[Problem]:
    s = module.spec
    problems = []
    consumed = {ref.partition("@")[0].strip() for ref in s.consumes or []}
    if s.capacity and s.capacity.calls:
        for target in s.capacity.calls:
            if target not in consumed:
                problems.append(module.problem(("capacity", "calls", target),
                                               f"calls {target!r}, which this module does not consume"
                                               + did_you_mean(target, consumed)))
    if s.queue is not None and s.queue.from_ not in externals:
        problems.append(module.problem(("queue", "from"), f"queue source {s.queue.from_!r} is not an external"
                                       + did_you_mean(s.queue.from_, externals)))
    return problems


def _check_scenarios(bp: Blueprint, env: Environment) -> list[Problem]:
    problems = []
    for sname, scenario in bp.spec.scenarios.items():
        for target in scenario.load:
            mod, _, iface = target.partition(".")
            provider = env.modules.get(mod)
            if provider is None or iface not in (provider.spec.provides or {}):
                known = [f"{m}.{i}" for m, r in env.modules.items() for i in (r.spec.provides or {})]
                problems.append(bp.problem(("scenarios", sname, "load", target),
                                           f"scenario loads {target!r}, which no module provides"
                                           + did_you_mean(target, known), key=True))
    return problems
