"""``examples/buttress-server``: the blueprint that deploys the team server itself validates, passes its
checks and renders a Deployment that runs ``buttress serve`` with health probes, behind a TLS Ingress,
with the ledger's PostgreSQL as an external it may reach and nothing else."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "buttress-server"


def test_server_example_validates_checks_and_renders(cli: Callable[..., Any], tmp_path: Path) -> None:
    project = tmp_path / "buttress-server"
    shutil.copytree(EXAMPLE, project)
    assert cli("validate", project).exit == 0
    checked = cli("check", project, "--at", "2026-12-01")
    assert checked.exit == 0, checked.stdout + checked.stderr
    out = tmp_path / "out"
    assert cli("render", project, "--out", out, "--at", "2026-12-01").exit == 0
    deployment = yaml.safe_load((out / "prod" / "server" / "deployment-server.yaml").read_text())
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["buttress"] and container["args"][:1] == ["serve"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    ingress = yaml.safe_load((out / "prod" / "server" / "ingress-server-api.yaml").read_text())
    assert ingress["spec"]["tls"]
    policies = "\n".join(p.read_text() for p in (out / "prod" / "server").glob("networkpolicy-*.yaml"))
    assert "5432" in policies
