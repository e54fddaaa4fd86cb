"""Backups of stateful modules: a Velero ``Schedule`` honouring the declared schedule and
retention (as the backup TTL), selecting the module's pods and volumes. Schedules live in the
Velero namespace, so their names carry the environment's namespace. Called by ``render_objects``.
"""

from __future__ import annotations

from buttress.model.resolve import ResolvedModule
from buttress.render.kubernetes.labels import PREFIX, Context, Obj

VELERO_NAMESPACE = "velero"
DEFAULT_RETENTION_SECONDS = 30 * 86400


def go_duration(seconds: float) -> str:
    """Seconds as a Go duration (``720h0m0s``), the format of Velero's ``ttl``."""
    total = round(seconds)
    return f"{total // 3600}h{total % 3600 // 60}m{total % 60}s"


def schedule(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """The module's Velero Schedule, or nothing when it declares no backup schedule."""
    state = module.spec.state
    backup = state.backup if state else None
    if backup is None or backup.schedule is None:
        return []
    retention = backup.retention.seconds if backup.retention else DEFAULT_RETENTION_SECONDS
    annotations = {f"{PREFIX}/{name}": value.text for name, value in (("rpo", backup.rpo), ("rto", backup.rto))
                   if value is not None}
    meta = ctx.module_meta(module, f"{ctx.namespace}-{module.name}", annotations=annotations)
    meta["namespace"] = VELERO_NAMESPACE
    return [{
        "apiVersion": "velero.io/v1",
        "kind": "Schedule",
        "metadata": meta,
        "spec": {
            "schedule": str(backup.schedule),
            "useOwnerReferencesInBackup": False,
            "template": {
                "includedNamespaces": [ctx.namespace],
                "labelSelector": {"matchLabels": ctx.selector(module.name)},
                "snapshotVolumes": True,
                "ttl": go_duration(retention),
            },
        },
    }]
