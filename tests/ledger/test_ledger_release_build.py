"""``release create`` on a real blueprint: the stored bundle holds every environment's manifests and its
compliance evidence, and the stored findings name their files relative to the blueprint's folder, so the
same blueprint built from any checkout (or on the team server) records the same findings."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.conftest import FRAUD
from tests.ledger.conftest import make_ctx

from buttress.app import ledger_admin, release
from buttress.ledger import records

AT = "2026-12-01T09:00:00+00:00"


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
