"""``promtool test rules`` unit tests for every SLO: synthetic traffic at a chosen burn rate, and
the alerts that must (not) fire.

Per SLO three scenarios, each from a counter that starts at zero: a fast burn (above the first
page tier) must page within the page tier's long window; a slow burn (between the ticket and
page tiers) must open a ticket and not page; a burn rate of 0.5 must fire neither. Called by
``render.monitoring.render_monitoring``; the files sit in ``monitoring/tests/`` and name
``../rules.yaml``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.monitoring.rules import alert_rule
from buttress.render.signals.alerts import Alert, alerts_of
from buttress.render.signals.series import selector
from buttress.render.signals.slo import Slo, number, slos_of, window_seconds

REQUESTS_PER_MINUTE = 600
BELOW_ONE = Decimal("0.5")
_PAGE, _TICKET = "ErrorBudgetBurnFast", "ErrorBudgetBurnSlow"


def _series(slo: Slo, error_ratio: Decimal, minutes: int) -> list[dict[str, str]]:
    """Counters for ``minutes`` minutes of traffic with ``error_ratio`` bad events."""
    total = Decimal(REQUESTS_PER_MINUTE)
    bad = total * error_ratio
    good = total - bad

    def counter(labels: dict[str, str], step: Decimal) -> dict[str, str]:
        return {"series": f"{slo.metric}{selector({**slo.labels, **labels})}", "values": f"0+{number(step)}x{minutes}"}

    if slo.threshold is None:
        return [counter({"code": "200"}, good), counter({"code": "500"}, bad)]
    base = slo.metric.removesuffix("_bucket")
    le = number(Decimal(str(slo.threshold.seconds)))
    return [counter({"le": le}, good), counter({"le": "+Inf"}, total),
            {"series": f"{base}_count{selector(slo.labels)}", "values": f"0+{number(total)}x{minutes}"}]


def _expected(alert: Alert) -> dict[str, Any]:
    rule = alert_rule(alert)
    return {"exp_labels": rule["labels"], "exp_annotations": rule["annotations"]}


def _case(name: str, slo: Slo, burn: Decimal, at_minutes: int, fire: dict[str, Alert | None]) -> dict[str, Any]:
    ratio = min(Decimal(1), burn * slo.error_budget)
    return {
        "name": name,
        "interval": "1m",
        "input_series": _series(slo, ratio, at_minutes + 5),
        "alert_rule_test": [{"eval_time": f"{at_minutes}m", "alertname": alertname,
                             "exp_alerts": [_expected(alert)] if alert is not None else []}
                            for alertname, alert in fire.items()],
    }


def slo_cases(slo: Slo, alerts: dict[str, Alert]) -> list[dict[str, Any]]:
    """The fast-burn, slow-burn and below-one scenarios of one SLO."""
    factors = slo.factors()
    page = [Decimal(str(f)) for t, f in factors if t.severity == "page"]
    ticket = [Decimal(str(f)) for t, f in factors if t.severity == "ticket"]
    first_page = next(t for t, _ in factors if t.severity == "page")
    max_burn = 1 / slo.error_budget
    cases = []
    fast = min(max_burn, page[0] * Decimal("1.5"))
    if fast > page[0]:
        within = window_seconds(first_page.short) // 60 * 2
        cases.append(_case(f"{slo.module} {slo.name}: burn {number(fast)}x pages within {first_page.long}",
                           slo, fast, within, {_PAGE: alerts[_PAGE]}))
    if max(ticket) < min(page):
        slow = (max(ticket) + min(page)) / 2
        cases.append(_case(f"{slo.module} {slo.name}: burn {number(slow)}x opens a ticket and does not page",
                           slo, slow, 35, {_TICKET: alerts[_TICKET], _PAGE: None}))
    cases.append(_case(f"{slo.module} {slo.name}: burn {number(BELOW_ONE)}x fires nothing", slo, BELOW_ONE, 35,
                       {_PAGE: None, _TICKET: None}))
    return cases


def module_tests(bp: Blueprint, env: Environment, graph: Graph, module: ResolvedModule,
                 alerts: list[Alert] | None = None) -> dict[str, Any] | None:
    """The unit-test file of one module, or None when it declares no SLO (``alerts``: as ``module_group``)."""
    slos = slos_of(env, module)
    if not slos:
        return None
    if alerts is None:
        alerts = alerts_of(bp, env, graph, module)
    tests = []
    for slo in slos:
        by_name = {a.name: a for a in alerts if a.slo == slo.name}
        tests += slo_cases(slo, by_name)
    return {"rule_files": ["../rules.yaml"], "evaluation_interval": "1m", "tests": tests}
