"""Compliance evidence: per framework, each mapped control's status (pass, fail, waived with the
waiver, not applicable with the reason), its modules and evidence that points at real blueprint
lines and rendered files; deterministic."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import FRAUD, edit

from buttress.app.check import check
from buttress.app.evidence import evidence_files
from buttress.app.render import environment_files
from buttress.app.validate import Validated, validate

AT = dt.date(2026, 12, 1)
"""Before the example's waiver expires (2027-05-15) and less than 180 days ahead of it."""


def _evidence(v: Validated, env: str, at: dt.date = AT) -> tuple[dict[str, Any], str]:
    files = evidence_files(check(v, [env], at), v, env)
    assert set(files) == {"compliance/report.md", "compliance/report.json"}
    return json.loads(files["compliance/report.json"]), files["compliance/report.md"].decode()


def _control(report: dict[str, Any], control: str) -> dict[str, Any]:
    return next(c for c in report["controls"] if c["id"] == control)


def _reference(report: dict[str, Any], framework: str, ref: str) -> dict[str, Any]:
    fw = next(f for f in report["frameworks"] if f["id"] == framework)
    return next(r for r in fw["references"] if r["id"] == ref)


@pytest.fixture(scope="module")
def prod(example: Validated) -> tuple[dict[str, Any], str]:
    """The example's prod evidence."""
    return _evidence(example, "prod")


def test_frameworks_are_those_the_blueprint_lists(prod: tuple[dict[str, Any], str]) -> None:
    report, md = prod
    assert [f["id"] for f in report["frameworks"]] == ["soc2", "iso27001", "nist-800-53"]
    assert {"blueprint": "fraud-detection", "environment": "prod", "namespace": "fraud-prod", "enforcement": "mandatory",
            "profile": "strict", "checkedOn": "2026-12-01", "blocked": False}.items() <= report.items()
    for control in report["controls"]:
        assert set(control["references"]) <= {"soc2", "iso27001", "nist-800-53"}
        assert control["references"], control["id"]
    # controls mapped only to frameworks the blueprint does not list are left out
    assert all(c["id"] != "pod-host-namespaces" or "soc2" in c["references"] for c in report["controls"])
    soc2 = report["frameworks"][0]
    assert [r["id"] for r in soc2["references"]][:3] == ["A1.1", "A1.2", "A1.3"]
    assert sum(soc2["counts"].values()) == len(soc2["references"])
    assert "| [SOC 2 (TSC 2017)](#framework-soc2) | waived |" in md


def test_waived_finding_carries_the_waiver(prod: tuple[dict[str, Any], str]) -> None:
    report, md = prod
    slo = _control(report, "slo-defined")
    assert slo["status"] == "waived"
    [finding] = slo["findings"]
    assert finding["module"] == "label-ingest" and finding["waived"] is True
    assert finding["waiver"] == {"reason": "The queue worker is covered by the pipeline's freshness alert, not a request SLO.",
                                 "approvedBy": "security@example.com", "expires": "2027-05-15", "ticket": "RISK-1042",
                                 "location": f"blueprint.yaml:{_line_of('- control: slo-defined')}"}
    assert slo["waivers"] == [finding["waiver"]]
    assert _reference(report, "soc2", "CC7.2")["status"] == "waived"
    assert "Approved by security@example.com, expires 2027-05-15, ticket RISK-1042" in md


def test_not_applicable_controls_say_why(prod: tuple[dict[str, Any], str]) -> None:
    report, md = prod
    cluster = _control(report, "rbac-cluster-scope")
    assert cluster["status"] == "not applicable"
    assert cluster["reason"] == "no rendered ClusterRole, ClusterRoleBinding object in this environment"
    assert cluster["evidence"] == [] and cluster["modules"] == []
    assert _control(report, "capacity-headroom")["status"] == "pass"  # prod carries the peak scenario
    assert _reference(report, "nist-800-53", "AC-6(3)")["status"] == "not applicable"
    assert "Not applicable: no rendered ClusterRole, ClusterRoleBinding object in this environment." in md


def _line_of(text: str) -> int:
    """The first line of the example's blueprint that reads ``text``."""
    lines = (FRAUD / "blueprint.yaml").read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if line.strip() == text)


def test_evidence_points_at_real_blueprint_lines_and_rendered_files(prod: tuple[dict[str, Any], str],
                                                                    example: Validated) -> None:
    report, _ = prod
    rendered = environment_files(example.blueprint, example.environments["prod"], example.graphs["prod"])
    lines = (FRAUD / "blueprint.yaml").read_text().splitlines()
    checked = 0
    for control in report["controls"]:
        for entry in control["evidence"]:
            for path in entry["rendered"]:
                assert path in rendered, (control["id"], path)
            for where in entry["blueprint"]:
                file, _, line = where.partition(":")
                assert file == "blueprint.yaml"
                if entry["module"]:
                    assert lines[int(line) - 1].strip() == f"{entry['module']}:"
                checked += 1
    assert checked > 100
    digest = _control(report, "image-digest")
    assert digest["status"] == "pass"
    assert digest["modules"] == ["features", "scorer", "label-ingest", "retrain", "case-store"]
    assert {"module": "scorer", "blueprint": [f"blueprint.yaml:{_line_of('scorer:')}"],
            "rendered": ["scorer/rollout-scorer.yaml"]} in digest["evidence"]
    tls = _control(report, "ingress-tls")
    assert tls["status"] == "pass" and tls["modules"] == ["scorer"]
    assert [p for e in tls["evidence"] for p in e["rendered"]] == ["scorer/ingress-scorer-score-api.yaml"]
    assert _control(report, "waiver-valid")["evidence"] == [
        {"module": None, "blueprint": [f"blueprint.yaml:{_line_of('- control: slo-defined')}"], "rendered": []}]


def test_failing_control_fails_its_references(fraud: Path) -> None:
    pinned = "risk/scorer@sha256:1f2e3d4c5b6a79880f1e2d3c4b5a69788f9e0d1c2b3a49586f7e8d9c0b1a2f3e"
    edit(fraud / "blueprint.yaml", pinned, "risk/scorer:2.3.1")
    report, md = _evidence(validate(fraud), "prod")
    digest = _control(report, "image-digest")
    assert digest["status"] == "fail"
    [finding] = digest["findings"]
    assert finding["module"] == "scorer" and finding["waived"] is False and finding["waiver"] is None
    line = next(i + 1 for i, t in enumerate((fraud / "blueprint.yaml").read_text().splitlines())
                if "risk/scorer:2.3.1" in t)
    assert finding["location"] == f"blueprint.yaml:{line}"
    assert report["blocked"] is True
    assert _reference(report, "soc2", "CC7.1")["status"] == "fail"
    assert _reference(report, "soc2", "CC7.2")["status"] == "waived"
    assert next(f for f in report["frameworks"] if f["id"] == "soc2")["status"] == "fail"
    assert f"- **error** `scorer` at blueprint.yaml:{line}:" in md
    assert "blocked: a failing control stops this environment" in md


def test_strict_enforcement_does_not_honour_the_waiver(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "    region: eu-central-1\n    enforcement: mandatory",
         "    region: eu-central-1\n    enforcement: strict")
    report, _ = _evidence(validate(fraud), "prod")
    slo = _control(report, "slo-defined")
    assert slo["status"] == "fail" and slo["waivers"] == []
    assert _reference(report, "iso27001", "5.30")["status"] == "fail"


def test_expired_waiver_fails_and_is_reported(example: Validated) -> None:
    report, _ = _evidence(example, "prod", dt.date(2027, 6, 1))
    assert _control(report, "slo-defined")["status"] == "fail"
    assert _control(report, "waiver-valid")["status"] == "fail"
    assert "expired on 2027-05-15" in _control(report, "waiver-valid")["findings"][0]["message"]


def test_profile_and_frameworks_decide_what_is_listed(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "frameworks: [soc2, iso27001, nist-800-53]", "frameworks: [pss]")
    edit(fraud / "blueprint.yaml", "profile: strict", "profile: baseline")
    report, md = _evidence(validate(fraud), "dev")
    assert [f["id"] for f in report["frameworks"]] == ["pss"]
    ids = {c["id"] for c in report["controls"]}
    assert "pod-privileged" in ids and "secret-inline" not in ids
    assert _reference(report, "pss", "baseline: Privileged Containers")["status"] == "pass"
    assert "## <a id=\"framework-pss\"></a>Pod Security Standards" in md
    assert all(c["status"] != "not applicable" or c["reason"] for c in report["controls"])


def test_strict_only_controls_are_not_applicable_in_baseline(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "profile: strict", "profile: baseline")
    report, _ = _evidence(validate(fraud), "prod")
    mutable = _control(report, "image-mutable-tag")
    assert mutable["status"] == "not applicable"
    assert mutable["reason"] == "not in the baseline profile"


def test_organisation_rules_are_reported(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "      replicas: {min: 3, max: 12}", "      replicas: {min: 2, max: 12}")
    report, md = _evidence(validate(fraud), "prod")
    rules = {r["id"]: r for r in report["organisationRules"]}
    denied = rules["rego:blueprint.deny_restricted_replicas"]
    assert denied["status"] == "fail" and denied["modules"] == ["features"]
    assert denied["definition"] == "policies/fraud.rego:7"
    assert rules["rego:blueprint.warn_gpu_cost_centre"]["status"] == "pass"
    assert "| `rego:blueprint.deny_restricted_replicas` | fail | policies/fraud.rego:7 | features |" in md


def test_markdown_links_resolve_to_anchors(prod: tuple[dict[str, Any], str]) -> None:
    _, md = prod
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', md))
    links = set(re.findall(r"\]\(#([^)]+)\)", md))
    assert links and links <= anchors
    assert "control-slo-defined" in links


def test_report_is_deterministic_and_independent_of_the_path_spelling(example: Validated,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    first = evidence_files(check(example, ["staging"], AT), example, "staging")
    again = evidence_files(check(example, ["staging"], AT), example, "staging")
    monkeypatch.chdir(FRAUD)
    relative = validate("blueprint.yaml")
    assert first == again == evidence_files(check(relative, ["staging"], AT), relative, "staging")
    with pytest.raises(ValueError, match="dev"):
        evidence_files(check(example, ["staging"], AT), example, "dev")


def test_capacity_shortfall_fails_where_the_scenario_applies(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "    load: {scorer.score-api: 2500rps}\n",
         "    load: {scorer.score-api: 2500rps}\n    environments: [dev, staging, prod]\n")
    report, _ = _evidence(validate(fraud), "dev")
    headroom = _control(report, "capacity-headroom")
    assert headroom["status"] == "fail"
    assert sorted({f["module"] for f in headroom["findings"]}) == ["features", "scorer"]
