"""The layers of DESIGN.md hold: import-linter's contracts in pyproject.toml pass, and only the
packages allowed to import SQLAlchemy and the Rego engine do."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "buttress"


def test_import_layers() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is not installed"
    proc = subprocess.run([exe, "--no-cache"], capture_output=True, text=True, cwd=SRC.parents[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _importers(module: str) -> set[str]:
    pattern = re.compile(rf"^\s*(import|from)\s+{module}\b", re.M)
    return {p.relative_to(SRC).parts[0] for p in SRC.rglob("*.py") if pattern.search(p.read_text())}


def test_only_ledger_imports_sqlalchemy() -> None:
    assert _importers("sqlalchemy") <= {"ledger"}
    assert _importers("alembic") <= {"ledger"}


def test_only_policy_imports_regopy() -> None:
    assert _importers("regopy") <= {"policy"}
