"""Secrets as references only: one ExternalSecret (external-secrets.io/v1) per module.

Each ``secrets:`` entry (``vault://path#key``) becomes one ``data`` item pulled from the
SecretStore named after the reference's scheme (``vault``, ``aws-sm``, ``gcp-sm``, ``k8s``); the
platform team provides those stores. The resulting Secret is ``<module>-secrets`` and the pod reads
each variable from it (see ``pod``). No secret value is ever known here, so none can be written.
Called by ``render_objects``.
"""

from __future__ import annotations

from buttress.model.resolve import ResolvedModule
from buttress.render.kubernetes.labels import Context, Obj

SECRET_SUFFIX = "-secrets"
STORE_KIND = "SecretStore"
REFRESH = "1h"


def external_secret(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """The module's ExternalSecret, or nothing when it declares no secrets."""
    refs = sorted((module.spec.secrets or {}).items())
    if not refs:
        return []
    schemes = sorted({ref.scheme for _, ref in refs})
    default = schemes[0]
    data = []
    for env_name, ref in refs:
        item: Obj = {"secretKey": env_name, "remoteRef": {"key": ref.path, "property": ref.key}}
        if ref.scheme != default:
            item["sourceRef"] = {"storeRef": {"kind": STORE_KIND, "name": ref.scheme}}
        data.append(item)
    return [{
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": ctx.module_meta(module, module.name),
        "spec": {
            "refreshInterval": REFRESH,
            "secretStoreRef": {"kind": STORE_KIND, "name": default},
            "target": {"name": module.name + SECRET_SUFFIX, "creationPolicy": "Owner", "deletionPolicy": "Retain"},
            "data": data,
        },
    }]
