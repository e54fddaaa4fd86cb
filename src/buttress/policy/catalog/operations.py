"""Operational controls over resolved modules: ownership, SLOs, replicas, autoscaling, resources, capacity."""

from __future__ import annotations

from collections.abc import Iterator

from buttress.model.resolve import ResolvedModule
from buttress.policy.catalog.base import STRICT, Control, EnvContext, Hit, Mappings


def owner_defined(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """The module resolves an owner and an on-call rotation (its own or the blueprint's)."""
    spec = ctx.blueprint.spec
    if not (m.spec.owner or spec.owner):
        yield Hit(f"module {m.name} has no owner", ("owner",))
    if not (m.spec.oncall or spec.oncall):
        yield Hit(f"module {m.name} has no on-call rotation: set oncall here or at the top level", ("oncall",))


def slo_defined(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """Services and workers declare an availability or latency objective."""
    slo = m.spec.slo
    latency = slo.latency if slo else None
    if m.long_running and (slo is None or (slo.availability is None and (latency is None or (
            latency.p95 is None and latency.p99 is None)))):
        yield Hit(f"{m.kind} {m.name} declares no SLO (availability or latency)", ("slo",) if slo else ())


def replicas_ha(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """Long-running modules run at least 2 replicas where releases need approvals."""
    if not (ctx.approved and m.long_running):
        return
    replicas = m.spec.scaling.replicas if m.spec.scaling else None
    low = replicas.min if replicas and replicas.min is not None else 1
    if low < 2:
        yield Hit(f"{m.kind} {m.name} runs {low} replica(s) at minimum in {ctx.environment.name}, which requires "
                  "approvals; at least 2 are needed to survive a node loss", ("scaling", "replicas", "min"))


def autoscaling_bounds(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """Long-running modules set ``scaling.replicas.max``, and ``max >= min``."""
    if not m.long_running:
        return
    replicas = m.spec.scaling.replicas if m.spec.scaling else None
    if replicas is None or replicas.max is None:
        yield Hit(f"{m.kind} {m.name} sets no scaling.replicas.max, so its growth is unbounded or undefined",
                  ("scaling",))
    elif replicas.min is not None and replicas.max < replicas.min:
        yield Hit(f"scaling.replicas.max ({replicas.max}) is below min ({replicas.min})",
                  ("scaling", "replicas", "max"))


def autoscaling_targets(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """A module allowed to scale (max > min) says on what it scales."""
    scaling = m.spec.scaling
    replicas = scaling.replicas if scaling else None
    if (m.long_running and replicas and replicas.min is not None and replicas.max is not None
            and replicas.max > replicas.min and not (scaling and scaling.targets)):
        yield Hit(f"{m.name} may scale from {replicas.min} to {replicas.max} replicas but declares no "
                  "scaling.targets", ("scaling",))


def resources_defined(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """CPU and memory requests are set."""
    res = m.spec.resources
    missing = [k for k in ("cpu", "memory") if res is None or getattr(res, k) is None]
    if missing:
        yield Hit(f"module {m.name} requests no {' and no '.join(missing)}", ("resources",) if res else ())


def resources_limits(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """Explicit limits are not below the requests."""
    res = m.spec.resources
    if res is None or res.limits is None:
        return
    for key in ("cpu", "memory"):
        request, limit = getattr(res, key), getattr(res.limits, key)
        if request is not None and limit is not None and limit.amount < request.amount:
            yield Hit(f"resources.limits.{key} ({limit}) is below the request ({request})",
                      ("resources", "limits", key))


def queue_consumer_group(ctx: EnvContext, m: ResolvedModule) -> Iterator[Hit]:
    """A worker reading a queue names its consumer group, so replicas share the work."""
    if m.spec.queue is not None and not m.spec.queue.consumer_group:
        yield Hit(f"{m.name} reads topic {m.spec.queue.topic} without a consumerGroup", ("queue",))


CONTROLS = (
    Control(
        id="owner-defined", title="Every module has an owner and an on-call rotation", severity="error",
        scope="module", check=owner_defined,
        explanation="Incidents, findings and approvals need a team that answers for the module, and a rotation "
                    "that is paged when it breaks.",
        fix="Set owner and oncall at the top level (the default for every module) or on the module.",
        mappings=Mappings(nist=("PM-2", "IR-7", "CM-9"), soc2=("CC1.3", "CC2.1"), iso27001=("5.2", "5.9"))),
    Control(
        id="slo-defined", title="Services and workers declare an SLO", severity="error", scope="module",
        check=slo_defined,
        explanation="Without an objective there are no SLO alerts, no error budget and no basis for capacity "
                    "planning or rollout analysis.",
        fix="Add slo: {availability: 99.9%, latency: {p95: 200ms}} to the module (or its pattern).",
        mappings=Mappings(nist=("CP-2", "SI-4", "SA-9(2)"), soc2=("A1.1", "CC7.2"), iso27001=("8.16", "5.30"))),
    Control(
        id="replicas-ha", title="At least 2 replicas where approvals are required", severity="error",
        scope="module", check=replicas_ha,
        explanation="An environment whose promotion needs approvals serves real users; a single replica is down "
                    "during every node drain, eviction and rollout.",
        fix="Set scaling.replicas.min to 2 or more (in the module or the environment's overrides).",
        mappings=Mappings(nist=("CP-2", "SC-6", "CP-11"), soc2=("A1.2", "CC9.1"), iso27001=("8.14",))),
    Control(
        id="autoscaling-bounds", title="Autoscaling bounds are set and consistent", severity="error",
        scope="module", check=autoscaling_bounds,
        explanation="A long-running module needs an upper replica bound (cost and blast radius) at or above its "
                    "lower bound, or the autoscaler cannot be rendered.",
        fix="Set scaling.replicas: {min: 2, max: 10} with max >= min.",
        mappings=Mappings(nist=("SC-5", "SC-6", "CM-6"), soc2=("A1.1",), iso27001=("8.6",))),
    Control(
        id="autoscaling-targets", title="Scalable modules declare scaling targets", severity="warning",
        scope="module", check=autoscaling_targets,
        explanation="A module whose replica range is wider than one value needs a metric to scale on, or it stays "
                    "at its minimum.",
        fix="Add scaling.targets, e.g. {cpu: 70%} or {queueDepth: 500} for queue workers.",
        mappings=Mappings(nist=("SC-5", "SC-6"), soc2=("A1.1",), iso27001=("8.6",))),
    Control(
        id="resources-defined", title="CPU and memory requests are set", severity="error", scope="module",
        check=resources_defined,
        explanation="Without requests the scheduler over-commits nodes, neighbours starve each other, and no "
                    "memory limit can be rendered.",
        fix="Set resources: {cpu: 250m, memory: 512Mi} (or in defaults or the pattern).",
        mappings=Mappings(cis=("5.7.3",), nist=("SC-6", "CM-6"), soc2=("A1.1",), iso27001=("8.6",))),
    Control(
        id="resources-limits", title="Resource limits are not below requests", severity="error", scope="module",
        check=resources_limits,
        explanation="Kubernetes rejects a container whose limit is below its request.",
        fix="Raise resources.limits to at least the requests, or remove limits to use the defaults.",
        mappings=Mappings(nist=("SC-6", "CM-6"), soc2=("A1.1",), iso27001=("8.6",))),
    Control(
        id="queue-consumer-group", title="Queue workers name a consumer group", severity="warning", scope="module",
        check=queue_consumer_group, profiles=STRICT,
        explanation="Without a consumer group every replica reads every message, and queue lag cannot drive "
                    "autoscaling.",
        fix="Set queue.consumerGroup (usually the module's name).",
        mappings=Mappings(nist=("SC-6",), soc2=("A1.1",), iso27001=("8.6",))),
    Control(
        id="capacity-headroom", title="Declared peak load fits within the autoscaling bounds", severity="error",
        scope="supplied",
        explanation="The capacity planner sizes each module for every scenario: an error where the peak cannot be "
                    "served within scaling.replicas.max, a warning where the ramp to the peak outpaces scaling "
                    "and breaks the latency objective on the way.",
        fix="Raise scaling.replicas.max, lower the service time (capacity.serviceTime), or revisit the scenario; "
            "run `buttress capacity PATH --env E` to see the numbers.",
        mappings=Mappings(nist=("CP-2(2)", "SC-5", "SC-6"), soc2=("A1.1",), iso27001=("8.6",))),
)
