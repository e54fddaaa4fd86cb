"""Reports over the ledger: ``status`` (what runs where; ``reconcile`` first brings a GitOps folder up to
it), ``history`` (releases, decisions, promotions),
and the audit log's ``verify``, ``proof``, ``verify-proof`` and ``export``. Called by ``cli.ledger_report``
and ``cli.audit``.

Trust anchors: a verification may be given the ledger's first public key (``trust_anchor``: a ``.pub``
file or a key ID), which the log's first key must then be; without one, the log's own first key is the
root of trust. A proof names its signer itself, so checking one needs an anchor or a ledger to ask.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from buttress.app import release_promote, release_query
from buttress.app.ledger_session import LedgerContext
from buttress.errors import UsageError
from buttress.ledger import audit, consistency, records
from buttress.ledger.audit import Report
from buttress.ledger.signing import load_public_key

__all__ = ["Report", "export", "history", "proof", "reconcile", "status", "trust_anchor", "verify_export",
           "verify_log", "verify_proof"]

_KEY_ID = re.compile(r"[0-9a-f]{64}")


def reconcile(ctx: LedgerContext, gitops_dir: Path) -> list[dict[str, Any]]:
    """``status --gitops DIR``: bring DIR up to what the ledger says runs in each environment first (writing
    and committing what a killed or failed promotion left out); the environments it wrote."""
    return [s.to_json() for s in release_promote.reconcile(ctx, gitops_dir)]


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
        if env is not None:
            release_query.require_environment(session, env)
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


def trust_anchor(value: str | None) -> str | None:
    """The key ID that ``--trust VALUE`` names: a public key file (as ``keys init`` writes it beside the
    private key, ``.buttress/keys/ledger.key.pub``) or a key ID (64 hex digits); None without a value."""
    if value is None:
        return None
    if Path(value).is_file():
        return load_public_key(Path(value)).id
    if _KEY_ID.fullmatch(value.lower()):
        return value.lower()
    raise UsageError(f"--trust {value!r} is neither a public key file (such as .buttress/keys/ledger.key.pub) nor a "
                     "key ID (64 hex digits)")


def verify_log(ctx: LedgerContext, anchor: str | None = None) -> audit.Report:
    """Recompute and check the whole audit log (its first key must be ``anchor``, a key ID, when given), then
    that the tables the gates read, and the ``keys`` table, agree with it."""
    with ctx.ledger().read() as session:
        report = audit.verify(session, anchor)
        if report.ok:
            for problem in consistency.problems(session, report.keys):
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


def verify_export(lines: Iterable[str], anchor: str | None = None) -> Report:
    """Verify an exported log offline (its first key must be ``anchor``, a key ID, when given)."""
    return audit.verify_export(lines, anchor)


def verify_proof(doc: Mapping[str, Any], anchor: str | None = None, ctx: LedgerContext | None = None) -> tuple[bool, str]:
    """Check an inclusion proof: signed by ``anchor`` (a key ID), or else by a key the audit log of ``ctx``'s
    ledger trusts. With neither, the signer is the key inside the proof, and the message says it is not
    anchored (callers that can should pass one; ``buttress audit verify-proof`` requires it)."""
    if anchor is not None:
        return audit.verify_proof(doc, {anchor})
    if ctx is not None:
        with ctx.ledger().read() as session:
            trusted = {key.id for key in audit.trusted_keys(session)}
        return audit.verify_proof(doc, trusted)
    return audit.verify_proof(doc, None)
