"""Do the ledger's records agree with its audit log? The check ``buttress audit verify`` runs after the tree.

The gates read releases, role grants, decisions and promotions from their tables, and the ledger signs
with the keys of its ``keys`` table; the audit log is what is signed. A row inserted, edited or deleted in
those tables directly (a forged approval, a role granted without an entry, a promotion erased, a key of
one's own) would leave the Merkle tree intact, so this compares each table with the entries that recorded
it and names the first row or entry without its counterpart. A key counts only if the log trusts it
(``ledger.trust``: the first key, or one a trusted key endorsed).
Called by ``app.ledger_report.verify_log`` (on the database; an export holds only the log).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from buttress.ledger.models import AuditEntry, Decision, Key, Promotion, Release, RoleGrant
from buttress.ledger.trust import KEY_CREATED, short

DECISION_KINDS = ("approve", "reject", "withdraw")
PROMOTION_KINDS = ("promote", "rollback")


def _entries(session: Session, kinds: Iterable[str]) -> list[tuple[AuditEntry, dict[str, Any]]]:
    rows = session.scalars(select(AuditEntry).where(AuditEntry.kind.in_(list(kinds))).order_by(AuditEntry.seq))
    return [(row, json.loads(row.body)) for row in rows]


Keyed = Sequence[tuple[Hashable, str]]
"""(what must match, how to name it) for each row or entry."""


def _compare(table: str, rows: Keyed, logged: Keyed) -> str | None:
    """The first row without its entry, or entry without its row (duplicates count)."""
    have, want = Counter(k for k, _ in rows), Counter(k for k, _ in logged)
    for key, text in rows:
        if have[key] > want[key]:
            return f"{table}: {text} has no matching audit entry (inserted or edited outside buttress)"
    for key, text in logged:
        if want[key] > have[key]:
            return f"{table}: {text} is in the audit log but not in the table (deleted or edited)"
    return None


class _Malformed(Exception):
    """A row holds what buttress never writes (text where JSON belongs, a gate without its name)."""


def _loads(text: str, what: str) -> Any:
    """A JSON column's value, or ``_Malformed`` naming the row."""
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        raise _Malformed(f"{what} are not valid JSON (edited outside buttress)") from None


def problems(session: Session, trusted: Collection[str]) -> list[str]:
    """Disagreements between the tables the gates read and the audit log (empty when they agree).

    ``trusted``: the IDs of the keys the log trusts (``audit.Report.keys`` of a verification that passed).
    """
    found = [_keys(session, trusted)]
    for check in (_releases, _grants, _decisions, _promotions):
        try:
            found.append(check(session))
        except _Malformed as exc:
            found.append(str(exc))
    return [problem for problem in found if problem is not None]


def _keys(session: Session, trusted: Collection[str]) -> str | None:
    """The first key in the table that the log does not trust, or row and ``key.created`` entry that differ."""
    keys = list(session.scalars(select(Key).order_by(Key.created_at, Key.id)))
    for k in keys:
        if k.id not in trusted:
            return (f"keys: key {short(k.id)} (owner {k.owner}) is not trusted by the audit log: no key.created entry "
                    "endorsed by a trusted key registers it (inserted outside buttress)")
    rows = [((k.id, k.public_key, k.owner, k.created_at), f"key {short(k.id)} (owner {k.owner})") for k in keys]
    logged = [((d.get("keyId"), d.get("publicKey"), e.actor, e.at), f"entry {e.seq} (key {str(d.get('keyId'))[:16]}…)")
              for e, d in _entries(session, [KEY_CREATED]) if d.get("keyId") in trusted]
    return _compare("keys", rows, logged)


def _releases(session: Session) -> str | None:
    rows = [((r.id, r.number, r.blueprint, r.source_digest, r.bundle_digest, r.creator, r.created_at), f"release {r.id}")
            for r in session.scalars(select(Release).order_by(Release.number))]
    logged = [((d.get("release"), d.get("number"), d.get("blueprint"), d.get("sourceDigest"), d.get("bundleDigest"),
                e.actor, e.at), f"entry {e.seq} (release {d.get('release')})")
              for e, d in _entries(session, ["release.created"])]
    return _compare("releases", rows, logged)


def _grants(session: Session) -> str | None:
    rows = [((g.identity, g.role), f"{g.identity} holding {g.role}")
            for g in session.scalars(select(RoleGrant).order_by(RoleGrant.identity, RoleGrant.role))]
    logged = [((d.get("identity"), d.get("role")), f"entry {e.seq} ({d.get('identity')} granted {d.get('role')})")
              for e, d in _entries(session, ["role.granted"])]
    return _compare("role_grants", rows, logged)


def _decisions(session: Session) -> str | None:
    rows = [((r.release_id, r.environment, r.identity, r.kind, r.reason, r.at,
              _roles(_loads(r.roles, f"decisions: decision {r.id}'s roles"), r.id)),
             f"decision {r.id} ({r.identity} {r.kind} {r.release_id}@{r.environment})")
            for r in session.scalars(select(Decision).order_by(Decision.id))]
    logged = [((d.get("release"), d.get("environment"), e.actor, e.kind, d.get("reason"), e.at, tuple(d.get("roles") or ())),
               f"entry {e.seq} ({e.actor} {e.kind} {e.subject})") for e, d in _entries(session, DECISION_KINDS)]
    return _compare("decisions", rows, logged)


def _roles(value: Any, decision: int) -> tuple[str, ...]:
    if not (isinstance(value, list) and all(isinstance(r, str) for r in value)):
        raise _Malformed(f"decisions: decision {decision}'s roles are not a list of roles (edited outside buttress)")
    return tuple(value)


def _gates(value: Any, promotion: int) -> tuple[str, ...]:
    """A promotion's gate verdicts, each as canonical JSON (``gate`` entries hold the same, signed)."""
    if not (isinstance(value, list) and all(isinstance(g, dict) and isinstance(g.get("gate"), str) for g in value)):
        raise _Malformed(f"promotions: promotion {promotion}'s gates are not a list of gate verdicts "
                         "(edited outside buttress)")
    return tuple(sorted(json.dumps(g, sort_keys=True) for g in value))


def _promotions(session: Session) -> str | None:
    rows = [((p.id, p.release_id, p.environment, p.kind, p.outcome, p.actor, p.at, p.break_glass, p.reason, p.replaced,
              _gates(_loads(p.gates, f"promotions: promotion {p.id}'s gates"), p.id)),
             f"promotion {p.id} ({p.kind} {p.release_id} to {p.environment}, {p.outcome})")
            for p in session.scalars(select(Promotion).order_by(Promotion.id))]
    verdicts: dict[Any, list[str]] = {}
    for _, d in _entries(session, ["gate"]):
        verdicts.setdefault(d.get("promotion"), []).append(
            json.dumps({k: v for k, v in d.items() if k != "promotion"}, sort_keys=True))
    logged = [((d.get("promotion"), d.get("release"), d.get("environment"), e.kind, d.get("outcome"), e.actor, e.at,
                d.get("breakGlass") is not None, (d.get("breakGlass") or {}).get("reason", ""), d.get("replaced"),
                tuple(sorted(verdicts.get(d.get("promotion"), ())))), f"entry {e.seq} ({e.kind} {e.subject})")
              for e, d in _entries(session, PROMOTION_KINDS)]
    return _compare("promotions", rows, logged)
