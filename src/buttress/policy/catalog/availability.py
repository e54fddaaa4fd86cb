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
from buttress.policy.catalog.kube import ref

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


Index = dict[tuple[str, str], list[tuple[Any, dict[str, Any]]]]


def _namespace(obj: Obj) -> Any:
    return (obj.get("metadata") or {}).get("namespace")


def _budget_index(objects: list[Obj]) -> Index:
    """The namespace and ``matchLabels`` of every PodDisruptionBudget that selects by labels only,
    indexed by one of its label pairs (as text), so that a workload looks up only budgets that can
    select it."""
    index: Index = {}
    for budget in objects:
        if budget.get("kind") != "PodDisruptionBudget":
            continue
        selector = (budget.get("spec") or {}).get("selector") or {}
        wanted = selector.get("matchLabels") or {}
        if wanted and isinstance(wanted, dict) and not selector.get("matchExpressions"):
            key, value = min(wanted.items(), key=lambda kv: str(kv[0]))
            index.setdefault((str(key), str(value)), []).append((_namespace(budget), wanted))
    return index


def _selected(index: Index, namespace: Any, labels: dict[str, Any]) -> bool:
    """Whether a budget selects pods carrying ``labels`` (every matchLabel matches) in ``namespace``
    (an object without one matches any: it lands in the namespace it is applied to)."""
    return any((ns is None or namespace is None or ns == namespace) and all(labels.get(k) == v for k, v in wanted.items())
               for key, value in labels.items() for ns, wanted in index.get((str(key), str(value)), ()))


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
                      "drain may evict them all at once", object=ref(obj))


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
