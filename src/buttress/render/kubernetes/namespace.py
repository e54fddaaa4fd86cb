"""The namespace of an environment: Pod Security Standards labels, a LimitRange for containers
that escape the renderer, and a ResourceQuota sized from the modules' peak footprint.

Called by ``render_objects``; these objects are namespace-wide and carry no module annotation.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from buttress.render.kubernetes.labels import Context, Obj
from buttress.render.kubernetes.sizing import GPU_RESOURCE, bytes_text, cpu_text, peak_pods, size

PSS_LEVEL = "restricted"
PSS_VERSION = "v1.31"
"""Pinned so that a cluster upgrade cannot silently change what the namespace admits."""
QUOTA_HEADROOM = Decimal("1.2")
"""Room above the modules' peak for debugging pods and rollout overlap."""
_DEFAULT_CPU = Decimal("0.1")
_DEFAULT_MEMORY = Decimal(128 * 1024**2)


def _mi(amount: Decimal) -> str:
    """Bytes rounded up to whole MiB, as a quantity."""
    mib = Decimal(1024**2)
    return bytes_text((amount / mib).to_integral_value(rounding=ROUND_CEILING) * mib)


def namespace(ctx: Context) -> Obj:
    """The Namespace with ``enforce``, ``warn`` and ``audit`` all at ``restricted``, version pinned."""
    pss = {}
    for mode in ("enforce", "warn", "audit"):
        pss[f"pod-security.kubernetes.io/{mode}"] = PSS_LEVEL
        pss[f"pod-security.kubernetes.io/{mode}-version"] = PSS_VERSION
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": ctx.namespace_meta(ctx.namespace, namespaced=False, labels=pss)}


def limit_range(ctx: Context) -> Obj:
    """Defaults and bounds for any container created without requests (e.g. ``kubectl debug``)."""
    largest_mem = max((size(m).memory_limit or _DEFAULT_MEMORY for m in ctx.env.modules.values()),
                      default=_DEFAULT_MEMORY)
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": ctx.namespace_meta("limits"),
        "spec": {"limits": [{
            "type": "Container",
            "defaultRequest": {"cpu": cpu_text(_DEFAULT_CPU), "memory": bytes_text(_DEFAULT_MEMORY)},
            "default": {"memory": bytes_text(_DEFAULT_MEMORY)},
            "max": {"memory": bytes_text(max(largest_mem, _DEFAULT_MEMORY))},
            "min": {"cpu": "10m", "memory": "16Mi"},
        }]},
    }


def resource_quota(ctx: Context) -> Obj:
    """Quota = sum over modules of (max replicas + 1 surge) x per-replica size, plus headroom."""
    cpu = memory = limit_memory = ephemeral = storage = Decimal(0)
    gpus = pods = claims = 0
    for module in ctx.env.modules.values():
        n = peak_pods(module)
        s = size(module)
        cpu += (s.cpu or _DEFAULT_CPU) * n
        memory += (s.memory or _DEFAULT_MEMORY) * n
        limit_memory += (s.memory_limit or _DEFAULT_MEMORY) * n
        ephemeral += s.ephemeral_limit * n
        gpus += s.gpu * n
        pods += n
        state = module.spec.state
        if state is not None and state.volume is not None:
            storage += state.volume.amount * (n - 1)
            claims += n - 1
    hard = {
        "requests.cpu": cpu_text(cpu * QUOTA_HEADROOM),
        "requests.memory": _mi(memory * QUOTA_HEADROOM),
        "limits.memory": _mi(limit_memory * QUOTA_HEADROOM),
        "requests.ephemeral-storage": _mi(ephemeral * QUOTA_HEADROOM),
        "pods": str(int(pods * QUOTA_HEADROOM) + 1),
        "persistentvolumeclaims": str(claims),
        "requests.storage": bytes_text(storage),
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }
    if gpus:
        hard[f"requests.{GPU_RESOURCE}"] = str(gpus)
    return {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": ctx.namespace_meta("quota"),
            "spec": {"hard": hard}}
