"""Prometheus monitoring of one environment: ``monitoring/rules.yaml``, the same groups as a
prometheus-operator ``PrometheusRule``, and ``promtool test rules`` unit tests per module.

``render_monitoring(bp, env, graph) -> {relative path: bytes}`` is the renderer ``app.render``
calls; it reads ``render.signals``, ``render.common`` (the standard labels every rendered object
carries) and ``buttress.model`` only. The files are written as text (``monitoring.text``, by SLO
shape: ``monitoring.shapes``); the objects of ``monitoring.rules`` and ``monitoring.promtests``
are the specification, emitted by ``emitted_files`` where a string needs the general emitter.
"""

from __future__ import annotations

from typing import Any

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.common.labels import environment_annotations, environment_labels, oncall, owner
from buttress.render.monitoring.promtests import module_tests
from buttress.render.monitoring.rules import module_group
from buttress.render.monitoring.shapes import Shapes
from buttress.render.monitoring.text import RULES_HEAD, Writer, operator_document
from buttress.render.signals.alerts import Alert, alerts_of, kind_alerts
from buttress.render.signals.slo import Slo, slos_of
from buttress.render.yamlio import Emitter, Fallback, dump_documents

COMPONENT = "monitoring"
"""``app.kubernetes.io/component`` of the PrometheusRule (environment-wide, like the Namespace)."""
RULES_FILE = "monitoring/rules.yaml"
OPERATOR_FILE = "monitoring/prometheusrule.yaml"
TESTS_FOLDER = "monitoring/tests"


def prometheus_rule(bp: Blueprint, env: Environment, groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The groups wrapped in a prometheus-operator ``PrometheusRule``, with the standard labels and
    annotations of an environment-wide object."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": f"{bp.spec.name}-slos",
            "namespace": str(env.spec.namespace),
            "labels": environment_labels(bp, env, COMPONENT),
            "annotations": environment_annotations(bp, env),
        },
        "spec": {"groups": groups},
    }


def render_monitoring(bp: Blueprint, env: Environment, graph: Graph) -> dict[str, bytes]:
    """Rules, the PrometheusRule and the promtool tests of one environment.

    Written as text (``monitoring.text``, by SLO shape: ``monitoring.shapes``); where a string
    cannot be written faithfully that way, the objects of ``monitoring.rules`` and
    ``monitoring.promtests`` are emitted instead (the same bytes wherever both can write them).
    """
    try:
        return text_files(bp, env, graph)
    except Fallback:
        signals = [(module, slos, alerts_of(bp, env, graph, module, slos))
                   for module, slos in ((m, slos_of(env, m)) for m in env.modules.values())]
        return emitted_files(bp, env, graph, signals)


Signals = list[tuple[ResolvedModule, list[Slo], list[Alert]]]
"""Each module with its ``slos_of`` and ``alerts_of``."""


def text_files(bp: Blueprint, env: Environment, graph: Graph) -> dict[str, bytes]:
    """The files written as text; ``Fallback`` where that cannot be done faithfully."""
    emitter = Emitter()
    writer = Writer(emitter)
    shapes = Shapes(writer, bp, env, graph)
    body = [RULES_HEAD]  # rules.yaml: every group's text, in order
    tests = {}
    for module in env.modules.values():
        slos = slos_of(env, module)
        kind = [writer.alert_rule(a) for a in kind_alerts(bp, env, graph, module)]
        if slos or kind:
            group, cases = shapes.module(module, owner(bp, module), oncall(bp, module), slos)
            body += group
            body += kind
            if cases is not None:
                tests[f"{TESTS_FOLDER}/{module.name}.yaml"] = cases.encode()
    if len(body) == 1:
        raise Fallback  # ``groups: []``: rare, and written by the emitter
    body.append("\n")
    rules = "".join(body).encode()
    rule = prometheus_rule(bp, env, [])
    del rule["spec"]
    return {RULES_FILE: rules, OPERATOR_FILE: operator_document(emitter.document(rule), rules), **tests}


def emitted_files(bp: Blueprint, env: Environment, graph: Graph, signals: Signals) -> dict[str, bytes]:
    """The same files from the objects of ``monitoring.rules`` and ``monitoring.promtests``: the
    rule groups are built once and the same objects go into both rule documents (and the tests'
    expected alerts share the alerts' label sets), so one emitter writes each only once."""
    groups, tests = [], {}
    for module, slos, alerts in signals:
        group = module_group(bp, env, graph, module, alerts, slos)
        if group is not None:
            groups.append(group)
        cases = module_tests(bp, env, graph, module, alerts, slos)
        if cases is not None:
            tests[f"{TESTS_FOLDER}/{module.name}.yaml"] = cases
    paths = [RULES_FILE, OPERATOR_FILE, *tests]
    texts = dump_documents([{"groups": groups}, prometheus_rule(bp, env, groups), *tests.values()])
    return {path: text.encode() for path, text in zip(paths, texts, strict=True)}
