"""Prometheus monitoring of one environment: ``monitoring/rules.yaml``, the same groups as a
prometheus-operator ``PrometheusRule``, and ``promtool test rules`` unit tests per module.

``render_monitoring(bp, env, graph) -> {relative path: bytes}`` is the renderer ``app.render``
calls; it reads ``render.signals``, ``render.common`` (the standard labels every rendered object
carries) and ``buttress.model`` only.
"""

from __future__ import annotations

from typing import Any

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment
from buttress.render.common.labels import environment_annotations, environment_labels
from buttress.render.monitoring.promtests import module_tests
from buttress.render.monitoring.rules import module_group
from buttress.render.signals.alerts import alerts_of
from buttress.render.signals.slo import slos_of
from buttress.render.yamlio import dump_documents

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

    The rule groups are built once and the same objects go into both rule documents (and the
    tests' expected alerts share the alerts' label sets), so one emitter writes each only once.
    """
    groups, tests = [], {}
    for name, module in env.modules.items():
        slos = slos_of(env, module)
        alerts = alerts_of(bp, env, graph, module, slos)
        group = module_group(bp, env, graph, module, alerts, slos)
        if group is not None:
            groups.append(group)
        cases = module_tests(bp, env, graph, module, alerts, slos)
        if cases is not None:
            tests[f"{TESTS_FOLDER}/{name}.yaml"] = cases
    paths = [RULES_FILE, OPERATOR_FILE, *tests]
    texts = dump_documents([{"groups": groups}, prometheus_rule(bp, env, groups), *tests.values()])
    return {path: text.encode() for path, text in zip(paths, texts, strict=True)}
