"""Controls over rendered Kubernetes objects, on hand-made object dicts: each fires on one
change of a secure object, and none fires on the secure objects themselves."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from buttress.policy.catalog import BY_ID, CATALOG

Obj = dict[str, Any]
MODULE = {"buttress.dev/module": "scorer"}


def deployment() -> Obj:
    """A workload as buttress renders it: non-root, no privileges, probes, requests and limits."""
    container = {
        "name": "scorer", "image": "registry.example.com/risk/scorer@sha256:" + "a" * 64,
        "ports": [{"name": "score-api", "containerPort": 8080}],
        "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
        "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "2Gi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "scorer", "namespace": "fraud-prod", "annotations": dict(MODULE)},
            "spec": {"template": {"spec": {
                "automountServiceAccountToken": False, "serviceAccountName": "scorer",
                "securityContext": {"runAsNonRoot": True, "runAsUser": 10001,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [container]}}}}


def cronjob() -> Obj:
    """A CronJob whose pod is bound to a Role (it mounts its token)."""
    pod = copy.deepcopy(deployment()["spec"]["template"]["spec"])
    pod["automountServiceAccountToken"] = True
    pod["serviceAccountName"] = "retrain"
    del pod["containers"][0]["ports"]
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "retrain", "annotations": {"buttress.dev/module": "retrain"}},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": pod}}}}}


def role() -> Obj:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "retrain"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}


def binding() -> Obj:
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "retrain"},
            "roleRef": {"kind": "Role", "name": "retrain", "apiGroup": "rbac.authorization.k8s.io"},
            "subjects": [{"kind": "ServiceAccount", "name": "retrain"}]}


def service() -> Obj:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "scorer", "annotations": dict(MODULE)},
            "spec": {"type": "ClusterIP", "ports": [{"port": 8080}]}}


def ingress() -> Obj:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "scorer"},
            "spec": {"tls": [{"hosts": ["score.example.com"], "secretName": "scorer-tls"}],
                     "rules": [{"host": "score.example.com"}]}}


def deny_all() -> Obj:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "default-deny"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}


def secure_set() -> list[Obj]:
    return [deny_all(), deployment(), cronjob(), role(), binding(), service(), ingress()]


def _container(objects: list[Obj]) -> Obj:
    container: Obj = objects[1]["spec"]["template"]["spec"]["containers"][0]
    return container


def _pod(objects: list[Obj]) -> Obj:
    pod: Obj = objects[1]["spec"]["template"]["spec"]
    return pod


def _set(path: Callable[[list[Obj]], Obj], key: str, value: Any) -> Callable[[list[Obj]], None]:
    def change(objects: list[Obj]) -> None:
        path(objects)[key] = value
    return change


def _security(key: str, value: Any) -> Callable[[list[Obj]], None]:
    def change(objects: list[Obj]) -> None:
        _container(objects)["securityContext"][key] = value
    return change


def _drop_pod_security(key: str) -> Callable[[list[Obj]], None]:
    def change(objects: list[Obj]) -> None:
        del _pod(objects)["securityContext"][key]
    return change


CHANGES: list[tuple[str, Callable[[list[Obj]], None]]] = [
    ("pod-privileged", _security("privileged", True)),
    ("pod-host-namespaces", _set(_pod, "hostNetwork", True)),
    ("pod-host-namespaces", _set(_pod, "hostPID", True)),
    ("pod-host-ports", lambda o: _container(o)["ports"][0].update(hostPort=8080)),
    ("pod-host-path", _set(_pod, "volumes", [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}])),
    ("pod-privilege-escalation", _security("allowPrivilegeEscalation", True)),
    ("pod-run-as-non-root", _security("runAsUser", 0)),
    ("pod-run-as-non-root", lambda o: (_drop_pod_security("runAsNonRoot")(o),
                                       _container(o)["securityContext"].pop("runAsNonRoot"))),
    ("pod-capabilities", _security("capabilities", {"drop": ["ALL"], "add": ["NET_ADMIN"]})),
    ("pod-capabilities", _security("capabilities", {})),
    ("pod-seccomp", _drop_pod_security("seccompProfile")),
    ("pod-seccomp", _security("seccompProfile", {"type": "Unconfined"})),
    ("pod-read-only-root", _security("readOnlyRootFilesystem", False)),
    ("pod-probes", lambda o: _container(o).pop("readinessProbe")),
    ("pod-resource-limits", lambda o: _container(o)["resources"].pop("limits")),
    ("pod-resource-limits", lambda o: _container(o)["resources"]["requests"].pop("cpu")),
    ("networkpolicy-default-deny", lambda o: o.pop(0)),
    ("networkpolicy-default-deny", lambda o: o[0]["spec"].update(policyTypes=["Ingress"])),
    ("service-type", lambda o: o[5]["spec"].update(type="LoadBalancer")),
    ("service-type", lambda o: o[5]["spec"].update(type="NodePort")),
    ("ingress-tls", lambda o: o[6]["spec"].pop("tls")),
    ("ingress-tls", lambda o: o[6]["spec"]["rules"].append({"host": "other.example.com"})),
    ("rbac-wildcard", lambda o: o[3]["rules"][0].update(verbs=["*"])),
    ("rbac-escalation", lambda o: o[3]["rules"][0].update(resources=["secrets"], verbs=["list"])),
    ("rbac-escalation", lambda o: o[3]["rules"][0].update(resources=["roles"], verbs=["bind"])),
    ("rbac-cluster-scope", lambda o: o[3].update(kind="ClusterRole")),
    ("sa-token-mount", _set(_pod, "automountServiceAccountToken", True)),
    ("sa-token-mount", lambda o: o.pop(4)),
    ("disruption-budget", lambda o: o[1]["spec"].update(replicas=3)),
    ("disruption-budget", lambda o: o.append(autoscaler(min_replicas=2))),
]


def autoscaler(min_replicas: int) -> Obj:
    """An HPA scaling the Deployment from ``min_replicas``."""
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "scorer"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "scorer"},
                     "minReplicas": min_replicas, "maxReplicas": 10}}


def budget(labels: dict[str, str]) -> Obj:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "scorer"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels}}}


def _replicated(objects: list[Obj]) -> list[Obj]:
    objects[1]["spec"]["template"]["metadata"] = {"labels": {"app.kubernetes.io/name": "scorer", "tier": "api"}}
    objects.append(autoscaler(min_replicas=3))
    return objects


def test_a_budget_selecting_the_pods_satisfies_disruption_budget() -> None:
    objects = _replicated(secure_set())
    assert "disruption-budget" in fire(objects)
    assert fire([*objects, budget({"app.kubernetes.io/name": "scorer"})]) == {}
    wrong = fire([*objects, budget({"app.kubernetes.io/name": "features"})])
    assert wrong == {"disruption-budget": ["Deployment/scorer: runs 3 replicas but no PodDisruptionBudget selects its "
                                           "pods; a node drain may evict them all at once"]}
    assert fire(_replicated(secure_set())[:-1]) == {}  # one replica (no autoscaler): no budget needed
    elsewhere = budget({"app.kubernetes.io/name": "scorer"})
    elsewhere["metadata"]["namespace"] = "another-team"
    assert "disruption-budget" in fire([*objects, elsewhere])  # a budget selects pods of its own namespace only


def fire(objects: list[Obj]) -> dict[str, list[str]]:
    """Messages of every object control over ``objects``, by control ID."""
    out: dict[str, list[str]] = {}
    for control in CATALOG:
        if control.check is None:
            continue
        if control.scope == "object":
            hits = [h for obj in objects for h in control.check(obj)]
        elif control.scope == "objects":
            hits = list(control.check(objects))
        else:
            continue
        if hits:
            out[control.id] = [h.message for h in hits]
    return out


def test_secure_objects_fire_nothing() -> None:
    assert fire(secure_set()) == {}


@pytest.mark.parametrize(("control", "change"), CHANGES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(CHANGES)])
def test_object_control_fires_on_one_change(control: str, change: Callable[[list[Obj]], None]) -> None:
    objects = secure_set()
    change(objects)
    fired = fire(objects)
    assert control in fired, fired
    assert set(fired) == {control} or control in {"rbac-escalation", "pod-run-as-non-root"}


def test_messages_name_the_object() -> None:
    objects = secure_set()
    _security("privileged", True)(objects)
    assert fire(objects)["pod-privileged"] == ["Deployment/scorer: container scorer is privileged"]


def test_every_object_control_has_a_firing_case() -> None:
    wanted = {c.id for c in CATALOG if c.scope in ("object", "objects")}
    assert wanted - {c for c, _ in CHANGES} == set()
    assert all(BY_ID[c].scope in ("object", "objects") for c, _ in CHANGES)


def test_a_metrics_port_alone_needs_no_readiness_probe() -> None:
    """A worker scraped on its metrics port serves no traffic a readiness probe would gate."""
    objects = secure_set()
    container = _container(objects)
    container.pop("readinessProbe")
    container["ports"] = [{"name": "metrics", "containerPort": 9464}]
    assert fire(objects) == {}
    container["ports"].append({"name": "admin", "containerPort": 8081})
    assert list(fire(objects)) == ["pod-probes"]
