"""The README's main command: ``scripts/demo.sh`` runs the whole story on the fraud-detection example
(validate, graph, render, check, keys, roles, two releases through dev → staging → approvals → prod,
a refused promotion, a rollback, status, history, audit verify, an offline proof and export) and exits 0,
leaving nothing behind. Run as a user would: bash, with the virtual environment's ``bin`` on PATH."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_script_runs_the_whole_story(tmp_path: Path) -> None:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               TMPDIR=str(tmp_path))
    env.pop("BUTTRESS_LEDGER", None)
    env.pop("BUTTRESS_USER", None)
    done = subprocess.run(["bash", str(REPO / "scripts" / "demo.sh")], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    rel1, rel2 = re.findall(r"^release (rel-[0-9a-f]{12})$", out, flags=re.M)
    assert re.search(r"^\d+ files, bundle digest sha256:[0-9a-f]{64}$", out, flags=re.M), "render printed its summary"
    assert "nothing blocks" in out, "check ran on every environment"
    assert "alice is its admin" in out
    assert f"✗ promote of {rel1} to prod refused:" in out
    assert re.search(r"✗ soak: soaked 50m00s in staging, 24h required", out)
    assert "✗ approvals: 0 of 2 approval(s) by release-manager, security" in out
    assert f"✓ promote {rel1} to prod by frank" in out and f"✓ promote {rel2} to prod by frank" in out
    assert "✓ approvals: approved by bob, sec" in out
    assert f"✓ rollback {rel1} to prod by frank at 2026-12-03T14:00:00+00:00 (replaces {rel2})" in out
    assert f"prod: {rel1} since 2026-12-03T14:00:00+00:00 (rollback by frank)" in out
    assert "Approved-by: bob, sec" in out, "the GitOps commit names the approvers"
    assert len(re.findall(r"^  [0-9a-f]{7} (promote|rollback) rel-", out, flags=re.M)) == 7, "one commit each"
    assert re.search(r"✓ audit log verifies: \d+ entries", out)
    assert re.search(r"✓ entry \d+ is included in the signed tree", out)
    assert list(tmp_path.iterdir()) == [], "the temporary folder is removed"
