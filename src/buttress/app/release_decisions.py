"""Approvals and rejections: ``approve`` by a holder of a role the environment's ``promotion.approvals.roles``
names (never the release's creator), ``reject`` which blocks promotion until its author withdraws it.
Called by ``cli.release``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from buttress.app.ledger_session import LedgerContext
from buttress.app.release_query import find
from buttress.errors import UsageError
from buttress.ledger import audit, gates, records, roles


@dataclass(frozen=True)
class DecisionResult:
    """A recorded approval, rejection or withdrawal."""

    release: str
    environment: str
    identity: str
    kind: str
    roles: list[str]
    reason: str
    at: str
    entry: int

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {"release": self.release, "environment": self.environment, "identity": self.identity,
                "decision": self.kind, "roles": self.roles, "reason": self.reason, "at": self.at,
                "auditEntry": self.entry}


def decide(ctx: LedgerContext, ref: str, env: str, kind: str, reason: str = "") -> DecisionResult:
    """Record ``approve``, ``reject`` or ``withdraw`` (of the actor's own open rejection)."""
    if kind == "reject" and not reason.strip():
        raise UsageError("a rejection needs --reason TEXT")
    with ctx.write() as session:
        release = find(session, ref)
        policy = release.policy_of()
        if env not in policy:
            raise UsageError(f"release {release.id} has no environment {env!r} (it has: {', '.join(sorted(policy))})")
        rule = (policy[env].get("promotion") or {}).get("approvals") or {}
        held = roles.roles_of(session, ctx.actor)
        if kind == "approve":
            if release.creator == ctx.actor:
                raise roles.Forbidden(f"{ctx.actor} created {release.id} and may not approve it (separation of duties)")
            wanted = tuple(rule.get("roles") or ())
            if wanted:
                roles.require(session, ctx.actor, wanted, f"approve promotions to {env}")
        if kind == "withdraw":
            own = [d for d in gates.open_rejections(records.decisions(session, release.id, env))
                   if d.identity == ctx.actor]
            if not own:
                raise UsageError(f"{ctx.actor} has no open rejection of {release.id} for {env} to withdraw")
        records.add_decision(session, release.id, env, ctx.actor, kind, sorted(held), reason, ctx.when)
        [entry] = ctx.record(session, [audit.Draft(ctx.actor, f"{kind}", f"{release.id}@{env}", {
            "release": release.id, "environment": env, "roles": sorted(held), "reason": reason})])
        return DecisionResult(release.id, env, ctx.actor, kind, sorted(held), reason, ctx.when, entry)
