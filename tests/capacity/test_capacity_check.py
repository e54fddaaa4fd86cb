"""The ``capacity-headroom`` control in ``check``: errors with numbers, ramp warnings, waivers, and the screen."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.capacity.conftest import fixed_inputs, service
from tests.conftest import FRAUD, edit

from buttress.app.capacity_check import headroom_findings
from buttress.app.check import check
from buttress.app.validate import Validated, validate
from buttress.capacity import plan
from buttress.capacity.inputs import AutoscaleTarget
from buttress.capacity.ramp import RampShape
from buttress.capacity.replay import breach_seconds
from buttress.capacity.simulation import simulate
from buttress.errors import BlueprintError

AT = dt.date(2026, 12, 1)
TOP = {"oncall": "team-primary"}
DATA = {"data": {"classification": "internal"}}


def _front(replicas: tuple[int, int], **extra: Any) -> dict[str, Any]:
    return service(replicas=replicas, **DATA, **extra)


def _capacity(report_findings: list[Any]) -> list[Any]:
    return [f for f in report_findings if f.control == "capacity-headroom"]


def test_a_peak_beyond_max_replicas_is_an_error_with_numbers_that_blocks(
        validated: Callable[..., Validated]) -> None:
    # 1,000 rps x 10 ms = 10 erlangs; at most 70% busy needs 15 servers = 4 replicas of 4; max 2 = 8 servers
    scenarios = {"peak": {"load": {"front.api": "1000rps"}}}
    short = check(validated({"front": _front((2, 2))}, scenarios, **TOP), None, AT)
    [finding] = _capacity(short.findings)
    assert finding.severity == "error" and finding.module == "front" and finding.environment == "prod"
    assert finding.message == ("scenario peak: front needs 4 replicas for 1000 rps (p95 ≤ 100 ms, ≤ 70% busy); "
                               "max 2 falls short (125% of capacity: overloaded, the queue grows without bound "
                               "at 2 replicas)")
    assert finding.location is not None and finding.location.file.endswith("blueprint.yaml")
    assert finding.location.line > 1
    assert short.environments["prod"].blocked
    enough = check(validated({"front": _front((2, 10))}, scenarios, **TOP), None, AT)
    assert _capacity(enough.findings) == [] and not enough.environments["prod"].blocked


def test_utilisation_and_latency_at_max_are_in_the_message_when_not_overloaded(
        validated: Callable[..., Validated]) -> None:
    # 2 replicas x 4 = 8 servers for 7 erlangs: 88% busy, under the 70% headroom, latency still finite
    v = validated({"front": _front((2, 2))}, {"peak": {"load": {"front.api": "700rps"}}}, **TOP)
    [finding] = headroom_findings(v, "prod")
    assert "needs 3 replicas for 700 rps" in finding.message
    assert "max 2 falls short (88% busy, p95 " in finding.message and " ms at 2 replicas)" in finding.message


def test_a_p99_beyond_max_replicas_is_an_error_even_when_p95_fits(validated: Callable[..., Validated]) -> None:
    # 30 rps of 100 ms, one server per replica: p95 <= 310 ms needs 6 replicas, p99 <= 463 ms needs 7
    module = service(service_time="100ms", concurrency=1, replicas=(2, 6), **DATA,
                     slo={"availability": "99.9%", "latency": {"p95": "310ms", "p99": "463ms"}})
    v = validated({"front": module}, {"peak": {"load": {"front.api": "30rps"}}}, **TOP)
    [finding] = headroom_findings(v, "prod")
    assert finding.severity == "error"
    assert finding.message.startswith("scenario peak: front needs 7 replicas for 30 rps (p99 ≤ 463 ms, ≤ 70% busy; "
                                      "p95 ≤ 310 ms alone needs 6); max 6 falls short (50% busy, p99 ")
    assert ", p95 " in finding.message


def test_a_waiver_waives_the_error(validated: Callable[..., Validated]) -> None:
    waiver = {"control": "capacity-headroom", "modules": ["front"], "reason": "The peak is served by the CDN.",
              "approvedBy": "sre@example.com", "expires": "2027-01-31"}
    v = validated({"front": _front((2, 2))}, {"peak": {"load": {"front.api": "1000rps"}}},
                  policies={"waivers": [waiver]}, **TOP)
    report = check(v, None, AT)
    [finding] = _capacity(report.findings)
    assert finding.waived and finding.waiver is not None and finding.waiver.approved_by == "sre@example.com"
    assert not report.environments["prod"].blocked


def test_no_scenarios_no_finding(validated: Callable[..., Validated]) -> None:
    v = validated({"front": _front((2, 2))}, {}, **TOP)
    assert headroom_findings(v, "prod") == []
    assert _capacity(check(v, None, AT).findings) == []


def test_a_slow_start_up_breaking_the_objective_too_long_is_a_warning(validated: Callable[..., Validated]) -> None:
    # the peak fits (needs 12 of 40 replicas), but pods take 4 minutes to start and the load rises in 1
    module = _front((2, 40), capacity={"serviceTime": "10ms", "concurrency": 4, "startup": "4m"})
    module["slo"]["latency"] = {"p95": "50ms"}
    ramp = {"load": {"front.api": "2000rps"}, "baseline": 0.1, "ramp": "1m"}
    v = validated({"front": module}, {"launch": ramp, "patient": {**ramp, "tolerance": "20m"}}, **TOP)
    [finding] = headroom_findings(v, "prod")
    assert finding.severity == "warning" and finding.module == "front"
    assert finding.message.startswith("scenario launch: front is sized for the peak, but the ramp breaks the "
                                      "p95 ≤ 50 ms objective for ")
    assert "(more than the 5 min tolerated)" in finding.message and "of the latency error budget" in finding.message
    minutes = float(finding.message.split(" objective for ")[1].split(" min")[0])
    assert 8 <= minutes <= 13  # about the 4-minute start-up, twice over, while the HPA doubles the replicas
    report = check(v, None, AT)
    assert [f.severity for f in _capacity(report.findings)] == ["warning"]
    assert not report.environments["prod"].blocked
    assert check(v, None, AT, fail_on_warn=True).environments["prod"].blocked


def test_the_fraud_example_falls_short_only_in_dev_which_check_does_not_hold_to_the_peak() -> None:
    v = validate(FRAUD)
    assert {env: headroom_findings(v, env) for env in v.environments} == {"dev": [], "staging": [], "prod": []}
    [peak] = plan(v.blueprint, v.environments["dev"], simulate_modules="none").scenarios  # what `capacity --env dev` shows
    assert sorted(m.module for m in peak.modules if m.verdict == "short") == ["features", "scorer"]
    assert not check(v, None, AT).blocked


def test_a_scenario_naming_its_environments_is_judged_there_only(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "    load: {scorer.score-api: 2500rps}\n",
         "    load: {scorer.score-api: 2500rps}\n    environments: [dev, prod]\n")
    v = validate(fraud)
    found = {env: sorted(f.module or "" for f in headroom_findings(v, env)) for env in v.environments}
    assert found == {"dev": ["features", "scorer"], "staging": [], "prod": []}
    assert all(f.severity == "error" for f in headroom_findings(v, "dev"))
    assert not check(v, None, AT).blocked  # dev is advisory: reported, not blocking


def test_a_scenario_naming_an_unknown_environment_is_refused(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "    load: {scorer.score-api: 2500rps}\n",
         "    load: {scorer.score-api: 2500rps}\n    environments: [prd]\n")
    with pytest.raises(BlueprintError) as info:
        validate(fraud)
    [problem] = info.value.problems
    assert "names environment 'prd', which does not exist; did you mean 'prod'?" in problem.message
    assert problem.keypath == "scenarios.peak.environments[0]" and problem.line == _line_of(fraud, "environments: [prd]")


@pytest.mark.parametrize(("startup", "ramp", "metric"), [
    (30.0, 60.0, "cpu"), (120.0, 300.0, "cpu"), (120.0, 300.0, "rps"), (240.0, 1200.0, "cpu"), (240.0, 60.0, "rps"),
])
def test_the_replay_screen_tracks_the_simulator(startup: float, ramp: float, metric: str) -> None:
    # the screen simulates a module only when the replay breaks for over half the tolerance: its error
    # against the request-level simulation must stay well under that margin (2.5 min by default)
    target = AutoscaleTarget("cpu", 0.7) if metric == "cpu" else AutoscaleTarget("rps", 250.0)
    inputs = dataclasses.replace(fixed_inputs(2, 4, 0.01, objective=0.05), max_replicas=40, startup=startup,
                                 targets=(target,))
    shape = RampShape(baseline=0.1, ramp=ramp)
    simulated = simulate(inputs, 2000.0, shape).breach_seconds
    assert simulated is not None
    assert breach_seconds(inputs, 2000.0, shape) == pytest.approx(simulated, abs=90.0)


def test_check_reports_a_call_cycle_as_a_located_error(cli: Callable[..., Any],
                                                       write_blueprint: Callable[..., Path]) -> None:
    folder = write_blueprint({"a": _front((2, 10), calls={"b.api": 1}), "b": _front((2, 10), calls={"a.api": 1})},
                             {"peak": {"load": {"a.api": "10rps"}}}, **TOP)
    run = cli("check", folder, "--no-cache")
    assert run.exit == 2 and "Traceback" not in run.stderr
    assert re.search(r"blueprint\.yaml:\d+:\d+: error: capacity\.calls form a cycle, so load cannot be "
                     r"propagated: a -> b -> a \(at modules\.a\.capacity\.calls\.b\.api\)", run.stderr)


def test_the_screen_simulates_only_modules_that_could_break_their_objective(
        validated: Callable[..., Validated]) -> None:
    slow = _front((2, 40), capacity={"serviceTime": "10ms", "concurrency": 4, "startup": "4m"})
    quick = _front((2, 40), capacity={"serviceTime": "10ms", "concurrency": 4, "startup": "10s"})
    fixed = _front((12, 12))
    ramp = {"load": {"slow.api": "1500rps", "quick.api": "1500rps", "fixed.api": "1500rps"},
            "baseline": 0.1, "ramp": "1m"}
    v = validated({"slow": slow, "quick": quick, "fixed": fixed}, {"launch": ramp}, **TOP)
    bp, env = v.blueprint, v.environments["prod"]
    screened = {m.module: m for m in plan(bp, env, simulate_modules="screened").scenarios[0].modules}
    everything = {m.module: m for m in plan(bp, env, simulate_modules="all").scenarios[0].modules}
    assert [name for name, m in screened.items() if m.trace is not None] == ["slow"]
    assert screened["slow"].breach_minutes == everything["slow"].breach_minutes > 5
    assert everything["quick"].breach_minutes is not None and everything["quick"].breach_minutes < 2.5
    assert everything["fixed"].breach_minutes == 0


def _line_of(folder: Path, text: str) -> int:
    lines = (folder / "blueprint.yaml").read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if line.strip() == text)


def test_check_screens_capacity_without_importing_numpy() -> None:
    # numpy takes longer to import than the screen of a 1,000-module blueprint; only a simulation needs it
    code = ("import sys; import buttress.cli.main, buttress.app.check, buttress.app.capacity_check; "
            "print('numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
