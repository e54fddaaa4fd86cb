"""Progressive delivery: ``canary`` and ``blue-green`` modules run as an Argo Rollouts ``Rollout``
(steps and pauses from the blueprint) gated by an ``AnalysisTemplate`` whose success conditions
are the module's SLO: the error ratio within the availability budget, the latency quantile within
its objective. A measurement without data (no series, or NaN) is inconclusive, never a success
(see ``conditions``). The template reads the pods behind the Service its ``service`` argument
names: by default the module's own, where a canary's pods take their share of the traffic; a
blue-green pre-promotion analysis passes the preview Service, which Argo Rollouts points at the
new ReplicaSet only (``rollouts-pod-template-hash``), so it judges the version about to be
promoted, not the active one it would replace — with no test traffic on the preview, that is no
data, and the rollout pauses for a person. ``rolling`` modules keep their Deployment (see
``workloads``). Called by ``workloads`` and ``monitors`` (which scrapes the preview Service too).
"""

from __future__ import annotations

from collections.abc import Callable

from buttress.model.resolve import ResolvedModule
from buttress.render.common.requests import failed, requests_metric
from buttress.render.kubernetes.labels import PREFIX, Context, Obj
from buttress.render.kubernetes.platform import PROMETHEUS_URL, latency_quantile, request_rate
from buttress.render.kubernetes.sizing import replicas

ServiceFn = Callable[..., Obj]
DEFAULT_PAUSE = "5m"
ANALYSIS_INTERVAL = "1m"
FAILURE_LIMIT = 1
"""Measurements above the objective tolerated before the analysis fails (one noisy minute)."""
INCONCLUSIVE_LIMIT = 0
"""Measurements without data tolerated before the analysis is inconclusive and the rollout pauses."""
PRE_PROMOTION_MEASUREMENTS = 5
"""Measurements (one per ``ANALYSIS_INTERVAL``) a blue-green pre-promotion analysis takes."""
PREVIEW_SUFFIX = "-preview"
SERVICE_ARG = "service"
"""The AnalysisTemplate argument naming the Service whose pods the measurements read."""
_API = "argoproj.io/v1alpha1"
_SERVICE = "{{args." + SERVICE_ARG + "}}"
"""Where a query names the Service: Argo Rollouts substitutes the argument's value."""


def progressive(module: ResolvedModule) -> bool:
    """Whether ``module`` is released by canary or blue-green (long-running, stateless)."""
    rollout = module.spec.rollout
    return bool(module.long_running and module.spec.state is None and rollout
                and rollout.strategy in ("canary", "blue-green"))


def preview_service(module: ResolvedModule) -> str | None:
    """The name of a blue-green module's preview Service; None for other strategies."""
    rollout = module.spec.rollout
    if progressive(module) and rollout is not None and rollout.strategy == "blue-green":
        return module.name + PREVIEW_SUFFIX
    return None


def _fmt(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


def conditions(threshold: str) -> Obj:
    """``successCondition`` and ``failureCondition`` of a measurement that must stay at most
    ``threshold``. Both require a number: with no series (an empty result) or NaN (no traffic in
    the rate window) neither holds, so Argo Rollouts counts the measurement inconclusive — never
    a success — and, at more than ``inconclusiveLimit`` of them, pauses the rollout for a person
    to decide. A number above the threshold is a failure; more than ``failureLimit`` of them abort."""
    measured = "len(result) > 0 && !isNaN(result[0])"
    return {"successCondition": f"{measured} && result[0] <= {threshold}",
            "failureCondition": f"{measured} && result[0] > {threshold}"}


def _metric(name: str, query: str, threshold: str, count: int | None) -> Obj:
    metric: Obj = {"name": name, "interval": ANALYSIS_INTERVAL}
    if count is not None:
        metric["count"] = count
    return {**metric, "failureLimit": FAILURE_LIMIT, "inconclusiveLimit": INCONCLUSIVE_LIMIT, **conditions(threshold),
            "provider": {"prometheus": {"address": PROMETHEUS_URL, "query": query}}}


def analysis_metrics(ctx: Context, module: ResolvedModule) -> list[Obj]:
    """One Prometheus metric per SLO objective; empty when the module declares no SLO.

    A canary's analysis runs in the background until the rollout completes (no ``count``); a
    blue-green pre-promotion analysis must complete before the switch, so it takes
    ``PRE_PROMOTION_MEASUREMENTS`` measurements.
    """
    slo = module.spec.slo
    metrics: list[Obj] = []
    if slo is None:
        return metrics
    strategy = module.spec.rollout.strategy if module.spec.rollout else None
    count = PRE_PROMOTION_MEASUREMENTS if strategy == "blue-green" else None
    if slo.availability is not None:
        budget = _fmt(1 - slo.availability.ratio)
        # No failed series at all means no errors (0), not no data; no requests at all stays empty.
        matchers = "".join(f',{label}=~"{codes}"' for label, codes in failed(requests_metric(module)).items())
        errors = "(" + request_rate(ctx.namespace, module, matchers, _SERVICE) + " or vector(0))"
        total = request_rate(ctx.namespace, module, service=_SERVICE)
        metrics.append(_metric("error-ratio", f"{errors} / {total}", budget, count))
    latency = slo.latency
    for name, quantile, objective in (("p95", 0.95, latency.p95 if latency else None),
                                      ("p99", 0.99, latency.p99 if latency else None)):
        if objective is None:
            continue
        metrics.append(_metric(f"latency-{name}", latency_quantile(ctx.namespace, module, quantile, _SERVICE),
                               _fmt(objective.seconds), count))
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
    if analysis:  # measure the preview (the new ReplicaSet), not the active Service's old one
        green["prePromotionAnalysis"] = {"templates": [{"templateName": module.name}],
                                         "args": [{"name": SERVICE_ARG, "value": module.name + PREVIEW_SUFFIX}]}
    return {"blueGreen": green}


def rollout(ctx: Context, module: ResolvedModule, template: Obj, service: ServiceFn, with_service: bool) -> list[Obj]:
    """The Rollout, its Service(s) (``with_service``: the one named after the module) and, when the
    module has an SLO, its AnalysisTemplate."""
    metrics = analysis_metrics(ctx, module)
    strategy = module.spec.rollout.strategy if module.spec.rollout else None
    assert strategy != "blue-green" or module.spec.provides, "model.resolve refuses blue-green without interfaces"
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
    if with_service:
        objects.append(service(ctx, module))
    if strategy == "blue-green":
        objects.append(service(ctx, module, module.name + PREVIEW_SUFFIX))
    if metrics:
        args = [{"name": SERVICE_ARG, "value": module.name}]  # the default: the module's own Service
        objects.append({"apiVersion": _API, "kind": "AnalysisTemplate",
                        "metadata": ctx.module_meta(module, module.name), "spec": {"args": args, "metrics": metrics}})
    return objects
