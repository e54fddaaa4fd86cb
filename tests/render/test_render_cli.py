"""``buttress render``: check first — a blocked environment writes nothing and exits 1 without echoing
a secret — then the layout Kustomize consumes as it is, the JSON summary, and usage errors (exit 2)."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import REPO, SHARED, Run, edit

from buttress.render.bundle import MANIFEST, Bundle, write_atomic
from buttress.render.yamlio import load_all

SECRET = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"
CLI = Callable[..., Run]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _earlier_render(out: Path) -> Path:
    """A folder as an earlier ``buttress render`` leaves it (a bundle.json beside the environments)."""
    write_atomic(Bundle({"prod/kustomization.yaml": b"resources: []\n"}).with_manifest().files, out)
    return out


@pytest.fixture
def inline_secret(tmp_path: Path) -> Path:
    """A writable copy of the acceptance case whose scorer holds a token in plain ``env``."""
    target = tmp_path / "inline-secret"
    shutil.copytree(SHARED / "acceptance" / "inline-secret", target)
    return target


def test_blocked_render_writes_nothing_and_never_echoes_the_secret(cli: CLI, inline_secret: Path,
                                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    run = cli("render", inline_secret, "--env", "prod", "--out", out)
    assert run.exit == 1, run.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
    assert "secret-inline" in run.stderr and "blueprint.yaml:74:23" in run.stderr
    assert f"nothing was written to {out}" in run.stderr
    assert "slo-defined" not in run.stderr  # waived: it does not block, so it is not listed
    assert SECRET not in run.stdout + run.stderr


def test_blocked_render_leaves_an_earlier_render_untouched(cli: CLI, inline_secret: Path, tmp_path: Path) -> None:
    out = _earlier_render(tmp_path / "out")
    before = _tree(out)
    run = cli("render", inline_secret, "--env", "prod", "--out", out, "--format", "json")
    assert run.exit == 1
    assert _tree(out) == before
    doc = json.loads(run.stdout)
    assert doc["written"] is False and doc["blocked"] is True and "digest" not in doc
    assert any(f["control"] == "secret-inline" and f["module"] == "scorer" and not f["waived"]
               for f in doc["findings"])
    assert SECRET not in run.stdout + run.stderr
    written = [p for p in (inline_secret / ".buttress").rglob("*") if p.is_file()]  # the Rego verdict cache
    assert SECRET not in "".join(p.read_text(errors="replace") for p in written)


def test_an_inline_secret_blocks_the_render_of_an_advisory_environment(cli: CLI, inline_secret: Path,
                                                                      tmp_path: Path) -> None:
    # check does not block dev (advisory), but rendering would write the token into the manifests
    assert cli("check", inline_secret, "--env", "dev", "--format", "json").exit == 0
    out = tmp_path / "out"
    run = cli("render", inline_secret, "--env", "dev", "--out", out, "--format", "json")
    assert run.exit == 1 and not out.exists()
    doc = json.loads(run.stdout)
    assert doc["written"] is False and doc["environments"]["dev"]["blocked"] is True
    assert "even where enforcement is advisory" in run.stderr and "blueprint.yaml:74:23" in run.stderr
    assert SECRET not in run.stdout + run.stderr


def test_a_waived_secret_finding_lets_an_advisory_environment_render(cli: CLI, inline_secret: Path,
                                                                    tmp_path: Path) -> None:
    edit(inline_secret / "blueprint.yaml", "  waivers:\n", "  waivers:\n"
         "    - {control: secret-inline, modules: [scorer], reason: a public test fixture and no credential,\n"
         "       approvedBy: security, expires: 2027-01-15, environments: [dev]}\n")
    out = tmp_path / "out"
    run = cli("render", inline_secret, "--env", "dev", "--out", out, "--at", "2026-12-01")
    assert run.exit == 0, run.stderr
    assert SECRET in (out / "dev" / "scorer" / "rollout-scorer.yaml").read_text()  # the user said it is no secret


def test_an_out_folder_given_as_a_symlink_is_replaced_behind_the_link(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    run = cli("render", fraud, "--env", "prod", "--out", tmp_path / "link")
    assert run.exit == 0, run.stderr
    assert (tmp_path / "link").is_symlink() and (tmp_path / "real" / MANIFEST).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fraud-detection", "link", "real"]


def test_valid_example_renders_a_layout_kustomize_consumes(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    run = cli("render", fraud, "--env", "prod", "--out", out)
    assert run.exit == 0, run.stderr
    files = _tree(out)
    assert sorted({p.split("/")[0] for p in files}) == [MANIFEST, "prod"]
    manifest = json.loads(files[MANIFEST])
    assert manifest["digest"] == f"sha256:{Bundle({p: c for p, c in files.items() if p != MANIFEST}).digest}"
    assert {f["path"] for f in manifest["files"]} == set(files) - {MANIFEST}
    modules = {p.split("/")[1] for p in files if p.count("/") >= 2}
    assert {"features", "scorer", "label-ingest", "retrain", "case-store"} <= modules
    listed = load_all(files["prod/kustomization.yaml"])[0]["resources"]
    objects = [d for p in listed for d in load_all(files[f"prod/{p}"])]
    kinds = {d["kind"] for d in objects}
    assert {"Namespace", "Rollout", "StatefulSet", "NetworkPolicy", "ExternalSecret"} <= kinds
    assert f"bundle digest {manifest['digest']}" in run.stdout
    evidence = json.loads(files["prod/compliance/report.json"])  # the check's evidence, not a resource
    assert evidence["environment"] == "prod" and evidence["blocked"] is False
    assert files["prod/compliance/report.md"].startswith(b"# Compliance evidence: fraud-detection / prod")
    assert not any(p.startswith("compliance/") for p in listed)
    kustomize = shutil.which("kubectl")
    if kustomize is None:
        pytest.skip("kubectl is not installed")
    built = subprocess.run([kustomize, "kustomize", str(out / "prod")], capture_output=True, text=True, timeout=60)
    assert built.returncode == 0, built.stderr
    assert len(load_all(built.stdout)) == len(objects)


def test_json_summary_counts_objects_per_environment(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    run = cli("render", fraud, "--env", "dev", "--env", "prod", "--out", tmp_path / "o", "--format", "json")
    assert run.exit == 0, run.stderr
    doc = json.loads(run.stdout)
    assert doc["written"] is True and doc["blocked"] is False and doc["digest"].startswith("sha256:")
    assert list(doc["environments"]) == ["dev", "prod"]
    assert doc["environments"]["prod"]["objects"]["PodDisruptionBudget"] == 4
    assert doc["environments"]["dev"]["objects"]["PodDisruptionBudget"] == 2
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == [MANIFEST, "dev", "prod"]


def test_at_decides_which_waivers_hold(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    """The example waives slo-defined for label-ingest until 2027-05-15; after that, prod blocks."""
    out = tmp_path / "out"
    run = cli("render", fraud, "--env", "prod", "--out", out, "--at", "2027-06-01", "--no-cache")
    assert run.exit == 1
    assert "slo-defined" in run.stderr and not out.exists()


def test_refuses_to_replace_what_is_not_an_earlier_render(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    blueprint = (fraud / "blueprint.yaml").read_bytes()
    for out in (fraud, tmp_path):  # the blueprint's own folder; one holding it
        run = cli("render", fraud, "--env", "dev", "--out", out)
        assert run.exit == 2 and "choose a folder of its own" in run.stderr
    assert (fraud / "blueprint.yaml").read_bytes() == blueprint
    work = tmp_path / "work"
    (work / "notes").mkdir(parents=True)
    (work / "notes" / "todo.txt").write_text("mine")
    run = cli("render", fraud, "--env", "dev", "--out", work)
    assert run.exit == 2 and "not an earlier render" in run.stderr
    assert _tree(work) == {"notes/todo.txt": b"mine"}
    (tmp_path / "file").write_text("x")
    assert cli("render", fraud, "--env", "dev", "--out", tmp_path / "file").exit == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("render", fraud, "--env", "dev", "--out", empty, "--no-cache").exit == 0
    assert cli("render", fraud, "--env", "dev", "--out", empty, "--no-cache").exit == 0  # an earlier render


@pytest.mark.parametrize("args", [["--at", "2026-13-01"], ["--env", "prd"]])
def test_usage_errors_exit_2_and_write_nothing(cli: CLI, fraud: Path, tmp_path: Path, args: list[str]) -> None:
    run = cli("render", fraud, "--out", tmp_path / "out", *args)
    assert run.exit == 2
    assert not (tmp_path / "out").exists()


def _kill_while_staging(args: list[str], parent: Path, prefix: str) -> bool:
    """Run ``buttress ARGS`` and SIGKILL it once its staging folder has files; False if it finished first."""
    proc = subprocess.Popen([sys.executable, "-m", "buttress", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, cwd=REPO)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            staging = [p for p in parent.iterdir() if p.name.startswith(prefix)]
            if staging and any(staging[0].iterdir()):
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return proc.returncode == -signal.SIGKILL
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    return False


def test_render_killed_mid_write_leaves_the_previous_render(tmp_path: Path) -> None:
    """SIGKILL ``buttress render`` while it writes its staging folder: DIR keeps the previous render."""
    subprocess.run([sys.executable, "-m", "benchmarks.generate", "100", str(tmp_path / "bp")], cwd=REPO, check=True,
                   capture_output=True, timeout=120)
    out = _earlier_render(tmp_path / "out")
    before = _tree(out)
    # dev: the generated blueprint's advisory environment (check blocks nothing there).
    args = ["render", str(tmp_path / "bp" / "blueprint.yaml"), "--env", "dev", "--out", str(out), "--no-cache"]
    # Under heavy load the writer may finish between two polls; then the run is repeated.
    caught = any(_kill_while_staging(args, tmp_path, ".out.tmp-") for _ in range(3))
    assert caught, "every render finished before it could be killed"
    assert _tree(out) == before


def test_a_bundle_json_beside_other_files_is_no_earlier_render(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "main.js").write_text("mine")
    (project / MANIFEST).write_text("{}")  # another tool's manifest
    run = cli("render", fraud, "--env", "dev", "--out", project, "--no-cache")
    assert run.exit == 2 and "not an earlier render" in run.stderr
    assert _tree(project) == {"src/main.js": b"mine", MANIFEST: b"{}"}
    out = tmp_path / "out"
    assert cli("render", fraud, "--env", "dev", "--out", out, "--no-cache").exit == 0
    (out / "dev" / "notes.md").write_text("added by hand")  # a real render, and a file it did not write
    run = cli("render", fraud, "--env", "dev", "--out", out, "--no-cache")
    assert run.exit == 2 and (out / "dev" / "notes.md").read_text() == "added by hand"
