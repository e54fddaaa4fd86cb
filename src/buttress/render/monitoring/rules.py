"""Prometheus rule groups of one environment: SLI, burn-rate and budget recording rules, and alerts.

One group per module (at Prometheus's global evaluation interval), recording rules first so
that its alerts read this evaluation's values.
Builds plain dicts (the ``groups:`` list of a Prometheus rules file); called by
``render.monitoring.render_monitoring`` and the promtool test generator.
"""

from __future__ import annotations

from typing import Any

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.signals.alerts import Alert, alerts_of
from buttress.render.signals.series import selector
from buttress.render.signals.slo import (
    BUDGET_RECORD,
    BURN_RECORD,
    OBJECTIVE_RECORD,
    REMAINING_RECORD,
    SLI_RECORD,
    Slo,
    number,
    slos_of,
)


def group_name(bp: Blueprint, env: Environment, module: str) -> str:
    """The rule group of one module."""
    return f"{bp.spec.name}/{env.name}/{module}"


def slo_records(bp: Blueprint, env: Environment, slo: Slo) -> list[dict[str, Any]]:
    """Recording rules of one SLO: error ratio and burn rate per window, objective, budget, remaining budget.

    Every rule holds the same label dict (``Slo.identity``), which the YAML emitter writes once.
    """
    ident = slo.identity(str(bp.spec.name), env.name)
    sel = selector(ident)
    budget = number(slo.error_budget)
    names = [(w, SLI_RECORD.format(window=w)) for w in slo.windows]
    rules: list[dict[str, Any]] = [{"record": sli, "expr": slo.error_ratio(w), "labels": ident} for w, sli in names]
    rules += [{"record": BURN_RECORD.format(window=w), "expr": f"{sli}{sel} / {budget}", "labels": ident}
              for w, sli in names]
    rules += [
        {"record": OBJECTIVE_RECORD, "expr": f"vector({number(slo.objective)})", "labels": ident},
        {"record": BUDGET_RECORD, "expr": f"vector({budget})", "labels": ident},
        {"record": REMAINING_RECORD, "expr": f"1 - {BURN_RECORD.format(window=slo.window_text)}{sel}",
         "labels": ident},
    ]
    return rules


def alert_rule(alert: Alert) -> dict[str, Any]:
    """One alerting rule."""
    rule: dict[str, Any] = {"alert": alert.name, "expr": alert.expr}
    if alert.for_:
        rule["for"] = alert.for_
    rule["labels"] = alert.labels
    rule["annotations"] = alert.annotations
    return rule


def module_group(bp: Blueprint, env: Environment, graph: Graph, module: ResolvedModule,
                 alerts: list[Alert] | None = None, slos: list[Slo] | None = None) -> dict[str, Any] | None:
    """The rule group of one module, or None when it has nothing to record or alert on.

    ``alerts`` and ``slos`` are the module's ``alerts_of`` and ``slos_of`` when the caller has them already.
    """
    rules: list[dict[str, Any]] = []
    for slo in slos if slos is not None else slos_of(env, module):
        rules += slo_records(bp, env, slo)
    rules += [alert_rule(a) for a in (alerts if alerts is not None else alerts_of(bp, env, graph, module))]
    if not rules:
        return None
    return {"name": group_name(bp, env, module.name), "rules": rules}


def rule_groups(bp: Blueprint, env: Environment, graph: Graph) -> list[dict[str, Any]]:
    """Every module's rule group, in blueprint order."""
    groups = (module_group(bp, env, graph, m) for m in env.modules.values())
    return [g for g in groups if g is not None]
