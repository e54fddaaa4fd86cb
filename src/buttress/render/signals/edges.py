"""Each module's outgoing and incoming edges, indexed once per graph.

``Graph.outgoing``/``incoming`` scan every edge on each call, which makes asking for every module's
dependencies quadratic in the blueprint's size (N = 1,000 modules has ~3,000 edges, asked several
times per module by the alerts, runbooks and dashboards). This index answers in constant time. It
is keyed by the graph object's identity and holds a reference to it, so an entry can never answer
for another graph; a handful of graphs (one per environment) is kept. Called by
``signals.alerts`` and ``render.runbooks``.
"""

from __future__ import annotations

from buttress.model.graph import Edge, Graph

_KEPT = 8
_INDEX: dict[int, tuple[Graph, dict[str, tuple[list[Edge], list[Edge]]]]] = {}


def _build(graph: Graph) -> dict[str, tuple[list[Edge], list[Edge]]]:
    index: dict[str, tuple[list[Edge], list[Edge]]] = {m: ([], []) for m in graph.modules}
    for e in graph.edges:
        index.setdefault(e.consumer, ([], []))[0].append(e)
        if not e.external:
            index.setdefault(e.target, ([], []))[1].append(e)
    return index


def _index(graph: Graph) -> dict[str, tuple[list[Edge], list[Edge]]]:
    entry = _INDEX.get(id(graph))
    if entry is None or entry[0] is not graph:
        if len(_INDEX) >= _KEPT:
            _INDEX.clear()
        entry = (graph, _build(graph))
        _INDEX[id(graph)] = entry
    return entry[1]


def outgoing(graph: Graph, module: str) -> list[Edge]:
    """What ``module`` consumes, in blueprint order (as ``Graph.outgoing``)."""
    found = _index(graph).get(module)
    return list(found[0]) if found else []


def incoming(graph: Graph, module: str) -> list[Edge]:
    """Who consumes ``module``'s interfaces, in blueprint order (as ``Graph.incoming``)."""
    found = _index(graph).get(module)
    return list(found[1]) if found else []
