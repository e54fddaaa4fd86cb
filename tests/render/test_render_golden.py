"""Golden files: the Kubernetes objects of every example in every environment, byte for byte.

A change to a golden file is reviewed like code. Regenerate with
``BUTTRESS_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/render/test_render_golden.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from tests.conftest import EXAMPLES, REPO

from buttress.app.validate import Validated
from buttress.render.kubernetes import render_objects
from buttress.render.yamlio import dump_all

GOLDEN = REPO / "tests" / "golden" / "render"
UPDATE = os.environ.get("BUTTRESS_UPDATE_GOLDEN") == "1"
CASES = [(ex.name, env) for ex in sorted(EXAMPLES.iterdir())
         if (ex / "blueprint.yaml").is_file() and (UPDATE or (GOLDEN / ex.name).is_dir())
         for env in yaml.safe_load((ex / "blueprint.yaml").read_text())["environments"]]
"""Every environment of every example that has a golden folder (the update switch creates them)."""


@pytest.mark.parametrize(("example", "env"), CASES, ids=[f"{e}-{n}" for e, n in CASES])
def test_golden(examples: dict[str, Validated], example: str, env: str) -> None:
    v = examples[example]
    text = dump_all(render_objects(v.blueprint, v.environments[env], v.graphs[env]))
    path: Path = GOLDEN / example / f"{env}.yaml"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"no golden file {path}; run with BUTTRESS_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_text(), f"{path} differs; review and regenerate with BUTTRESS_UPDATE_GOLDEN=1"


def test_fraud_detection_has_a_golden_file_per_environment() -> None:
    assert sorted(p.name for p in (GOLDEN / "fraud-detection").iterdir()) == ["dev.yaml", "prod.yaml", "staging.yaml"]
    assert {"fraud-detection", "feature-pipeline", "llm-retrieval"} <= {e for e, _ in CASES}
