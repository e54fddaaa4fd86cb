"""Scaling and disruption: ``cpu``/``memory`` targets alone -> a HorizontalPodAutoscaler
(autoscaling/v2); any of ``queueDepth``, ``p95Latency``, ``rps`` -> a KEDA ScaledObject carrying
every target as a trigger (cpu and memory included), never both on one workload. A
PodDisruptionBudget for every long-running module with at least two replicas.
Called by ``render_objects``.
"""

from __future__ import annotations

from buttress.model.resolve import ResolvedModule
from buttress.model.spec.module import Targets
from buttress.render.common.queues import AMQP_SCHEMES, backlog
from buttress.render.kubernetes.labels import Context, Obj
from buttress.render.kubernetes.platform import PROMETHEUS_URL, latency_quantile, request_rate
from buttress.render.kubernetes.sizing import replicas
from buttress.render.kubernetes.workloads import workload_ref

POLLING_SECONDS = 30
COOLDOWN_SECONDS = 300


def _targets(module: ResolvedModule) -> Targets | None:
    scaling = module.spec.scaling
    return scaling.targets if module.long_running and scaling and scaling.targets else None


def uses_keda(module: ResolvedModule) -> bool:
    """Whether the module scales on an event or latency target (KEDA) rather than resources (HPA)."""
    t = _targets(module)
    return t is not None and (t.queue_depth is not None or t.p95_latency is not None or t.rps is not None)


def _resource_metrics(t: Targets) -> list[Obj]:
    return [{"type": "Resource", "resource": {"name": name, "target": {
        "type": "Utilization", "averageUtilization": round(pct.value)}}}
        for name, pct in (("cpu", t.cpu), ("memory", t.memory)) if pct is not None]


def _hpa(ctx: Context, module: ResolvedModule, t: Targets) -> Obj:
    low, high = replicas(module)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": ctx.module_meta(module, module.name),
        "spec": {"scaleTargetRef": workload_ref(module), "minReplicas": max(1, low), "maxReplicas": max(1, high),
                 "metrics": _resource_metrics(t)},
    }


def _queue_trigger(ctx: Context, module: ResolvedModule, depth: int) -> Obj:
    queue = module.spec.queue
    assert queue is not None, "model.graph refuses queueDepth scaling without a queue"
    endpoint = ctx.bp.spec.externals[queue.from_].endpoint
    if endpoint.scheme == "kafka":
        return {"type": "kafka", "metadata": {
            "bootstrapServers": f"{endpoint.host}:{endpoint.port}",
            "consumerGroup": queue.consumer_group or module.name,
            "topic": queue.topic,
            "lagThreshold": str(depth),
        }}
    measured = backlog(ctx.bp, module)
    if endpoint.scheme in AMQP_SCHEMES and measured is not None:
        return {"type": "prometheus", "metricType": "AverageValue", "metadata": {
            "serverAddress": PROMETHEUS_URL,
            "query": measured.query,
            "threshold": str(depth),
        }}
    raise AssertionError(f"model.graph refuses queueDepth scaling on a {endpoint.scheme}:// queue")


def _triggers(ctx: Context, module: ResolvedModule, t: Targets) -> list[Obj]:
    triggers: list[Obj] = [{"type": name, "metricType": "Utilization", "metadata": {"value": str(round(pct.value))}}
                           for name, pct in (("cpu", t.cpu), ("memory", t.memory)) if pct is not None]
    if t.queue_depth is not None:
        triggers.append(_queue_trigger(ctx, module, t.queue_depth))
    if t.p95_latency is not None:
        triggers.append({"type": "prometheus", "metricType": "Value", "metadata": {
            "serverAddress": PROMETHEUS_URL, "query": latency_quantile(ctx.namespace, module, 0.95),
            "threshold": f"{t.p95_latency.seconds:g}"}})
    if t.rps is not None:
        triggers.append({"type": "prometheus", "metricType": "AverageValue", "metadata": {
            "serverAddress": PROMETHEUS_URL, "query": request_rate(ctx.namespace, module),
            "threshold": f"{t.rps:g}"}})
    return triggers


def _scaled_object(ctx: Context, module: ResolvedModule, t: Targets) -> Obj:
    low, high = replicas(module)
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": ctx.module_meta(module, module.name),
        "spec": {"scaleTargetRef": workload_ref(module), "minReplicaCount": low, "maxReplicaCount": max(1, high),
                 "pollingInterval": POLLING_SECONDS, "cooldownPeriod": COOLDOWN_SECONDS,
                 "triggers": _triggers(ctx, module, t)},
    }


def autoscaler(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """The module's HPA or ScaledObject (exactly one, or none without targets)."""
    t = _targets(module)
    if t is None:
        return []
    if uses_keda(module):
        return [_scaled_object(ctx, module, t)]
    if t.cpu is None and t.memory is None:
        return []
    return [_hpa(ctx, module, t)]


def disruption_budget(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """A PodDisruptionBudget (one pod at a time) for long-running modules with two or more replicas."""
    if not module.long_running or replicas(module)[0] < 2:
        return []
    return [{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
             "metadata": ctx.module_meta(module, module.name),
             "spec": {"maxUnavailable": 1, "selector": {"matchLabels": ctx.selector(module.name)}}}]
