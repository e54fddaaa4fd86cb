"""The check use case: waivers by date and environment, enforcement per environment, findings
supplied by other code (capacity-headroom), and locations of rendered-object findings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.conftest import edit

from buttress.app.check import check
from buttress.app.validate import validate
from buttress.policy.catalog import BY_ID, for_profile
from buttress.policy.catalog.base import EnvContext
from buttress.policy.evaluate import evaluate
from buttress.policy.findings import Finding, Location

AT = dt.date(2026, 12, 1)


def slo(report_findings: list[Finding]) -> list[bool]:
    return [f.waived for f in report_findings if f.control == "slo-defined"]


def test_valid_waiver_marks_the_finding_with_its_details(fraud: Path) -> None:
    report = check(validate(fraud, ["prod"]), ["prod"], AT)
    [f] = report.findings
    assert f.waived and f.waiver is not None
    assert (f.waiver.approved_by, f.waiver.expires, f.waiver.ticket) == ("security@example.com",
                                                                         dt.date(2027, 5, 15), "RISK-1042")
    assert f.waiver.location is not None and f.waiver.location.line == 163
    assert f.to_json()["waiver"]["approvedBy"] == "security@example.com"
    assert not report.blocked


@pytest.mark.parametrize(("at", "waived"), [(dt.date(2027, 5, 15), True), (dt.date(2027, 5, 16), False),
                                            (dt.date(2026, 11, 16), True), (dt.date(2026, 11, 15), False)])
def test_waiver_window_is_the_evaluation_date_to_180_days(fraud: Path, at: dt.date, waived: bool) -> None:
    report = check(validate(fraud, ["prod"]), ["prod"], at)
    assert slo(report.findings) == [waived]
    assert any(f.control == "waiver-valid" for f in report.findings) is not waived
    assert report.blocked is not waived


def test_strict_environment_honours_no_waiver(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "    region: eu-central-1\n    enforcement: mandatory",
         "    region: eu-central-1\n    enforcement: strict")
    report = check(validate(fraud, ["prod"]), ["prod"], AT)
    assert slo(report.findings) == [False]
    assert report.environments["prod"].blocked


def test_waiver_limited_to_environments(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "      ticket: RISK-1042\n", "      ticket: RISK-1042\n      environments: [prod]\n")
    report = check(validate(fraud), None, AT)
    assert {e: slo(r.findings) for e, r in report.environments.items()} == {
        "dev": [False], "staging": [False], "prod": [True]}
    assert {e: r.blocked for e, r in report.environments.items()} == {"dev": False, "staging": True, "prod": False}


def test_advisory_never_blocks_even_on_warnings(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "expires: 2027-05-15", "expires: 2025-01-31")
    report = check(validate(fraud, ["dev"]), ["dev"], AT, fail_on_warn=True)
    assert report.environments["dev"].enforcement == "advisory"
    assert not report.blocked and slo(report.findings) == [False]


def test_fail_on_warn_blocks_on_unwaived_warnings(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "      soak: 24h\n", "")
    validated = validate(fraud, ["prod"])
    assert not check(validated, ["prod"], AT).blocked
    assert check(validated, ["prod"], AT, fail_on_warn=True).blocked


def headroom(env: str, severity: str) -> Finding:
    return Finding("capacity-headroom", "error" if severity == "error" else "warning", env, "scorer",
                   "peak 2500rps needs 52 replicas, above scaling.replicas.max 40", Location("blueprint.yaml", 62, 7))


def test_supplied_findings_are_enforced_like_built_in_ones(fraud: Path) -> None:
    validated = validate(fraud, ["staging", "prod"])
    report = check(validated, None, AT, extra_findings=[headroom("prod", "error")])
    assert report.environments["prod"].blocked and not report.environments["staging"].blocked
    assert BY_ID["capacity-headroom"].scope == "supplied"


def test_supplied_findings_can_be_waived(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "      expires: 2027-05-15\n", "      expires: 2027-05-15\n"
         "    - control: capacity-headroom\n      modules: [scorer]\n      reason: Peak is pre-scaled by hand.\n"
         "      approvedBy: sre@example.com\n      expires: 2027-01-31\n")
    report = check(validate(fraud, ["prod"]), ["prod"], AT, extra_findings=[headroom("prod", "warning")])
    assert [f.waived for f in report.findings if f.control == "capacity-headroom"] == [True]


def test_rendered_object_findings_point_at_the_module_line(fraud: Path) -> None:
    validated = validate(fraud, ["prod"])
    bp, env = validated.blueprint, validated.environments["prod"]
    obj = {"kind": "Service", "metadata": {"name": "scorer", "annotations": {"buttress.dev/module": "scorer"}},
           "spec": {"type": "LoadBalancer"}}
    orphan = {"kind": "Service", "metadata": {"name": "hand-made"}, "spec": {"type": "NodePort"}}
    found = evaluate(EnvContext(bp, env, validated.graphs["prod"]), for_profile("baseline"), [obj, orphan])
    by_object = {str(f.object): f for f in found if f.control == "service-type"}
    assert by_object["Service/scorer"].module == "scorer"
    assert by_object["Service/scorer"].location == Location(bp.file, 51, 3)
    assert by_object["Service/scorer"].message.startswith("Service/scorer: ")
    assert by_object["Service/hand-made"].module is None
    assert by_object["Service/hand-made"].location == Location(bp.file, 144, 3)


def test_profiles_baseline_is_a_subset_of_strict() -> None:
    baseline, strict = set(for_profile("baseline")), set(for_profile("strict"))
    assert baseline < strict


def test_baseline_profile_skips_strict_only_controls(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "  profile: strict\n", "  profile: baseline\n")
    edit(bp, "      soak: 24h\n", "")
    report = check(validate(fraud, ["prod"]), ["prod"], AT)
    assert not any(f.control == "promotion-soak" for f in report.findings)
