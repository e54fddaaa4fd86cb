"""Release use cases: ``release create`` (render every environment, check, sign, store) and ``release verify``.

A release is built once and promoted unchanged: its files (content-addressed), the blueprint's source
digest, the findings and the promotion policy of every environment, the creator and the time, and a
signed in-toto/SLSA provenance attestation over every file. Called by ``cli.release``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from buttress.app.check import check
from buttress.app.ledger_session import LedgerContext
from buttress.app.release_query import ReleaseSummary, error_count, summary
from buttress.app.render import render_environment
from buttress.app.validate import Validated, validate
from buttress.errors import BlueprintError, Problem
from buttress.ledger import attestation, audit, records
from buttress.ledger.canonical import sha256
from buttress.model.spec.blueprint import BlueprintSpec
from buttress.policy import enforcement
from buttress.policy.findings import Location
from buttress.policy.results import CheckReport
from buttress.secrets import redact_text

BUILDER_VERSION = "0.1.0"


def _shown(waiver: dict[str, Any]) -> dict[str, Any]:
    """A waiver as the reports show it: its free text redacted (gates read only its control, modules and expiry)."""
    return {k: redact_text(v) if k in ("reason", "approvedBy", "ticket") and isinstance(v, str) else v
            for k, v in waiver.items()}


def policy_of(spec: BlueprintSpec) -> dict[str, Any]:
    """Per environment: the enforcement, promotion rules and waivers a promotion is judged by."""
    waivers = [_shown(w.model_dump(mode="json", by_alias=True)) for w in spec.policies.waivers]
    out: dict[str, Any] = {}
    for name, env in spec.environments.items():
        promotion = None
        if env.promotion is not None:
            p = env.promotion
            promotion = {
                "from": p.from_,
                "approvals": p.approvals.model_dump(mode="json") if p.approvals else None,
                "soakSeconds": p.soak.seconds if p.soak else None,
                "window": p.window.model_dump(mode="json") if p.window else None,
            }
        out[name] = {"enforcement": env.enforcement, "promotion": promotion,
                     "waivers": [w for w in waivers if w.get("environments") in (None, []) or name in w["environments"]]}
    return out


def _render(validated: Validated, env: str, report: CheckReport) -> dict[str, bytes]:
    """One environment's rendered files with its compliance evidence, relative to the environment's
    folder (its manifest included)."""
    bundle = render_environment(validated, env, report)
    prefix = env + "/"
    return {name.removeprefix(prefix): bytes(content) for name, content in bundle.files.items()}


def _refuse_secrets(validated: Validated, report: CheckReport) -> None:
    """A located ``BlueprintError`` for each unwaived inline secret of any environment: a release
    stores every environment's rendered files, and a secret-looking value is never written to one."""
    envs: dict[tuple[Location | None, str, str], list[str]] = {}
    for name, env in report.environments.items():
        for f in enforcement.write_stoppers(env.findings):
            envs.setdefault((f.location, f.control, f.message), []).append(name)
    if not envs:
        return
    file = validated.blueprint.file
    raise BlueprintError([
        Problem(at.file if at else file, at.line if at else 1, at.column if at else 1,
                f"{control} in {', '.join(names)}: {message}; a release holds every environment's rendered files, so "
                "none is created (if the value is no secret, waive the finding)")
        for (at, control, message), names in envs.items()])


def create_release(path: Path | str, ctx: LedgerContext) -> ReleaseSummary:
    """Validate, render and check every environment of the blueprint at ``path``, then store a signed release."""
    validated = validate(path)
    envs = list(validated.environments)
    report = check(validated, envs, ctx.at.date())
    _refuse_secrets(validated, report)
    folder = validated.blueprint.folder
    # locations relative to the blueprint's folder: the same release built in any checkout, or on the
    # team server, records the same findings
    findings = {name: [f.to_json(folder) for f in result.findings]
                for name, result in report.environments.items()}
    files = {env: _render(validated, env, report) for env in envs}
    bp = validated.blueprint
    return store_release(ctx, records.NewRelease(
        blueprint=str(bp.spec.name), source_digest=bp.digest, files=files, policy=policy_of(bp.spec), findings=findings,
        creator=ctx.actor, created_at=ctx.when), source_uri=Path(bp.file).name)


def store_release(ctx: LedgerContext, new: records.NewRelease, source_uri: str = "blueprint.yaml") -> ReleaseSummary:
    """Sign and store a release built from plain data (files per environment, findings, policy)."""
    key = ctx.key()
    with ctx.write() as session:
        number = records.next_number(session)
        rid = records.release_id(new, number)
        flat = records.flat_files(new.files)
        provenance = attestation.Provenance(
            release_id=rid, blueprint=new.blueprint, source_digest=new.source_digest, source_uri=source_uri,
            environments=tuple(sorted(new.files)), files={n: sha256(c) for n, c in flat.items()},
            creator=new.creator, created_at=new.created_at, builder_version=BUILDER_VERSION,
            policy_digest=attestation.value_digest(new.policy), findings_digest=attestation.value_digest(new.findings))
        envelope = attestation.sign_provenance(provenance, key)
        release = records.store_release(session, rid, number, new, envelope)
        ctx.record(session, [audit.Draft(ctx.actor, "release.created", rid, {
            "release": rid, "number": number, "blueprint": new.blueprint, "sourceDigest": new.source_digest,
            "bundleDigest": release.bundle_digest, "files": len(flat), "keyId": key.id,
            "blocking": {env: error_count(f) for env, f in sorted(new.findings.items())}})])
        return summary(session, rid)
