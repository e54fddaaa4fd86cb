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

    def parts(self, slo: Slo, module: ResolvedModule, team: str, oncall: str) -> SloParts:
        """The records, alerts and test cases of ``slo``, a module's with this team and on-call."""
        if plain(module.name) and plain(team) and plain(oncall):
            key = slo.shape()
            shape = self.templates.get(key, lambda: self._template(slo, module))
            if shape is not None:
                values = module.name, team, oncall
                return shape[0].parts(values), shape[1].parts(values), shape[2].parts(values)
        records, alerts, cases = self.direct(slo, Scope(self.bp, self.env, self.graph, module))
        return [records], [alerts], [cases]

    def direct(self, slo: Slo, scope: Scope) -> SloText:
        """The text written out for this SLO alone."""
        writer = self.writer
        alerts = slo_alerts(scope, slo)
        return (writer.slo_records(self.blueprint, self.env.name, slo), "".join(writer.alert_rule(a) for a in alerts),
                writer.slo_cases(slo, alerts))

    def _template(self, slo: Slo, module: ResolvedModule) -> tuple[Template, ...] | None:
        def write(stand_in: StandIn) -> SloText:
            return self.direct(slo.renamed(stand_in[0]), Scope(self.bp, self.env, self.graph, module).standing_in(*stand_in))

        return template(write, lambda stand_in: stand_in[:3])
