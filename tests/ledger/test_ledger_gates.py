"""Promotion gates as pure functions: soak, findings under enforcement and waivers, approvals with
separation of duties and rejections, change windows in their time zone, and break-glass."""

from __future__ import annotations

import datetime as dt

from buttress.ledger import gates
from buttress.ledger.gates import Decision

UTC = dt.UTC
AT = dt.datetime(2026, 12, 3, 9, 0, tzinfo=UTC)  # a Thursday: 10:00 in Berlin
RULE = {"count": 2, "roles": ["release-manager", "security"]}
WINDOW = {"days": ["mon", "tue", "wed", "thu"], "hours": "08:00-16:00", "timezone": "Europe/Berlin"}


def test_soak_needs_a_deployment_to_the_source_and_enough_time_there() -> None:
    assert gates.soak(None, None, None, AT).passed
    never = gates.soak("staging", 86400, None, AT)
    assert not never.passed and "never deployed to staging" in never.reason
    short = gates.soak("staging", 86400, AT - dt.timedelta(hours=23), AT)
    assert not short.passed and "24h required" in short.reason
    assert gates.soak("staging", 86400, AT - dt.timedelta(hours=24), AT).passed
    assert gates.soak("staging", None, AT, AT).passed


def _finding(control: str = "image-digest", module: str | None = "scorer", waived: bool = False,
             expires: str | None = None, severity: str = "error") -> dict[str, object]:
    f: dict[str, object] = {"control": control, "severity": severity, "module": module, "message": "m",
                            "waived": waived}
    if expires:
        f["waiver"] = {"expires": expires}
    return f


def test_findings_block_by_enforcement_and_waivers_are_judged_at_promotion_time() -> None:
    error = _finding()
    assert gates.checks([error], "advisory", [], "prod", AT).passed
    blocked = gates.checks([error], "mandatory", [], "prod", AT)
    assert not blocked.passed and "image-digest@scorer" in blocked.reason
    assert gates.checks([_finding(severity="warning")], "strict", [], "prod", AT).passed
    waived = _finding(waived=True, expires="2026-12-31")
    assert gates.checks([waived], "mandatory", [], "prod", AT).passed
    assert not gates.checks([waived], "strict", [], "prod", AT).passed, "strict does not honour waivers"
    expired = _finding(waived=True, expires="2026-12-02")
    assert not gates.checks([expired], "mandatory", [], "prod", AT).passed, "expired by promotion time"
    by_list = _finding(waived=True)
    waivers = [{"control": "image-digest", "modules": ["scorer"], "expires": "2027-01-01", "environments": None}]
    assert gates.checks([by_list], "mandatory", waivers, "prod", AT).passed
    assert not gates.checks([by_list], "mandatory", [{**waivers[0], "environments": ["dev"]}], "prod", AT).passed


def _approve(who: str, *roles: str) -> Decision:
    return Decision(who, "approve", roles, AT.isoformat())


def test_approvals_count_distinct_role_holders_excluding_creator_and_promoter() -> None:
    ok = gates.approvals(RULE, [_approve("bob", "release-manager"), _approve("sec", "security")], "carol", "frank")
    assert ok.passed and ok.evidence["approvers"] == ["bob", "sec"]
    twice = gates.approvals(RULE, [_approve("bob", "release-manager")] * 2, "carol", "frank")
    assert not twice.passed and "1 of 2" in twice.reason
    no_role = gates.approvals(RULE, [_approve("bob", "release-manager"), _approve("eve", "developer")], "carol", "f")
    assert not no_role.passed and "eve held none of the roles" in no_role.reason
    creator = gates.approvals(RULE, [_approve("bob", "release-manager"), _approve("carol", "security")], "carol", "f")
    assert not creator.passed and "carol created the release" in creator.reason
    promoter = gates.approvals(RULE, [_approve("bob", "release-manager"), _approve("sec", "security")], "c", "sec")
    assert not promoter.passed and "sec is promoting it" in promoter.reason
    assert gates.approvals(None, [], "carol", "frank").passed


def test_an_open_rejection_blocks_until_its_author_withdraws_it() -> None:
    approvals = [_approve("bob", "release-manager"), _approve("sec", "security")]
    reject = Decision("erin", "reject", (), AT.isoformat(), "drift")
    blocked = gates.approvals(RULE, [*approvals, reject], "carol", "frank")
    assert not blocked.passed and "rejected by erin" in blocked.reason
    assert not gates.approvals(None, [reject], "carol", "frank").passed
    withdrawn = [*approvals, reject, Decision("erin", "withdraw", (), AT.isoformat())]
    assert gates.approvals(RULE, withdrawn, "carol", "frank").passed
    other = [*approvals, reject, Decision("bob", "withdraw", (), AT.isoformat())]
    assert not gates.approvals(RULE, other, "carol", "frank").passed


def test_window_is_evaluated_in_its_time_zone_across_daylight_saving() -> None:
    assert gates.window(WINDOW, AT).passed
    assert not gates.window(WINDOW, dt.datetime(2026, 12, 3, 15, 30, tzinfo=UTC)).passed  # 16:30 Berlin
    assert not gates.window(WINDOW, dt.datetime(2026, 12, 4, 9, 0, tzinfo=UTC)).passed  # Friday
    # 06:30 UTC is 08:30 in Berlin in summer (UTC+2) but 07:30 in winter (UTC+1).
    assert gates.window(WINDOW, dt.datetime(2026, 7, 2, 6, 30, tzinfo=UTC)).passed
    late = gates.window(WINDOW, dt.datetime(2026, 12, 3, 6, 30, tzinfo=UTC))
    assert not late.passed and "Thu 07:30 Europe/Berlin is outside" in late.reason
    assert gates.window(None, AT).passed


def test_break_glass_bypasses_only_approvals_and_window() -> None:
    verdicts = [gates.Verdict(gates.ATTESTATION, False, "bad signature"), gates.Verdict(gates.SOAK, False, "short"),
                gates.Verdict(gates.CHECKS, False, "blocked"), gates.Verdict(gates.APPROVALS, False, "0 of 2"),
                gates.Verdict(gates.WINDOW, False, "outside")]
    decided = {v.gate: v for v in gates.decide(verdicts, "prod is down")}
    assert [g for g, v in decided.items() if v.passed] == [gates.APPROVALS, gates.WINDOW]
    assert decided[gates.APPROVALS].bypassed and "would have been: 0 of 2" in decided[gates.APPROVALS].reason
    assert not decided[gates.SOAK].passed and not decided[gates.ATTESTATION].passed
    assert gates.decide(verdicts, None) == verdicts
