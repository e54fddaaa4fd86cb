"""Workloads by kind: ``service`` -> Deployment + Service, ``worker`` -> Deployment, ``job`` ->
Job (named after its content, run once per release), ``cronjob`` -> CronJob; a module with
``state`` -> StatefulSet with a volume claim template and a headless Service. A module that
exposes metrics has a Service named after it even without interfaces: Prometheus scrapes it there. Canary and
blue-green modules get an Argo Rollout instead of the Deployment (see ``rollouts``). Called by
``render_objects``.
"""

from __future__ import annotations

import hashlib
import json
import re

from buttress.model.resolve import ResolvedModule
from buttress.render.common.scrape import METRICS_PORT, METRICS_PORT_NAME, exposes_metrics
from buttress.render.kubernetes.labels import MODULE_ANNOTATION, Context, Obj
from buttress.render.kubernetes.pod import DATA_VOLUME, interfaces, pod_template, port_name
from buttress.render.kubernetes.rollouts import progressive, rollout
from buttress.render.kubernetes.sizing import replicas

JOB_DEADLINE_SECONDS = 4 * 3600
JOB_TTL_SECONDS = 24 * 3600
JOB_BACKOFF_LIMIT = 3
CRON_STARTING_DEADLINE_SECONDS = 300
HEADLESS_SUFFIX = "-headless"
MAX_NAME = 63
JOB_SYNC_HOOK = {"argocd.argoproj.io/hook": "Sync", "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation"}
"""Argo CD runs a release's Job once per sync and does not re-create it after its TTL removes it."""
_JOB_NAME = re.compile(r".+-[0-9a-f]{8}")


def _service_ports(module: ResolvedModule) -> list[Obj]:
    ports = [{"name": port_name(n, i), "port": i.port, "targetPort": port_name(n, i), "protocol": "TCP",
              "appProtocol": i.protocol} for n, i in interfaces(module)]
    if exposes_metrics(module):
        ports.append({"name": METRICS_PORT_NAME, "port": METRICS_PORT, "targetPort": METRICS_PORT_NAME,
                      "protocol": "TCP", "appProtocol": "http"})
    return ports


def has_service(module: ResolvedModule) -> bool:
    """Whether the module gets a Service named after it: it serves interfaces, or Prometheus
    scrapes its metrics through it (``render.common.scrape``)."""
    return bool(module.spec.provides) or exposes_metrics(module)


def service(ctx: Context, module: ResolvedModule, name: str | None = None, *, headless: bool = False) -> Obj:
    """A Service selecting the module's pods on every interface port and the metrics port (ClusterIP, or headless)."""
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
    assert state.volume is not None, "model.resolve requires state.volume of a stateful module"
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


def job_name(module: ResolvedModule, spec: Obj) -> str:
    """``<module>-<8 hex of the spec's digest>``: a Job's template is immutable, so each release whose
    Job differs creates a new Job (``kubectl apply`` would refuse to change the old one)."""
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    return f"{module.name[:MAX_NAME - 9].rstrip('-')}-{digest[:8]}"


def stable_name(obj: Obj) -> str:
    """The name an object keeps from one release to the next: a rendered Job's module name (its
    own name carries its content's digest), any other object's name. Used to match objects by diff."""
    name = str(obj.get("metadata", {}).get("name", ""))
    module = (obj.get("metadata", {}).get("annotations") or {}).get(MODULE_ANNOTATION)
    if obj.get("kind") == "Job" and isinstance(module, str) and _JOB_NAME.fullmatch(name) \
            and name.rpartition("-")[0] == module[:MAX_NAME - 9].rstrip("-"):
        return module
    return name


def _job(ctx: Context, module: ResolvedModule) -> Obj:
    spec = _job_spec(ctx, module)
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": ctx.module_meta(module, job_name(module, spec), annotations=dict(JOB_SYNC_HOOK)),
            "spec": spec}


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
        return objects + ([service(ctx, module)] if has_service(module) else [])
    if progressive(module):
        return rollout(ctx, module, pod_template(ctx, module), service, has_service(module))
    objects = [_deployment(ctx, module)]
    return objects + ([service(ctx, module)] if has_service(module) else [])
