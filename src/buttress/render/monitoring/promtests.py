"""``promtool test rules`` unit tests for every SLO: synthetic traffic at a chosen burn rate, and
the alerts that must (not) fire.

Per SLO three scenarios, each from a counter that starts at zero: a fast burn (above the first
page tier) must page within the page tier's long window; a slow burn (above a ticket tier, not
above any page tier) must open a ticket and not page; a burn rate of 0.5 must fire neither.
Every SLO gets all three: the tiers' thresholds are clamped below the fastest burn the objective
allows (``BurnTier.factor``), so the fast burn exists; where no burn tickets without paging
(``burn_scenarios``), the slow scenario says so and expects both alerts. Called by
``render.monitoring.render_monitoring``; the files sit in ``monitoring/tests/`` and name
``../rules.yaml``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.common.requests import example_statuses, status_label
from buttress.render.signals.alerts import Alert, alerts_of
from buttress.render.signals.series import selector
from buttress.render.signals.slo import BurnTier, Slo, number, slos_of, window_seconds

REQUESTS_PER_MINUTE = 600
BELOW_ONE = Decimal("0.5")
FAST = Decimal("1.5")
"""The fast scenario burns this many times the first page tier's threshold (at most every event bad)."""
SLOW_AT_MINUTES = 35
_PAGE, _TICKET = "ErrorBudgetBurnFast", "ErrorBudgetBurnSlow"


def series_names(slo: Slo) -> list[str]:
    """The synthetic counters of an SLO: good and bad requests, or the threshold's bucket, +Inf and count."""
    if slo.threshold is None:
        label = status_label(slo.metric)
        return [f"{slo.metric}{selector({**slo.labels, label: code})}" for code in example_statuses(slo.metric)]
    base = slo.metric.removesuffix("_bucket")
    whole = slo.bucket_matchers[1] is not None  # fed as Prometheus 3 stores it: le="1.0"
    return [f"{slo.metric}{selector({**slo.labels, 'le': f'{slo.le}.0' if whole else slo.le})}",
            f"{slo.metric}{selector({**slo.labels, 'le': '+Inf'})}", f"{base}_count{selector(slo.labels)}"]


@dataclass(frozen=True)
class Scenario:
    """One unit-test case of an SLO, apart from its series' names and its alerts' labels."""

    title: str
    """The case's name after ``<module> <slo>: ``."""
    at_minutes: int
    """When the alerts are evaluated; the counters run five minutes longer."""
    steps: tuple[str, ...]
    """Each counter's increase per minute, in ``series_names`` order."""
    fire: tuple[tuple[str, bool], ...]
    """Each alert evaluated, and whether it must fire."""


def _error_ratio(budget: Decimal, burn: Decimal) -> Decimal:
    """The share of bad events that burns ``budget`` at ``burn``; with no budget (a 100% objective)
    any bad event burns above every threshold, and the scenarios above 1 fail every request."""
    if not budget:
        return Decimal(1) if burn > 1 else Decimal(0)
    return min(Decimal(1), burn * budget)


def _steps(budget: Decimal, burn: Decimal, latency: bool) -> tuple[str, ...]:
    """The counters' increases per minute at ``burn``: good and bad requests, or the threshold's
    bucket, +Inf and the count."""
    total = Decimal(REQUESTS_PER_MINUTE)
    bad = total * _error_ratio(budget, burn)
    steps = (total - bad, total, total) if latency else (total - bad, bad)
    return tuple(number(step) for step in steps)


def burn_scenarios(factors: tuple[tuple[BurnTier, float], ...],
                   max_burn: Decimal | None) -> tuple[tuple[BurnTier, Decimal], Decimal, bool]:
    """The first page tier with the fast burn, and the slow burn with whether it pages too.

    Fast: ``FAST`` times the first page threshold, at most the maximum burn (which the clamped
    thresholds stay below). Slow: halfway between the highest ticket threshold below every page
    threshold and the lowest page threshold. Where no burn tickets without paging — every
    threshold floored at 1 (SLO windows up to 5 days), or no error budget at all (a 100%
    objective: any bad event burns without bound) — ``FAST`` times the lowest ticket threshold
    (at most halfway to the maximum burn), which pages as well.
    """
    exact = [(t, Decimal(str(f))) for t, f in factors]
    first_page, page = next((t, f) for t, f in exact if t.severity == "page")
    lowest_page = min(f for t, f in exact if t.severity == "page")
    tickets = [f for t, f in exact if t.severity == "ticket"]
    fast = page * FAST if max_burn is None else min(max_burn, page * FAST)
    below = [f for f in tickets if f < lowest_page]
    if below and max_burn is not None:
        return (first_page, fast), (max(below) + lowest_page) / 2, False
    lowest = min(tickets)
    slow = lowest * FAST if max_burn is None else min(lowest * FAST, (lowest + max_burn) / 2)
    return (first_page, fast), slow, True


@functools.lru_cache(maxsize=256)
def scenarios(factors: tuple[tuple[BurnTier, float], ...], budget: Decimal, latency: bool) -> tuple[Scenario, ...]:
    """The fast-burn, slow-burn and below-one cases of every SLO with these thresholds, error budget
    and kind (latency or availability): SLOs of one objective and window share them."""
    (first_page, fast), slow, slow_pages = burn_scenarios(factors, 1 / budget if budget else None)
    within = window_seconds(first_page.short) // 60 * 2
    slow_title = f"burn {number(slow)}x opens a ticket and " + (
        "pages too (no burn tickets without paging)" if slow_pages else "does not page")
    return (
        Scenario(f"burn {number(fast)}x pages within {first_page.long}", within, _steps(budget, fast, latency),
                 ((_PAGE, True),)),
        Scenario(slow_title, SLOW_AT_MINUTES, _steps(budget, slow, latency), ((_TICKET, True), (_PAGE, slow_pages))),
        Scenario(f"burn {number(BELOW_ONE)}x fires nothing", SLOW_AT_MINUTES, _steps(budget, BELOW_ONE, latency),
                 ((_PAGE, False), (_TICKET, False))),
    )


def _case(label: str, names: list[str], scenario: Scenario, alerts: dict[str, Alert]) -> dict[str, Any]:
    minutes = scenario.at_minutes + 5
    evaluated = f"{scenario.at_minutes}m"
    return {
        "name": f"{label}: {scenario.title}",
        "interval": "1m",
        "input_series": [{"series": name, "values": f"0+{step}x{minutes}"}
                         for name, step in zip(names, scenario.steps, strict=True)],
        "alert_rule_test": [{"eval_time": evaluated, "alertname": name,
                             "exp_alerts": [{"exp_labels": alerts[name].labels,
                                             "exp_annotations": alerts[name].annotations}] if fires else []}
                            for name, fires in scenario.fire],
    }


def slo_cases(slo: Slo, alerts: dict[str, Alert]) -> list[dict[str, Any]]:
    """The fast-burn, slow-burn and below-one cases of one SLO (``alerts``: its alerts by name);
    the expected alerts carry exactly the rules' labels and annotations (the same dicts)."""
    names = series_names(slo)
    label = f"{slo.module} {slo.name}"
    return [_case(label, names, s, alerts)
            for s in scenarios(tuple(slo.factors()), slo.error_budget, slo.threshold is not None)]


def module_tests(bp: Blueprint, env: Environment, graph: Graph, module: ResolvedModule,
                 alerts: list[Alert] | None = None, slos: list[Slo] | None = None) -> dict[str, Any] | None:
    """The unit-test file of one module, or None when it declares no SLO (``alerts``, ``slos``: as
    ``module_group``)."""
    if slos is None:
        slos = slos_of(env, module)
    if not slos:
        return None
    if alerts is None:
        alerts = alerts_of(bp, env, graph, module, slos)
    tests = []
    for slo in slos:
        by_name = {a.name: a for a in alerts if a.slo == slo.name}
        tests += slo_cases(slo, by_name)
    return {"rule_files": ["../rules.yaml"], "evaluation_interval": "1m", "tests": tests}
