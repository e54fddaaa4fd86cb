"""Load propagation along ``capacity.calls``: fan-out, fan-in, cycles and unknown interfaces."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.capacity.conftest import service

from buttress.app.validate import Validated
from buttress.capacity.propagation import propagate
from buttress.errors import BlueprintError


def test_rates_fan_out_and_add_up_where_paths_meet(validated: Callable[..., Validated]) -> None:
    v = validated(
        {"gateway": service(calls={"ranker.api": 2, "cache.api": 1}),
         "ranker": service(calls={"cache.api": 3}),
         "cache": service(),
         "idle": service()},
        {"peak": {"load": {"gateway.api": "600rpm"}}})
    flow = propagate(v.blueprint, v.environments["prod"], "peak")
    assert flow.rates == pytest.approx({"gateway": 10.0, "ranker": 20.0, "cache": 70.0})
    assert list(flow.rates) == ["gateway", "ranker", "cache"]  # callers first
    assert flow.callers["cache"] == ("gateway", "ranker")
    assert flow.interfaces["cache.api"] == pytest.approx(70.0)


def test_two_entry_points_and_externals_are_ignored(validated: Callable[..., Validated]) -> None:
    v = validated(
        {"a": service(calls={"c.api": 1, "warehouse": 5}, consumes=["c.api", "warehouse"]),
         "b": service(calls={"c.api": 0.5}),
         "c": service()},
        {"mixed": {"load": {"a.api": "100rps", "b.api": "40rps"}}},
        externals={"warehouse": {"endpoint": "postgres://db.example.com:5432"}})
    flow = propagate(v.blueprint, v.environments["prod"], "mixed")
    assert flow.rates == pytest.approx({"a": 100.0, "b": 40.0, "c": 120.0})


def test_a_cycle_of_calls_is_a_located_error(validated: Callable[..., Validated]) -> None:
    v = validated(
        {"front": service(calls={"left.api": 1}),
         "left": service(calls={"right.api": 1}),
         "right": service(calls={"left.api": 1})},
        {"peak": {"load": {"front.api": "10rps"}}})
    with pytest.raises(BlueprintError) as err:
        propagate(v.blueprint, v.environments["prod"], "peak")
    [problem] = err.value.problems
    assert "cycle" in problem.message and "left -> right -> left" in problem.message
    assert problem.keypath == "modules.left.capacity.calls.right.api"
    assert problem.line > 0 and problem.file.endswith("blueprint.yaml")


def test_a_cycle_outside_the_scenario_does_not_matter(validated: Callable[..., Validated]) -> None:
    v = validated(
        {"front": service(),
         "left": service(calls={"right.api": 1}),
         "right": service(calls={"left.api": 1})},
        {"peak": {"load": {"front.api": "10rps"}}})
    assert propagate(v.blueprint, v.environments["prod"], "peak").rates == {"front": 10.0}


def test_validation_refuses_an_unknown_load_interface(validated: Callable[..., Validated]) -> None:
    with pytest.raises(BlueprintError) as err:
        validated({"front": service()}, {"peak": {"load": {"front.apl": "10rps"}}})
    [problem] = err.value.problems
    assert "front.apl" in problem.message and "front.api" in problem.message  # did you mean
    assert problem.keypath == "scenarios.peak.load.front.apl"


def test_propagation_itself_locates_a_call_to_an_unprovided_interface(validated: Callable[..., Validated]) -> None:
    # validate checks calls against consumes; propagation also guards a consumed-but-unprovided name
    v = validated({"front": service(calls={"back.api": 1}), "back": service()}, {"peak": {"load": {"front.api": "1rps"}}})
    env = v.environments["prod"]
    module = env.modules["front"]
    broken = module.spec.model_copy(update={"capacity": module.spec.capacity.model_copy(  # type: ignore[union-attr]
        update={"calls": {"back.rpc": 1.0}})})
    env.modules["front"] = type(module)(module.name, broken, module.data, module.layers)
    with pytest.raises(BlueprintError) as err:
        propagate(v.blueprint, env, "peak")
    [problem] = err.value.problems
    assert "back.rpc" in problem.message and "back.api" in problem.message
    assert problem.keypath.startswith("modules.front.capacity")
