"""Reading and writing the ledger's records: releases and their files, decisions, promotions.

Plain data in, rows out; no gate logic and no audit entries (the ``app`` use cases append those in the
same transaction). Release IDs are ``rel-`` plus 12 hex digits of a digest of the release's content.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from buttress.ledger.canonical import sha256
from buttress.ledger.gates import Decision as GateDecision
from buttress.ledger.models import Blob, Decision, Key, Promotion, Release, ReleaseFile
from buttress.ledger.signing import PublicKey

__all__ = [
    "DEPLOYED",
    "REFUSED",
    "NewRelease",
    "Promotion",
    "Release",
    "add_decision",
    "add_promotion",
    "bundle_digest",
    "current",
    "decisions",
    "deployments",
    "environments",
    "first_deployed",
    "flat_files",
    "get_release",
    "key_registered",
    "next_number",
    "register_key",
    "release_files",
    "release_id",
    "releases",
    "store_release",
]

DEPLOYED, REFUSED = "deployed", "refused"


@dataclass(frozen=True)
class NewRelease:
    """Everything a release stores, before it is signed."""

    blueprint: str
    source_digest: str
    files: Mapping[str, Mapping[str, bytes]]
    """environment -> path -> content"""
    policy: Mapping[str, Any]
    findings: Mapping[str, Sequence[Mapping[str, Any]]]
    creator: str
    created_at: str


def flat_files(files: Mapping[str, Mapping[str, bytes]]) -> dict[str, bytes]:
    """``ENV/PATH`` -> content, the names the attestation's subjects use."""
    return {f"{env}/{path}": content for env, paths in files.items() for path, content in paths.items()}


def bundle_digest(files: Mapping[str, Mapping[str, bytes]]) -> str:
    """The SHA-256 over the sorted ``name digest`` lines of every file."""
    flat = flat_files(files)
    return sha256("".join(f"{name} {sha256(flat[name])}\n" for name in sorted(flat)).encode())


def next_number(session: Session) -> int:
    """The next release number (1, 2, ...)."""
    return int(session.scalar(select(func.max(Release.number))) or 0) + 1


def release_id(new: NewRelease, number: int) -> str:
    """A stable ID from the release's content, creator, time and number."""
    return "rel-" + sha256(json.dumps([bundle_digest(new.files), new.source_digest, new.creator, new.created_at,
                                       number]).encode())[:12]


def store_release(session: Session, rid: str, number: int, new: NewRelease, envelope: Mapping[str, Any]) -> Release:
    """Insert a release, its files and their content-addressed blobs."""
    release = Release(id=rid, number=number, created_at=new.created_at, creator=new.creator, blueprint=new.blueprint,
                      source_digest=new.source_digest, bundle_digest=bundle_digest(new.files),
                      envelope=json.dumps(envelope, sort_keys=True), policy=json.dumps(new.policy, sort_keys=True),
                      findings=json.dumps(new.findings, sort_keys=True))
    session.add(release)
    known = set(session.scalars(select(Blob.digest)).all()) if new.files else set()
    for env, paths in sorted(new.files.items()):
        for path, content in sorted(paths.items()):
            digest = sha256(content)
            if digest not in known:
                session.add(Blob(digest=digest, content=content))
                known.add(digest)
            session.add(ReleaseFile(release_id=rid, environment=env, path=path, digest=digest))
    session.flush()
    return release


def get_release(session: Session, ref: str) -> Release | None:
    """A release by ID, unique ID prefix, or number (``7`` or ``#7``)."""
    if ref.lstrip("#").isdigit():
        return session.scalar(select(Release).where(Release.number == int(ref.lstrip("#"))))
    exact = session.get(Release, ref)
    if exact is not None:
        return exact
    matches = session.scalars(select(Release).where(Release.id.startswith(ref)).limit(2)).all()
    return matches[0] if len(matches) == 1 else None


def ids_starting(session: Session, prefix: str, limit: int) -> list[str]:
    """Up to ``limit`` release IDs starting with ``prefix``, in ID order."""
    return list(session.scalars(select(Release.id).where(Release.id.startswith(prefix)).order_by(Release.id)
                                .limit(limit)).all())


def release_files(session: Session, rid: str, env: str | None = None) -> dict[str, bytes]:
    """A release's files as ``ENV/PATH`` -> bytes (or ``PATH`` -> bytes for one environment)."""
    query = select(ReleaseFile.environment, ReleaseFile.path, Blob.content).join(
        Blob, Blob.digest == ReleaseFile.digest).where(ReleaseFile.release_id == rid)
    if env is not None:
        query = query.where(ReleaseFile.environment == env)
    rows = session.execute(query).all()
    return {(path if env is not None else f"{e}/{path}"): bytes(content) for e, path, content in rows}


def decisions(session: Session, rid: str, env: str) -> list[GateDecision]:
    """Approvals, rejections and withdrawals for a release and environment, oldest first."""
    rows = session.scalars(select(Decision).where(Decision.release_id == rid, Decision.environment == env)
                           .order_by(Decision.id)).all()
    return [GateDecision(r.identity, r.kind, tuple(json.loads(r.roles)), r.at, r.reason) for r in rows]


def add_decision(session: Session, rid: str, env: str, identity: str, kind: str, roles: Sequence[str], reason: str,
                 at: str) -> Decision:
    """Record an approval, rejection or withdrawal."""
    row = Decision(release_id=rid, environment=env, identity=identity, kind=kind, roles=json.dumps(sorted(roles)),
                   reason=reason, at=at)
    session.add(row)
    session.flush()
    return row


def current(session: Session, env: str) -> Promotion | None:
    """The deployment now running in ``env`` (the newest deployed promotion or rollback)."""
    return session.scalar(select(Promotion).where(Promotion.environment == env, Promotion.outcome == DEPLOYED)
                          .order_by(Promotion.id.desc()).limit(1))


def first_deployed(session: Session, rid: str, env: str) -> Promotion | None:
    """When a release first reached ``env``."""
    return session.scalar(select(Promotion).where(Promotion.release_id == rid, Promotion.environment == env,
                                                  Promotion.outcome == DEPLOYED).order_by(Promotion.id).limit(1))


def deployments(session: Session, env: str | None = None, include_refused: bool = True) -> list[Promotion]:
    """Promotions and rollbacks, oldest first."""
    query = select(Promotion).order_by(Promotion.id)
    if env is not None:
        query = query.where(Promotion.environment == env)
    if not include_refused:
        query = query.where(Promotion.outcome == DEPLOYED)
    return list(session.scalars(query).all())


def environments(session: Session) -> list[str]:
    """Every environment any release or promotion mentions, sorted."""
    envs = set(session.scalars(select(ReleaseFile.environment).distinct()).all())
    envs |= set(session.scalars(select(Promotion.environment).distinct()).all())
    return sorted(envs)


def releases(session: Session) -> list[Release]:
    """Every release, oldest first."""
    return list(session.scalars(select(Release).order_by(Release.number)).all())


def key_registered(session: Session, key_id: str) -> bool:
    """Is this key in the ledger's ``keys`` table? (Which keys to trust is the audit log's to say:
    ``audit.trusted_keys``; ``consistency`` fails a row the log does not trust.)"""
    return session.get(Key, key_id) is not None


def register_key(session: Session, key: PublicKey, owner: str, at: str) -> None:
    """Register a public key."""
    session.add(Key(id=key.id, public_key=key.raw.hex(), owner=owner, created_at=at))
    session.flush()


def add_promotion(session: Session, *, release_id: str, environment: str, kind: str, break_glass: bool, reason: str,
                  actor: str, at: str, outcome: str, gates: Sequence[Mapping[str, Any]], replaced: str | None) -> Promotion:
    """Record a promotion or rollback attempt with its gate verdicts."""
    row = Promotion(release_id=release_id, environment=environment, kind=kind, break_glass=break_glass, reason=reason,
                    actor=actor, at=at, outcome=outcome, gates=json.dumps(list(gates), sort_keys=True),
                    replaced=replaced)
    session.add(row)
    session.flush()
    return row
