"""An SLO's rules, alerts and test cases as one format string per *shape*, filled in per module.

Modules of one blueprint share a few SLO shapes (objective, window, threshold, metric: what a
pattern or a team's convention sets), and within an environment the text of an SLO differs between
modules of one shape only where the module's name, team and on-call appear. So the text of each
shape is written once by ``monitoring.text.Writer`` with stand-in values, turned into a format
string (the stand-ins become ``{0}``, ``{1}``, ``{2}``), and every SLO of that shape costs one
``str.format``. The text is written twice, with two sets of stand-ins: a shape whose two texts
differ other than by the stand-ins (a stand-in's letters also in some fixed text) is never
templated. Only *plain* values fill a template — a lowercase letter, then lowercase letters, digits
and dashes, and not a word YAML reads otherwise (``no``, ``null``, ``inf``) — which YAML writes
bare and PromQL strings hold unescaped, exactly as the stand-ins; an SLO of other values is
written directly. Called by ``render.monitoring``.
"""

from __future__ import annotations

import dataclasses
import re

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.monitoring.text import Writer
from buttress.render.signals.alerts import Scope, slo_alerts
from buttress.render.signals.slo import Slo

STAND_INS = (("zqmoduleqz", "zqteamqz", "zqoncallqz"), ("zxmodulexz", "zxteamxz", "zxoncallxz"))
"""Two sets of (module, team, on-call) stand-ins: plain words no blueprint value is likely to hold."""
_PLAIN = re.compile(r"[a-z][a-z0-9-]*")
_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "null", "inf", "infinity", "nan"})
"""Plain-looking words that YAML writers quote (booleans, nulls, floats)."""

SloText = tuple[str, str, str]
"""An SLO's recording rules, its alerting rules and its test cases."""


def plain(value: str) -> bool:
    """Whether ``value`` is written exactly as a stand-in is, in every place a template holds it."""
    return _PLAIN.fullmatch(value) is not None and value not in _WORDS


def _key(slo: Slo) -> tuple[object, ...]:
    """Everything of an SLO its text depends on besides its module's name, team and on-call."""
    labels = tuple((k, None if v == slo.module else v) for k, v in slo.labels.items())
    return slo.name, slo.objective, slo.window, slo.threshold, slo.metric, labels


class Shapes:
    """The SLO text of one environment: templated by shape where the values allow, else direct."""

    def __init__(self, writer: Writer, bp: Blueprint, env: Environment, graph: Graph) -> None:
        self.writer, self.bp, self.env, self.graph = writer, bp, env, graph
        self.blueprint = str(bp.spec.name)
        self.templates: dict[tuple[object, ...], SloText | None] = {}

    def text(self, slo: Slo, module: ResolvedModule, team: str, oncall: str) -> SloText:
        """The records, alerts and test cases of ``slo``, a module's with this team and on-call."""
        if plain(module.name) and plain(team) and plain(oncall):
            key = _key(slo)
            template = self.templates[key] if key in self.templates else self._template(key, slo, module)
            if template is not None:
                values = module.name, team, oncall
                return template[0].format(*values), template[1].format(*values), template[2].format(*values)
        return self.direct(slo, Scope(self.bp, self.env, self.graph, module))

    def direct(self, slo: Slo, scope: Scope) -> SloText:
        """The text written out for this SLO alone."""
        writer = self.writer
        alerts = slo_alerts(scope, slo)
        return (writer.slo_records(self.blueprint, self.env.name, slo), "".join(writer.alert_rule(a) for a in alerts),
                writer.slo_cases(slo, alerts))

    def _template(self, key: tuple[object, ...], slo: Slo, module: ResolvedModule) -> SloText | None:
        formats: list[SloText] = []
        for stand_in in STAND_INS:
            name, team, oncall = stand_in
            labels = {"blueprint": self.blueprint, "environment": self.env.name, "module": name, "team": team,
                      "oncall": oncall}
            scope = Scope(self.bp, self.env, self.graph, module, labels)
            twin = dataclasses.replace(slo, module=name, labels={k: name if v == slo.module else v
                                                                 for k, v in slo.labels.items()})
            records, alerts, cases = self.direct(twin, scope)
            formats.append((_format(records, stand_in), _format(alerts, stand_in), _format(cases, stand_in)))
        template = formats[0] if formats[0] == formats[1] else None
        self.templates[key] = template
        return template


def _format(text: str, stand_in: tuple[str, str, str]) -> str:
    """``text`` as a format string, the stand-ins as its fields."""
    text = text.replace("{", "{{").replace("}", "}}")
    for i, value in enumerate(stand_in):
        text = text.replace(value, f"{{{i}}}")
    return text
