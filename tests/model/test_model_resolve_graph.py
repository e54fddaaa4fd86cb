"""Merge order, per-environment views, the dependency graph, contracts and cycles."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FRAUD, edit

import buttress
from buttress.model.resolve import merge


def test_merge_maps_by_key_lists_and_scalars_replace() -> None:
    base = {"a": {"x": 1, "y": [1, 2]}, "b": 1}
    over = {"a": {"y": [3], "z": 2}, "b": {"c": 1}}
    assert merge(base, over) == {"a": {"x": 1, "y": [3], "z": 2}, "b": {"c": 1}}
    assert base == {"a": {"x": 1, "y": [1, 2]}, "b": 1}


def test_merge_order_defaults_pattern_module_override() -> None:
    result = buttress.validate(FRAUD)
    dev, prod = result.environments["dev"].modules["scorer"], result.environments["prod"].modules["scorer"]
    # pattern gives kind and probes; defaults give classification; module replaces canary steps.
    assert prod.kind == "service" and prod.spec.probes and prod.spec.probes.startup
    assert prod.spec.rollout and prod.spec.rollout.steps == [10, 50] and str(prod.spec.rollout.pause) == "10m"
    assert prod.spec.data and prod.spec.data.classification == "restricted"
    assert prod.spec.scaling and prod.spec.scaling.replicas and prod.spec.scaling.replicas.min == 3
    # the dev override replaces replicas but keeps the module's targets.
    assert dev.spec.scaling and dev.spec.scaling.replicas and dev.spec.scaling.replicas.max == 2
    assert dev.spec.scaling.targets and str(dev.spec.scaling.targets.p95_latency) == "120ms"
    # the pattern's classification (confidential) loses to the module's own; features inherits defaults.
    assert result.environments["prod"].modules["features"].spec.data.classification == "restricted"  # type: ignore[union-attr]


def test_locations_follow_the_layer_that_set_the_value() -> None:
    result = buttress.validate(FRAUD)
    dev = result.environments["dev"].modules["scorer"]
    prod = result.environments["prod"].modules["scorer"]
    assert dev.locate("scaling", "replicas", "min").line == 135
    assert prod.locate("scaling", "replicas", "min").line == 62
    assert prod.locate("probes", "startup").file.endswith("model-server.yaml")
    assert prod.locate("data", "classification").line == 72
    assert result.environments["prod"].modules["features"].locate("data", "classification").line == 29


def test_unchanged_modules_are_shared_between_environments() -> None:
    result = buttress.validate(FRAUD)
    assert result.environments["prod"].modules["retrain"] is result.environments["staging"].modules["retrain"]
    assert result.environments["dev"].modules["scorer"] is not result.environments["prod"].modules["scorer"]


def test_graph_edges_and_contracts() -> None:
    graph = buttress.validate(FRAUD).graphs["prod"]
    edges = {(e.consumer, e.target, e.interface) for e in graph.edges}
    assert ("scorer", "features", "feature-api") in edges and ("retrain", "model-registry", None) in edges
    assert all(e.compatible for e in graph.edges)
    assert [e.consumer for e in graph.incoming("features")] == ["scorer"]
    assert graph.cycles == ()


def test_incompatible_contract_is_computed(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "- features.feature-api@^1.4", "- features.feature-api@^2.0")
    [edge] = [e for e in buttress.validate(fraud).graphs["prod"].edges if e.interface == "feature-api"]
    assert not edge.compatible and str(edge.provider_version) == "1.6.0"


def test_cycles_are_found_with_their_path(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "    consumes:\n      - transactions-db\n    resources: {cpu: 250m",
         "    consumes:\n      - transactions-db\n      - case-store.cases\n    resources: {cpu: 250m")
    graph = buttress.validate(fraud).graphs["prod"]
    assert graph.cycles == (("case-store", "scorer", "features", "case-store"),)


def test_self_cycle(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "- scorer.score-api@^2", "- case-store.cases")
    assert buttress.validate(fraud).graphs["prod"].cycles == (("case-store", "case-store"),)
