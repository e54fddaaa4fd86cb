"""What a control is: data (id, title, severity, profiles, mappings, explanation, fix) plus one
small check function. The topic modules of this package hold the controls; ``policy.evaluate``
runs them. A check function yields ``Hit``s; the evaluator turns them into located findings.

Scopes say what a check looks at and so its signature:

- ``module``: ``(ctx, module) -> Iterable[Hit]``, once per resolved module; ``Hit.path`` is inside the module.
- ``environment``: ``(ctx) -> Iterable[Hit]``; ``Hit.path`` is inside the module named by ``Hit.module``,
  or a blueprint key path when ``Hit.module`` is None.
- ``object``: ``(obj) -> Iterable[Hit]``, once per rendered Kubernetes object (a plain dict).
- ``objects``: ``(objects) -> Iterable[Hit]``, once per environment over all its rendered objects.
- ``waivers``: evaluated by ``policy.waivers`` (the waivers themselves are checked).
- ``supplied``: evaluated by application code (e.g. the capacity planner) and passed in as findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment
from buttress.model.source import KeyPath
from buttress.policy.findings import ObjectRef, Severity

Scope = Literal["module", "environment", "object", "objects", "waivers", "supplied"]
Profile = Literal["baseline", "strict"]
BOTH: tuple[Profile, ...] = ("baseline", "strict")
STRICT: tuple[Profile, ...] = ("strict",)

MODULE_ANNOTATION = "buttress.dev/module"
"""The annotation every rendered object carries naming the module it was rendered for."""


@dataclass(frozen=True)
class Hit:
    """One thing a check function found."""

    message: str
    path: KeyPath = ()
    module: str | None = None
    severity: Severity | None = None
    """Overrides the control's severity (e.g. a control with an error and a warning case)."""
    object: ObjectRef | None = None


@dataclass(frozen=True)
class Mappings:
    """References to external frameworks a control implements."""

    cis: tuple[str, ...] = ()
    """CIS Kubernetes Benchmark v1.8, section 5 recommendation numbers."""
    pss: tuple[str, ...] = ()
    """Pod Security Standards controls, as ``baseline: <control>`` or ``restricted: <control>``."""
    nist: tuple[str, ...] = ()
    """NIST SP 800-53 rev. 5 controls."""
    soc2: tuple[str, ...] = ()
    """SOC 2 Trust Services Criteria (2017)."""
    iso27001: tuple[str, ...] = ()
    """ISO/IEC 27001:2022 Annex A controls."""

    def as_dict(self) -> dict[str, list[str]]:
        """Framework key (as in ``compliance.frameworks``) -> references."""
        return {"cis-k8s": list(self.cis), "pss": list(self.pss), "nist-800-53": list(self.nist),
                "soc2": list(self.soc2), "iso27001": list(self.iso27001)}


@dataclass(frozen=True)
class EnvContext:
    """What environment- and module-scope checks see: the blueprint, one environment, its graph."""

    blueprint: Blueprint
    environment: Environment
    graph: Graph

    @property
    def approved(self) -> bool:
        """Whether releases reach this environment only with approvals."""
        promotion = self.environment.spec.promotion
        return promotion is not None and promotion.approvals is not None

    @property
    def profile(self) -> str:
        """The blueprint's control profile."""
        return self.blueprint.spec.policies.profile


Check = Callable[..., Iterable[Hit]]


@dataclass(frozen=True)
class Control:
    """One built-in control: data plus one check function (None for ``waivers``/``supplied`` scopes)."""

    id: str
    title: str
    severity: Severity
    scope: Scope
    explanation: str
    fix: str
    mappings: Mappings
    check: Check | None = None
    profiles: tuple[Profile, ...] = BOTH
    kinds: frozenset[str] | None = None
    """For ``object`` scope: the object kinds the check looks at (None: every kind)."""

    def to_json(self) -> dict[str, Any]:
        """The control as ``buttress controls --format json`` lists it."""
        return {"id": self.id, "title": self.title, "severity": self.severity, "profiles": list(self.profiles),
                "scope": self.scope, "explanation": self.explanation, "fix": self.fix,
                "mappings": self.mappings.as_dict()}
