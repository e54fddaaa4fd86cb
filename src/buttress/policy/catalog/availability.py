"""Availability controls over an environment's rendered objects: disruption budgets.

A long-running workload that runs two or more replicas (its own ``replicas``, or the minimum of the
HorizontalPodAutoscaler or KEDA ScaledObject that scales it) needs a PodDisruptionBudget selecting
its pods, or a node drain may evict every replica at once. Looking at the rendered objects catches a
budget removed by hand or a renderer bug, not only a blueprint mistake.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from buttress.policy.catalog.base import Control, Hit, Mappings
from buttress.policy.catalog.kube import module_of, ref

Obj = dict[str, Any]
LONG_RUNNING = frozenset({"Deployment", "StatefulSet", "Rollout"})
_SCALERS = {"HorizontalPodAutoscaler": "minReplicas", "ScaledObject": "minReplicaCount"}


def _scaled_minimum(objects: list[Obj]) -> dict[tuple[str, str], int]:
    """The minimum replica count each autoscaler sets, by the (kind, name) of the workload it scales."""
    out: dict[tuple[str, str], int] = {}
    for obj in objects:
        field = _SCALERS.get(str(obj.get("kind")))
        if field is None:
            continue
        spec = obj.get("spec") or {}
        target = spec.get("scaleTargetRef") or {}
        kind = target.get("kind", "Deployment")
        out[(kind, str(target.get("name")))] = int(spec.get(field, 1))
    return out


Selector = tuple[Any, dict[str, Any], list[Any]]
"""A budget's namespace, ``matchLabels`` and ``matchExpressions``."""
Index = dict[tuple[str, str] | None, list[Selector]]
"""Budgets by one of their label pairs (as text); under None, those selecting by expressions only."""


def _namespace(obj: Obj) -> Any:
    return (obj.get("metadata") or {}).get("namespace")


def _budget_index(objects: list[Obj]) -> Index:
    """The selector of every PodDisruptionBudget that selects some pods, indexed by one of its
    ``matchLabels`` pairs, so that a workload looks up only budgets that can select it. (An empty
    selector selects no pods of a ``policy/v1`` budget.)"""
    index: Index = {}
    for budget in objects:
        if budget.get("kind") != "PodDisruptionBudget":
            continue
        selector = (budget.get("spec") or {}).get("selector") or {}
        wanted = selector.get("matchLabels") or {}
        expressions = selector.get("matchExpressions") or []
        if not isinstance(wanted, dict) or not isinstance(expressions, list) or not (wanted or expressions):
            continue
        key = None
        if wanted:
            label, value = min(wanted.items(), key=lambda kv: str(kv[0]))
            key = (str(label), str(value))
        index.setdefault(key, []).append((_namespace(budget), wanted, expressions))
    return index


def _matches(expression: Any, labels: dict[str, Any]) -> bool:
    """Whether pods carrying ``labels`` satisfy one ``matchExpressions`` requirement."""
    if not isinstance(expression, dict):
        return False
    key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False


def _selected(index: Index, namespace: Any, labels: dict[str, Any]) -> bool:
    """Whether a budget selects pods carrying ``labels`` (every matchLabel and matchExpression holds) in
    ``namespace`` (an object without one matches any: it lands in the namespace it is applied to)."""
    candidates = [s for key, value in labels.items() for s in index.get((str(key), str(value)), ())]
    return any((ns is None or namespace is None or ns == namespace)
               and all(labels.get(k) == v for k, v in wanted.items())
               and all(_matches(e, labels) for e in expressions)
               for ns, wanted, expressions in candidates + index.get(None, []))


def disruption_budget(objects: list[Obj]) -> Iterator[Hit]:
    """Every long-running workload with two or more replicas has a PodDisruptionBudget in its namespace
    selecting its pods."""
    minimum = _scaled_minimum(objects)
    budgets = _budget_index(objects)
    for obj in objects:
        if obj.get("kind") not in LONG_RUNNING:
            continue
        spec = obj.get("spec") or {}
        name = str((obj.get("metadata") or {}).get("name"))
        replicas = minimum.get((str(obj["kind"]), name), spec.get("replicas", 1))
        if replicas < 2:
            continue
        labels = ((spec.get("template") or {}).get("metadata") or {}).get("labels") or {}
        if not isinstance(labels, dict) or not _selected(budgets, _namespace(obj), labels):
            yield Hit(f"{ref(obj)}: runs {replicas} replicas but no PodDisruptionBudget selects its pods; a node "
                      "drain may evict them all at once", module=module_of(obj), object=ref(obj))


CONTROLS = (
    Control(
        id="disruption-budget", title="Replicated workloads have a disruption budget", severity="error",
        scope="objects", check=disruption_budget,
        explanation="Without a PodDisruptionBudget, a node drain or cluster upgrade may evict every replica of a "
                    "workload at the same moment, and the redundancy that replicas-ha asks for is lost when it "
                    "matters.",
        fix="Run the module with scaling.replicas.min >= 2 and render it with buttress (it emits a "
            "PodDisruptionBudget); restore the budget if it was removed by hand.",
        mappings=Mappings(nist=("CP-2", "CP-10", "SC-5"), soc2=("A1.2",), iso27001=("8.14",))),
)
