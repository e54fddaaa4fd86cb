"""Property tests: the loader never fails with anything but a located BlueprintError, and
resolving is deterministic whatever the key order of the input."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import FRAUD

import buttress
from buttress.errors import BlueprintError, UsageError
from buttress.model.loader import load_bytes
from buttress.model.resolve import merge

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
trees = st.recursive(scalars, lambda c: st.one_of(st.lists(c, max_size=4), st.dictionaries(st.text(max_size=8), c, max_size=4)),
                     max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_only_raise_blueprint_errors(raw: bytes) -> None:
    try:
        load_bytes(raw, "fuzz.yaml")
    except BlueprintError as exc:
        assert exc.problems and all(p.line >= 1 and p.column >= 1 for p in exc.problems)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab:-[]{}&*!|>'\"#\n ,?0123.", max_size=120))
def test_yaml_like_text_only_raises_blueprint_errors(text: str) -> None:
    try:
        load_bytes(text.encode(), "fuzz.yaml")
    except BlueprintError as exc:
        assert exc.problems


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(trees)
def test_random_structures_as_blueprints_only_raise_blueprint_errors(tmp_path: Path, tree: Any) -> None:
    path = tmp_path / "blueprint.yaml"
    path.write_text(yaml.safe_dump(tree))
    with contextlib.suppress(BlueprintError, UsageError):
        buttress.validate(path)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["owner", "oncall", "description", "labels", "resources", "scaling"]),
                       st.one_of(st.text(max_size=5), st.integers(), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                                      max_size=3)), max_size=4))
def test_random_module_fields_only_raise_blueprint_errors(tmp_path: Path, fields: dict[str, Any]) -> None:
    doc = yaml.safe_load((FRAUD / "blueprint.yaml").read_text())
    doc["modules"]["features"].update(fields)
    (tmp_path / "patterns").mkdir(exist_ok=True)
    (tmp_path / "patterns" / "model-server.yaml").write_text((FRAUD / "patterns" / "model-server.yaml").read_text())
    (tmp_path / "policies").mkdir(exist_ok=True)
    (tmp_path / "blueprint.yaml").write_text(yaml.safe_dump(doc))
    try:
        buttress.validate(tmp_path)
    except BlueprintError as exc:
        assert all(p.file.endswith(".yaml") for p in exc.problems)


def _shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = list(value.items())
        rng.shuffle(items)
        return {k: _shuffled(v, rng) for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


def _resolved(folder: Path) -> dict[str, dict[str, Any]]:
    result = buttress.validate(folder)
    return {env: {name: m.spec.model_dump(mode="json", by_alias=True) for name, m in sorted(view.modules.items())}
            for env, view in sorted(result.environments.items())}


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0, max_value=2**32))
def test_resolve_is_deterministic_under_key_order(tmp_path: Path, seed: int) -> None:
    doc = yaml.safe_load((FRAUD / "blueprint.yaml").read_text())
    folder = tmp_path / f"s{seed}"
    (folder / "patterns").mkdir(parents=True, exist_ok=True)
    (folder / "policies").mkdir(exist_ok=True)
    (folder / "patterns" / "model-server.yaml").write_text((FRAUD / "patterns" / "model-server.yaml").read_text())
    (folder / "blueprint.yaml").write_text(yaml.safe_dump(_shuffled(doc, random.Random(seed)), sort_keys=False))
    assert _resolved(folder) == _resolved(FRAUD)


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], Any]:
    if isinstance(value, dict) and value:
        out: dict[tuple[Any, ...], Any] = {}
        for k, v in value.items():
            out.update(_leaves(v, (*path, k)))
        return out
    return {path: value}


@given(trees, trees)
def test_merge_keeps_every_override_leaf_and_is_idempotent(base: Any, over: Any) -> None:
    merged = merge(base, over)
    merged_leaves = _leaves(merged)
    for path, value in _leaves(over).items():
        if value != {}:
            assert merged_leaves.get(path) == value
    assert merge(merged, over) == merged
    assert merge(over, over) == over
