"""Network segmentation derived from the dependency graph.

A namespace-wide default deny for ingress and egress, DNS egress to kube-dns, and per module one
NetworkPolicy that opens exactly: ingress from each consumer on the consumed interface's port,
ingress from the ingress controller on ``public`` interfaces, ingress from the Prometheus pods of
the monitoring namespace on the metrics port of a module that exposes metrics
(``render.common.scrape``), egress to each provider on the interface's port, egress to each
external's port (to its ``cidrs`` when it gives them; else the rule is port-scoped and an
annotation says so), and, for a module that declares ``access``, egress to the Kubernetes API's
ports (port-scoped, annotated). Nothing else. Called by ``render_objects``.
"""

from __future__ import annotations

from buttress.model.resolve import ResolvedModule
from buttress.render.common.scrape import METRICS_PORT, exposes_metrics, monitoring_peer
from buttress.render.kubernetes.labels import PREFIX, Context, Obj
from buttress.render.kubernetes.pod import interfaces

API_SERVER_PORTS = (443, 6443)
"""The Kubernetes API as pods reach it: the ``kubernetes`` Service's port, and the API server's own
port that most network plugins see after the Service address is translated."""
INGRESS_NAMESPACE = "ingress-nginx"
INGRESS_POD_LABELS = {"app.kubernetes.io/name": "ingress-nginx"}
PORT_SCOPED_ANNOTATION = f"{PREFIX}/egress-port-scoped"
_API = "networking.k8s.io/v1"


def _tcp(port: int) -> list[Obj]:
    return [{"protocol": "TCP", "port": port}]


def namespace_policies(ctx: Context) -> list[Obj]:
    """Default deny (ingress and egress) for every pod, and DNS egress to kube-dns."""
    deny = {"apiVersion": _API, "kind": "NetworkPolicy", "metadata": ctx.namespace_meta("default-deny"),
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    dns = {"apiVersion": _API, "kind": "NetworkPolicy", "metadata": ctx.namespace_meta("allow-dns"),
           "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{
               "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                       "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
               "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}}
    return [deny, dns]


def _ingress_rules(ctx: Context, module: ResolvedModule) -> list[Obj]:
    rules: list[Obj] = []
    for name, iface in interfaces(module):
        consumers = sorted({e.consumer for e in ctx.incoming(module.name) if e.interface == name})
        if consumers:
            rules.append({"from": [{"podSelector": {"matchLabels": ctx.selector(c)}} for c in consumers],
                          "ports": _tcp(iface.port)})
        if iface.exposure == "public":
            rules.append({"from": [{
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": INGRESS_NAMESPACE}},
                "podSelector": {"matchLabels": dict(INGRESS_POD_LABELS)}}], "ports": _tcp(iface.port)})
    if exposes_metrics(module):
        rules.append({"from": [monitoring_peer()], "ports": _tcp(METRICS_PORT)})
    return rules


def _egress_rules(ctx: Context, module: ResolvedModule) -> tuple[list[Obj], list[str]]:
    rules: list[Obj] = []
    port_scoped: list[str] = []
    externals = ctx.bp.spec.externals
    targets = sorted({(e.target, e.interface or "") for e in ctx.outgoing(module.name)})
    for target, iface_name in targets:
        if iface_name:
            port = (ctx.env.modules[target].spec.provides or {})[iface_name].port
            rules.append({"to": [{"podSelector": {"matchLabels": ctx.selector(target)}}], "ports": _tcp(port)})
            continue
        external = externals[target]
        endpoint = external.endpoint
        rule: Obj = {"ports": _tcp(endpoint.port)}
        if external.cidrs:
            rule = {"to": [{"ipBlock": {"cidr": cidr}} for cidr in sorted(external.cidrs)], **rule}
        else:
            port_scoped.append(f"{target} ({endpoint.host}:{endpoint.port})")
        rules.append(rule)
    if module.spec.access:
        rules.append({"ports": [p for port in API_SERVER_PORTS for p in _tcp(port)]})
    return rules, port_scoped


def module_policy(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """The module's own NetworkPolicy, or nothing when the graph gives it no traffic at all."""
    ingress = _ingress_rules(ctx, module)
    egress, port_scoped = _egress_rules(ctx, module)
    if not ingress and not egress:
        return []
    notes = []
    if port_scoped:
        notes.append("egress to " + ", ".join(port_scoped) + " is scoped by port only (any address), because "
                     "the external declares no cidrs; add cidrs to the external to restrict it to its address "
                     "ranges")
    if module.spec.access:
        notes.append("egress to the Kubernetes API (the module declares access) is scoped by port only ("
                     + ", ".join(map(str, API_SERVER_PORTS)) + "): the API server's address is the cluster's")
    annotations = {PORT_SCOPED_ANNOTATION: "; ".join(notes)} if notes else {}
    spec: Obj = {"podSelector": {"matchLabels": ctx.selector(module.name)},
                 "policyTypes": [t for t, rules in (("Ingress", ingress), ("Egress", egress)) if rules]}
    if ingress:
        spec["ingress"] = ingress
    if egress:
        spec["egress"] = egress
    return [{"apiVersion": _API, "kind": "NetworkPolicy",
             "metadata": ctx.module_meta(module, module.name, annotations=annotations), "spec": spec}]
