"""Promotion and rollback: evaluate every gate, record the verdicts and the outcome in one transaction,
then write the environment's bundle to the GitOps folder.

``promote`` refuses (exit 1) unless every gate holds; ``--break-glass`` bypasses approvals and the change
window only, for an ``admin`` or ``incident-commander``, and is flagged in the audit log. A promotion is
also refused when the environment no longer runs the release it ran when the promoter looked
(``replacing``): of concurrent promotions decided against one state, exactly one wins.
``rollback`` redeploys the previous (or a named) release through the same record with the gates that
apply to a rollback: attestation, checks, and approvals as configured. Called by ``cli.release``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from buttress.app.ledger_session import LedgerContext
from buttress.app.release_query import find, verify
from buttress.errors import UsageError
from buttress.ledger import audit, gates, gitops, records, roles
from buttress.ledger.store import Session

NONE = "none"
BREAK_GLASS = "break-glass"
"""The audit entry kind recording an emergency promotion (before its outcome entry)."""


@dataclass
class Outcome:
    """What a promotion or rollback decided, and where it was written."""

    release: str
    environment: str
    kind: str
    deployed: bool
    verdicts: list[gates.Verdict]
    actor: str
    at: str
    replaced: str | None
    break_glass: str | None = None
    entries: list[int] = field(default_factory=list)
    commit: str | None = None
    written: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {"release": self.release, "environment": self.environment, "kind": self.kind,
                "outcome": records.DEPLOYED if self.deployed else records.REFUSED, "actor": self.actor, "at": self.at,
                "replaced": self.replaced, "breakGlass": {"reason": self.break_glass} if self.break_glass is not None else None,
                "gates": [v.to_json() for v in self.verdicts], "auditEntries": self.entries,
                "gitops": {"folder": self.written, "commit": self.commit} if self.written else None}


def _current_release(ctx: LedgerContext, env: str) -> str | None:
    with ctx.ledger().read() as session:
        row = records.current(session, env)
        return row.release_id if row else None


def _policy(release: records.Release, env: str) -> dict[str, Any]:
    policy = json.loads(release.policy)
    if env not in policy:
        raise UsageError(f"release {release.id} has no environment {env!r} (it has: {', '.join(sorted(policy))})")
    return dict(policy[env])


def _gates(session: Session, ctx: LedgerContext, release: records.Release, env: str, kind: str) -> list[gates.Verdict]:
    policy = _policy(release, env)
    promotion = policy.get("promotion") or {}
    check = verify(session, release)
    verdicts = [gates.attestation(check.ok, check.problems, check.to_json())]
    if kind == "promote":
        source = promotion.get("from")
        first = records.first_deployed(session, release.id, source) if source else None
        verdicts.append(gates.soak(source, promotion.get("soakSeconds"),
                                   dt.datetime.fromisoformat(first.at) if first else None, ctx.at))
    findings = json.loads(release.findings).get(env, [])
    verdicts.append(gates.checks(findings, policy["enforcement"], policy.get("waivers", []), env, ctx.at))
    verdicts.append(gates.approvals(promotion.get("approvals"), records.decisions(session, release.id, env),
                                    release.creator, ctx.actor))
    if kind == "promote":
        verdicts.append(gates.window(promotion.get("window"), ctx.at))
    return verdicts


def _apply(ctx: LedgerContext, ref: str, env: str, kind: str, expected: str | None, break_glass: str | None,
           gitops_dir: Path | None) -> Outcome:
    with ctx.write() as session:
        release = find(session, ref)
        _policy(release, env)
        if break_glass is not None:
            roles.require(session, ctx.actor, gates.BREAK_GLASS_ROLES, "break glass")
        now = records.current(session, env)
        running = now.release_id if now else None
        verdicts = gates.decide(_gates(session, ctx, release, env, kind), break_glass)
        if running != expected:
            verdicts.insert(0, gates.Verdict("current", False, f"{env} now runs {running or 'nothing'}, not "
                                             f"{expected or 'nothing'} as when this {kind} was decided "
                                             "(another promotion won)", {"expected": expected, "running": running}))
        elif running == release.id:
            verdicts.insert(0, gates.Verdict("current", False, f"{env} already runs {release.id}", {"running": running}))
        deployed = all(v.passed for v in verdicts)
        outcome = records.DEPLOYED if deployed else records.REFUSED
        row = records.add_promotion(session, release_id=release.id, environment=env, kind=kind,
                                    break_glass=break_glass is not None, reason=break_glass or "", actor=ctx.actor,
                                    at=ctx.when, outcome=outcome, gates=[v.to_json() for v in verdicts],
                                    replaced=running)
        drafts = [audit.Draft(ctx.actor, "gate", f"{release.id}@{env}", {"promotion": row.id, **v.to_json()})
                  for v in verdicts]
        if break_glass is not None:
            drafts.append(audit.Draft(ctx.actor, BREAK_GLASS, f"{release.id}@{env}", {
                "promotion": row.id, "release": release.id, "environment": env, "reason": break_glass,
                "roles": sorted(roles.roles_of(session, ctx.actor)), "outcome": outcome,
                "bypassed": [v.gate for v in verdicts if v.bypassed]}))
        drafts.append(audit.Draft(ctx.actor, kind, f"{release.id}@{env}", {
            "promotion": row.id, "release": release.id, "environment": env, "outcome": outcome, "replaced": running,
            "breakGlass": {"reason": break_glass} if break_glass is not None else None,
            "failed": [v.gate for v in verdicts if not v.passed],
            "approvers": _approvers(verdicts)}))
        entries = ctx.record(session, drafts)
        files = records.release_files(session, release.id, env) if deployed and gitops_dir else {}
        result = Outcome(release.id, env, kind, deployed, verdicts, ctx.actor, ctx.when, running, break_glass, entries)
    if deployed and gitops_dir is not None:
        result.written = str(gitops_dir / env)
        result.commit = gitops.write(gitops_dir, env, files, result.release, _message(result))
    return result


def _approvers(verdicts: list[gates.Verdict]) -> list[str]:
    for v in verdicts:
        if v.gate == gates.APPROVALS:
            return list(v.evidence.get("approvers", []))
    return []


def _message(o: Outcome) -> str:
    title = f"{o.kind} {o.release} to {o.environment}" + (" (BREAK-GLASS)" if o.break_glass else "")
    lines = [title, "", f"Buttress-Release: {o.release}", f"Buttress-Actor: {o.actor}", f"Buttress-At: {o.at}",
             f"Approved-by: {', '.join(_approvers(o.verdicts)) or 'none required'}"]
    if o.replaced:
        lines.append(f"Replaces: {o.replaced}")
    if o.break_glass:
        lines.append(f"Break-glass: {o.break_glass}")
    return "\n".join(lines) + "\n"


def promote(ctx: LedgerContext, ref: str, env: str, *, gitops_dir: Path | None = None, break_glass: str | None = None,
            replacing: str | None = None) -> Outcome:
    """Promote a release to ``env`` if every gate holds (``replacing``: the release expected to run there now,
    ``none`` for an empty environment; default: what runs there when this call starts)."""
    if break_glass is not None and not break_glass.strip():
        raise UsageError("--break-glass needs --reason TEXT")
    expected = _expected(ctx, env, replacing)
    return _apply(ctx, ref, env, "promote", expected, break_glass, gitops_dir)


def _expected(ctx: LedgerContext, env: str, replacing: str | None) -> str | None:
    if replacing is None:
        return _current_release(ctx, env)
    if replacing == NONE:
        return None
    with ctx.ledger().read() as session:
        return find(session, replacing).id


def rollback(ctx: LedgerContext, env: str, to: str | None = None, *, gitops_dir: Path | None = None) -> Outcome:
    """Redeploy the release that ran in ``env`` before the current one (or ``to``), as a rollback."""
    with ctx.ledger().read() as session:
        history = records.deployments(session, env, include_refused=False)
        if not history:
            raise UsageError(f"nothing was ever deployed to {env}: there is nothing to roll back")
        running = history[-1].release_id
        if to is not None:
            target = find(session, to).id
            if target not in {p.release_id for p in history}:
                raise UsageError(f"{target} was never deployed to {env}; roll back only to a release that ran there")
        else:
            earlier = [p.release_id for p in history if p.release_id != running]
            if not earlier:
                raise UsageError(f"{env} has run only {running}: there is no previous release to roll back to")
            target = earlier[-1]
    return _apply(ctx, target, env, "rollback", running, None, gitops_dir)
