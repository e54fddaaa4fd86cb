"""``release create`` on a real blueprint: the stored bundle holds every environment's manifests and its
compliance evidence, and the stored findings name their files relative to the blueprint's folder, so the
same blueprint built from any checkout (or on the team server) records the same findings."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from tests.conftest import FRAUD, SHARED
from tests.ledger.conftest import make_ctx

from buttress.app import ledger_admin, release
from buttress.app.validate import validate
from buttress.errors import BlueprintError
from buttress.ledger import records

AT = "2026-12-01T09:00:00+00:00"
SECRET = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"


def test_a_release_records_evidence_and_portable_findings(tmp_path: Path, sqlite_url: str) -> None:
    blueprint = tmp_path / "checkout" / "fraud-detection"
    shutil.copytree(FRAUD, blueprint, ignore=shutil.ignore_patterns(".buttress"))
    ctx = make_ctx(tmp_path, sqlite_url)
    try:
        ledger_admin.init_key(ctx("alice"))
        here = Path.cwd()
        os.chdir(tmp_path)  # the blueprint named by a relative path, as from a CI job's working folder
        try:
            summary = release.create_release(Path("checkout/fraud-detection"), ctx("carol", AT))
        finally:
            os.chdir(here)
        with ctx("carol", AT).ledger().read() as session:
            stored = records.get_release(session, summary.id)
            assert stored is not None
            findings = json.loads(stored.findings)
            files = records.release_files(session, summary.id, "prod")
    finally:
        for c in ctx.opened:  # type: ignore[attr-defined]
            c.close()
    located = [f["location"]["file"] for env in findings.values() for f in env if f.get("location")]
    assert located and set(located) == {"blueprint.yaml"}
    evidence = json.loads(files["compliance/report.json"])
    assert evidence["environment"] == "prod" and evidence["checkedOn"] == "2026-12-01"
    assert "kustomization.yaml" in files


def test_no_release_is_built_with_an_inline_secret_in_any_environment(tmp_path: Path, sqlite_url: str) -> None:
    blueprint = tmp_path / "inline-secret"
    shutil.copytree(SHARED / "acceptance" / "inline-secret", blueprint)
    ctx = make_ctx(tmp_path, sqlite_url)
    try:
        ledger_admin.init_key(ctx("alice"))
        with pytest.raises(BlueprintError) as raised:
            release.create_release(blueprint, ctx("carol", AT))
        with ctx("carol", AT).ledger().read() as session:
            assert records.next_number(session) == 1  # nothing stored
    finally:
        for c in ctx.opened:  # type: ignore[attr-defined]
            c.close()
    [problem] = raised.value.problems
    assert (problem.line, problem.column) == (74, 23)
    assert problem.message.startswith("secret-inline in dev, staging, prod: env.REGISTRY_TOKEN holds")
    assert SECRET not in problem.format()
    database = Path(sqlite_url.removeprefix("sqlite:///"))
    assert SECRET.encode() not in b"".join(p.read_bytes() for p in database.parent.rglob("*") if p.is_file())


def test_the_stored_policy_shows_waivers_as_the_reports_do() -> None:
    validated = validate(FRAUD)
    reason = "(pager key Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fGq) covered elsewhere"
    waiver = validated.blueprint.spec.policies.waivers[0].model_copy(update={"reason": reason})
    spec = validated.blueprint.spec.model_copy(update={"policies": validated.blueprint.spec.policies.model_copy(
        update={"waivers": [waiver]})})
    stored = json.dumps(release.policy_of(spec))
    assert "Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fGq" not in stored and "(pager key <redacted>) covered" in stored
