"""Workloads by kind: ``service`` -> Deployment + Service, ``worker`` -> Deployment, ``job`` ->
Job, ``cronjob`` -> CronJob; a module with ``state`` -> StatefulSet with a volume claim template and
a headless Service. Canary and blue-green modules get an Argo Rollout instead of the Deployment
(see ``rollouts``). Called by ``render_objects``.
"""

from __future__ import annotations

from buttress.errors import BlueprintError
from buttress.model.resolve import ResolvedModule
from buttress.render.kubernetes.labels import Context, Obj
from buttress.render.kubernetes.pod import DATA_VOLUME, interfaces, pod_template, port_name
from buttress.render.kubernetes.rollouts import progressive, rollout
from buttress.render.kubernetes.sizing import replicas

JOB_DEADLINE_SECONDS = 4 * 3600
JOB_TTL_SECONDS = 24 * 3600
JOB_BACKOFF_LIMIT = 3
CRON_STARTING_DEADLINE_SECONDS = 300
HEADLESS_SUFFIX = "-headless"


def _service_ports(module: ResolvedModule) -> list[Obj]:
    return [{"name": port_name(n, i), "port": i.port, "targetPort": port_name(n, i), "protocol": "TCP",
             "appProtocol": i.protocol} for n, i in interfaces(module)]


def service(ctx: Context, module: ResolvedModule, name: str | None = None, *, headless: bool = False) -> Obj:
    """A Service selecting the module's pods on every interface port (ClusterIP, or headless)."""
    spec: Obj = {"type": "ClusterIP", "selector": ctx.selector(module.name)}
    if headless:
        spec["clusterIP"] = "None"
    ports = _service_ports(module)
    if ports:
        spec["ports"] = ports
    return {"apiVersion": "v1", "kind": "Service", "metadata": ctx.module_meta(module, name or module.name),
            "spec": spec}


def _deployment(ctx: Context, module: ResolvedModule) -> Obj:
    low, _ = replicas(module)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": ctx.module_meta(module, module.name),
        "spec": {
            "replicas": low,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": ctx.selector(module.name)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
            if low >= 2 else {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}},
            "template": pod_template(ctx, module),
        },
    }


def _statefulset(ctx: Context, module: ResolvedModule) -> Obj:
    state = module.spec.state
    assert state is not None
    if state.volume is None:
        raise BlueprintError([module.problem(("state", "volume"), "a stateful module needs state.volume "
                                             "(the size of its volume, e.g. 20Gi)")])
    claim: Obj = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": str(state.volume)}}}
    if state.storage_class:
        claim["storageClassName"] = state.storage_class
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": ctx.module_meta(module, module.name),
        "spec": {
            "replicas": replicas(module)[0],
            "serviceName": module.name + HEADLESS_SUFFIX,
            "podManagementPolicy": "OrderedReady",
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": ctx.selector(module.name)},
            "updateStrategy": {"type": "RollingUpdate"},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "template": pod_template(ctx, module),
            "volumeClaimTemplates": [{"metadata": {"name": DATA_VOLUME, "labels": ctx.selector(module.name)},
                                      "spec": claim}],
        },
    }


def _job_spec(ctx: Context, module: ResolvedModule) -> Obj:
    return {
        "backoffLimit": JOB_BACKOFF_LIMIT,
        "activeDeadlineSeconds": JOB_DEADLINE_SECONDS,
        "ttlSecondsAfterFinished": JOB_TTL_SECONDS,
        "template": pod_template(ctx, module, restart_policy="Never"),
    }


def _job(ctx: Context, module: ResolvedModule) -> Obj:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": ctx.module_meta(module, module.name),
            "spec": _job_spec(ctx, module)}


def _cronjob(ctx: Context, module: ResolvedModule) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": ctx.module_meta(module, module.name),
        "spec": {
            "schedule": str(module.spec.schedule),
            "timeZone": "Etc/UTC",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": CRON_STARTING_DEADLINE_SECONDS,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 3,
            "jobTemplate": {"metadata": {"labels": ctx.module_labels(module)}, "spec": _job_spec(ctx, module)},
        },
    }


def workload_ref(module: ResolvedModule) -> Obj:
    """``scaleTargetRef`` of the module's long-running workload (Deployment, StatefulSet or Rollout)."""
    if module.spec.state is not None:
        return {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": module.name}
    if progressive(module):
        return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "name": module.name}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": module.name}


def workloads(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """The module's workload object and the Services in front of it."""
    if module.kind == "job":
        return [_job(ctx, module)]
    if module.kind == "cronjob":
        return [_cronjob(ctx, module)]
    if module.spec.state is not None:
        objects = [_statefulset(ctx, module), service(ctx, module, module.name + HEADLESS_SUFFIX, headless=True)]
        return objects + ([service(ctx, module)] if module.spec.provides else [])
    if progressive(module):
        return rollout(ctx, module, pod_template(ctx, module), service)
    objects = [_deployment(ctx, module)]
    return objects + ([service(ctx, module)] if module.spec.provides else [])
