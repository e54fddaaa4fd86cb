"""Network and API-access controls over rendered objects: NetworkPolicies, Services, Ingress, RBAC, tokens."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from buttress.policy.catalog.architecture import ESCALATING_VERBS, SENSITIVE_RESOURCES, has_wildcard
from buttress.policy.catalog.base import Control, Hit, Mappings
from buttress.policy.catalog.kube import module_of, pod_spec, ref

Obj = dict[str, Any]
_READ_VERBS = frozenset({"get", "list", "watch", "*"})
_ROLES = frozenset({"Role", "ClusterRole"})


def _hit(obj: Obj, message: str) -> Hit:
    return Hit(f"{ref(obj)}: {message}", object=ref(obj))


def _selects_all(selector: Any) -> bool:
    """Whether a label selector selects every pod: empty, or with empty ``matchLabels`` and ``matchExpressions``."""
    return not selector or (isinstance(selector, dict) and not any(selector.values()))


def default_deny(objects: list[Obj]) -> Iterator[Hit]:
    """The namespace has a NetworkPolicy selecting every pod that denies ingress and egress by default."""
    if not any(pod_spec(o) is not None for o in objects):
        return
    denied: set[str] = set()
    for obj in objects:
        spec = obj.get("spec") or {}
        if obj.get("kind") == "NetworkPolicy" and _selects_all(spec.get("podSelector")):
            types = set(spec.get("policyTypes") or ["Ingress"])
            denied |= {t for t in types if not spec.get(t.lower())}
    missing = sorted({"Ingress", "Egress"} - denied)
    if missing:
        yield Hit(f"no default-deny NetworkPolicy for {' and '.join(missing)}: pods accept and open any "
                  "connection not explicitly listed")


def service_type(obj: Obj) -> Iterator[Hit]:
    """Services are ClusterIP: no NodePort or LoadBalancer."""
    kind = (obj.get("spec") or {}).get("type")
    if obj.get("kind") == "Service" and kind in ("NodePort", "LoadBalancer"):
        yield _hit(obj, f"Service of type {kind} exposes the module outside the cluster without TLS or auth")


def ingress_tls(obj: Obj) -> Iterator[Hit]:
    """Every Ingress host is covered by TLS."""
    if obj.get("kind") != "Ingress":
        return
    spec = obj.get("spec") or {}
    covered = {h for entry in spec.get("tls") or [] for h in entry.get("hosts") or []}
    hosts = [r.get("host") for r in spec.get("rules") or []]
    if not spec.get("tls"):
        yield _hit(obj, "Ingress has no tls section")
    else:
        for host in hosts:
            if host and not _tls_covers(covered, str(host)):
                yield _hit(obj, f"Ingress host {host} is not covered by tls")


def _tls_covers(covered: set[Any], host: str) -> bool:
    """Whether a TLS host list covers ``host``: by name, or by a wildcard for its first label (``*.example.com``
    covers ``api.example.com``, not ``a.b.example.com``)."""
    return host in covered or ("." in host and f"*.{host.split('.', 1)[1]}" in covered)


def rbac_wildcard(obj: Obj) -> Iterator[Hit]:
    """Roles use no wildcard in verbs, resources or apiGroups."""
    if obj.get("kind") not in ("Role", "ClusterRole"):
        return
    for i, rule in enumerate(obj.get("rules") or []):
        fields = [f for f in ("verbs", "resources", "apiGroups") if has_wildcard([str(v) for v in rule.get(f) or []])]
        if fields:
            yield _hit(obj, f"rule {i} has a wildcard in {', '.join(fields)}")


def rbac_escalation(obj: Obj) -> Iterator[Hit]:
    """Roles grant no escalate/bind/impersonate, no secrets reads, no pods/exec, no RBAC edits."""
    if obj.get("kind") not in ("Role", "ClusterRole"):
        return
    for i, rule in enumerate(obj.get("rules") or []):
        verbs = set(rule.get("verbs") or [])
        resources = set(rule.get("resources") or [])
        bad = sorted(ESCALATING_VERBS & verbs)
        if bad:
            yield _hit(obj, f"rule {i} grants {', '.join(bad)}")
        touched = sorted(SENSITIVE_RESOURCES & resources)
        if touched and (verbs - _READ_VERBS or "secrets" in touched):
            yield _hit(obj, f"rule {i} grants {', '.join(sorted(verbs))} on {', '.join(touched)}")


def cluster_scope(obj: Obj) -> Iterator[Hit]:
    """A module's permissions stay inside its namespace: no ClusterRole or ClusterRoleBinding."""
    if obj.get("kind") in ("ClusterRole", "ClusterRoleBinding"):
        yield _hit(obj, "cluster-wide RBAC object rendered for a module")


def _bound_accounts(objects: list[Obj]) -> set[str]:
    return {s.get("name") for o in objects if o.get("kind") in ("RoleBinding", "ClusterRoleBinding")
            for s in o.get("subjects") or [] if s.get("kind") == "ServiceAccount"}


def sa_token(objects: list[Obj]) -> Iterator[Hit]:
    """Pods mount a service-account token only when that account is bound to a role."""
    bound = _bound_accounts(objects)
    unmounted = {(o.get("metadata") or {}).get("name") for o in objects
                 if o.get("kind") == "ServiceAccount" and o.get("automountServiceAccountToken") is False}
    for obj in objects:
        pod = pod_spec(obj)
        if pod is None:
            continue
        account = pod.get("serviceAccountName") or "default"
        mounted = pod.get("automountServiceAccountToken")  # the pod's setting, else its account's
        if mounted is False or (mounted is None and account in unmounted):
            continue
        if account == "default" or account not in bound:
            yield Hit(f"{ref(obj)}: mounts a token for service account {account}, which needs no API access",
                      module=module_of(obj), object=ref(obj))


CONTROLS = (
    Control(
        id="networkpolicy-default-deny", title="Each namespace denies traffic by default", severity="error",
        scope="objects", check=default_deny,
        explanation="Without a default-deny NetworkPolicy every pod accepts connections from, and opens "
                    "connections to, anything; the allow rules derived from the graph then restrict nothing.",
        fix="Render the environment with buttress (it emits default-deny for ingress and egress); restore it if "
            "it was removed by hand.",
        mappings=Mappings(cis=("5.3.2",), nist=("SC-7", "SC-7(5)", "AC-4"), soc2=("CC6.6",),
                          iso27001=("8.20", "8.22"))),
    Control(
        id="service-type", title="No NodePort or LoadBalancer Services", severity="error", scope="object",
        check=service_type, kinds=frozenset({"Service"}),
        explanation="NodePort and LoadBalancer Services expose pods outside the cluster, bypassing the Ingress, "
                    "its TLS and authentication.",
        fix="Use a ClusterIP Service and expose: public on the interface (an Ingress with TLS).",
        mappings=Mappings(nist=("SC-7", "CM-7"), soc2=("CC6.6",), iso27001=("8.20", "8.21"))),
    Control(
        id="ingress-tls", title="Every Ingress host uses TLS", severity="error", scope="object", check=ingress_tls,
        kinds=frozenset({"Ingress"}),
        explanation="An Ingress without TLS serves traffic, including tokens, in clear text over the internet.",
        fix="Add spec.tls with every host and a certificate secret (buttress renders it for public interfaces).",
        mappings=Mappings(nist=("SC-8", "SC-8(1)", "SC-23"), soc2=("CC6.7",), iso27001=("8.24", "8.21"))),
    Control(
        id="rbac-wildcard", title="Roles use no wildcards", severity="error", scope="object", check=rbac_wildcard,
        kinds=_ROLES,
        explanation="A wildcard grants every current and future resource or verb.",
        fix="List exact resources and verbs in the module's access: rules.",
        mappings=Mappings(cis=("5.1.3",), nist=("AC-6", "AC-6(10)"), soc2=("CC6.3",), iso27001=("8.2",))),
    Control(
        id="rbac-escalation", title="Roles cannot escalate privileges", severity="error", scope="object",
        check=rbac_escalation, kinds=_ROLES,
        explanation="escalate, bind and impersonate, reading secrets, pods/exec and editing RBAC objects let a "
                    "workload gain permissions it was not given.",
        fix="Remove the rule; mount secrets through secrets: references instead of API reads.",
        mappings=Mappings(cis=("5.1.2", "5.1.4", "5.1.8"), nist=("AC-6", "AC-6(10)", "AC-3"), soc2=("CC6.3",),
                          iso27001=("8.2", "5.18"))),
    Control(
        id="rbac-cluster-scope", title="Module permissions are namespaced", severity="error", scope="object",
        check=cluster_scope, kinds=frozenset({"ClusterRole", "ClusterRoleBinding"}),
        explanation="A ClusterRole binding reaches every namespace; module access is namespaced by design.",
        fix="Use a Role and RoleBinding in the environment's namespace.",
        mappings=Mappings(cis=("5.1.1",), nist=("AC-6", "AC-6(3)"), soc2=("CC6.3",), iso27001=("8.2", "8.3"))),
    Control(
        id="sa-token-mount", title="Service-account tokens are mounted only where needed", severity="error",
        scope="objects", check=sa_token,
        explanation="A mounted token lets anyone inside the pod call the Kubernetes API as its service account.",
        fix="Set automountServiceAccountToken: false unless the module declares access: rules.",
        mappings=Mappings(cis=("5.1.5", "5.1.6"), nist=("AC-6", "IA-5"), soc2=("CC6.1",), iso27001=("8.2", "5.17"))),
)
