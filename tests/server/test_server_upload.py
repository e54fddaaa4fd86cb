"""``buttress release create --server URL`` from CI: the release is built locally, sent with an API token,
and stored by the server as the token's identity — the same release ``release create`` would store."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

World = Any  # the ``world`` fixture of conftest.py
AT = "2026-12-01T09:00:00+00:00"


def test_server_release_create_from_ci(world: World, serve: Any, cli: Callable[..., Any], fraud: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with serve(world.app()) as base:
        monkeypatch.delenv("BUTTRESS_TOKEN", raising=False)
        missing = cli("release", "create", fraud, "--server", base, "--at", AT)
        assert missing.exit == 2 and "BUTTRESS_TOKEN" in missing.stderr
        monkeypatch.setenv("BUTTRESS_TOKEN", world.tokens["carol"] + "x")
        refused = cli("release", "create", fraud, "--server", base, "--at", AT)
        assert refused.exit == 2 and "refused the release (401)" in refused.stderr
        assert world.tokens["carol"] not in refused.stderr + refused.stdout
        monkeypatch.setenv("BUTTRESS_TOKEN", world.tokens["carol"])
        made = cli("release", "create", fraud, "--server", base, "--at", AT, "--format", "json")
        assert made.exit == 0, made.stderr
        plain = cli("release", "create", fraud, "--server", base, "--at", AT)
        assert plain.exit == 0 and "by carol" in plain.stdout and "prod:" in plain.stdout
    assert cli("release", "create", fraud, "--server", "http://buttress.example.com", "--at", AT).exit == 2
    rid = json.loads(made.stdout)["id"]
    detail = world.client("eve").get(f"/api/releases/{rid}").json()
    assert detail["creator"] == "carol" and detail["blueprint"] == "fraud-detection"
    assert detail["attestation"]["ok"] is True
    assert detail["environmentDetails"]["prod"]["promotion"]["approvals"]["count"] == 2
    assert "scorer/service-scorer.yaml" in " ".join(a["file"] for a in detail["environmentDetails"]["prod"]["changes"]["added"])
