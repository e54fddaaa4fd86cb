"""Release provenance: an in-toto Statement v1 with a SLSA Provenance v1 predicate, signed in a DSSE envelope.

The statement's subjects are every file of the release bundle (``ENV/PATH`` with its SHA-256); the
predicate names the builder, the blueprint's source digest and the release parameters: its creator and
time, and the digests of the per-environment policy and findings the promotion gates judge by (so that
editing any of them in the database fails verification like editing a file).
``app.release`` builds and signs it at ``release create`` and verifies it at ``release verify`` and in
the promotion gate.
"""

from __future__ import annotations

import binascii
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from buttress.ledger import dsse
from buttress.ledger.canonical import canonical, sha256
from buttress.ledger.signing import PublicKey, SigningKey

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "https://buttress.dev/release/v1"
BUILDER_ID = "https://buttress.dev/builder/cli"


@dataclass(frozen=True)
class Provenance:
    """What a release attests: its files' digests, its source, and how it was built."""

    release_id: str
    blueprint: str
    source_digest: str
    source_uri: str
    environments: tuple[str, ...]
    files: Mapping[str, str]
    """``ENV/PATH`` -> hex SHA-256 of the file."""
    creator: str
    created_at: str
    builder_version: str
    policy_digest: str
    findings_digest: str


@dataclass(frozen=True)
class Record:
    """What the stored release row claims beside its files; verification compares it with the statement."""

    creator: str
    created_at: str
    policy_digest: str
    findings_digest: str


def value_digest(value: Any) -> str:
    """The SHA-256 of a JSON value's canonical form (policy, findings)."""
    return sha256(canonical(value))


def statement(p: Provenance) -> dict[str, Any]:
    """The in-toto Statement v1 for a release."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": p.files[name]}} for name in sorted(p.files)],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {"blueprint": p.blueprint, "environments": list(p.environments),
                                       "creator": p.creator},
                "internalParameters": {"releaseId": p.release_id, "policyDigest": p.policy_digest,
                                       "findingsDigest": p.findings_digest},
                "resolvedDependencies": [{"uri": p.source_uri, "digest": {"sha256": p.source_digest}}],
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID, "version": {"buttress": p.builder_version}},
                "metadata": {"invocationId": p.release_id, "startedOn": p.created_at, "finishedOn": p.created_at},
            },
        },
    }


def sign_provenance(p: Provenance, key: SigningKey) -> dict[str, Any]:
    """The DSSE envelope holding the signed statement."""
    return dsse.sign(PAYLOAD_TYPE, canonical(statement(p)), key)


@dataclass(frozen=True)
class Check:
    """The outcome of verifying a release's attestation against its files."""

    ok: bool
    problems: tuple[str, ...]
    key_ids: tuple[str, ...]
    subjects: int

    def to_json(self) -> dict[str, Any]:
        """Plain data for reports and gate evidence."""
        return {"ok": self.ok, "problems": list(self.problems), "keyIds": list(self.key_ids),
                "subjects": self.subjects}


def verify_release(envelope: Mapping[str, Any], trusted: Iterable[PublicKey], release_id: str,
                   source_digest: str, files: Mapping[str, bytes], record: Record) -> Check:
    """Check the signature, that the statement is about this release, source and record, and every file's digest.

    ``files`` maps ``ENV/PATH`` to the stored bytes; a file missing, added or changed is a problem, and so
    is a creator, time, policy or findings that differ from what was signed.
    """
    result = dsse.verify(envelope, trusted, [PAYLOAD_TYPE])
    if not result.ok:
        return Check(False, (result.reason,), (), 0)
    try:
        stmt = json.loads(result.payload)
        subjects = {s["name"]: s["digest"]["sha256"] for s in stmt["subject"]}
        predicate = stmt["predicate"]
        statement_release = predicate["buildDefinition"]["internalParameters"]["releaseId"]
        statement_source = predicate["buildDefinition"]["resolvedDependencies"][0]["digest"]["sha256"]
        internal = predicate["buildDefinition"]["internalParameters"]
        signed = Record(str(predicate["buildDefinition"]["externalParameters"]["creator"]),
                        str(predicate["runDetails"]["metadata"]["startedOn"]),
                        str(internal.get("policyDigest")), str(internal.get("findingsDigest")))
    except (ValueError, KeyError, TypeError, IndexError, binascii.Error) as exc:
        return Check(False, (f"the statement cannot be read: {exc}",), result.key_ids, 0)
    problems: list[str] = []
    if stmt.get("_type") != STATEMENT_TYPE or stmt.get("predicateType") != PREDICATE_TYPE:
        problems.append("the statement is not an in-toto v1 SLSA provenance statement")
    if statement_release != release_id:
        problems.append(f"the statement is about release {statement_release}, not {release_id}")
    if statement_source != source_digest:
        problems.append(f"the statement's source digest {statement_source} differs from the release's")
    for what, stored, attested in (("creator", record.creator, signed.creator),
                                   ("creation time", record.created_at, signed.created_at),
                                   ("promotion policy", record.policy_digest, signed.policy_digest),
                                   ("check findings", record.findings_digest, signed.findings_digest)):
        if stored != attested:
            problems.append(f"the release's {what} differs from the attested one")
    for name in sorted(set(subjects) | set(files)):
        if name not in files:
            problems.append(f"{name}: attested but missing from the release")
        elif name not in subjects:
            problems.append(f"{name}: in the release but not attested")
        elif sha256(files[name]) != subjects[name]:
            problems.append(f"{name}: content does not match its attested sha256 {subjects[name][:12]}…")
    return Check(not problems, tuple(problems), result.key_ids, len(subjects))
