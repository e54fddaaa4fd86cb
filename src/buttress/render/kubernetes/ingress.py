"""Exposure: one Ingress with TLS per ``public`` interface, annotated with its declared ``auth``.

The host comes from the interface's ``host:``; without one it is derived as
``<interface>.<module>.<namespace>.internal`` and an annotation says so. The TLS secret is
``<module>-<interface>-tls`` (issued by cert-manager through the named cluster issuer).
Called by ``render_objects``.
"""

from __future__ import annotations

from buttress.model.resolve import ResolvedModule
from buttress.render.kubernetes.labels import PREFIX, Context, Obj
from buttress.render.kubernetes.pod import interfaces, port_name

INGRESS_CLASS = "nginx"
CLUSTER_ISSUER = "default"
_BACKEND_PROTOCOL = {"http": "HTTP", "grpc": "GRPC", "tcp": "HTTP"}


def ingresses(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """An Ingress for each public interface of ``module``."""
    out: list[Obj] = []
    for name, iface in interfaces(module):
        if iface.exposure != "public":
            continue
        object_name = f"{module.name}-{name}"
        host = iface.host or f"{name}.{module.name}.{ctx.namespace}.internal"
        annotations = {
            f"{PREFIX}/auth": iface.auth or "none",
            f"{PREFIX}/interface": name,
            "cert-manager.io/cluster-issuer": CLUSTER_ISSUER,
            "nginx.ingress.kubernetes.io/ssl-redirect": "true",
            "nginx.ingress.kubernetes.io/force-ssl-redirect": "true",
            "nginx.ingress.kubernetes.io/backend-protocol": _BACKEND_PROTOCOL[iface.protocol],
        }
        if iface.auth == "mtls":
            annotations["nginx.ingress.kubernetes.io/auth-tls-verify-client"] = "on"
            annotations["nginx.ingress.kubernetes.io/auth-tls-secret"] = f"{ctx.namespace}/{object_name}-client-ca"
        if iface.host is None:
            annotations[f"{PREFIX}/host-derived"] = "set host: on the interface to choose the public name"
        out.append({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "Ingress",
            "metadata": ctx.module_meta(module, object_name, annotations=annotations),
            "spec": {
                "ingressClassName": INGRESS_CLASS,
                "tls": [{"hosts": [host], "secretName": f"{object_name}-tls"}],
                "rules": [{"host": host, "http": {"paths": [{
                    "path": "/", "pathType": "Prefix",
                    "backend": {"service": {"name": module.name, "port": {"name": port_name(name, iface)}}},
                }]}}],
            },
        })
    return out
