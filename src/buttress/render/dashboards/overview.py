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
    served = [(name, requests_metric(m)) for name, m in env.modules.items() if m.spec.provides or slos_of(env, m)]
    metrics = sorted({metric for _, metric in served})
    if metrics:
        grid.row("Traffic")
        # each counter read for the modules that serve it, so a module is charted once
        jobs = {metric: "|".join(sorted(name for name, own in served if own == metric)) for metric in metrics}
        total = {metric: f"sum by (job) (rate({metric}{selector({'namespace': ns}, {'job': jobs[metric]})}[5m]))"
                 for metric in metrics}
        grid.add(timeseries("Request rate by module", [(total[metric], "{{job}}") for metric in metrics], "reqps"), 12)
        # a module with no failed series yet charts 0, as its own dashboard does, not no line
        grid.add(timeseries("Error ratio by module", [
            (f"(sum by (job) (rate({metric}{selector({'namespace': ns}, {'job': jobs[metric], **failed(metric)})}[5m]))"
             f" or {total[metric]} * 0) / {total[metric]}", "{{job}}") for metric in metrics], "percentunit"), 12)
    links = [{"title": module, "type": "link", "icon": "dashboard", "url": f"/d/{dashboard_uid(name, env.name, module)}"}
             for module in env.modules]
    return dashboard(dashboard_uid(name, env.name, None), f"{name} / {env.name} overview",
                     ["buttress", name, env.name, "overview"], grid, links)
