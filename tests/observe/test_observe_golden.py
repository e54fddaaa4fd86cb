"""Golden files of the example's prod environment: rules, one dashboard, one runbook.

``BUTTRESS_UPDATE_GOLDEN=1`` rewrites them; review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.observe.conftest import render_observe

from buttress.app.render import EXTRA_RENDERERS, canonical
from buttress.app.validate import Validated
from buttress.render.dashboards import render_dashboards
from buttress.render.monitoring import render_monitoring
from buttress.render.runbooks import render_runbooks

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "observe"
CASES = {"rules.yaml": "monitoring/rules.yaml", "scorer.json": "dashboards/scorer.json",
         "case-store.md": "runbooks/case-store.md", "scorer-tests.yaml": "monitoring/tests/scorer.yaml"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(rendered: dict[str, Path], example: Validated, name: str) -> None:
    actual = (rendered["prod"] / CASES[name]).read_bytes()
    golden = GOLDEN / name
    if os.environ.get("BUTTRESS_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(actual)
    assert golden.is_file(), f"{golden} is missing: run with BUTTRESS_UPDATE_GOLDEN=1"
    assert actual == golden.read_bytes(), f"{name} differs from {golden}; BUTTRESS_UPDATE_GOLDEN=1 updates it"


def test_the_fixture_renders_what_buttress_render_ships(example: Validated) -> None:
    """``render_observe`` goes through ``app.render``: every observing renderer, on the environment
    in canonical order (the example lists its modules out of name order, so the order shows)."""
    assert [render_monitoring, render_dashboards, render_runbooks] == EXTRA_RENDERERS
    env, graph = canonical(example.environments["prod"], example.graphs["prod"])
    shipped: dict[str, bytes] = {}
    for renderer in EXTRA_RENDERERS:
        shipped.update(renderer(example.blueprint, env, graph))
    assert render_observe(example, "prod") == shipped
    assert list(example.environments["prod"].modules) != sorted(example.environments["prod"].modules)
