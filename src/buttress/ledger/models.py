"""The ledger's tables as SQLAlchemy 2 declarative models.

Everything is append-only except ``Head`` (the audit log's size and Merkle frontier, one row, also the
row writers lock). Times are ISO 8601 UTC strings so that SQLite and PostgreSQL store the same text that
the audit log hashes. The Alembic migrations in ``ledger/migrations`` create exactly these tables; a test
compares them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from buttress.errors import Tampered

ENFORCEMENTS = ("advisory", "mandatory", "strict")


def _policy_shape(policy: dict[str, Any]) -> bool:
    """Per environment: an enforcement, a promotion object (its approvals and window objects) or null, and a
    list of waiver objects, as ``app.release.policy_of`` writes it."""
    def env_shape(env: Any) -> bool:
        promotion, waivers = (env.get("promotion"), env.get("waivers", [])) if isinstance(env, dict) else (0, 0)
        return (isinstance(env, dict) and env.get("enforcement") in ENFORCEMENTS and isinstance(promotion, dict | None)
                and all(isinstance((promotion or {}).get(k), dict | None) for k in ("approvals", "window"))
                and isinstance(waivers, list) and all(isinstance(w, dict) for w in waivers))
    return all(env_shape(env) for env in policy.values())


def _findings_shape(findings: dict[str, Any]) -> bool:
    """Per environment, a list of finding objects."""
    return all(isinstance(v, list) and all(isinstance(f, dict) for f in v) for v in findings.values())


def _document(row: str, text: str, what: str, shape: Callable[[dict[str, Any]], bool] = lambda _: True) -> dict[str, Any]:
    """A JSON object column's value, or ``Tampered`` naming the row when it is none or not of ``shape``."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        value = None
    if not (isinstance(value, dict) and shape(value)):
        raise Tampered(f"{row}: its {what} column is not what buttress wrote (edited outside buttress); "
                       "the release's signature covers what it was")
    return value


class Base(DeclarativeBase):
    """Declarative base of the ledger's tables."""


class Meta(Base):
    """Facts about the ledger itself (its ID, when it was created)."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Head(Base):
    """The audit log's current size and Merkle frontier; writers lock this row."""

    __tablename__ = "head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    frontier: Mapped[str] = mapped_column(Text)
    """JSON list of hex subtree roots, largest first."""


class AuditEntry(Base):
    """One action in the audit log; its leaf is the canonical JSON of these columns."""

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    """Canonical JSON of the entry's data."""
    leaf_hash: Mapped[str] = mapped_column(String(64))


class Checkpoint(Base):
    """A signed statement of the log's size and root hash, written at every append."""

    __tablename__ = "checkpoints"
    size: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(100))


class Key(Base):
    """A registered Ed25519 public key."""

    __tablename__ = "keys"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(40))


class Identity(Base):
    """Someone who acts on the ledger."""

    __tablename__ = "identities"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[str] = mapped_column(String(40))


class RoleGrant(Base):
    """A role held by an identity."""

    __tablename__ = "role_grants"
    identity: Mapped[str] = mapped_column(ForeignKey("identities.name"), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True)
    granted_by: Mapped[str] = mapped_column(String(200))
    at: Mapped[str] = mapped_column(String(40))


class Blob(Base):
    """File content, addressed by its SHA-256."""

    __tablename__ = "blobs"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Release(Base):
    """An immutable, signed release: every environment's bundle, findings and promotion policy."""

    __tablename__ = "releases"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[str] = mapped_column(String(40))
    creator: Mapped[str] = mapped_column(String(200))
    blueprint: Mapped[str] = mapped_column(String(200))
    source_digest: Mapped[str] = mapped_column(String(64))
    bundle_digest: Mapped[str] = mapped_column(String(64))
    envelope: Mapped[str] = mapped_column(Text)
    """The DSSE envelope (JSON) of the release's provenance."""
    policy: Mapped[str] = mapped_column(Text)
    """JSON: per environment, its enforcement, promotion rules and waivers."""
    findings: Mapped[str] = mapped_column(Text)
    """JSON: per environment, the check findings at release time."""

    def policy_of(self) -> dict[str, Any]:
        """``policy``, read (``Tampered`` unless it has the shape ``app.release.policy_of`` writes: per
        environment an enforcement, a promotion object or null, and a list of waiver objects)."""
        return _document(f"release {self.id}", self.policy, "policy", _policy_shape)

    def findings_of(self) -> dict[str, list[dict[str, Any]]]:
        """``findings``, read (``Tampered`` unless an object of lists)."""
        return _document(f"release {self.id}", self.findings, "findings", _findings_shape)

    def envelope_of(self) -> dict[str, Any]:
        """``envelope``, read (``Tampered`` unless an object)."""
        return _document(f"release {self.id}", self.envelope, "envelope")


class ReleaseFile(Base):
    """One file of a release's bundle."""

    __tablename__ = "release_files"
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"), primary_key=True)
    environment: Mapped[str] = mapped_column(String(100), primary_key=True)
    path: Mapped[str] = mapped_column(String(500), primary_key=True)
    digest: Mapped[str] = mapped_column(ForeignKey("blobs.digest"))


class Decision(Base):
    """An approval, a rejection, or a rejection's withdrawal, for one release and environment."""

    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"))
    environment: Mapped[str] = mapped_column(String(100))
    identity: Mapped[str] = mapped_column(ForeignKey("identities.name"))
    kind: Mapped[str] = mapped_column(String(20))
    """``approve``, ``reject`` or ``withdraw``."""
    roles: Mapped[str] = mapped_column(Text)
    """JSON list of the roles the identity held when deciding."""
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[str] = mapped_column(String(40))


class Promotion(Base):
    """A promotion or rollback attempt, deployed or refused, with every gate's verdict."""

    __tablename__ = "promotions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id"))
    environment: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    """``promote`` or ``rollback``."""
    break_glass: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    """``deployed`` or ``refused``."""
    gates: Mapped[str] = mapped_column(Text)
    """JSON list of gate verdicts."""
    replaced: Mapped[str | None] = mapped_column(String(40), nullable=True)
    """The release that ran in the environment before, if any."""
