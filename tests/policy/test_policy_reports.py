"""Report formats of ``buttress check``: the JSON contract, SARIF valid against the published
2.1.0 schema (with waived findings as suppressions), JUnit XML, and the text summary."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tests.conftest import SHARED, Run, edit

SARIF_SCHEMA = SHARED / "schemas" / "sarif" / "sarif-schema-2.1.0.json"
AT = "2026-12-01"


@pytest.fixture
def failing(fraud: Path) -> Path:
    """The example with an unpinned scorer image (blocks prod) next to its waived finding."""
    edit(fraud / "blueprint.yaml", "risk/scorer@sha256:1f2e3d4c5b6a79880f1e2d3c4b5a69788f9e0d1c2b3a49586f7e8d9c0b1a2f3e",
         "risk/scorer:2.3.1")
    return fraud


def test_json_is_the_blueprint_contract(cli: Callable[..., Run], failing: Path) -> None:
    run = cli("check", failing, "--env", "prod", "--format", "json", "--at", AT)
    assert run.exit == 1
    data = json.loads(run.stdout)
    assert data["blocked"] is True
    [digest] = [f for f in data["findings"] if f["control"] == "image-digest"]
    assert {k: digest[k] for k in ("control", "severity", "environment", "module", "waived")} == {
        "control": "image-digest", "severity": "error", "environment": "prod", "module": "scorer", "waived": False}
    # as BLUEPRINT.md shows it: relative to the blueprint's folder, whatever the path given and the working folder
    assert digest["location"] == {"file": "blueprint.yaml", "line": 54, "column": 12}
    assert data["environments"]["prod"] == {"enforcement": "mandatory", "blocked": True, "findings": 2}


def test_sarif_validates_and_carries_rules_and_suppressions(cli: Callable[..., Run], failing: Path) -> None:
    run = cli("check", failing, "--format", "sarif", "--at", AT)
    assert run.exit == 1
    log = json.loads(run.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    [sarif_run] = log["runs"]
    rules = {r["id"]: r for r in sarif_run["tool"]["driver"]["rules"]}
    assert "Fix:" in rules["image-digest"]["help"]["text"]
    assert "nist-800-53:CM-14" in rules["image-digest"]["properties"]["tags"]
    assert rules["rego:blueprint.deny_restricted_replicas"]["defaultConfiguration"]["level"] == "error"
    results = sarif_run["results"]
    waived = [r for r in results if "suppressions" in r]
    assert waived and all(r["ruleId"] == "slo-defined" for r in waived)
    assert waived[0]["suppressions"][0]["state"] == "accepted"
    assert "freshness alert" in waived[0]["suppressions"][0]["justification"]
    digest = next(r for r in results if r["ruleId"] == "image-digest")
    assert sarif_run["tool"]["driver"]["rules"][digest["ruleIndex"]]["id"] == "image-digest"
    assert digest["locations"][0]["physicalLocation"]["region"] == {"startLine": 54, "startColumn": 12}


def test_sarif_locations_are_relative_to_the_folder_it_ran_in(cli: Callable[..., Run], failing: Path,
                                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Code scanning maps ``%SRCROOT%``-relative URIs onto the checkout, whatever the runner's absolute paths."""
    def artifacts(cwd: Path) -> tuple[dict[str, str], dict[str, Any]]:
        monkeypatch.chdir(cwd)
        [run] = json.loads(cli("check", failing.absolute(), "--format", "sarif", "--at", AT).stdout)["runs"]
        digest = next(r for r in run["results"] if r["ruleId"] == "image-digest")
        return digest["locations"][0]["physicalLocation"]["artifactLocation"], run["originalUriBaseIds"]

    inside, bases = artifacts(failing.parent)
    assert inside == {"uri": f"{failing.name}/blueprint.yaml", "uriBaseId": "%SRCROOT%"}
    assert bases == {"%SRCROOT%": {"uri": failing.parent.absolute().as_uri() + "/"}}
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    outside, _ = artifacts(elsewhere)
    assert outside == {"uri": (failing.absolute() / "blueprint.yaml").as_uri()}
    spaced = failing.parent / "my blueprints" / "fd#1"
    spaced.parent.mkdir()
    failing.rename(spaced)
    failing = spaced
    inside, _ = artifacts(spaced.parent.parent)  # a URI reference: percent-encoded, no fragment
    assert inside == {"uri": "my%20blueprints/fd%231/blueprint.yaml", "uriBaseId": "%SRCROOT%"}


def test_junit_has_a_suite_per_environment(cli: Callable[..., Run], failing: Path) -> None:
    run = cli("check", failing, "--format", "junit", "--at", AT)
    root = ET.fromstring(run.stdout)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"buttress check dev", "buttress check staging", "buttress check prod"}
    prod = suites["buttress check prod"]
    failures = [c for c in prod.iter("testcase") if c.find("failure") is not None]
    assert [(c.get("classname"), c.get("name")) for c in failures] == [("prod.scorer", "image-digest")]
    skipped = [c for c in prod.iter("testcase") if c.find("skipped") is not None]
    assert [c.get("name") for c in skipped] == ["slo-defined"]
    assert prod.get("failures") == "1" and int(prod.get("tests", "0")) > 40


def test_text_groups_by_environment_and_module(cli: Callable[..., Run], failing: Path) -> None:
    run = cli("check", failing, "--at", AT)
    assert run.exit == 1
    assert "prod (mandatory): blocked" in run.stdout
    assert "dev (advisory): passes" in run.stdout
    assert "  scorer\n" in run.stdout
    assert "error image-digest: image registry.example.com/risk/scorer" in run.stdout
    assert "waived (security@example.com, until 2027-05-15)" in run.stdout
    assert run.stdout.rstrip().endswith("blocked: staging, prod")
    assert "\x1b[" not in run.stdout


def test_reports_are_deterministic(cli: Callable[..., Run], failing: Path) -> None:
    for fmt in ("json", "sarif", "junit", "text"):
        first = cli("check", failing, "--format", fmt, "--at", AT).stdout
        assert cli("check", failing, "--format", fmt, "--at", AT).stdout == first


def test_secret_is_never_echoed_in_any_format(cli: Callable[..., Run], fraud: Path) -> None:
    token = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"
    edit(fraud / "blueprint.yaml", "    capacity: {serviceTime: 4ms, concurrency: 8}",
         f"    env: {{GH: {token}}}\n    capacity: {{serviceTime: 4ms, concurrency: 8}}")
    for fmt in ("json", "sarif", "junit", "text"):
        run = cli("check", fraud, "--format", fmt, "--at", AT)
        assert run.exit == 1
        assert "secret-inline" in run.stdout
        assert token not in run.stdout + run.stderr
        assert token[:12] not in run.stdout + run.stderr
