"""The dependency graph as Mermaid, Graphviz DOT or JSON. Called by ``buttress graph`` and the docs site."""

from __future__ import annotations

import json
from typing import Any

from buttress.model.graph import Graph
from buttress.model.resolve import Environment


def graph_data(env: Environment, graph: Graph, externals: dict[str, Any]) -> dict[str, Any]:
    """Nodes and edges as plain data."""
    return {
        "environment": env.name,
        "modules": [{"name": n, "kind": m.kind, "provides": {i: str(p.version) for i, p in (m.spec.provides or {}).items()}}
                    for n, m in env.modules.items()],
        "externals": sorted({e.target for e in graph.edges if e.external} | set(externals)),
        "edges": [{"from": e.consumer, "to": e.target, "interface": e.interface,
                   "range": str(e.range) if e.range else None, "compatible": e.compatible} for e in graph.edges],
        "cycles": [list(c) for c in graph.cycles],
    }


_MERMAID_WORDS = frozenset({"end", "graph", "flowchart", "subgraph", "direction", "style", "linkstyle", "class",
                            "classdef", "click", "call", "href", "default"})
"""Words Mermaid's flowchart grammar reads as keywords (``end`` closes a subgraph): no node id may be one."""


def _node_id(name: str) -> str:
    """A Mermaid node id for a module or external (a module named ``end`` is valid, the id ``end`` is not)."""
    node = name.replace("-", "_")
    return f"{node}_" if node in _MERMAID_WORDS else node


_MERMAID_ENTITIES = str.maketrans({"|": "#124;", '"': "#34;", "<": "#60;", ">": "#62;", "#": "#35;"})


def _mermaid_text(text: str) -> str:
    """``text`` safe inside a quoted Mermaid label: a range's ``||``, ``<`` and ``>`` as entity codes."""
    return text.translate(_MERMAID_ENTITIES)


def to_mermaid(env: Environment, graph: Graph, externals: dict[str, Any]) -> str:
    """A Mermaid flowchart, left to right; externals as cylinders, broken contracts dashed."""
    lines = ["flowchart LR"]
    for name, module in env.modules.items():
        lines.append(f'  {_node_id(name)}["{name}<br/><small>{module.kind}</small>"]')
    for name in sorted(externals):
        lines.append(f'  {_node_id(name)}[("{name}")]')
    for e in graph.edges:
        label = f"{e.interface}{' ' + str(e.range) if e.range else ''}" if e.interface else ""
        arrow = "-.->" if not e.compatible else "-->"
        lines.append(f"  {_node_id(e.consumer)} {arrow}" + (f'|"{_mermaid_text(label)}"|' if label else "")
                     + f" {_node_id(e.target)}")
    return "\n".join(lines) + "\n"


def to_dot(env: Environment, graph: Graph, externals: dict[str, Any]) -> str:
    """A Graphviz digraph."""
    lines = [f'digraph "{env.name}" {{', "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for name, module in env.modules.items():
        lines.append(f'  "{name}" [label="{name}\\n{module.kind}"];')
    for name in sorted(externals):
        lines.append(f'  "{name}" [shape=cylinder];')
    for e in graph.edges:
        attrs = [f'label="{e.interface}{" " + str(e.range) if e.range else ""}"'] if e.interface else []
        if not e.compatible:
            attrs.append('style=dashed, color="red"')
        lines.append(f'  "{e.consumer}" -> "{e.target}"' + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def to_json(env: Environment, graph: Graph, externals: dict[str, Any]) -> str:
    """The graph as JSON."""
    return json.dumps(graph_data(env, graph, externals), indent=2) + "\n"
