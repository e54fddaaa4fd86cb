"""``check --manifests DIR``: the object controls and ``package main`` policies judge a render on disk,
so a hand edit of a rendered manifest (or a GitOps folder drifting from the blueprint) is caught."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from tests.conftest import Run

CLI = Callable[..., Run]
AT = "2026-12-01"


def _findings(run: Run) -> list[tuple[str, str | None]]:
    return sorted((f["control"], f["module"]) for f in json.loads(run.stdout)["findings"] if not f["waived"])


def test_a_hand_edit_of_a_rendered_manifest_is_caught(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    out = tmp_path / "deploy"
    assert cli("render", fraud, "--env", "prod", "--out", out, "--at", AT).exit == 0
    untouched = cli("check", fraud, "--env", "prod", "--manifests", out, "--at", AT, "--format", "json")
    assert untouched.exit == 0 and _findings(untouched) == []
    [manifest] = (out / "prod" / "features").glob("deployment-*.yaml")
    text = manifest.read_text()
    assert "allowPrivilegeEscalation: false" in text
    manifest.write_text(text.replace("allowPrivilegeEscalation: false", "allowPrivilegeEscalation: true", 1))
    edited = cli("check", fraud, "--env", "prod", "--manifests", out, "--at", AT, "--format", "json")
    assert edited.exit == 1
    assert ("pod-privilege-escalation", "features") in _findings(edited)
    fresh = cli("check", fraud, "--env", "prod", "--at", AT, "--format", "json")
    assert fresh.exit == 0, "without --manifests the fresh render is judged"
    one = cli("check", fraud, "--env", "prod", "--manifests", out / "prod", "--at", AT, "--format", "json")
    assert one.exit == 1 and _findings(one) == _findings(edited), "one environment's folder given directly"


def test_manifests_must_hold_the_environments_checked(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    out = tmp_path / "deploy"
    assert cli("render", fraud, "--env", "prod", "--out", out, "--at", AT).exit == 0
    missing = cli("check", fraud, "--manifests", out, "--at", AT)
    assert missing.exit == 2 and "holds no render of 'dev'" in missing.stderr
    several = cli("check", fraud, "--manifests", out / "prod", "--at", AT)
    assert several.exit == 2 and "name that environment with --env" in several.stderr
    assert cli("check", fraud, "--env", "prod", "--manifests", tmp_path / "nowhere").exit == 2
