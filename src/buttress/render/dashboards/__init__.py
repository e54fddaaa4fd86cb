"""Grafana dashboards of one environment: ``dashboards/<module>.json`` and ``dashboards/_overview.json``.

``render_dashboards(bp, env, graph) -> {relative path: bytes}`` is the renderer ``app.render``
calls; it reads ``render.signals`` and ``buttress.model`` only. Uids are derived from blueprint,
environment and module, so re-rendering never duplicates a dashboard in Grafana.
"""

from __future__ import annotations

from typing import Any

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment
from buttress.render.common.jsonlines import json_lines
from buttress.render.dashboards.module import module_dashboard
from buttress.render.dashboards.overview import overview_dashboard

OVERVIEW_FILE = "dashboards/_overview.json"
"""Leading underscore: no module (a DNS-1123 label) can take this name."""


def _json(board: dict[str, Any]) -> bytes:
    """A dashboard with one top-level key, and one panel, per line: compact, yet reviewable line by line."""
    return json_lines(board, split=lambda key: key == "panels")


def render_dashboards(bp: Blueprint, env: Environment, graph: Graph) -> dict[str, bytes]:
    """The overview and one dashboard per module."""
    files = {OVERVIEW_FILE: _json(overview_dashboard(bp, env))}
    for name, module in env.modules.items():
        files[f"dashboards/{name}.json"] = _json(module_dashboard(bp, env, graph, module))
    return files
