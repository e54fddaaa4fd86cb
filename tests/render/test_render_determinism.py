"""Rendering is deterministic: any mapping order of the blueprint gives byte-identical files, and two
runs in separate processes (different hash seeds) write byte-identical bundles."""

from __future__ import annotations

import dataclasses
import functools
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from tests.conftest import FRAUD, REPO

from buttress.app.render import environment_files
from buttress.app.validate import validate


def _shuffled(value: Any, rng: random.Random, keep_order: bool = False) -> Any:
    """``value`` with the key order of every mapping shuffled (lists keep their order: it is meaning).

    The order of the ``environments`` mapping is kept: runbooks list the environments in the order
    the author wrote them (dev, staging, prod), and that order is the author's to choose."""
    if isinstance(value, dict):
        items = list(value.items())
        if not keep_order:
            rng.shuffle(items)
        return {k: _shuffled(v, rng, keep_order=k == "environments" and isinstance(v, dict) and "modules" not in v)
                for k, v in items}
    if isinstance(value, list):
        return [_shuffled(v, rng) for v in value]
    return value


@functools.cache
def _reference() -> dict[str, bytes]:
    return _render_all(FRAUD)


def _render_all(folder: Path, digest: str | None = None) -> dict[str, bytes]:
    """Every file of every environment (manifests, kustomization, monitoring, dashboards, runbooks)."""
    v = validate(folder)
    bp = v.blueprint if digest is None else dataclasses.replace(v.blueprint, digest=digest)
    return {f"{name}/{path}": content for name, env in v.environments.items()
            for path, content in environment_files(bp, env, v.graphs[name]).items()}


@settings(max_examples=10, deadline=None, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_any_mapping_order_renders_the_same_bytes(tmp_path_factory: Any, seed: int) -> None:
    reference = _reference()
    digest = validate(FRAUD).blueprint.digest
    folder = tmp_path_factory.mktemp("shuffled")
    rng = random.Random(seed)
    for source in [FRAUD / "blueprint.yaml", *sorted((FRAUD / "patterns").glob("*.yaml"))]:
        target = folder / source.relative_to(FRAUD)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = _shuffled(yaml.safe_load(source.read_text()), rng)
        target.write_text(yaml.safe_dump(data, sort_keys=False))
    (folder / "policies").mkdir()
    for rego in (FRAUD / "policies").iterdir():
        (folder / "policies" / rego.name).write_bytes(rego.read_bytes())
    # The digest names the file's bytes, which shuffling changes; everything else must not change.
    assert _render_all(folder, digest) == reference


def test_two_processes_write_identical_bundles(tmp_path: Path) -> None:
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        proc = subprocess.run([sys.executable, "-m", "buttress", "render", str(FRAUD), "--out", str(out), "--no-cache"],
                              capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
        assert proc.returncode == 0, proc.stderr
        outs.append({p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert outs[0] == outs[1]
    assert len(outs[0]) > 50
