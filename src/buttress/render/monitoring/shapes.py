"""An SLO's rules, alerts and test cases as one template per *shape*, filled in per module.

Within an environment the text of an SLO differs between modules of one shape (objective, window,
threshold, metric) only where the module's name, team and on-call appear: each shape's text is
written once by ``monitoring.text.Writer`` with stand-ins (``common.stand_ins``), and every SLO
of that shape whose values are plain costs one join per text. An SLO of other values is
written directly. Called by ``render.monitoring``.
"""

from __future__ import annotations

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.common.stand_ins import StandIn, Template, Templates, plain, template
from buttress.render.monitoring.rules import group_name
from buttress.render.monitoring.text import Writer
from buttress.render.signals.alerts import Scope, slo_alerts
from buttress.render.signals.slo import Slo

SloText = tuple[str, str, str]
"""An SLO's recording rules, its alerting rules and its test cases."""
SloParts = tuple[list[str], list[str], list[str]]
"""``SloText`` as pieces, for the caller to join with the rest of its files."""


class Shapes:
    """The SLO text of one environment: templated by shape where the values allow, else direct."""

    def __init__(self, writer: Writer, bp: Blueprint, env: Environment, graph: Graph) -> None:
        self.writer, self.bp, self.env, self.graph = writer, bp, env, graph
        self.blueprint = str(bp.spec.name)
        self.templates = Templates()
        """An SLO shape's records, alerts and test cases."""
        self.modules = Templates()
        """A module's group and test file, by the shapes of its SLOs."""
        self.head = template(lambda s: (writer.group_head(group_name(bp, env, s[0])),), lambda s: s[:3])
        """The template of a group's head (None: the stand-ins disagreed)."""

    def module(self, module: ResolvedModule, team: str, oncall: str, slos: list[Slo]) -> tuple[list[str], str | None]:
        """The pieces of the module's rule group (its head, its SLOs' records, its SLOs' alerts: its
        other alerts follow) and its test file (None without SLOs). Modules of the same SLO shapes
        share one template of both, joined from their SLOs' (``parts``)."""
        values = module.name, team, oncall
        if all(map(plain, values)):
            whole = self.modules.get(tuple(slo.shape() for slo in slos), lambda: self._whole(slos, module))
            if whole is not None:
                return whole[0].parts(values), whole[1].fill(values) if slos else None
        writer = self.writer
        parts = [self.parts(slo, module, team, oncall) for slo in slos]
        group = [writer.group_head(group_name(self.bp, self.env, module.name))]
        for records, _, _ in parts:
            group += records
        for _, alerts, _ in parts:
            group += alerts
        if not slos:
            return group, None
        tests = [writer.tests_head()]
        for _, _, cases in parts:
            tests += cases
        tests.append("\n")
        return group, "".join(tests)

    def _whole(self, slos: list[Slo], module: ResolvedModule) -> tuple[Template, Template] | None:
        """The group and test-file templates of modules of these SLO shapes, from the SLOs' own.

        Asked the second time a module of these shapes is met (``Templates.get``), when each SLO's
        shape has been met at least twice too: its own templates are built now, if not before."""
        each = [self._templates(slo, module) for slo in slos]
        if any(t is None for t in each) or self.head is None:
            return None
        shapes = [t for t in each if t is not None]
        group = Template.joined([self.head[0], *(t[0] for t in shapes), *(t[1] for t in shapes)])
        tests = Template.joined([self.writer.tests_head(), *(t[2] for t in shapes), "\n"])
        return group, tests

    def parts(self, slo: Slo, module: ResolvedModule, team: str, oncall: str) -> SloParts:
        """The records, alerts and test cases of ``slo``, a module's with this team and on-call."""
        values = module.name, team, oncall
        if all(map(plain, values)):
            shape = self._templates(slo, module)
            if shape is not None:
                return shape[0].parts(values), shape[1].parts(values), shape[2].parts(values)
        records, alerts, cases = self.direct(slo, Scope(self.bp, self.env, self.graph, module))
        return [records], [alerts], [cases]

    def direct(self, slo: Slo, scope: Scope) -> SloText:
        """The text written out for this SLO alone."""
        writer = self.writer
        alerts = slo_alerts(scope, slo)
        return (writer.slo_records(self.blueprint, self.env.name, slo), "".join(writer.alert_rule(a) for a in alerts),
                writer.slo_cases(slo, alerts))

    def _templates(self, slo: Slo, module: ResolvedModule) -> tuple[Template, ...] | None:
        """The templates of the SLO's shape, or None where it is written directly (``Templates.get``)."""
        return self.templates.get(slo.shape(), lambda: self._template(slo, module))

    def _template(self, slo: Slo, module: ResolvedModule) -> tuple[Template, ...] | None:
        def write(stand_in: StandIn) -> SloText:
            return self.direct(slo.renamed(stand_in[0]), Scope(self.bp, self.env, self.graph, module).standing_in(*stand_in))

        return template(write, lambda stand_in: stand_in[:3])
