"""Identity and least privilege: one ServiceAccount per module, and a Role with a RoleBinding
holding exactly the rules the module declares in ``access`` (no Role at all otherwise).
Called by ``render_objects``.
"""

from __future__ import annotations

from buttress.model.resolve import ResolvedModule
from buttress.render.kubernetes.labels import Context, Obj


def identity(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """ServiceAccount, and Role + RoleBinding when the module declares ``access``."""
    access = module.spec.access or []
    objects: list[Obj] = [{
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": ctx.module_meta(module, module.name),
        "automountServiceAccountToken": bool(access),
    }]
    if not access:
        return objects
    rules = [{"apiGroups": list(rule.api_groups), "resources": list(rule.resources), "verbs": list(rule.verbs)}
             for rule in access]
    objects.append({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": ctx.module_meta(module, module.name), "rules": rules})
    objects.append({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": ctx.module_meta(module, module.name),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": module.name},
        "subjects": [{"kind": "ServiceAccount", "name": module.name, "namespace": ctx.namespace}],
    })
    return objects
