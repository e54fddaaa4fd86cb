"""Grafana panel builders (classic dashboard JSON model) and a grid that places them in rows.

Called by ``dashboards.module`` and ``dashboards.overview``; every panel reads the
``$datasource`` template variable.
"""

from __future__ import annotations

from typing import Any

SCHEMA_VERSION = 39
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
Panel = dict[str, Any]


def target(expr: str, legend: str = "", ref: int = 0, *, instant: bool = False) -> dict[str, Any]:
    """One PromQL query of a panel."""
    out: dict[str, Any] = {"datasource": DATASOURCE, "refId": chr(ord("A") + ref), "expr": expr,
                           "legendFormat": legend or "__auto"}
    if instant:
        out["instant"] = True
        out["range"] = False
    return out


def _targets(queries: list[tuple[str, str]], *, instant: bool = False) -> list[dict[str, Any]]:
    return [target(expr, legend, i, instant=instant) for i, (expr, legend) in enumerate(queries)]


def timeseries(title: str, queries: list[tuple[str, str]], unit: str, description: str = "") -> Panel:
    """A time-series panel."""
    return {"type": "timeseries", "title": title, "description": description, "datasource": DATASOURCE,
            "targets": _targets(queries),
            "fieldConfig": {"defaults": {"unit": unit, "custom": {"lineWidth": 1, "fillOpacity": 10}}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom"}, "tooltip": {"mode": "multi"}}}


def stat(title: str, queries: list[tuple[str, str]], unit: str, thresholds: list[tuple[float | None, str]],
         description: str = "") -> Panel:
    """A single-value panel coloured by ``thresholds`` (value, colour), lowest first."""
    steps = [{"value": value, "color": colour} for value, colour in thresholds]
    return {"type": "stat", "title": title, "description": description, "datasource": DATASOURCE,
            "targets": _targets(queries, instant=True),
            "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
                            "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "colorMode": "value", "graphMode": "none"}}


def table(title: str, queries: list[tuple[str, str]], description: str = "") -> Panel:
    """A table of instant query results."""
    return {"type": "table", "title": title, "description": description, "datasource": DATASOURCE,
            "targets": [{**t, "format": "table"} for t in _targets(queries, instant=True)],
            "fieldConfig": {"defaults": {}, "overrides": []}, "options": {"showHeader": True}}


class Grid:
    """Places panels left to right in 24-column rows and numbers them."""

    def __init__(self) -> None:
        self.panels: list[Panel] = []
        self._x = 0
        self._y = 0
        self._height = 0

    def row(self, title: str) -> None:
        """Start a new titled row."""
        self._newline()
        self._add({"type": "row", "title": title, "collapsed": False, "panels": []}, 24, 1)
        self._newline()

    def add(self, panel: Panel, width: int = 8, height: int = 8) -> None:
        """Place ``panel``; wraps to the next line when the row is full."""
        if self._x + width > 24:
            self._newline()
        self._add(panel, width, height)

    def _add(self, panel: Panel, width: int, height: int) -> None:
        panel = {"id": len(self.panels) + 1, **panel, "gridPos": {"h": height, "w": width, "x": self._x, "y": self._y}}
        self.panels.append(panel)
        self._x += width
        self._height = max(self._height, height)

    def _newline(self) -> None:
        if self._x:
            self._y += self._height
        self._x = 0
        self._height = 0


def dashboard(uid: str, title: str, tags: list[str], grid: Grid, links: list[dict[str, Any]]) -> dict[str, Any]:
    """A complete dashboard, importable through Grafana's file provisioning."""
    return {
        "uid": uid,
        "title": title,
        "tags": tags,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": False,
        "graphTooltip": 1,
        "timezone": "utc",
        "time": {"from": "now-6h", "to": "now"},
        "refresh": "1m",
        "templating": {"list": [{"name": "datasource", "label": "Data source", "type": "datasource",
                                 "query": "prometheus", "current": {}, "hide": 0, "refresh": 1,
                                 "regex": "", "options": []}]},
        "annotations": {"list": []},
        "links": links,
        "panels": grid.panels,
    }
