"""The README story on the example blueprint: release (render + check), promote dev → staging, approvals
by two role holders, prod after the soak, rollback, audit verify — through the CLI."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fraud-detection"


def test_release_story_on_the_example(tmp_path: Path, cli: Callable[..., Any]) -> None:
    project = tmp_path / "fraud-detection"
    shutil.copytree(EXAMPLE, project)
    deploy = tmp_path / "deploy"

    def run(*args: str, who: str, at: str) -> Any:
        result = cli(*args, "-C", str(project), "--as", who, "--at", at) if args[0] != "release" else \
            cli(*args, "--as", who, "--at", at)
        return result

    assert run("keys", "init", who="alice", at="2026-12-01T08:00:00Z").exit == 0
    assert (project / ".buttress" / "ledger.db").exists()
    assert (project / ".buttress" / "keys" / "ledger.key").stat().st_mode & 0o777 == 0o600
    for who, role in (("bob", "release-manager"), ("sec", "security")):
        assert run("roles", "grant", who, role, who="alice", at="2026-12-01T08:01:00Z").exit == 0
    created = run("release", "create", str(project), "--format", "json", who="carol", at="2026-12-01T09:00:00Z")
    assert created.exit == 0, created.stderr
    release = json.loads(created.stdout)
    rid = release["id"]
    assert set(release["environments"]) == {"dev", "staging", "prod"}
    assert all(info["files"] > 0 for info in release["environments"].values())
    assert run("release", "verify", rid, "-C", str(project), who="x", at="2026-12-01T09:00:00Z").exit == 0
    gitops = ("--gitops", str(deploy))
    assert run("promote", rid, "--to", "dev", *gitops, who="frank", at="2026-12-01T09:05:00Z").exit == 0
    assert run("promote", rid, "--to", "staging", *gitops, who="frank", at="2026-12-01T09:10:00Z").exit == 0
    refused = run("promote", rid, "--to", "prod", who="frank", at="2026-12-01T10:00:00Z")
    assert refused.exit == 1 and "✗ soak" in refused.stdout and "✗ approvals" in refused.stdout
    assert run("approve", rid, "--env", "prod", who="bob", at="2026-12-01T11:00:00Z").exit == 0
    assert run("approve", rid, "--env", "prod", who="sec", at="2026-12-01T11:05:00Z").exit == 0
    assert run("promote", rid, "--to", "prod", *gitops, who="frank", at="2026-12-03T10:00:00+01:00").exit == 0
    assert any((deploy / "prod").rglob("*.yaml"))
    status = json.loads(run("status", "--format", "json", who="x", at="2026-12-03T10:00:00Z").stdout)
    assert {e["environment"]: e["release"] for e in status["environments"]} == {"dev": rid, "staging": rid, "prod": rid}
    assert run("rollback", "--env", "prod", who="frank", at="2026-12-03T11:00:00Z").exit == 2, "no earlier release"
    verify = run("audit", "verify", who="x", at="2026-12-03T12:00:00Z")
    assert verify.exit == 0 and "audit log verifies" in verify.stdout
