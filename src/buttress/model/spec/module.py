"""Modules: one deployable unit each. Every field is optional here because defaults, patterns
and environment overrides are partial modules (``PartialModule``: not even an interface's
protocol is required there); ``model.resolve`` checks what a merged module must have (kind,
image, schedule for cronjobs, ...)."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, WrapValidator, field_validator
from pydantic_core import InitErrorDetails

from buttress.model.spec.base import Classification, Spec
from buttress.model.units import (
    Cron,
    Duration,
    EnvName,
    HostName,
    ImageRef,
    LabelKey,
    LabelValue,
    MetricName,
    Percent,
    PlainValue,
    Quantity,
    SecretRef,
    SemVer,
    Untemplated,
)

ModuleKind = Literal["service", "worker", "job", "cronjob"]
LONG_RUNNING: frozenset[str] = frozenset({"service", "worker"})


class Interface(Spec):
    """An interface a module provides."""

    protocol: Literal["http", "grpc", "tcp"]
    port: int = Field(ge=1, le=65535)
    version: SemVer
    exposure: Literal["internal", "public"] = "internal"
    auth: Literal["none", "oidc", "mtls", "api-key"] | None = None
    host: HostName | None = None
    """Public host name for the Ingress (public interfaces): a DNS-1123 subdomain, ``*.`` allowed."""


class Limits(Spec):
    """Resource limits, where they differ from the requests."""

    cpu: Quantity | None = None
    memory: Quantity | None = None
    ephemeral_storage: Quantity | None = None


class Resources(Spec):
    """Resource requests; the memory limit equals the request unless ``limits`` says otherwise."""

    cpu: Quantity | None = None
    memory: Quantity | None = None
    gpu: int | None = Field(default=None, ge=0)
    ephemeral_storage: Quantity | None = None
    limits: Limits | None = None


class Replicas(Spec):
    """Replica bounds."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)


class Targets(Spec):
    """Autoscaling targets."""

    cpu: Percent | None = None
    memory: Percent | None = None
    p95_latency: Duration | None = None
    queue_depth: int | None = Field(default=None, ge=1)
    rps: float | None = Field(default=None, gt=0, le=1e9, allow_inf_nan=False)


class Scaling(Spec):
    """Replicas and autoscaling targets."""

    replicas: Replicas | None = None
    targets: Targets | None = None


class Queue(Spec):
    """The queue a worker reads."""

    from_: str = Field(alias="from")
    topic: str
    consumer_group: str | None = None


class Latency(Spec):
    """Latency objectives."""

    p95: Duration | None = None
    p99: Duration | None = None


class SloSpec(Spec):
    """Service level objectives."""

    availability: Percent | None = None
    latency: Latency | None = None
    window: Duration | None = None


class Rollout(Spec):
    """How new versions reach traffic."""

    strategy: Literal["rolling", "canary", "blue-green"] | None = None
    steps: list[int] | None = None
    pause: Duration | None = None

    @field_validator("steps")
    @classmethod
    def _steps_increase(cls, steps: list[int] | None) -> list[int] | None:
        if steps is not None:
            if any(not 0 < s <= 100 for s in steps):
                raise ValueError("canary steps are traffic percentages between 1 and 100")
            if any(b <= a for a, b in pairwise(steps)):
                raise ValueError("canary steps must increase")
        return steps


class Probe(Spec):
    """One probe."""

    path: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    failure_threshold: int | None = Field(default=None, ge=1)
    period: Duration | None = None


class Probes(Spec):
    """Startup, readiness and liveness probes."""

    startup: Probe | None = None
    readiness: Probe | None = None
    liveness: Probe | None = None


class Encryption(Spec):
    """Encryption settings."""

    at_rest: str | None = None


class DataSpec(Spec):
    """What data the module handles."""

    classification: Classification | None = None
    encryption: Encryption | None = None


class AccessRule(Spec):
    """One Kubernetes API permission."""

    resources: list[str]
    verbs: list[str]
    api_groups: list[str] = [""]


class Backup(Spec):
    """Backup of a stateful module."""

    schedule: Cron | None = None
    rpo: Duration | None = None
    rto: Duration | None = None
    retention: Duration | None = None


class StateSpec(Spec):
    """Persistent state: makes the module stateful."""

    volume: Quantity | None = None
    storage_class: str | None = None
    backup: Backup | None = None


class CapacitySpec(Spec):
    """Inputs for capacity planning."""

    service_time: Duration | None = None
    concurrency: int | None = Field(default=None, ge=1)
    calls: dict[str, Annotated[float, Field(ge=0, le=1e6, allow_inf_nan=False)]] | None = None
    """Calls per request to each consumed interface (at most a million)."""
    startup: Duration | None = None
    """Time for a new replica to become ready (e.g. model loading)."""
    headroom: Percent | None = None
    """Highest utilisation capacity planning accepts at the peak (default 70%)."""

    @field_validator("service_time")
    @classmethod
    def _some_time(cls, value: Duration | None) -> Duration | None:
        if value is not None and value.seconds <= 0:
            raise ValueError(f"a service time of {value} sizes nothing: give the time one request takes, e.g. 4ms")
        return value


class Metrics(Spec):
    """SLI metric names, where not the defaults."""

    requests: MetricName | None = None
    duration: MetricName | None = None
    """The histogram's base name: its series are ``<duration>_bucket``, ``_count`` and ``_sum``."""

    @field_validator("duration")
    @classmethod
    def _base_name(cls, value: str | None) -> str | None:
        for suffix in ("_bucket", "_count", "_sum"):
            if value is not None and value.endswith(suffix):
                raise ValueError(f"{value!r} names one of the histogram's series; give its base name, "
                                 f"{value.removesuffix(suffix)!r} (buttress reads its _bucket and _count series)")
        return value


class ModuleSpec(Spec):
    """A module, or a partial module (defaults, pattern defaults, overrides)."""

    kind: ModuleKind | None = None
    extends: str | None = None
    description: str | None = None
    owner: Untemplated | None = None
    oncall: Untemplated | None = None
    labels: dict[LabelKey, LabelValue] | None = None
    image: ImageRef | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    env: dict[EnvName, PlainValue] | None = None
    provides: dict[str, Interface] | None = None
    consumes: list[str] | None = None
    resources: Resources | None = None
    scaling: Scaling | None = None
    queue: Queue | None = None
    slo: SloSpec | None = None
    rollout: Rollout | None = None
    probes: Probes | None = None
    data: DataSpec | None = None
    secrets: dict[EnvName, SecretRef] | None = None
    access: list[AccessRule] | None = None
    state: StateSpec | None = None
    schedule: Cron | None = None
    capacity: CapacitySpec | None = None
    metrics: Metrics | None = None


def _partial_module(value: Any, handler: ValidatorFunctionWrapHandler) -> ModuleSpec:
    """Validate a partial module (``defaults``, a pattern's ``defaults``, an environment's override): every key
    it writes is checked as a module's, but nothing is required there, as maps merge key by key (an override
    may give an interface only its new ``port``). The merged module is validated whole by ``model.resolve``,
    which merges the raw data; where only required keys are missing, this typed value is an empty module."""
    try:
        spec: ModuleSpec = handler(value)
        return spec
    except ValidationError as exc:
        kept = [e for e in exc.errors() if e["type"] != "missing"]
        if kept:
            raise ValidationError.from_exception_data(exc.title, [
                InitErrorDetails(type=e["type"], loc=e["loc"], input=e["input"], ctx=e.get("ctx", {})) for e in kept
            ]) from None
        return ModuleSpec()


PartialModule = Annotated[ModuleSpec, WrapValidator(_partial_module)]
"""A module of which any key may be left to another layer of the merge."""
