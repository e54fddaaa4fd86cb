"""The dependency graph of one resolved environment: who consumes what, contracts, cycles.

Every ``consumes`` entry must name a module interface (``module.interface[@range]``) or an
external; unknown ones are errors with a suggestion. ``capacity.calls`` must name what the module
consumes, ``queue.from`` an external, and ``queueDepth`` scaling must read a Kafka or RabbitMQ queue.
The reference checks also serve ``model.salvage`` (which has no typed spec). Contract compatibility and cycles are
computed here and reported as findings by the ``contract-compatible`` and ``dependency-cycle``
controls. Pure: called by ``app`` use cases and renderers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from buttress.errors import BlueprintError, Problem
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.model.source import Document
from buttress.model.spec import ExternalSpec
from buttress.model.suggest import closest, did_you_mean
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

    @cached_property
    def _adjacency(self) -> tuple[dict[str, list[Edge]], dict[str, list[Edge]]]:
        """Each module's outgoing and incoming edges, in blueprint order, indexed once: renderers ask
        for every module's dependencies, which scanning every edge each time made quadratic."""
        outgoing: dict[str, list[Edge]] = {}
        incoming: dict[str, list[Edge]] = {}
        for e in self.edges:
            outgoing.setdefault(e.consumer, []).append(e)
            if not e.external:
                incoming.setdefault(e.target, []).append(e)
        return outgoing, incoming

    def outgoing(self, module: str) -> Iterator[Edge]:
        """Edges from ``module``."""
        return iter(self._adjacency[0].get(module, ()))

    def incoming(self, module: str) -> Iterator[Edge]:
        """Edges into ``module``."""
        return iter(self._adjacency[1].get(module, ()))

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


QUEUE_SCHEMES: frozenset[str] = frozenset({"kafka", "amqp", "amqps"})
"""Endpoints ``queueDepth`` scaling reads a backlog from: Kafka consumer lag, RabbitMQ queue length."""

Provided = Mapping[str, Collection[str] | None]
"""Each module's interface names; None where they cannot be known (``model.salvage``)."""

Reference = tuple[str, str | None, SemverRange | None]
"""A resolved ``consumes`` entry: target, interface (None for an external), range."""


def build_graph(bp: Blueprint, env: Environment) -> Graph:
    """Resolve every ``consumes`` entry of ``env``; ``BlueprintError`` for unknown references."""
    edges: list[Edge] = []
    problems: list[Problem] = []
    externals = bp.spec.externals
    provided = {name: module.spec.provides or {} for name, module in env.modules.items()}
    for name, module in env.modules.items():
        s = module.spec
        broken = []
        for i, ref in enumerate(s.consumes or []):
            found = reference(ref, externals, provided)
            if isinstance(found, str):
                problems.append(module.problem(("consumes", i), found))
                broken.append(ref)
                continue
            target, iface, semver_range = found
            version = provided[target][iface].version if iface is not None else None
            edges.append(Edge(name, i, target, iface, semver_range, version))
        calls = s.capacity.calls if s.capacity and s.capacity.calls else {}
        problems += module_references(module, s.consumes or [], calls, s.queue.from_ if s.queue else None, externals,
                                      broken)
        problems += _check_queue_scaling(module, externals)
    problems += scenario_references(bp.document, {n: sc.load for n, sc in bp.spec.scenarios.items()}, provided)
    if problems:
        raise BlueprintError(problems)
    return Graph(tuple(env.modules), tuple(edges))


def reference(ref: str, externals: Collection[str], provided: Provided) -> Reference | str:
    """Resolve one ``consumes`` entry against the externals and the modules' interfaces, or say what is wrong."""
    target_part, at, range_text = ref.partition("@")
    if at and not range_text.strip():
        return f"{ref!r} has no version range after '@': give one such as @^1.4, or leave out the '@'"
    target, dot, iface = target_part.strip().partition(".")
    if not dot:
        if target in externals:
            if range_text:
                return f"external {target!r} has no version to match a range"
            return target, None, None
        if target in provided:
            ifaces = sorted(provided[target] or ())
            return f"{target!r} is a module: name its interface" + (f", e.g. {target}.{ifaces[0]}" if ifaces else "")
        return f"{target!r} is neither an external nor a module interface" + did_you_mean(target, [*externals, *provided])
    if target not in provided:
        return f"module {target!r} does not exist" + did_you_mean(target, provided)
    interfaces = provided[target]
    if interfaces is not None and iface not in interfaces:
        return f"module {target!r} provides no interface {iface!r}" + did_you_mean(iface, interfaces)
    semver_range = None
    if range_text:
        try:
            semver_range = SemverRange.validate(range_text.strip())
        except ValueError as exc:
            return str(exc)
    return target, iface, semver_range


def module_references(module: ResolvedModule, consumes: Iterable[str], calls: Iterable[str], queue_from: str | None,
                      externals: Collection[str], broken: Collection[str] = ()) -> list[Problem]:
    """``capacity.calls`` must name what the module consumes, ``queue.from`` an external. A call close to a
    ``consumes`` reference in ``broken`` (one that names nothing, already reported) is not reported again:
    the reference is what to fix, not the call."""
    problems = []
    consumed = {ref.partition("@")[0].strip() for ref in consumes}
    unresolved = {ref.partition("@")[0].strip() for ref in broken}
    for target in calls:
        if target not in consumed and closest(target, consumed) not in unresolved:
            problems.append(module.problem(("capacity", "calls", target),
                                           f"calls {target!r}, which this module does not consume"
                                           + did_you_mean(target, consumed)))
    if queue_from is not None and queue_from not in externals:
        problems.append(module.problem(("queue", "from"), f"queue source {queue_from!r} is not an external"
                                       + did_you_mean(queue_from, externals)))
    return problems


def _check_queue_scaling(module: ResolvedModule, externals: Mapping[str, ExternalSpec]) -> list[Problem]:
    """``queueDepth`` scaling (of a long-running module) needs a queue on Kafka or RabbitMQ."""
    s = module.spec
    targets = s.scaling.targets if s.scaling else None
    if not module.long_running or targets is None or targets.queue_depth is None:
        return []
    if s.queue is None:
        return [module.problem(("scaling", "targets", "queueDepth"),
                               "queueDepth scaling needs queue: {from, topic} to read the lag of")]
    external = externals.get(s.queue.from_)
    if external is not None and external.endpoint.scheme not in QUEUE_SCHEMES:
        return [module.problem(("queue", "from"), "queueDepth scaling reads Kafka consumer lag or RabbitMQ queue "
                               f"length; {s.queue.from_!r} is a {external.endpoint.scheme}:// endpoint")]
    return []


def scenario_references(doc: Document, loads: Mapping[str, Iterable[str]], provided: Provided) -> list[Problem]:
    """Every scenario loads interfaces that modules provide."""
    problems = []
    for sname, load in loads.items():
        for target in load:
            mod, _, iface = target.partition(".")
            interfaces = provided.get(mod, ())
            if interfaces is None or iface in interfaces:
                continue
            known = [f"{m}.{i}" for m, names in provided.items() for i in names or ()]
            problems.append(doc.problem(("scenarios", sname, "load", target),
                                        f"scenario loads {target!r}, which no module provides"
                                        + did_you_mean(target, known), key=True))
    return problems
