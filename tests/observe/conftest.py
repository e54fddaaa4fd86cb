"""Fixtures of the observe tests: the example rendered by the observing renderers, and promtool."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from buttress.app.render import environment_files
from buttress.app.validate import Validated, validate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fraud-detection"
OBSERVE_FOLDERS = ("monitoring/", "dashboards/", "runbooks/")
"""Where the observing renderers (``app.render.EXTRA_RENDERERS``) write in an environment's folder."""


def render_observe(validated: Validated, env: str) -> dict[str, bytes]:
    """Every file the observing renderers write for one environment, as ``buttress render`` ships
    them: through ``app.render.environment_files`` (modules and edges in canonical order first)."""
    files = environment_files(validated.blueprint, validated.environments[env], validated.graphs[env])
    return {path: content for path, content in files.items() if path.startswith(OBSERVE_FOLDERS)}


def write(files: dict[str, bytes], folder: Path) -> Path:
    """Write rendered files below ``folder``."""
    for path, content in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return folder


@pytest.fixture(scope="session")
def example() -> Validated:
    """The fraud-detection example, validated."""
    return validate(EXAMPLE)


@pytest.fixture(scope="session")
def rendered(example: Validated, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each environment of the example rendered into its own folder."""
    root = tmp_path_factory.mktemp("observe")
    return {env: write(render_observe(example, env), root / env) for env in example.environments}


@pytest.fixture(scope="session")
def promtool() -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run Prometheus's promtool (Debian package ``prometheus``; ``scripts/bootstrap.sh --system``)."""
    exe = shutil.which("promtool")
    if exe is None:
        pytest.fail("promtool is not installed: run scripts/bootstrap.sh --system (Debian package prometheus)")

    def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([exe, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300, check=False)

    return run
