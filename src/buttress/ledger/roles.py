"""Identities and roles in the ledger: the first identity is admin; only an admin grants roles.

Identities are names asserted with ``--as`` or ``BUTTRESS_USER``; the ledger records who did what, and
roles decide who may approve (``promotion.approvals.roles``), grant, or break glass. The ``app`` ledger
use cases call these inside a write transaction and append the matching audit entries.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from buttress.errors import UsageError
from buttress.ledger.models import Identity, RoleGrant

ADMIN = "admin"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}$")


class Forbidden(Exception):
    """The identity lacks the role an action needs (the CLI exits 1)."""


def check_name(name: str, what: str = "identity") -> str:
    """Refuse names that are empty or could confuse reports."""
    if not _NAME.match(name or ""):
        raise UsageError(f"{name!r} is not a valid {what}: letters, digits and . _ @ + - (set --as or BUTTRESS_USER)")
    return name


def count(session: Session) -> int:
    """How many identities the ledger knows."""
    return int(session.scalar(select(func.count()).select_from(Identity)) or 0)


def ensure(session: Session, name: str, at: str) -> bool:
    """Record an identity if new; the very first identity becomes admin. True if it was created."""
    check_name(name)
    if session.get(Identity, name) is not None:
        return False
    first = count(session) == 0
    session.add(Identity(name=name, created_at=at))
    session.flush()
    if first:
        session.add(RoleGrant(identity=name, role=ADMIN, granted_by=name, at=at))
        session.flush()
    return True


def roles_of(session: Session, name: str) -> set[str]:
    """The roles an identity holds."""
    return set(session.scalars(select(RoleGrant.role).where(RoleGrant.identity == name)).all())


def require(session: Session, name: str, allowed: tuple[str, ...], action: str) -> set[str]:
    """Raise ``Forbidden`` unless ``name`` holds one of ``allowed``; return its roles."""
    held = roles_of(session, name)
    if not held & set(allowed):
        raise Forbidden(f"{name} may not {action}: it needs the role {' or '.join(allowed)}"
                        f" (holds {', '.join(sorted(held)) or 'no role'})")
    return held


def grant(session: Session, actor: str, identity: str, role: str, at: str) -> bool:
    """``actor`` (an admin) grants ``role`` to ``identity``; False if it was already held."""
    check_name(role, "role")
    require(session, actor, (ADMIN,), "grant roles")
    ensure(session, identity, at)
    if role in roles_of(session, identity):
        return False
    session.add(RoleGrant(identity=identity, role=role, granted_by=actor, at=at))
    session.flush()
    return True


def all_grants(session: Session) -> dict[str, list[str]]:
    """Every identity with its roles, sorted."""
    out: dict[str, list[str]] = {name: [] for name in session.scalars(select(Identity.name).order_by(Identity.name))}
    for grant_row in session.scalars(select(RoleGrant).order_by(RoleGrant.identity, RoleGrant.role)):
        out.setdefault(grant_row.identity, []).append(grant_row.role)
    return out
