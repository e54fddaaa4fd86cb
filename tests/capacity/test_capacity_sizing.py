"""Steady-state sizing and the plan the lead's capacity-headroom control reads."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.capacity.conftest import fixed_inputs, service
from tests.conftest import FRAUD

from buttress.app.validate import Validated, validate
from buttress.capacity import plan
from buttress.capacity.erlang import response_quantile
from buttress.capacity.sizing import replicas_needed, size
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
                            "message", "ramp"]
    assert set(module["ramp"]) == {"verdict", "breachMinutes", "budgetBurned", "peakBurnRate",
                                   "maxReplicasReached", "message"}
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
