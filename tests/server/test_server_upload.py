"""Releases on a team server are built by the server: ``buttress release create --server URL`` (or any CI)
sends the blueprint's source, and the server validates, checks, renders and signs it with the code of
``buttress release create``. Policy, findings and bundle are never the client's word, so no writer can
weaken the gates by what it posts; a source that does not validate is a 422 with located problems."""

from __future__ import annotations

import base64
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from buttress.app import server_upload
from buttress.app.check import check
from buttress.app.release import _render, policy_of
from buttress.app.validate import validate

World = Any  # the ``world`` fixture of conftest.py
Source = Callable[..., dict[str, Any]]  # the ``blueprint_source`` fixture
AT = "2026-12-01T09:00:00+00:00"


def _b64(text: str | bytes) -> str:
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


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


def test_server_builds_the_same_release_as_the_command_line(world: World, serve: Any, cli: Callable[..., Any],
                                                            fraud: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's release of the uploaded source (blueprint, pattern and Rego files) is what ``release
    create`` computes locally: the same source digest, policy, findings and files."""
    monkeypatch.setenv("BUTTRESS_TOKEN", world.tokens["carol"])
    with serve(world.app()) as base:
        made = cli("release", "create", fraud, "--server", base, "--format", "json")
    assert made.exit == 0, made.stderr
    rid = json.loads(made.stdout)["id"]
    local = validate(fraud)
    report = check(local, None, world.clock().date())
    eve = world.client("eve")
    assert json.loads(made.stdout)["sourceDigest"] == local.blueprint.digest
    detail = eve.get(f"/api/releases/{rid}").json()
    for env, expected in policy_of(local.blueprint.spec).items():
        assert detail["environmentDetails"][env]["promotion"] == expected["promotion"]
        served = eve.get(f"/api/releases/{rid}/findings/{env}").json()
        assert [(f["control"], f["module"], f["waived"]) for f in served] == \
            [(f.control, f.module, f.waived) for f in report.environments[env].findings]
        assert {f["location"]["file"] for f in served if f["location"]} <= {"blueprint.yaml"}  # not the server's temp path
    sent = server_upload.release_body(fraud)
    assert sent["blueprintFile"] == "blueprint.yaml"  # what the blueprint reads, and nothing else (no .buttress/)
    assert sorted(sent["source"]) == ["blueprint.yaml", "patterns/model-server.yaml", "policies/fraud.rego"]
    for name, content in _render(local, "prod", report).items():
        assert eve.get(f"/api/releases/{rid}/files/prod/{name}").content == content, name


def test_server_refuses_client_policy_and_findings(world: World, blueprint_source: Source) -> None:
    """The old attack — a writer posting its own policy (prod without promotion rules) and no findings — is
    refused outright: the body holds the blueprint's source and nothing else."""
    eve = world.client("eve")
    lenient = {env: {"enforcement": "advisory", "promotion": None, "waivers": []} for env in ("dev", "staging", "prod")}
    old = {"blueprint": "fraud-detection", "sourceDigest": "cd" * 32, "policy": lenient, "findings": {},
           "files": {env: {"deployment.yaml": _b64("kind: Deployment\n")} for env in lenient}}
    assert eve.post("/api/releases", json=old).status_code == 422
    for field, value in (("policy", lenient), ("findings", {"prod": []}), ("files", old["files"]),
                         ("blueprint", "fraud-detection"), ("sourceDigest", "cd" * 32)):
        answer = eve.post("/api/releases", json=blueprint_source() | {field: value})
        assert answer.status_code == 422, field
    assert len(eve.get("/api/releases").json()) == 1  # nothing stored


def _promote(world: World, who: str, rid: str, env: str) -> Any:
    return world.client(who).post("/api/promotions", json={"release": rid, "environment": env})


def test_server_gates_come_from_the_server_not_the_uploader(world: World, blueprint_source: Source) -> None:
    """eve uploads the blueprint herself: its prod still needs two approvals (she cannot give them), a soak
    and a window, because the server read them from the source — and eve's release is refused for prod."""
    eve = world.client("eve")
    made = eve.post("/api/releases", json=blueprint_source("eve"))
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    assert made.json()["creator"] == "eve"
    prod = eve.get(f"/api/releases/{rid}").json()["environmentDetails"]["prod"]
    assert prod["promotion"]["approvals"] == {"count": 2, "roles": ["release-manager", "security"]}
    for env in ("dev", "staging"):
        assert _promote(world, "eve", rid, env).status_code == 201
    world.clock.advance(days=1)
    refused = _promote(world, "eve", rid, "prod")
    assert refused.status_code == 412 and "approvals: 0 of 2 approval(s)" in refused.json()["detail"]
    assert world.client("eve").post(f"/api/releases/{rid}/approvals", json={"environment": "prod"}).status_code == 403
    assert world.client("eve").get("/api/environments/prod").json()["current"] is None


def test_server_findings_come_from_the_server(world: World, blueprint_source: Source) -> None:
    """A source with an unpinned image: the server finds ``image-digest`` errors itself, and mandatory
    enforcement blocks the promotion to staging, whatever the uploader would have said."""
    unpinned = re.sub(r"image: .*", "image: registry.example.com/risk/scorer:2.3.1", _blueprint_text(blueprint_source()))
    eve = world.client("eve")
    made = eve.post("/api/releases", json=blueprint_source(blueprint=unpinned))
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    assert made.json()["environments"]["staging"]["errors"] == 1
    assert [f["control"] for f in eve.get(f"/api/releases/{rid}/findings/staging").json()] == ["image-digest"]
    assert _promote(world, "eve", rid, "dev").status_code == 201  # advisory
    refused = _promote(world, "eve", rid, "staging")
    assert refused.status_code == 412 and "image-digest" in refused.json()["detail"]


def _blueprint_text(body: dict[str, Any]) -> str:
    return base64.b64decode(body["source"]["blueprint.yaml"]).decode()


def _refusal(world: World, body: dict[str, Any]) -> dict[str, Any]:
    answer = world.client("carol").post("/api/releases", json=body)
    assert answer.status_code == 422, answer.text
    assert "buttress-upload-" not in answer.text and "/tmp" not in answer.text
    return dict(answer.json())


def test_server_invalid_blueprint_is_422_with_located_problems(world: World, blueprint_source: Source) -> None:
    good = _blueprint_text(blueprint_source())
    broken = _refusal(world, blueprint_source(blueprint=good.replace("kind: service", "kind: [service")))
    assert broken["problems"][0]["file"] == "blueprint.yaml" and broken["problems"][0]["line"] > 1
    wrong = _refusal(world, blueprint_source(blueprint=good.replace("enforcement: mandatory", "enforcement: loose", 1)))
    [problem] = wrong["problems"]
    assert problem["file"] == "blueprint.yaml" and problem["keypath"] == "environments.staging.enforcement"
    assert problem["line"] == good.splitlines().index("    enforcement: mandatory") + 1
    assert wrong["detail"].startswith(f"blueprint.yaml:{problem['line']}:")
    with_pattern = good.replace("modules:\n", "uses:\n  web: patterns/web.yaml\nmodules:\n", 1)
    missing = _refusal(world, blueprint_source(blueprint=with_pattern))
    assert "pattern file 'patterns/web.yaml' does not exist" in missing["detail"]
    bad_pattern = _refusal(world, blueprint_source(blueprint=with_pattern, **{"patterns/web.yaml": "pattern: v1\n"}))
    assert {p["file"] for p in bad_pattern["problems"]} == {"patterns/web.yaml"}
    with_rego = good.replace("  profile: baseline\n", "  profile: baseline\n  rego: [policies/]\n")
    rego = _refusal(world, blueprint_source(blueprint=with_rego, **{"policies/org.rego": "package main\n\ndeny[ {\n"}))
    assert rego["problems"][0]["file"].startswith("policies")
    escape = _refusal(world, blueprint_source(blueprint=with_pattern.replace("patterns/web.yaml", "../web.yaml")))
    assert "leaves the blueprint's folder" in escape["detail"]
    _refusal(world, {"source": {"blueprint.yaml": _b64(b"name: \xff\n")}})
    _refusal(world, {"source": {"blueprint.yaml": _b64("")}})
    assert len(world.client("eve").get("/api/releases").json()) == 1  # nothing stored


def test_server_cli_upload_reports_problems(world: World, serve: Any, cli: Callable[..., Any], fraud: Path,
                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A blueprint that does not validate is refused before it is sent, located in the local files; one the
    server refuses (a Rego policy that does not compile) comes back with the server's located problems."""
    project = tmp_path / "broken"
    shutil.copytree(fraud, project, ignore=shutil.ignore_patterns(".buttress"))
    blueprint = project / "blueprint.yaml"
    blueprint.write_text(blueprint.read_text().replace("enforcement: mandatory", "enforcement: loose", 1))
    monkeypatch.setenv("BUTTRESS_TOKEN", world.tokens["carol"])
    with serve(world.app()) as base:
        local = cli("release", "create", project, "--server", base)
        assert local.exit == 2 and f"{blueprint}:" in local.stderr and "refused" not in local.stderr
        blueprint.write_text(fraud.joinpath("blueprint.yaml").read_text())
        (project / "policies" / "broken.rego").write_text("package main\n\ndeny[msg {\n")
        served = cli("release", "create", project, "--server", base)
    assert served.exit == 2 and "refused the release (422)" in served.stderr, served.stderr
    assert re.search(r"policies/broken\.rego:\d+:\d+: error: Rego", served.stderr), served.stderr
    assert "buttress-upload-" not in served.stderr
    assert len(world.client("eve").get("/api/releases").json()) == 1
