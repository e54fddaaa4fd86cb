"""Progressive delivery: ``canary`` and ``blue-green`` modules run as an Argo Rollouts ``Rollout``
(steps and pauses from the blueprint) gated by an ``AnalysisTemplate`` whose success conditions
are the module's SLO: the error ratio within the availability budget, the latency quantile within
its objective. ``rolling`` modules keep their Deployment (see ``workloads``).
Called by ``workloads``.
"""

from __future__ import annotations

from collections.abc import Callable

from buttress.errors import BlueprintError
from buttress.model.resolve import ResolvedModule
from buttress.render.kubernetes.labels import PREFIX, Context, Obj
from buttress.render.kubernetes.platform import PROMETHEUS_URL, latency_quantile, request_rate
from buttress.render.kubernetes.sizing import replicas

ServiceFn = Callable[..., Obj]
DEFAULT_PAUSE = "5m"
ANALYSIS_INTERVAL = "1m"
PREVIEW_SUFFIX = "-preview"
_API = "argoproj.io/v1alpha1"


def progressive(module: ResolvedModule) -> bool:
    """Whether ``module`` is released by canary or blue-green (long-running, stateless)."""
    rollout = module.spec.rollout
    return bool(module.long_running and module.spec.state is None and rollout
                and rollout.strategy in ("canary", "blue-green"))


def _fmt(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def analysis_metrics(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """One Prometheus metric per SLO objective; empty when the module declares no SLO."""
    slo = module.spec.slo
    metrics: list[Obj] = []
    if slo is None:
        return metrics
    provider = {"prometheus": {"address": PROMETHEUS_URL}}
    if slo.availability is not None:
        budget = _fmt(1 - slo.availability.ratio)
        errors = request_rate(ctx.namespace, module, ',code=~"5.."')
        query = f"{errors} / {request_rate(ctx.namespace, module)}"
        metrics.append({"name": "error-ratio", "interval": ANALYSIS_INTERVAL, "failureLimit": 1,
                        "successCondition": f"len(result) == 0 || isNaN(result[0]) || result[0] <= {budget}",
                        "provider": {"prometheus": {**provider["prometheus"], "query": query}}})
    latency = slo.latency
    for name, quantile, objective in (("p95", 0.95, latency.p95 if latency else None),
                                      ("p99", 0.99, latency.p99 if latency else None)):
        if objective is None:
            continue
        query = latency_quantile(ctx.namespace, module, quantile)
        metrics.append({"name": f"latency-{name}", "interval": ANALYSIS_INTERVAL, "failureLimit": 1,
                        "successCondition": f"len(result) == 0 || isNaN(result[0]) || "
                                            f"result[0] <= {_fmt(objective.seconds)}",
                        "provider": {"prometheus": {**provider["prometheus"], "query": query}}})
    return metrics


def _canary(module: ResolvedModule, analysis: bool) -> Obj:
    spec = module.spec.rollout
    assert spec is not None
    pause = spec.pause.prometheus if spec.pause else DEFAULT_PAUSE
    steps: list[Obj] = []
    for weight in spec.steps or []:
        steps += [{"setWeight": weight}, {"pause": {"duration": pause}}]
    canary: Obj = {"maxSurge": 1, "maxUnavailable": 0, "steps": steps}
    if analysis:
        canary["analysis"] = {"templates": [{"templateName": module.name}], "startingStep": 1}
    return {"canary": canary}


def _blue_green(module: ResolvedModule, analysis: bool) -> Obj:
    spec = module.spec.rollout
    assert spec is not None
    green: Obj = {"activeService": module.name, "previewService": module.name + PREVIEW_SUFFIX,
                  "autoPromotionEnabled": True,
                  "autoPromotionSeconds": round(spec.pause.seconds) if spec.pause else 300,
                  "scaleDownDelaySeconds": 30}
    if analysis:
        green["prePromotionAnalysis"] = {"templates": [{"templateName": module.name}]}
    return {"blueGreen": green}


def rollout(ctx: Context, module: ResolvedModule, template: Obj, service: ServiceFn) -> list[Obj]:
    """The Rollout, its Service(s) and, when the module has an SLO, its AnalysisTemplate."""
    metrics = analysis_metrics(ctx, module)
    strategy = module.spec.rollout.strategy if module.spec.rollout else None
    if strategy == "blue-green" and not module.spec.provides:
        raise BlueprintError([module.problem(("rollout", "strategy"), "blue-green switches a Service between "
                                             "versions; a module without interfaces needs canary or rolling")])
    annotations = {} if metrics else {f"{PREFIX}/analysis": "none: the module declares no slo to gate on"}
    body = _canary(module, bool(metrics)) if strategy == "canary" else _blue_green(module, bool(metrics))
    objects: list[Obj] = [{
        "apiVersion": _API,
        "kind": "Rollout",
        "metadata": ctx.module_meta(module, module.name, annotations=annotations),
        "spec": {
            "replicas": replicas(module)[0],
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": ctx.selector(module.name)},
            "template": template,
            "strategy": body,
        },
    }]
    if module.spec.provides:
        objects.append(service(ctx, module))
    if strategy == "blue-green":
        objects.append(service(ctx, module, module.name + PREVIEW_SUFFIX))
    if metrics:
        objects.append({"apiVersion": _API, "kind": "AnalysisTemplate",
                        "metadata": ctx.module_meta(module, module.name), "spec": {"metrics": metrics}})
    return objects
