"""Reports over the ledger: ``status`` (what runs where), ``history`` (releases, decisions, promotions),
and the audit log's ``verify``, ``proof``, ``verify-proof`` and ``export``. Called by ``cli.ledger_report``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from buttress.app.ledger_session import LedgerContext
from buttress.errors import UsageError
from buttress.ledger import audit, consistency, records
from buttress.ledger.audit import Report

__all__ = ["Report", "export", "history", "proof", "status", "verify_export", "verify_log", "verify_proof"]


def status(ctx: LedgerContext) -> list[dict[str, Any]]:
    """Per environment: the release running there, since when, by whom, and how it got there."""
    out = []
    with ctx.ledger().read() as session:
        for env in records.environments(session):
            row = records.current(session, env)
            out.append({"environment": env, "release": row.release_id if row else None,
                        "since": row.at if row else None, "by": row.actor if row else None,
                        "kind": row.kind if row else None, "breakGlass": bool(row and row.break_glass),
                        "reason": row.reason if row and row.break_glass else None})
    return out


def history(ctx: LedgerContext, env: str | None = None) -> list[dict[str, Any]]:
    """Releases and every promotion or rollback attempt (refused ones too), oldest first."""
    events: list[dict[str, Any]] = []
    with ctx.ledger().read() as session:
        if env is None:
            events += [{"at": r.created_at, "event": "release", "release": r.id, "number": r.number, "by": r.creator,
                        "blueprint": r.blueprint} for r in records.releases(session)]
        for p in records.deployments(session, env):
            gates = json.loads(p.gates)
            events.append({"at": p.at, "event": p.kind, "release": p.release_id, "environment": p.environment,
                           "by": p.actor, "outcome": p.outcome, "replaced": p.replaced,
                           "breakGlass": {"reason": p.reason} if p.break_glass else None,
                           "failed": [{"gate": g["gate"], "reason": g["reason"]} for g in gates if not g["passed"]],
                           "bypassed": [g["gate"] for g in gates if g.get("bypassed")]})
    events.sort(key=lambda e: e["at"])
    return events


def verify_log(ctx: LedgerContext, trusted: list[str] | None = None) -> audit.Report:
    """Recompute and check the whole audit log, then that the tables the gates read agree with it."""
    with ctx.ledger().read() as session:
        report = audit.verify(session, trusted or [])
        if report.ok:
            for problem in consistency.problems(session):
                report.fail(problem.split(":", 1)[0], problem)
        return report


def proof(ctx: LedgerContext, seq: int) -> dict[str, Any]:
    """An inclusion proof of entry ``seq`` against the newest checkpoint."""
    with ctx.ledger().read() as session:
        try:
            return audit.inclusion(session, seq)
        except LookupError as exc:
            raise UsageError(str(exc)) from None


def export(ctx: LedgerContext) -> Iterator[str]:
    """The audit log as JSON Lines."""
    with ctx.ledger().read() as session:
        yield from audit.export(session)


def verify_export(lines: Iterable[str], trusted: list[str] | None = None) -> Report:
    """Verify an exported log offline."""
    return audit.verify_export(lines, trusted or [])


def verify_proof(doc: Mapping[str, Any], trusted: list[str] | None = None) -> tuple[bool, str]:
    """Check an inclusion proof offline."""
    return audit.verify_proof(doc, trusted or [])
