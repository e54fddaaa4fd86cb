"""Every case in ../shared/acceptance runs here, as the hidden cases are run: a subprocess of the
installed command on a writable copy of the case folder."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import SHARED

CASES = sorted(p for p in (SHARED / "acceptance").iterdir() if (p / "case.json").exists())


def _matches(finding: dict[str, Any], want: dict[str, Any]) -> bool:
    return all(finding.get(k) == v for k, v in want.items())


def _written_text(root: Path) -> str:
    return "\n".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_acceptance_case(case: Path, tmp_path: Path) -> None:
    spec = json.loads((case / "case.json").read_text())
    work = tmp_path / case.name
    shutil.copytree(case, work)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    args = [a.replace("{dir}", str(work)) for a in spec["args"]]
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "buttress", *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    elapsed = time.monotonic() - started
    want_exit = spec.get("exit_in", [spec.get("exit")])
    assert proc.returncode in want_exit, f"exit {proc.returncode}\nstdout:{proc.stdout}\nstderr:{proc.stderr}"
    if "max_seconds" in spec:
        assert elapsed <= spec["max_seconds"], f"took {elapsed:.2f}s"
    for pattern in spec.get("stderr_regex", []):
        assert re.search(pattern, proc.stderr), f"{pattern!r} not in stderr:\n{proc.stderr}"
    for text in spec.get("stderr_exclude", []):
        assert text not in proc.stderr
    if "findings_include" in spec or "findings_exclude" in spec:
        findings = json.loads(proc.stdout)["findings"]
        for want in spec.get("findings_include", []):
            assert any(_matches(f, want) for f in findings), f"no finding matches {want}"
        for unwanted in spec.get("findings_exclude", []):
            bad = [f for f in findings if _matches(f, unwanted)]
            assert not bad, f"findings match {unwanted}: {bad}"
    written = [p for p in tmp_path.rglob("*") if p.is_file() and before.get(p) != p.stat().st_mtime_ns]
    everything = proc.stdout + proc.stderr + "\n".join(p.read_text(errors="replace") for p in written)
    for secret in spec.get("nowhere", []):
        assert secret not in everything
