"""Grafana dashboards of one environment: ``dashboards/<module>.json`` and ``dashboards/_overview.json``.

``render_dashboards(bp, env, graph) -> {relative path: bytes}`` is the renderer ``app.render``
calls; it reads ``render.signals`` and ``buttress.model`` only. Uids are derived from blueprint,
environment and module, so re-rendering never duplicates a dashboard in Grafana.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.common.jsonlines import json_lines
from buttress.render.common.requests import duration_metric, requests_metric
from buttress.render.common.stand_ins import STAND_INS, StandIn, Template, Templates, plain, template
from buttress.render.dashboards.module import Bounds, measured, module_dashboard, replica_bounds
from buttress.render.dashboards.overview import overview_dashboard
from buttress.render.signals.alerts import dashboard_uid
from buttress.render.signals.slo import slos_of

_RUNS = "CronJobMissedRun"
"""The one charted alert whose dashboards are templated: its measure follows from the module's name,
and its summary from the name and its threshold (the longest gap the schedule allows)."""
OVERVIEW_FILE = "dashboards/_overview.json"
"""Leading underscore: no module (a DNS-1123 label) can take this name."""


def _json(board: dict[str, Any]) -> bytes:
    """A dashboard with one top-level key, and one panel, per line: compact, yet reviewable line by line."""
    return json_lines(board, split=lambda key: key == "panels")


def render_dashboards(bp: Blueprint, env: Environment, graph: Graph) -> dict[str, bytes]:
    """The overview and one dashboard per module."""
    files = {OVERVIEW_FILE: _json(overview_dashboard(bp, env))}
    shapes = Shapes(bp, env, graph)
    for name, module in env.modules.items():
        files[f"dashboards/{name}.json"] = shapes.dashboard(module)
    return files


class Shapes:
    """Module dashboards of one environment, one template per shape of module (``common.stand_ins``):
    modules of one kind, metrics and SLO shapes (and cron jobs of one longest gap), whose dashboards chart
    no alert's measure but a cron job's time since its last run, differ only in their name, uid and
    replica bounds. Others (a worker's backlog, a backup's age) are built and written out."""

    BOUNDS = ((987654301, 987654302), (123456789012, 123456789011))
    """The replica bounds standing in beside each set of ``STAND_INS``: numbers no dashboard holds
    otherwise (of other lengths and order in the two sets)."""

    def __init__(self, bp: Blueprint, env: Environment, graph: Graph) -> None:
        self.bp, self.env, self.graph = bp, env, graph
        self.templates = Templates()

    def dashboard(self, module: ResolvedModule) -> bytes:
        """The dashboard file of ``module``."""
        charted = measured(self.bp, self.env, self.graph, module)
        runs = [a.name for a in charted] == [_RUNS] and module.spec.state is None
        if (charted and not runs) or not plain(module.name):
            return _json(module_dashboard(self.bp, self.env, self.graph, module, charted))
        bounds = replica_bounds(module)
        key = (module.kind, bool(module.spec.provides), requests_metric(module), duration_metric(module),
               bounds and (bounds[0] is None, bounds[1] is None), tuple(slo.shape() for slo in slos_of(self.env, module)),
               charted[0].threshold if runs else None)
        shape = self.templates.get(key, lambda: self._template(module, bounds, runs))
        if shape is None:
            return _json(module_dashboard(self.bp, self.env, self.graph, module, charted))
        low, high = bounds or (None, None)
        return shape[0].fill((module.name, self._uid(module.name), str(low), str(high))).encode()

    def _uid(self, module: str) -> str:
        return dashboard_uid(str(self.bp.spec.name), self.env.name, module)

    def _template(self, module: ResolvedModule, bounds: Bounds | None, runs: bool) -> tuple[Template, ...] | None:
        """The template of ``module``'s shape (``runs``: charting a cron job's runs): fields module, uid,
        minimum and maximum replicas."""
        stand_ins = {s[0]: self.BOUNDS[i] for i, s in enumerate(STAND_INS)}

        def stood(name: str) -> Bounds | None:
            low, high = stand_ins[name]
            return None if bounds is None else (None if bounds[0] is None else low, None if bounds[1] is None else high)

        def write(stand_in: StandIn) -> tuple[str]:
            twin = dataclasses.replace(module, name=stand_in[0])
            charted = measured(self.bp, self.env, self.graph, twin) if runs else []
            return (_json(module_dashboard(self.bp, self.env, self.graph, twin, charted, stood(stand_in[0]))).decode(),)

        def fields(stand_in: StandIn) -> tuple[str, ...]:
            low, high = stand_ins[stand_in[0]]
            return stand_in[0], self._uid(stand_in[0]), str(low), str(high)

        return template(write, fields)
