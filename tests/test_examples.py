"""Every example and the ``buttress init`` scaffold are what a new user starts from: each validates,
passes ``check`` in every environment (nothing blocks; dev may fall short of a scenario on purpose,
which advisory enforcement reports without blocking) and renders every environment with exit 0."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import EXAMPLES, Run

CLI = Callable[..., Run]
AT = "2026-12-01"
NAMES = sorted(p.name for p in EXAMPLES.iterdir() if (p / "blueprint.yaml").is_file())


def _starter(name: str, tmp_path: Path, cli: CLI) -> Path:
    target = tmp_path / name
    if name == "init":
        assert cli("init", target).exit == 0
    else:
        shutil.copytree(EXAMPLES / name, target)
    return target


def test_every_example_is_covered() -> None:
    assert {"fraud-detection", "feature-pipeline", "llm-retrieval", "buttress-server"} <= set(NAMES)


@pytest.mark.parametrize("name", [*NAMES, "init"])
def test_starter_checks_and_renders_every_environment(name: str, cli: CLI, tmp_path: Path) -> None:
    folder = _starter(name, tmp_path, cli)
    checked = cli("check", folder, "--at", AT, "--format", "json", "--no-cache")
    assert checked.exit == 0, checked.stdout
    assert json.loads(checked.stdout)["blocked"] is False
    out = tmp_path / "out"
    rendered = cli("render", folder, "--out", out, "--at", AT, "--format", "json", "--no-cache")
    assert rendered.exit == 0, rendered.stderr
    summary = json.loads(rendered.stdout)
    assert summary["written"] is True
    envs = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert envs == sorted(summary["environments"]) and envs
    for env in envs:
        assert (out / env / "kustomization.yaml").is_file()
        assert (out / env / "compliance" / "report.json").is_file()
