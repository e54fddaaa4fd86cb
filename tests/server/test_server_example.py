"""``examples/buttress-server``: the blueprint that deploys the team server itself validates, passes its
checks and renders a Deployment that runs ``buttress serve`` with health probes, behind a TLS Ingress,
with the ledger's PostgreSQL as an external it may reach and nothing else."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from buttress.errors import UsageError
from buttress.server.app import create_app
from buttress.server.context import ServerConfig

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
    [external] = (out / "prod" / "server").glob("externalsecret-*.yaml")
    wanted = {d["secretKey"] for d in yaml.safe_load(external.read_text())["spec"]["data"]}
    assert wanted == {"BUTTRESS_LEDGER", "BUTTRESS_SIGNING_KEY"}  # what the server needs to start, as references


def test_the_server_signs_with_a_key_delivered_in_its_environment(cli: Callable[..., Any], tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    key = tmp_path / "admin" / "ledger.key"
    assert cli("keys", "init", "--ledger", url, "--key", str(key), "--as", "alice").exit == 0
    container = tmp_path / "container"  # no key file there: the key arrives as an environment variable
    container.mkdir()
    monkeypatch.setenv("BUTTRESS_SIGNING_KEY", key.read_text())
    server = create_app(ServerConfig(project=container, ledger_url=url)).state.server
    assert server.key is not None and server.key.public.raw.hex() == (tmp_path / "admin" / "ledger.key.pub").read_text().strip()
    monkeypatch.setenv("BUTTRESS_SIGNING_KEY", "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    with pytest.raises(UsageError) as refused:
        create_app(ServerConfig(project=container, ledger_url=url))
    assert "$BUTTRESS_SIGNING_KEY is not a PEM private key" in str(refused.value) and "not a key" not in str(refused.value)
