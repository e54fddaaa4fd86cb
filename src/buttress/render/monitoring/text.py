"""The monitoring's YAML written directly as text: the rule groups (for ``rules.yaml`` and the
PrometheusRule) and the promtool test files, byte for byte what emitting the objects of
``monitoring.rules`` and ``monitoring.promtests`` writes, several times faster.

The objects stay the specification: ``render.monitoring`` emits them whenever this writer raises
``yamlio.Fallback`` (a string only the general emitter writes faithfully: a line break, a
character outside printable ASCII, a YAML 1.1 date), and a test compares the two on every example
and on blueprints of unusual names and values. What makes it fast: every string's YAML form comes
from one ``yamlio.Emitter`` (worked out once per distinct string), and the SLI and burn-rate
expressions of an SLO, which differ only in their window, are escaped once per SLO and assembled
per window. Called by ``render.monitoring.render_monitoring``.
"""

from __future__ import annotations

from buttress.render.monitoring.promtests import Scenario, scenarios, series_names
from buttress.render.signals import slo as record
from buttress.render.signals.alerts import Alert
from buttress.render.signals.series import selector
from buttress.render.signals.slo import Slo, number
from buttress.render.yamlio import Emitter, Fallback, escaped


class Writer:
    """Writes the groups and test files of one environment at the indents of ``rules.yaml`` and
    of a test file (``operator_document`` re-indents the groups for the PrometheusRule)."""

    def __init__(self, emitter: Emitter) -> None:
        self.form = emitter.form
        self.pairs: dict[int, tuple[list[str], list[str]]] = {}
        """``id`` of an alert -> its labels' and annotations' ``key: value`` lines."""
        self.kept: list[Alert] = []
        """The alerts of ``pairs``, kept alive so that no ``id`` is reused."""

    def lines(self, mapping: dict[str, str]) -> list[str]:
        """A flat mapping of strings as ``key: value`` lines."""
        form = self.form
        return [f"{form(k)}: {form(v)}" for k, v in mapping.items()]

    def alert_pairs(self, alert: Alert) -> tuple[list[str], list[str]]:
        """The label and annotation lines of an alert, built once for its rule and its tests."""
        pairs = self.pairs.get(id(alert))
        if pairs is None:
            pairs = self.pairs[id(alert)] = (self.lines(alert.labels), self.lines(alert.annotations))
            self.kept.append(alert)
        return pairs

    def slo_records(self, blueprint: str, environment: str, slo: Slo) -> str:
        """The recording rules of one SLO (``rules.slo_records``), each starting on a new line."""
        form = self.form
        ident = slo.identity(blueprint, environment)
        labels = "\n        labels:\n          " + "\n          ".join(self.lines(ident))
        plain = selector(ident)
        sel = escaped(plain)
        budget = number(slo.error_budget)
        head, middle, tail = (escaped(part) for part in slo._ratio_parts)
        sli = {w: record.SLI_RECORD.format(window=w) for w in slo.windows}
        first = slo.windows[0]
        # every window's expression is quoted as the first is (only the window differs): checked once
        if form(slo.error_ratio(first)) != f'"{head}{first}{middle}{first}{tail}"' \
                or form(f"{sli[first]}{plain} / {budget}") != f'"{sli[first]}{sel} / {budget}"':
            raise Fallback  # a form other than a plain double-quoted string: written as the objects are

        def rule(name: str, expr: str) -> str:
            return f"\n      - record: {form(name)}\n        expr: {expr}{labels}"

        rules = [rule(sli[w], f'"{head}{w}{middle}{w}{tail}"') for w in slo.windows]
        rules += [rule(record.BURN_RECORD.format(window=w), f'"{sli[w]}{sel} / {budget}"') for w in slo.windows]
        rules += [rule(record.OBJECTIVE_RECORD, form(f"vector({number(slo.objective)})")),
                  rule(record.BUDGET_RECORD, form(f"vector({budget})")),
                  rule(record.REMAINING_RECORD, form(f"1 - {record.BURN_RECORD.format(window=slo.window_text)}{plain}"))]
        return "".join(rules)

    def alert_rule(self, alert: Alert) -> str:
        """One alerting rule (``rules.alert_rule``), starting on a new line."""
        form = self.form
        labels, annotations = self.alert_pairs(alert)
        held = f"\n        for: {form(alert.for_)}" if alert.for_ else ""
        return (f"\n      - alert: {form(alert.name)}\n        expr: {form(alert.expr)}{held}"
                "\n        labels:\n          " + "\n          ".join(labels) +
                "\n        annotations:\n          " + "\n          ".join(annotations))

    def case(self, label: str, names: list[str], scenario: Scenario, alerts: dict[str, Alert]) -> str:
        """One test case (``promtests._case``)."""
        form = self.form
        minutes = scenario.at_minutes + 5
        evaluated = form(f"{scenario.at_minutes}m")
        series = "".join(f"\n      - series: {name}\n        values: {form(f'0+{step}x{minutes}')}"
                         for name, step in zip(names, scenario.steps, strict=True))
        checks = []
        for alertname, fires in scenario.fire:
            head = f"\n      - eval_time: {evaluated}\n        alertname: {form(alertname)}\n        exp_alerts:"
            if fires:
                labels, annotations = self.alert_pairs(alerts[alertname])
                head += ("\n          - exp_labels:\n              " + "\n              ".join(labels) +
                         "\n            exp_annotations:\n              " + "\n              ".join(annotations))
            else:
                head += " []"
            checks.append(head)
        return (f"\n  - name: {form(f'{label}: {scenario.title}')}\n    interval: 1m\n    input_series:{series}"
                "\n    alert_rule_test:" + "".join(checks))

    def slo_cases(self, slo: Slo, alerts: list[Alert]) -> str:
        """The test cases of one SLO (``promtests.slo_cases``; ``alerts``: its alerts)."""
        by_name = {a.name: a for a in alerts}
        names = [self.form(n) for n in series_names(slo)]
        label = f"{slo.module} {slo.name}"
        return "".join(self.case(label, names, s, by_name)
                       for s in scenarios(tuple(slo.factors()), slo.error_budget, slo.threshold is not None))

    def group_head(self, name: str) -> str:
        """The first lines of a rule group, before its rules."""
        return f"\n  - name: {self.form(name)}\n    rules:"

    def tests_head(self) -> str:
        """The first lines of a test file, before its cases."""
        return f"---\nrule_files:\n  - {self.form('../rules.yaml')}\nevaluation_interval: 1m\ntests:"


RULES_HEAD = "---\ngroups:"
"""``rules.yaml`` before its groups (each group's text starts on a new line; the file ends with one)."""


def operator_document(head: str, rules: bytes) -> bytes:
    """The PrometheusRule: ``head`` (its document without ``spec``, as the emitter writes it) and the
    groups of ``rules`` (``rules.yaml``), two spaces further in."""
    indented = rules.replace(b"\n", b"\n  ")  # "---\n  groups:" ... "\n  "
    return b"".join((head.encode(), b"spec:", memoryview(indented)[len(b"---"):-len(b"  ")]))
