"""Golden files of the example's prod environment: rules, one dashboard, one runbook.

``BUTTRESS_UPDATE_GOLDEN=1`` rewrites them; review the diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from buttress.app.validate import Validated

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
