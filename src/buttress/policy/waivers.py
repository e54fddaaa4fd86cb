"""Waivers: approved, expiring exceptions to controls (BLUEPRINT.md, ``policies.waivers``).

``review`` checks each waiver against the evaluation date and the known controls, modules and
environments: an expired waiver, one expiring more than 180 days after the date, or one naming
something unknown waives nothing and becomes a ``waiver-valid`` finding. ``apply`` marks the
findings a valid waiver covers (``waived: true``; still reported) unless the environment is
``strict``, and reports stale waivers (``waiver-unused``). Pure; called by ``app.check``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from buttress.model.parse import Blueprint
from buttress.model.spec.blueprint import Waiver
from buttress.policy.findings import Finding, Location, WaiverRef
from buttress.secrets import redact_text

MAX_AHEAD_DAYS = 180


@dataclass(frozen=True)
class ReviewedWaiver:
    """One waiver with its location and what is wrong with it (nothing when valid)."""

    index: int
    spec: Waiver
    ref: WaiverRef
    problems: tuple[str, ...]

    @property
    def valid(self) -> bool:
        """Whether the waiver may waive anything."""
        return not self.problems

    def applies_to(self, environment: str) -> bool:
        """Whether the waiver names this environment (or names none, meaning all)."""
        return self.spec.environments is None or environment in self.spec.environments


def review(bp: Blueprint, at: dt.date, known_controls: Collection[str]) -> list[ReviewedWaiver]:
    """Every waiver of ``bp`` with the problems that stop it from waiving, as of ``at``."""
    out = []
    modules, envs = bp.spec.modules, bp.spec.environments
    for i, waiver in enumerate(bp.spec.policies.waivers):
        mark = bp.locate(("policies", "waivers", i))
        location = Location(mark.file, mark.line, mark.column)
        problems = []
        if waiver.expires < at:
            problems.append(f"expired on {waiver.expires.isoformat()}")
        elif (waiver.expires - at).days > MAX_AHEAD_DAYS:
            problems.append(f"expires {waiver.expires.isoformat()}, more than {MAX_AHEAD_DAYS} days after "
                            f"{at.isoformat()}")
        if waiver.control not in known_controls:
            problems.append(f"names control {waiver.control!r}, which does not exist")
        problems += [f"names module {m!r}, which does not exist" for m in waiver.modules if m not in modules]
        problems += [f"names environment {e!r}, which does not exist"
                     for e in waiver.environments or [] if e not in envs]
        ref = WaiverRef(redact_text(waiver.reason), redact_text(waiver.approved_by), waiver.expires,
                        redact_text(waiver.ticket) if waiver.ticket else None, location)  # shown in every report
        out.append(ReviewedWaiver(i, waiver, ref, tuple(problems)))
    return out


def _matches(w: ReviewedWaiver, f: Finding) -> bool:
    """Whether ``w`` waives ``f``: the same control, and a module it names (``modules: []``: a finding about
    no module, such as the environment's region or its promotion rules)."""
    return f.control == w.spec.control and (f.module in w.spec.modules if w.spec.modules else f.module is None)


def _scope(w: ReviewedWaiver) -> str:
    """What a waiver covers, for its own findings' messages."""
    return ", ".join(w.spec.modules) if w.spec.modules else "no module: blueprint and environment findings"


def apply(findings: list[Finding], waivers: list[ReviewedWaiver], environment: str, *, honoured: bool,
          report_unused: bool) -> list[Finding]:
    """``findings`` of one environment with waivers applied, plus the waivers' own findings."""
    out = []
    used: set[int] = set()
    for f in findings:
        match = next((w for w in waivers if w.valid and w.applies_to(environment) and _matches(w, f)), None)
        if match is not None and honoured:
            used.add(match.index)
            f = f.waive(match.ref)
        out.append(f)
    for w in waivers:
        if not w.applies_to(environment) and w.valid:
            continue
        if not w.valid:
            out.append(Finding("waiver-valid", "error", environment, None,
                               f"waiver {w.index + 1} for {w.spec.control} ({_scope(w)}) "
                               f"waives nothing: {'; '.join(w.problems)}", w.ref.location))
        elif honoured and report_unused and w.index not in used:
            out.append(Finding("waiver-unused", "warning", environment, None,
                               f"waiver {w.index + 1} for {w.spec.control} ({_scope(w)}) matches "
                               f"no finding in {environment}; remove it", w.ref.location))
    return out
