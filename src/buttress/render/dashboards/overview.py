"""The environment overview dashboard: every module's traffic, error budget, burn and firing alerts.

Called by ``render.dashboards.render_dashboards``.
"""

from __future__ import annotations

from typing import Any

from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment
from buttress.render.common.requests import failed, requests_metric
from buttress.render.dashboards.panels import Grid, dashboard, table, timeseries
from buttress.render.signals.alerts import dashboard_uid
from buttress.render.signals.series import selector
from buttress.render.signals.slo import BURN_RECORD, REMAINING_RECORD, slos_of


def overview_dashboard(bp: Blueprint, env: Environment) -> dict[str, Any]:
    """One dashboard for the whole environment, linking to each module's."""
    name = str(bp.spec.name)
    ident = selector({"blueprint": name, "environment": env.name})
    ns = str(env.spec.namespace)
    grid = Grid()
    grid.row("Error budgets")
    grid.add(table("Error budget remaining", [(f"{REMAINING_RECORD}{ident}", "{{module}} {{slo}}")]), 12)
    grid.add(timeseries("Burn rate over 1h", [(f"{BURN_RECORD.format(window='1h')}{ident}", "{{module}} {{slo}}")],
                        "short"), 12)
    grid.add(table("Firing alerts", [(f"ALERTS{selector({'blueprint': name, 'environment': env.name, 'alertstate': 'firing'})}",
                                      "")]), 24)
    metrics = sorted({requests_metric(m) for m in env.modules.values() if m.spec.provides or slos_of(env, m)})
    if metrics:
        grid.row("Traffic")
        jobs = "|".join(sorted(m for m, r in env.modules.items() if r.spec.provides or slos_of(env, r)))
        sel = selector({"namespace": ns}, {"job": jobs})
        grid.add(timeseries("Request rate by module", [
            (f"sum by (job) (rate({metric}{sel}[5m]))", "{{job}}") for metric in metrics], "reqps"), 12)
        grid.add(timeseries("Error ratio by module", [
            (f"sum by (job) (rate({metric}{selector({'namespace': ns}, {'job': jobs, **failed(metric)})}[5m]))"
             f" / sum by (job) (rate({metric}{sel}[5m]))", "{{job}}") for metric in metrics], "percentunit"), 12)
    links = [{"title": module, "type": "link", "icon": "dashboard", "url": f"/d/{dashboard_uid(name, env.name, module)}"}
             for module in env.modules]
    return dashboard(dashboard_uid(name, env.name, None), f"{name} / {env.name} overview",
                     ["buttress", name, env.name, "overview"], grid, links)
