"""Helpers for controls over rendered Kubernetes objects (plain dicts): pod specs, containers, names."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from buttress.policy.catalog.base import MODULE_ANNOTATION
from buttress.policy.findings import ObjectRef

_TEMPLATE_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Rollout",
                             "ReplicationController"})
WORKLOAD_KINDS = frozenset({*_TEMPLATE_KINDS, "Pod", "CronJob"})
"""Kinds that run pods."""


def ref(obj: dict[str, Any]) -> ObjectRef:
    """``Kind/name`` of a rendered object."""
    return ObjectRef(str(obj.get("kind", "?")), str((obj.get("metadata") or {}).get("name", "?")))


def module_of(obj: dict[str, Any]) -> str | None:
    """The module an object was rendered for (annotation, else label), if any."""
    meta = obj.get("metadata") or {}
    for key in ("annotations", "labels"):
        value = (meta.get(key) or {}).get(MODULE_ANNOTATION)
        if isinstance(value, str):
            return value
    return None


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The pod spec a workload object runs, or None for non-workloads."""
    kind = obj.get("kind")
    spec = obj.get("spec") or {}
    if kind == "Pod":
        return spec
    if kind in _TEMPLATE_KINDS:
        return ((spec.get("template") or {}).get("spec")) or {}
    if kind == "CronJob":
        return ((((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}).get("spec")) or {}
    return None


def containers(pod: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Init, regular and ephemeral containers of a pod spec."""
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from pod.get(key) or []


def security(pod: dict[str, Any], container: dict[str, Any], field: str) -> Any:
    """A security setting as it applies to ``container``: its own securityContext, else the pod's."""
    own = (container.get("securityContext") or {}).get(field)
    return own if own is not None else (pod.get("securityContext") or {}).get(field)


def each_container(obj: dict[str, Any], *, main_only: bool = False) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(pod spec, container) for every container a workload object runs; nothing for other objects."""
    pod = pod_spec(obj)
    if pod is None:
        return
    for c in (pod.get("containers") or []) if main_only else containers(pod):
        yield pod, c
