"""Promotion gates as pure functions of plain data: each returns a ``Verdict`` with its evidence.

The gates of a promotion to environment E: the release's attestation verifies; the release was deployed
to ``promotion.from`` and soaked there; its check findings for E do not block under E's enforcement
(waivers judged at the promotion time); enough distinct approvers with the required roles, none the
creator or the promoter, and no open rejection; and the change window in its time zone.
``app.release_promote`` gathers the data from the ledger and calls these; ``decide`` applies break-glass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

ATTESTATION, SOAK, CHECKS, APPROVALS, WINDOW = "attestation", "soak", "checks", "approvals", "window"
BREAK_GLASS_BYPASSES = (APPROVALS, WINDOW)
BREAK_GLASS_ROLES = ("admin", "incident-commander")


@dataclass(frozen=True)
class Verdict:
    """One gate's decision, why, and the evidence it looked at."""

    gate: str
    passed: bool
    reason: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    bypassed: bool = False

    def to_json(self) -> dict[str, Any]:
        """Plain data for the ledger and ``--format json``."""
        return {"gate": self.gate, "passed": self.passed, "bypassed": self.bypassed, "reason": self.reason,
                "evidence": dict(self.evidence)}


def attestation(ok: bool, problems: Sequence[str], evidence: Mapping[str, Any]) -> Verdict:
    """Gate 1: the release's signed provenance verifies against its stored files."""
    if ok:
        return Verdict(ATTESTATION, True, "signature and every file digest verify", evidence)
    return Verdict(ATTESTATION, False, "; ".join(problems) or "the attestation does not verify", evidence)


def soak(source: str | None, soak_seconds: float | None, deployed_at: dt.datetime | None, at: dt.datetime) -> Verdict:
    """Gate 2: deployed to ``promotion.from`` and soaked there for ``soak``."""
    if source is None:
        return Verdict(SOAK, True, "no promotion.from: this is a first environment")
    evidence: dict[str, Any] = {"from": source, "soakSeconds": soak_seconds,
                                "deployedAt": deployed_at.isoformat() if deployed_at else None}
    if deployed_at is None:
        return Verdict(SOAK, False, f"the release was never deployed to {source}", evidence)
    soaked = (at - deployed_at).total_seconds()
    evidence["soakedSeconds"] = soaked
    if soak_seconds is not None and soaked < soak_seconds:
        return Verdict(SOAK, False, f"soaked {_human(soaked)} in {source}, {_human(soak_seconds)} required "
                       f"(ready at {(deployed_at + dt.timedelta(seconds=soak_seconds)).isoformat()})", evidence)
    return Verdict(SOAK, True, f"deployed to {source} at {deployed_at.isoformat()}"
                   + (f", soaked {_human(soaked)} of {_human(soak_seconds)}" if soak_seconds else ""), evidence)


def _waiver_holds(finding: Mapping[str, Any], waivers: Sequence[Mapping[str, Any]], env: str, day: dt.date) -> bool:
    """Does a waiver still cover ``finding`` on ``day``? The finding's own waiver first, else a matching one."""
    own = finding.get("waiver")
    if isinstance(own, Mapping) and own.get("expires"):
        return dt.date.fromisoformat(str(own["expires"])) >= day
    for w in waivers:
        modules = w.get("modules") or []
        envs = w.get("environments")
        if (w.get("control") == finding.get("control")
                and (finding.get("module") in modules or "*" in modules or finding.get("module") is None)
                and (envs is None or env in envs)
                and dt.date.fromisoformat(str(w["expires"])) >= day):
            return True
    return False


def checks(findings: Sequence[Mapping[str, Any]], enforcement: str, waivers: Sequence[Mapping[str, Any]], env: str,
           at: dt.datetime) -> Verdict:
    """Gate 3: no error finding blocks under the environment's enforcement; waivers judged at ``at``."""
    errors = [f for f in findings if f.get("severity") == "error"]
    if enforcement == "advisory":
        waived = sum(1 for f in errors if f.get("waived"))
        return Verdict(CHECKS, True, f"advisory enforcement: {len(errors)} error finding(s) ({waived} waived) "
                       "reported, none block", {"enforcement": enforcement, "errors": len(errors), "waived": waived})
    honoured = enforcement != "strict"
    blocking = [f for f in errors
                if not (honoured and f.get("waived") and _waiver_holds(f, waivers, env, at.date()))]
    evidence = {"enforcement": enforcement, "errors": len(errors), "waived": len(errors) - len(blocking),
                "blocking": [{"control": f.get("control"), "module": f.get("module"), "message": f.get("message")}
                             for f in blocking]}
    if blocking:
        names = ", ".join(sorted({f"{f.get('control')}" + (f"@{f['module']}" if f.get("module") else "")
                                  for f in blocking}))
        return Verdict(CHECKS, False, f"{len(blocking)} finding(s) block under {enforcement} enforcement: {names}",
                       evidence)
    return Verdict(CHECKS, True, f"no finding blocks under {enforcement} enforcement", evidence)


@dataclass(frozen=True)
class Decision:
    """An approval, rejection or withdrawal, as the approvals gate sees it."""

    identity: str
    kind: str
    roles: tuple[str, ...]
    at: str
    reason: str = ""


def open_rejections(decisions: Sequence[Decision]) -> list[Decision]:
    """Rejections not withdrawn since by the identity who made them."""
    current: dict[str, Decision] = {}
    for d in decisions:
        if d.kind == "reject":
            current[d.identity] = d
        elif d.kind == "withdraw":
            current.pop(d.identity, None)
    return list(current.values())


def approvals(rule: Mapping[str, Any] | None, decisions: Sequence[Decision], creator: str, promoter: str) -> Verdict:
    """Gate 4: ``count`` distinct approvers holding a required role, none the creator or promoter, no open rejection."""
    rejections = open_rejections(decisions)
    evidence: dict[str, Any] = {"rejections": [{"by": r.identity, "reason": r.reason, "at": r.at} for r in rejections]}
    if rule is None:
        if rejections:
            return Verdict(APPROVALS, False, f"rejected by {', '.join(r.identity for r in rejections)}", evidence)
        return Verdict(APPROVALS, True, "no approvals required", evidence)
    wanted = set(rule.get("roles") or [])
    approvers: list[str] = []
    excluded: dict[str, str] = {}
    for d in decisions:
        if d.kind != "approve" or d.identity in approvers:
            continue
        if d.identity == creator:
            excluded[d.identity] = "created the release (separation of duties)"
        elif d.identity == promoter:
            excluded[d.identity] = "is promoting it (separation of duties)"
        elif wanted and not wanted & set(d.roles):
            excluded[d.identity] = f"held none of the roles {', '.join(sorted(wanted))} when approving"
        else:
            approvers.append(d.identity)
            excluded.pop(d.identity, None)
    count = int(rule["count"])
    evidence |= {"required": count, "roles": sorted(wanted), "approvers": approvers, "excluded": excluded}
    reasons = []
    if len(approvers) < count:
        reasons.append(f"{len(approvers)} of {count} approval(s)"
                       + (f" by {', '.join(sorted(wanted))}" if wanted else "")
                       + (f" ({'; '.join(f'{k} {v}' for k, v in sorted(excluded.items()))})" if excluded else ""))
    if rejections:
        reasons.append(f"rejected by {', '.join(r.identity for r in rejections)}")
    if reasons:
        return Verdict(APPROVALS, False, "; ".join(reasons), evidence)
    return Verdict(APPROVALS, True, f"approved by {', '.join(approvers)}", evidence)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def window(rule: Mapping[str, Any] | None, at: dt.datetime) -> Verdict:
    """Gate 5: ``at`` falls on an allowed day and hour in the window's time zone."""
    if rule is None:
        return Verdict(WINDOW, True, "no change window")
    zone = str(rule.get("timezone", "UTC"))
    local = at.astimezone(ZoneInfo(zone))
    day = local.strftime("%a").lower()
    days = list(rule.get("days") or ["mon", "tue", "wed", "thu", "fri"])
    hours = str(rule.get("hours", "00:00-24:00"))
    start, end = (_minutes(h) for h in hours.split("-"))
    now = local.hour * 60 + local.minute
    evidence = {"local": local.isoformat(), "timezone": zone, "days": days, "hours": hours}
    if day not in days or not start <= now < end:
        return Verdict(WINDOW, False, f"{local.strftime('%a %H:%M')} {zone} is outside the window "
                       f"{','.join(days)} {hours}", evidence)
    return Verdict(WINDOW, True, f"{local.strftime('%a %H:%M')} {zone} is inside {','.join(days)} {hours}", evidence)


def decide(verdicts: Sequence[Verdict], break_glass_reason: str | None) -> list[Verdict]:
    """Apply break-glass: approvals and window pass as bypassed (their evaluation kept as evidence)."""
    if not break_glass_reason:
        return list(verdicts)
    return [replace(v, passed=True, bypassed=True,
                    reason=f"bypassed by break-glass ({break_glass_reason}); would have been: {v.reason}")
            if v.gate in BREAK_GLASS_BYPASSES and not v.passed else v for v in verdicts]


def _human(seconds: float) -> str:
    seconds = int(seconds)
    if seconds >= 86400 and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds >= 3600:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"
