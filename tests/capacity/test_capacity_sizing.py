"""Steady-state sizing and the plan the lead's capacity-headroom control reads."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest
from tests.capacity.conftest import fixed_inputs, service
from tests.conftest import FRAUD

from buttress.app.validate import Validated, validate
from buttress.capacity import Objective, plan
from buttress.capacity.erlang import response_quantile
from buttress.capacity.inputs import inputs_of
from buttress.capacity.sizing import needed_per_objective, replicas_needed, size
from buttress.errors import BlueprintError


@pytest.mark.parametrize("rate", [1.0, 50.0, 333.0, 1000.0, 2500.0, 9000.0])
def test_replicas_needed_is_the_fewest_meeting_headroom_and_objective(rate: float) -> None:
    inputs = fixed_inputs(1, 4, 0.012, objective=0.05)
    needed = replicas_needed(inputs, rate)
    assert needed is not None

    def meets(replicas: int) -> bool:
        servers = replicas * 4
        return rate * 0.012 / servers <= 0.7 and response_quantile(0.95, servers, rate, 0.012) <= 0.05

    assert meets(needed)
    assert needed == 1 or not meets(needed - 1)


@pytest.mark.parametrize(("rate", "expected"), [(1400.0, 1), (2800.0, 2), (5600.0, 4)])
def test_exactly_the_headroom_fits(rate: float, expected: int) -> None:
    """1400 rps x 4 ms on 8 slots is 70% busy: in float arithmetic 70.00000000000001%, still the headroom."""
    assert rate * 0.004 / (expected * 8) > 0.7  # the rounding the sizing must not be fooled by
    assert replicas_needed(fixed_inputs(1, 8, 0.004), rate) == expected


def test_an_objective_below_the_service_time_cannot_be_met() -> None:
    # exponential service of mean 100 ms has a p95 of about 300 ms
    inputs = fixed_inputs(50, 4, 0.1, objective=0.15)
    assert replicas_needed(inputs, 10.0) is None
    assert size(inputs, 10.0).replicas_needed is None


def test_overload_at_max_is_reported_as_unbounded_latency() -> None:
    sizing = size(fixed_inputs(2, 4, 0.01), 1000.0)
    assert sizing.utilisation_at_max == pytest.approx(1.25)
    assert math.isinf(sizing.latency_at_max)


def test_fraud_example_prod_carries_the_peak_and_dev_falls_short() -> None:
    v = validate(FRAUD)
    prod = {m.module: m for m in plan(v.blueprint, v.environments["prod"], simulate_modules="none").scenarios[0].modules}
    assert prod["scorer"].arrival_rate == 2500 and prod["features"].arrival_rate == 5000
    assert (prod["scorer"].replicas_needed, prod["scorer"].replicas_allowed, prod["scorer"].verdict) == (11, 40, "ok")
    assert (prod["features"].replicas_needed, prod["features"].replicas_allowed) == (4, 12)
    assert prod["scorer"].utilisation_at_max == pytest.approx(2500 * 0.012 / 160)
    dev = plan(v.blueprint, v.environments["dev"], simulate_modules="none").scenarios[0]
    assert dev.verdict == "short"
    scorer = next(m for m in dev.modules if m.module == "scorer")
    assert scorer.verdict == "short"
    assert "needs 11 replicas for 2500 rps" in scorer.message and "max 2 falls short" in scorer.message


def test_missing_service_time_is_no_capacity_data(validated: Callable[..., Validated]) -> None:
    v = validated({"front": service(calls={"back.api": 1}), "back": service(service_time=None)},
                  {"peak": {"load": {"front.api": "100rps"}}})
    s = plan(v.blueprint, v.environments["prod"]).scenarios[0]
    back = next(m for m in s.modules if m.module == "back")
    assert back.verdict == "no-capacity-data" and back.replicas_needed is None and back.trace is None
    assert "capacity.serviceTime" in back.message
    assert s.verdict == "no-capacity-data"


def test_headroom_is_configurable_and_checked(validated: Callable[..., Validated]) -> None:
    scenarios = {"peak": {"load": {"front.api": "1000rps"}}}
    default = plan(*_env(validated({"front": service(p95="10s")}, scenarios)), simulate_modules="none")
    tight = plan(*_env(validated({"front": service(p95="10s", capacity={
        "serviceTime": "10ms", "concurrency": 4, "headroom": "50%"})}, scenarios)), simulate_modules="none")
    assert default.scenarios[0].modules[0].replicas_needed == 4   # 10 erlangs / 4 per replica / 70%
    assert tight.scenarios[0].modules[0].replicas_needed == 5     # ... / 50%
    with pytest.raises(BlueprintError) as err:
        validated({"front": service(capacity={"serviceTime": "10ms", "headroom": "0%"})}, scenarios)
    assert err.value.problems[0].keypath == "modules.front.capacity.headroom"


def test_resource_totals_count_peak_needs_and_maxima(validated: Callable[..., Validated]) -> None:
    v = validated({"front": service(replicas=(2, 10)), "worker": {
        "kind": "worker", "image": service()["image"], "resources": {"cpu": "1", "memory": "2Gi", "gpu": 1},
        "scaling": {"replicas": {"min": 1, "max": 3}}}}, {"peak": {"load": {"front.api": "1000rps"}}})
    totals = plan(*_env(v), simulate_modules="none").scenarios[0].totals
    # front needs 4 replicas of 0.5 CPU / 1 GiB; the worker runs its minimum of 1
    assert totals.peak.cpu == pytest.approx(4 * 0.5 + 1) and totals.peak.gpu == 1
    assert totals.peak.memory == pytest.approx(4 * 2**30 + 2 * 2**30)
    assert totals.at_max.cpu == pytest.approx(10 * 0.5 + 3) and totals.at_max.gpu == 3


def test_plan_json_is_stable_and_complete(validated: Callable[..., Validated]) -> None:
    v = validated({"front": service()}, {"peak": {"load": {"front.api": "200rps"}, "ramp": "5m"}})
    s = plan(*_env(v), seed=3).scenarios[0]
    data = s.as_dict()
    assert list(data) == ["scenario", "description", "verdict", "baseline", "rampSeconds", "toleranceSeconds",
                          "criticalPath", "modules", "resources"]
    module = data["modules"][0]
    assert list(module) == ["module", "arrivalRate", "replicasNeeded", "replicasAllowed", "utilisationAtMax",
                            "latencyAtMax", "quantile", "objective", "objectiveSource", "headroom", "verdict",
                            "message", "ramp", "objectives"]
    assert set(module["ramp"]) == {"verdict", "breachMinutes", "budgetBurned", "peakBurnRate",
                                   "maxReplicasReached", "message", "objectives"}
    assert module["objectives"] == [{"quantile": "p95", "objective": 0.1, "source": "slo.latency.p95",
                                     "binding": True, "replicasNeeded": module["replicasNeeded"],
                                     "latencyAtMax": module["latencyAtMax"]}]
    assert [set(o) for o in module["ramp"]["objectives"]] == [{"quantile", "breachMinutes", "budgetBurned",
                                                               "peakBurnRate"}]
    assert data["rampSeconds"] == 300 and data["toleranceSeconds"] == 300


def _env(v: Validated) -> tuple[object, ...]:
    return v.blueprint, v.environments["prod"]


def test_every_example_has_a_scenario_that_plans() -> None:
    for folder in sorted(Path(FRAUD).parent.iterdir()):
        if (folder / "blueprint.yaml").is_file():
            v = validate(folder)
            assert v.blueprint.spec.scenarios, folder.name
            for env in v.environments.values():
                plan(v.blueprint, env, simulate_modules="none")


# A direct M/M/c model, independent of buttress.capacity.erlang: Erlang C from its factorial formula (exact
# arithmetic), and the tail of latency = wait + service, where the wait is 0 with probability 1 - C and
# otherwise exponential of rate c*mu - lambda, independent of the exponential service of rate mu.
def _erlang_c(c: int, a: Fraction) -> Fraction:
    top = a**c / math.factorial(c) * c / (c - a)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def _p_slower(t: float, c: int, lam: float, service: float) -> float:
    mu, theta = 1 / service, c / service - lam
    wait = float(_erlang_c(c, Fraction(lam) * Fraction(service)))
    return (1 - wait) * math.exp(-mu * t) + wait * (theta * math.exp(-mu * t) - mu * math.exp(-theta * t)) / (theta - mu)


def _fewest_servers(lam: float, service: float, headroom: float, objectives: list[tuple[float, float]]) -> int:
    c = 1
    while lam * service / c > headroom or any(_p_slower(t, c, lam, service) > 1 - q for q, t in objectives):
        c += 1
    return c


# 30 rps of 100 ms on one server per replica: 3 erlangs, so the 70% headroom alone needs 5 replicas. There
# the p95 is 320 ms and the p99 482 ms; with 6 replicas 304 ms and 465 ms; with 7, 301 ms and 462 ms.
RATE, SERVICE, P95, P99 = 30.0, 0.1, 0.31, 0.463


def test_the_independent_model_reproduces_the_published_call_centre_example() -> None:
    # the check on the helpers above: 10 E offered to 14 agents waits 17.4% of the time
    assert float(_erlang_c(14, Fraction(10))) == pytest.approx(0.1741, abs=0.0005)
    assert _fewest_servers(RATE, SERVICE, 0.7, [(0.95, P95)]) == 6
    assert _fewest_servers(RATE, SERVICE, 0.7, [(0.99, P99)]) == 7
    assert _fewest_servers(RATE, SERVICE, 0.7, [(0.95, P95), (0.99, P99)]) == 7


def test_sizing_meets_every_objective_and_reports_the_binding_one() -> None:
    p95, p99 = Objective(0.95, P95, "slo.latency.p95"), Objective(0.99, P99, "slo.latency.p99")
    inputs = dataclasses.replace(fixed_inputs(10, 1, SERVICE), objectives=(p95, p99))
    expected = {o: _fewest_servers(RATE, SERVICE, 0.7, [(o.quantile, o.seconds)]) for o in (p95, p99)}
    assert expected == {p95: 6, p99: 7}
    assert needed_per_objective(inputs, RATE) == (6, 7)
    assert replicas_needed(inputs, RATE) == 7
    sizing = size(inputs, RATE)
    assert (sizing.replicas_needed, sizing.objective) == (7, p99)
    assert [(s.objective, s.replicas_needed) for s in sizing.objectives] == [(p95, 6), (p99, 7)]
    assert sizing.latency_at_max == pytest.approx(response_quantile(0.99, 10, RATE, SERVICE))
    assert sizing.objectives[0].latency_at_max == pytest.approx(response_quantile(0.95, 10, RATE, SERVICE))
    # the order the objectives are declared in does not matter
    assert size(dataclasses.replace(inputs, objectives=(p99, p95)), RATE).objective == p99


def test_when_the_headroom_decides_the_objective_closest_to_breaking_binds() -> None:
    # 20 rps of 100 ms on 3 servers (2 erlangs / 70%): p95 402 ms, p99 589 ms
    for p95, p99, binds in [(1.0, 0.6, "p99"), (0.41, 2.0, "p95")]:
        objectives = (Objective(0.95, p95, "slo.latency.p95"), Objective(0.99, p99, "slo.latency.p99"))
        sizing = size(dataclasses.replace(fixed_inputs(10, 1, SERVICE), objectives=objectives), 20.0)
        assert [s.replicas_needed for s in sizing.objectives] == [3, 3]
        assert sizing.objective is not None and sizing.objective.label == binds


def test_an_unreachable_p99_makes_the_module_unsizeable_even_when_p95_is_met() -> None:
    # exponential service of 100 ms: p95 300 ms, p99 461 ms with no queue at all
    p95, p99 = Objective(0.95, P95, "slo.latency.p95"), Objective(0.99, 0.4, "slo.latency.p99")
    sizing = size(dataclasses.replace(fixed_inputs(10, 1, SERVICE), objectives=(p95, p99)), RATE)
    assert sizing.replicas_needed is None and sizing.objective == p99
    assert [s.replicas_needed for s in sizing.objectives] == [6, None]


def _both(p95: str, p99: str, **extra: object) -> dict[str, object]:
    return service(service_time="100ms", concurrency=1, replicas=(2, 10), **extra,
                   slo={"availability": "99.9%", "latency": {"p95": p95, "p99": p99}})


def test_a_declared_p99_is_sized_for_even_when_p95_is_declared(validated: Callable[..., Validated]) -> None:
    v = validated({"front": _both("310ms", "463ms")}, {"peak": {"load": {"front.api": "30rps"}}})
    [m] = plan(*_env(v), simulate_modules="none").scenarios[0].modules
    assert (m.replicas_needed, m.verdict, m.quantile) == (7, "ok", "p99")
    assert "needs 7 replicas for 30 rps (p99 ≤ 463 ms, ≤ 70% busy; p95 ≤ 310 ms alone needs 6)" in m.message
    data = m.as_dict(300.0)
    assert (data["replicasNeeded"], data["quantile"], data["objective"], data["objectiveSource"]) == \
        (7, "p99", 0.463, "slo.latency.p99")
    assert data["latencyAtMax"] == pytest.approx(response_quantile(0.99, 10, RATE, SERVICE), rel=1e-5)
    assert [(o["quantile"], o["source"], o["binding"], o["replicasNeeded"]) for o in data["objectives"]] == \
        [("p95", "slo.latency.p95", False, 6), ("p99", "slo.latency.p99", True, 7)]
    capped = validated({"front": _both("310ms", "463ms", scaling={"replicas": {"min": 2, "max": 6}})},
                       {"peak": {"load": {"front.api": "30rps"}}})
    [short] = plan(*_env(capped), simulate_modules="none").scenarios[0].modules
    assert short.verdict == "short" and "max 6 falls short" in short.message  # enough for p95, not for p99


def test_the_objectives_a_module_is_sized_for(validated: Callable[..., Validated]) -> None:
    target = {"replicas": {"min": 2, "max": 10}, "targets": {"p95Latency": "200ms"}}
    v = validated({"both": _both("310ms", "463ms", scaling=target),
                   "p99": service(port=8081, p95=None, slo={"availability": "99.9%", "latency": {"p99": "1s"}}),
                   "hpa": service(port=8082, p95=None, scaling=target)},
                  {"peak": {"load": {"both.api": "1rps"}}})
    env = v.environments["prod"]
    assert [o.source for o in inputs_of(env.modules["both"]).objectives] == ["slo.latency.p95", "slo.latency.p99"]
    assert [o.source for o in inputs_of(env.modules["p99"]).objectives] == ["slo.latency.p99"]
    assert [(o.source, o.seconds) for o in inputs_of(env.modules["hpa"]).objectives] == \
        [("scaling.targets.p95Latency", 0.2)]
