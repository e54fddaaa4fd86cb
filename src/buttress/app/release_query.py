"""Reading stored releases: find one by ID, prefix or number, summarise it, and verify its attestation.

Kept apart from ``app.release`` (which renders and checks) so that promotion, approvals and reports load
only the ledger. Called by ``app.release``, ``app.release_promote``, ``app.release_decisions``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from buttress.app.ledger_session import LedgerContext
from buttress.errors import UsageError
from buttress.ledger import attestation, audit, records
from buttress.ledger.store import Session
from buttress.model.suggest import did_you_mean


@dataclass(frozen=True)
class ReleaseSummary:
    """A stored release, as reports show it."""

    id: str
    number: int
    created_at: str
    creator: str
    blueprint: str
    source_digest: str
    bundle_digest: str
    environments: dict[str, dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        """Plain data for ``--format json``."""
        return {"id": self.id, "number": self.number, "createdAt": self.created_at, "creator": self.creator,
                "blueprint": self.blueprint, "sourceDigest": self.source_digest, "bundleDigest": self.bundle_digest,
                "environments": self.environments}


def error_count(findings: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for f in findings if f.get("severity") == "error" and not f.get("waived"))


def find(session: Session, ref: str) -> records.Release:
    """A release by ID, prefix or number, or ``UsageError``."""
    if not ref.strip():
        raise UsageError("no release given: name one by its ID, a unique start of it, or its number (see `buttress history`)")
    release = records.get_release(session, ref)
    if release is None:
        many = records.ids_starting(session, ref, 3)
        if len(many) > 1:
            raise UsageError(f"{ref!r} is the start of several releases ({', '.join(many)}, ...): give more of the ID")
        raise UsageError(f"no release {ref!r} in this ledger (see `buttress history`)")
    return release


def require_environment(session: Session, env: str) -> None:
    """``UsageError`` (with a hint) unless some release of the ledger has environment ``env``; a ledger
    without releases knows no environment yet and refuses none."""
    known = {name for r in records.releases(session) for name in r.policy_of()}
    if known and env not in known:
        raise UsageError(f"no release of this ledger has an environment {env!r}{did_you_mean(env, known)} "
                         f"(environments: {', '.join(sorted(known))})")


def summary(session: Session, ref: str) -> ReleaseSummary:
    """A release's summary with its per-environment file counts and findings."""
    r = find(session, ref)
    files = records.release_files(session, r.id)
    findings = r.findings_of()
    policy = r.policy_of()
    envs = {env: {"files": sum(1 for n in files if n.startswith(env + "/")),
                  "errors": error_count(findings.get(env, [])), "enforcement": policy[env]["enforcement"]}
            for env in sorted(policy)}
    return ReleaseSummary(r.id, r.number, r.created_at, r.creator, r.blueprint, r.source_digest, r.bundle_digest, envs)


def verify(session: Session, release: records.Release) -> attestation.Check:
    """Check a stored release's signature, its record (creator, time, policy, findings) and every file's digest.

    The signature must be by a key the audit log trusts (its first key, or one a trusted key endorsed), not
    merely one in the ``keys`` table, which anyone who can write the database could extend.
    """
    record = attestation.Record(release.creator, release.created_at,
                                attestation.value_digest(release.policy_of()),
                                attestation.value_digest(release.findings_of()))
    return attestation.verify_release(release.envelope_of(), audit.trusted_keys(session), release.id,
                                      release.source_digest, records.release_files(session, release.id), record)


def verify_release(ctx: LedgerContext, ref: str) -> tuple[ReleaseSummary, attestation.Check]:
    """``buttress release verify``: the release and what verifying it found."""
    with ctx.ledger().read() as session:
        release = find(session, ref)
        return summary(session, release.id), verify(session, release)
