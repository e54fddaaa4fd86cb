"""The dependency graph as an inline SVG, laid out in layers without Graphviz.

Consumers stand left of what they consume: each module's layer is the length of the longest
chain of modules it consumes through (edges that close a cycle are set aside first), externals
take the last layer. Within a layer, nodes are ordered by the barycentre of their neighbours over
a few down and up sweeps, which removes most crossings. Edges are cubic curves from the right side
of the consumer to the left side of the provider; broken contracts and cycle edges are dashed.
Pure and deterministic; called by ``render.site`` with ``render.graph.graph_data``'s output.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

NODE_HEIGHT = 44
LAYER_GAP = 90
ROW_GAP = 22
MARGIN = 16
CHAR_WIDTH = 7.4
"""Approximate width of one character of the 13px label font."""
SWEEPS = 4
CURVE_DEPTH = 40
"""How far below its nodes an edge within a layer or against the flow (a cycle) bends."""


@dataclass
class Node:
    """A box in the drawing."""

    name: str
    label: str
    external: bool
    layer: int = 0
    order: float = 0.0
    x: float = 0.0
    y: float = 0.0
    width: float = 0.0


def _back_edges(names: list[str], edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Edges that close a cycle, found by an iterative depth-first search in blueprint order."""
    adjacency: dict[str, list[str]] = {n: [] for n in names}
    for a, b in edges:
        adjacency[a].append(b)
    state: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    for root in names:
        if root in state:
            continue
        state[root] = 1
        stack = [(root, iter(adjacency[root]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(adjacency[child])))
    return back


def _layers(modules: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest path to a sink over the acyclic part of the module edges."""
    forward = [e for e in edges if e not in _back_edges(modules, edges)]
    consumes: dict[str, list[str]] = {m: [] for m in modules}
    for a, b in forward:
        consumes[a].append(b)
    depth: dict[str, int] = {}
    for root in modules:
        stack = [root]
        while stack:
            node = stack[-1]
            pending = [c for c in consumes[node] if c not in depth]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            depth[node] = 1 + max((depth[c] for c in consumes[node]), default=-1)
    deepest = max(depth.values(), default=0)
    return {m: deepest - d for m, d in depth.items()}


def _order(nodes: dict[str, Node], edges: list[tuple[str, str]], layer_count: int) -> list[list[Node]]:
    layers: list[list[Node]] = [[] for _ in range(layer_count)]
    for node in nodes.values():
        node.order = float(len(layers[node.layer]))
        layers[node.layer].append(node)
    neighbours: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    for sweep in range(SWEEPS):
        sequence = range(1, layer_count) if sweep % 2 == 0 else range(layer_count - 2, -1, -1)
        for i in sequence:
            reference = i - 1 if sweep % 2 == 0 else i + 1
            for node in layers[i]:
                around = [nodes[n].order for n in neighbours[node.name] if nodes[n].layer == reference]
                node.order = sum(around) / len(around) if around else node.order
            layers[i].sort(key=lambda n: (n.order, n.name))
            for j, node in enumerate(layers[i]):
                node.order = float(j)
    return layers


def _place(layers: list[list[Node]]) -> tuple[float, float]:
    x = float(MARGIN)
    height = max((len(layer) for layer in layers), default=0) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP
    for layer in layers:
        width = max((n.width for n in layer), default=0.0)
        offset = MARGIN + (height - (len(layer) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP)) / 2
        for j, node in enumerate(layer):
            node.x = x + (width - node.width) / 2
            node.y = offset + j * (NODE_HEIGHT + ROW_GAP)
        x += width + LAYER_GAP
    return x - LAYER_GAP + MARGIN, height + 2 * MARGIN


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _edge(a: Node, b: Node, label: str, broken: bool, back: bool) -> str:
    if back or b.layer <= a.layer:
        x1, y1, x2, y2 = a.x + a.width / 2, a.y + NODE_HEIGHT, b.x + b.width / 2, b.y + NODE_HEIGHT
        bend = max(y1, y2) + CURVE_DEPTH
        path = f"M{_f(x1)},{_f(y1)} C{_f(x1)},{_f(bend)} {_f(x2)},{_f(bend)} {_f(x2)},{_f(y2)}"
        lx, ly = (x1 + x2) / 2, bend - 6
    else:
        x1, y1, x2, y2 = a.x + a.width, a.y + NODE_HEIGHT / 2, b.x, b.y + NODE_HEIGHT / 2
        mid = (x1 + x2) / 2
        path = f"M{_f(x1)},{_f(y1)} C{_f(mid)},{_f(y1)} {_f(mid)},{_f(y2)} {_f(x2)},{_f(y2)}"
        lx, ly = mid, (y1 + y2) / 2 - 4
    css = "edge broken" if broken or back else "edge"
    title = f"{a.name} consumes {b.name}{' ' + label if label else ''}{' (incompatible)' if broken else ''}"
    text = f'<text class="edge-label" x="{_f(lx)}" y="{_f(ly)}">{escape(label)}</text>' if label else ""
    return (f'<g class={quoteattr(css)}><title>{escape(title)}</title><path d="{path}" marker-end="url(#arrow)"/>'
            f"{text}</g>")


def graph_svg(data: dict[str, Any]) -> str:
    """An ``<svg>`` element drawing ``render.graph.graph_data(...)``'s modules, externals and edges."""
    modules = [m["name"] for m in data["modules"]]
    kinds = {m["name"]: m["kind"] for m in data["modules"]}
    used_externals = [x for x in data["externals"] if any(e["to"] == x for e in data["edges"])]
    module_edges = [(e["from"], e["to"]) for e in data["edges"] if e["interface"] is not None]
    layer_of = _layers(modules, list(dict.fromkeys(module_edges)))
    last = max(layer_of.values(), default=-1) + (1 if used_externals else 0)
    nodes: dict[str, Node] = {}
    for name in modules:
        nodes[name] = Node(name, kinds[name], False, layer_of[name])
    for name in used_externals:
        nodes[name] = Node(name, "external", True, last)
    for node in nodes.values():
        node.width = max(len(node.name), len(node.label)) * CHAR_WIDTH + 24
    pairs = [(e["from"], e["to"]) for e in data["edges"]]
    layers = _order(nodes, pairs, last + 1)
    width, height = _place(layers)
    back = _back_edges(modules, list(dict.fromkeys(module_edges)))
    if any(p in back or nodes[p[1]].layer <= nodes[p[0]].layer for p in pairs):
        height += CURVE_DEPTH
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" role="img" viewBox="0 0 {_f(width)} {_f(height)}" '
             f'width="{_f(width)}" height="{_f(height)}" aria-label="Dependency graph of {escape(data["environment"])}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>']
    for e in data["edges"]:
        label = f"{e['interface']}{' ' + e['range'] if e['range'] else ''}" if e["interface"] else ""
        parts.append(_edge(nodes[e["from"]], nodes[e["to"]], label, not e["compatible"], (e["from"], e["to"]) in back))
    for layer in layers:
        for n in layer:
            css = "node external" if n.external else f"node kind-{n.label}"
            link = f'<a href="modules.html#module-{n.name}">' if not n.external else ""
            parts.append(
                f'<g class={quoteattr(css)}>{link}<rect x="{_f(n.x)}" y="{_f(n.y)}" width="{_f(n.width)}" '
                f'height="{NODE_HEIGHT}" rx="{14 if n.external else 6}"/>'
                f'<text x="{_f(n.x + n.width / 2)}" y="{_f(n.y + 19)}" class="name">{escape(n.name)}</text>'
                f'<text x="{_f(n.x + n.width / 2)}" y="{_f(n.y + 35)}" class="kind">{escape(n.label)}</text>'
                f"{'</a>' if link else ''}</g>")
    parts.append("</svg>")
    return "\n".join(parts)
