"""The dashboard of one module: RED panels, saturation against the autoscaling bounds, what its
kind needs watched (backlog, runs, backups), and an SLO row per objective.

Called by ``render.dashboards.render_dashboards``.
"""

from __future__ import annotations

from typing import Any

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.common.requests import duration_metric, failed, requests_metric, status_label
from buttress.render.dashboards.panels import Grid, dashboard, stat, table, timeseries
from buttress.render.signals.alerts import Alert, dashboard_uid, kind_alerts
from buttress.render.signals.series import (
    pod_labels,
    selector,
    target_labels,
)
from buttress.render.signals.slo import BURN_RECORD, OBJECTIVE_RECORD, REMAINING_RECORD, Slo, number, slos_of


def _red(grid: Grid, env: Environment, module: ResolvedModule) -> None:
    sel = target_labels(env, module.name)
    req, dur = requests_metric(module), duration_metric(module)
    grid.row("Requests, errors, duration")
    status = status_label(req)
    grid.add(timeseries("Request rate", [(f"sum by ({status}) (rate({req}{selector(sel)}[5m]))", f"{{{{{status}}}}}")],
                        "reqps"))
    grid.add(timeseries("Error ratio", [(f"(sum(rate({req}{selector(sel, failed(req))}[5m])) or vector(0))"
                                         f" / sum(rate({req}{selector(sel)}[5m]))",
                                         "failed share" if status == "grpc_code" else "5xx share")], "percentunit"))
    grid.add(timeseries("Duration percentiles", [
        (f"histogram_quantile({q}, sum by (le) (rate({dur}_bucket{selector(sel)}[5m])))", f"p{round(q * 100)}")
        for q in (0.5, 0.95, 0.99)], "s"))


Bounds = tuple[int | None, int | None]
"""The autoscaling bounds a dashboard marks: minimum and maximum replicas."""


def replica_bounds(module: ResolvedModule) -> Bounds | None:
    """The module's autoscaling bounds, or None without ``scaling.replicas``."""
    replicas = module.spec.scaling.replicas if module.spec.scaling else None
    return (replicas.min, replicas.max) if replicas is not None else None


def _saturation(grid: Grid, env: Environment, module: ResolvedModule, bounds: Bounds | None) -> None:
    labels, regex = pod_labels(env, module.name)
    pods = selector(labels, regex)
    grid.row("Saturation")
    grid.add(timeseries("CPU", [
        (f"sum(rate(container_cpu_usage_seconds_total{pods}[5m]))", "used"),
        (f"sum(kube_pod_container_resource_requests{selector({**labels, 'resource': 'cpu'}, regex)})", "requested")],
        "short"))
    grid.add(timeseries("Memory", [
        (f"sum(container_memory_working_set_bytes{pods})", "working set"),
        (f"sum(kube_pod_container_resource_requests{selector({**labels, 'resource': 'memory'}, regex)})",
         "requested")], "bytes"))
    if module.long_running:
        low, high = bounds or (None, None)
        ready = selector({"namespace": labels["namespace"], "condition": "true"}, regex)
        queries = [(f"sum(kube_pod_status_ready{ready})", "ready")]
        if low is not None:
            queries.append((f"vector({low})", "autoscaling min"))
        if high is not None:
            queries.append((f"vector({high})", "autoscaling max"))
        grid.add(timeseries("Replicas vs. autoscaling bounds", queries, "short"))


_MEASURED = {"WorkerBacklogHigh": ("Queue backlog", "short"), "CronJobMissedRun": ("Since last successful run", "s"),
             "BackupStale": ("Age of the last good backup", "s")}


def _kind_panels(grid: Grid, alerts: list[Alert]) -> None:
    """A panel for each ``measured`` alert's quantity, with the alert's threshold marked."""
    if not alerts:
        return
    grid.row("Workload")
    for alert in alerts:
        title, unit = _MEASURED[alert.name]
        panel = timeseries(title, [(alert.measure or "", title.lower())], unit, alert.summary)
        panel["fieldConfig"]["defaults"]["thresholds"] = {
            "mode": "absolute", "steps": [{"value": None, "color": "green"}, {"value": alert.threshold, "color": "red"}]}
        panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"] = {"mode": "line"}
        grid.add(panel)


def _slo_row(grid: Grid, bp: Blueprint, env: Environment, slo: Slo) -> None:
    ident = slo.identity(str(bp.spec.name), env.name)
    sel = selector(ident)
    grid.row(f"SLO {slo.name}: {number(slo.objective * 100)}% over {slo.window_text}")
    grid.add(stat("Objective", [(f"{OBJECTIVE_RECORD}{sel}", "objective")], "percentunit", [(None, "blue")]), 4)
    grid.add(stat("Error budget remaining", [(f"{REMAINING_RECORD}{sel}", "remaining")], "percentunit",
                  [(None, "red"), (0.25, "orange"), (0.5, "green")]), 4)
    grid.add(timeseries("Burn rate", [(f"{BURN_RECORD.format(window=w)}{sel}", w) for w in ("5m", "1h", "6h", "1d", "3d")],
                        "short", "1 spends exactly the budget over the SLO window."), 10)
    alerts = selector({**ident, "alertstate": "firing"})
    grid.add(table("Firing alerts", [(f"ALERTS{alerts}", "")]), 6)


def measured(bp: Blueprint, env: Environment, graph: Graph, module: ResolvedModule) -> list[Alert]:
    """The module's alerts whose measured quantity its dashboard charts (a worker's backlog, a cron
    job's time since its last run, a stateful module's backup age)."""
    if module.kind not in ("worker", "cronjob") and module.spec.state is None:
        return []
    return [a for a in kind_alerts(bp, env, graph, module) if a.name in _MEASURED and a.measure is not None]


def module_dashboard(bp: Blueprint, env: Environment, graph: Graph, module: ResolvedModule,
                     charted: list[Alert] | None = None, bounds: Bounds | None = None) -> dict[str, Any]:
    """The dashboard of ``module`` in ``env`` (``charted``, ``bounds``: its ``measured`` alerts and
    ``replica_bounds``, when the caller has them or stands in for them)."""
    name = str(bp.spec.name)
    grid = Grid()
    slos = slos_of(env, module)
    if module.spec.provides or slos:
        _red(grid, env, module)
    _saturation(grid, env, module, replica_bounds(module) if bounds is None else bounds)
    _kind_panels(grid, measured(bp, env, graph, module) if charted is None else charted)
    for slo in slos:
        _slo_row(grid, bp, env, slo)
    links = [{"title": f"{name} / {env.name} overview", "type": "link", "icon": "dashboard",
              "url": f"/d/{dashboard_uid(name, env.name, None)}"}]
    return dashboard(dashboard_uid(name, env.name, module.name), f"{name} / {env.name} / {module.name}",
                     ["buttress", name, env.name, module.kind], grid, links)
