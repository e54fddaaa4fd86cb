"""Fixtures every test folder shares: paths, an in-process CLI runner, example copies."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from buttress.cli.main import main

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLES = REPO / "examples"
FRAUD = EXAMPLES / "fraud-detection"


@pytest.fixture(scope="session", autouse=True)
def rego_cache_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Rego verdicts the tests keep go to a throw-away folder (inherited by subprocesses), never
    to the user's ~/.cache/buttress."""
    folder = tmp_path_factory.mktemp("rego-cache")
    before = os.environ.get("BUTTRESS_CACHE_DIR")
    os.environ["BUTTRESS_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        os.environ.pop("BUTTRESS_CACHE_DIR", None)
    else:
        os.environ["BUTTRESS_CACHE_DIR"] = before


@dataclass
class Run:
    """What one in-process CLI call returned and printed."""

    exit: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run ``buttress ARGS`` in-process and capture its output."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return Run(code, out.out, out.err)

    return run


@pytest.fixture
def fraud(tmp_path: Path) -> Path:
    """A writable copy of the fraud-detection example."""
    target = tmp_path / "fraud-detection"
    shutil.copytree(FRAUD, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    """Replace one exact occurrence of ``old`` in a file (test helper for one-change variants)."""
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new))
