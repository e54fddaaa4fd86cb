"""The blueprint file and pattern files: top level, externals, environments, scenarios, policies."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import Field, field_validator

from buttress.model.spec.base import Classification, Spec
from buttress.model.spec.module import ModuleSpec, PartialModule
from buttress.model.units import Cidr, DnsLabel, Duration, Endpoint, Rate, SemVer, Untemplated

Framework = Literal["soc2", "iso27001", "nist-800-53", "cis-k8s", "pss"]
Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class Compliance(Spec):
    """Which frameworks reports show, and where things may run and come from."""

    frameworks: list[Framework] = []
    regions: list[str] | None = None
    registries: list[str] | None = None


class Runbooks(Spec):
    """Where the rendered output is published, so that alerts link to their runbooks from anywhere."""

    url: Untemplated
    """``<url>/<environment>/runbooks/<module>.md`` is a module's runbook: e.g. the GitOps repository's web view."""

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
            raise ValueError(f"{url!r} is not an http(s) URL without query or fragment, such as "
                             "https://git.example.com/risk/fraud-deploy/blob/main")
        return url.rstrip("/")


class ExternalSpec(Spec):
    """A system outside the blueprint that modules talk to."""

    endpoint: Endpoint
    classification: Classification = "internal"
    cidrs: list[Cidr] | None = None
    """Networks the endpoint lives in (``10.20.0.0/16``); egress is opened to them only. Without
    them, egress to the external is scoped by its port alone (any address)."""
    description: str | None = None

    @field_validator("cidrs")
    @classmethod
    def _some_cidrs(cls, cidrs: list[str] | None) -> list[str] | None:
        if cidrs is not None and not cidrs:
            raise ValueError("cidrs lists no network: name at least one, or leave cidrs out for egress scoped by port only")
        return cidrs


class Approvals(Spec):
    """Approvals a promotion needs."""

    count: int = Field(ge=0)
    """How many; 0 is read as no approvals (``promotion-approvals`` reports it where approvals are due)."""
    roles: list[str] = []


class Window(Spec):
    """When promotions may happen."""

    days: list[Day] = ["mon", "tue", "wed", "thu", "fri"]
    hours: str = "00:00-24:00"
    timezone: str = "UTC"

    @field_validator("hours")
    @classmethod
    def _hours(cls, hours: str) -> str:
        m = re.fullmatch(r"([01][0-9]|2[0-3]):([0-5][0-9])-(([01][0-9]|2[0-3]):([0-5][0-9])|24:00)", hours)
        if not m or hours[:5] >= hours[6:]:
            raise ValueError(f"{hours!r} is not a window such as 08:00-16:00 (start before end)")
        return hours

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, tz: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{tz!r} is not a known IANA time zone such as Europe/Berlin") from None
        return tz


class Promotion(Spec):
    """How releases reach an environment."""

    from_: str = Field(alias="from")
    approvals: Approvals | None = None
    soak: Duration | None = None
    window: Window | None = None

    @field_validator("approvals")
    @classmethod
    def _no_approvals(cls, approvals: Approvals | None) -> Approvals | None:
        """``count: 0`` requires nothing: the same as no ``approvals``."""
        return approvals if approvals is None or approvals.count > 0 else None


class EnvironmentSpec(Spec):
    """One environment a blueprint deploys to."""

    namespace: DnsLabel
    region: str | None = None
    enforcement: Literal["advisory", "mandatory", "strict"] = "mandatory"
    promotion: Promotion | None = None
    overrides: dict[str, PartialModule] = {}


class ScenarioSpec(Spec):
    """A load scenario for capacity planning."""

    description: str | None = None
    load: dict[str, Rate]
    baseline: float | None = Field(default=None, ge=0, le=1)
    """The ramp's starting load as a fraction of the peak (default 0.2)."""
    ramp: Duration | None = None
    """How long the ramp from baseline to peak takes (default 30m)."""
    tolerance: Duration | None = None
    """How long the ramp may break a module's latency objective before capacity-headroom warns (default 5m)."""
    environments: list[str] | None = None
    """The environments that must carry this scenario (``check``'s capacity-headroom judges only them);
    default: every environment whose enforcement is not advisory."""

    def applies_to(self, env_name: str, enforcement: str) -> bool:
        """Whether ``check`` holds the environment ``env_name`` to this scenario."""
        return env_name in self.environments if self.environments is not None else enforcement != "advisory"


class Waiver(Spec):
    """An approved, expiring exception to a control."""

    control: str
    modules: list[str]
    reason: str = Field(min_length=1)
    approved_by: str = Field(min_length=1)
    ticket: str | None = None
    expires: dt.date
    environments: list[str] | None = None
    """Environments the waiver applies to (default: all)."""


class Policies(Spec):
    """Which controls apply, organisation policies, and waivers."""

    profile: Literal["baseline", "strict"] = "baseline"
    rego: list[str] = []
    waivers: list[Waiver] = []


class BlueprintSpec(Spec):
    """A blueprint file: one system."""

    blueprint: Literal["v1"]
    name: DnsLabel
    description: str | None = None
    owner: Untemplated
    oncall: Untemplated | None = None
    compliance: Compliance = Compliance()
    uses: dict[str, str] = {}
    externals: dict[str, ExternalSpec] = {}
    defaults: PartialModule = ModuleSpec()
    modules: dict[str, ModuleSpec] = Field(min_length=1)
    environments: dict[str, EnvironmentSpec] = Field(min_length=1)
    scenarios: dict[str, ScenarioSpec] = {}
    policies: Policies = Policies()
    runbooks: Runbooks | None = None


class PatternSpec(Spec):
    """A pattern file: reusable module defaults."""

    pattern: Literal["v1"]
    name: str
    version: SemVer | None = None
    description: str | None = None
    defaults: PartialModule = ModuleSpec()
