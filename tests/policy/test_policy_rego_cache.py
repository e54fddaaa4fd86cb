"""The Rego verdict cache: in the user's cache folder, never the checkout; signed, so a file this
user did not write is ignored; bound to the policy bytes and the engine; pruned to one run's
entries; shared by every spelling of the blueprint's path. Every test keeps it in ``tmp_path``."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import shutil
from pathlib import Path

import pytest
from tests.conftest import edit

from buttress.app.check import cache_folder, check, policy_set
from buttress.app.validate import Validated, validate
from buttress.cli.main import main
from buttress.policy import rego_cache
from buttress.policy.rego import PolicySet

AT = dt.date(2026, 12, 1)
DENY = "rego:blueprint.deny_restricted_replicas"
MAIN_POLICY = """package main

import rego.v1

deny_missing_team_label contains msg if {
\tinput.kind in {"Deployment", "Rollout"}
\tnot input.metadata.labels.team
\tmsg := sprintf("%s has no team label", [input.metadata.name])
}
"""


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The user cache folder, redirected to a temporary one (and HOME with it, to be sure)."""
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("BUTTRESS_CACHE_DIR", str(folder))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return folder


@pytest.fixture
def fraud(fraud: Path) -> Path:
    """The example's copy, without any ``.buttress`` folder a local run left in the source tree."""
    shutil.rmtree(fraud / ".buttress", ignore_errors=True)
    return fraud


@pytest.fixture
def blocked(fraud: Path) -> Path:
    """The example with a blocking ``deny_restricted_replicas`` in prod."""
    edit(fraud / "blueprint.yaml", "replicas: {min: 3, max: 12}", "replicas: {min: 2, max: 12}")
    return fraud


def _check_cli(capfd: pytest.CaptureFixture[str], path: Path | str) -> tuple[int, list[str]]:
    """``buttress check PATH --env prod --format json``: exit code and the controls found."""
    capfd.readouterr()
    code = main(["check", str(path), "--env", "prod", "--format", "json", "--at", AT.isoformat()])
    out = capfd.readouterr().out
    return code, [f["control"] for f in json.loads(out)["findings"]]


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("rego-*.json"))


def _run(validated: Validated, envs: list[str]) -> PolicySet:
    """Check with a fresh policy set and the CLI's cache argument; the policy set, to inspect."""
    policies = policy_set(validated.blueprint)
    assert policies is not None
    check(validated, envs, AT, policies=policies, cache=validated.blueprint.folder / ".buttress" / "cache")
    return policies


def test_cache_lives_in_the_user_cache_folder_not_the_checkout(blocked: Path, cache_dir: Path,
                                                               capfd: pytest.CaptureFixture[str]) -> None:
    code, controls = _check_cli(capfd, blocked)
    assert (code, DENY in controls) == (1, True)
    assert len(_files(cache_dir)) == 1 and not (blocked / ".buttress").exists()
    key = cache_dir / rego_cache.KEY_FILE
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32


@pytest.mark.parametrize("forge", ["blank-keeping-mac", "blank-unsigned", "signed-by-another-key", "garbage"])
def test_a_tampered_or_foreign_cache_file_is_ignored(blocked: Path, cache_dir: Path, tmp_path: Path,
                                                     capfd: pytest.CaptureFixture[str], forge: str) -> None:
    assert _check_cli(capfd, blocked)[0] == 1
    [path] = _files(cache_dir)
    mac, _, body = path.read_bytes().partition(b"\n")
    doc = json.loads(body)
    blank = json.dumps({**doc, "entries": {k: [] for k in doc["entries"]}}, separators=(",", ":")).encode()
    if forge == "blank-keeping-mac":
        path.write_bytes(mac + b"\n" + blank)
    elif forge == "blank-unsigned":
        path.write_bytes(blank)
    elif forge == "signed-by-another-key":
        path.write_bytes(hmac.new(os.urandom(32), blank, hashlib.sha256).hexdigest().encode() + b"\n" + blank)
    else:
        path.write_bytes(b"\x00not a cache")
    code, controls = _check_cli(capfd, blocked)
    assert (code, DENY in controls) == (1, True)


def test_a_cache_committed_in_the_checkout_is_never_read(blocked: Path, cache_dir: Path,
                                                         capfd: pytest.CaptureFixture[str]) -> None:
    assert _check_cli(capfd, blocked)[0] == 1
    [path] = _files(cache_dir)
    committed = blocked / ".buttress" / "cache"
    committed.mkdir(parents=True)
    for name in (path.name, rego_cache.KEY_FILE):
        (committed / name).write_bytes(b"")
    path.unlink()
    assert cache_folder(committed, validate(blocked, ["prod"]).blueprint) == cache_dir.resolve()
    assert _check_cli(capfd, blocked)[0] == 1


def test_a_key_others_can_read_is_not_trusted(fraud: Path, cache_dir: Path) -> None:
    (fraud / "policies" / "k8s.rego").write_text(MAIN_POLICY)
    validated = validate(fraud, ["prod"])
    _run(validated, ["prod"])
    (cache_dir / rego_cache.KEY_FILE).chmod(0o644)
    assert _run(validated, ["prod"]).evaluations > 0


def test_warm_run_gives_identical_findings_without_evaluating(fraud: Path, cache_dir: Path) -> None:
    (fraud / "policies" / "k8s.rego").write_text(MAIN_POLICY)
    edit(fraud / "blueprint.yaml", "replicas: {min: 3, max: 12}", "replicas: {min: 2, max: 12}")
    validated = validate(fraud, ["prod"])
    cold_policies = policy_set(validated.blueprint)
    assert cold_policies is not None
    cold = check(validated, ["prod"], AT, policies=cold_policies, cache=fraud)
    warm_policies = policy_set(validated.blueprint)
    assert warm_policies is not None
    warm = check(validated, ["prod"], AT, policies=warm_policies, cache=fraud)
    assert cold_policies.evaluations > 0 and warm_policies.evaluations == 0
    assert [f.to_json() for f in warm.findings] == [f.to_json() for f in cold.findings]
    assert warm.blocked and DENY in {f.control for f in warm.findings}


def test_dot_and_absolute_paths_share_the_cache(fraud: Path, cache_dir: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (fraud / "policies" / "k8s.rego").write_text(MAIN_POLICY)
    assert _run(validate(fraud, ["prod"]), ["prod"]).evaluations > 0
    monkeypatch.chdir(fraud)
    assert _run(validate(Path(os.curdir), ["prod"]), ["prod"]).evaluations == 0
    monkeypatch.chdir(fraud.parent)
    assert _run(validate(Path(fraud.name) / "blueprint.yaml", ["prod"]), ["prod"]).evaluations == 0
    assert len(_files(cache_dir)) == 1


def test_entries_are_bound_to_the_policy_bytes_and_the_engine(fraud: Path, cache_dir: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    policy = fraud / "policies" / "k8s.rego"
    policy.write_text(MAIN_POLICY)
    validated = validate(fraud, ["prod"])
    _run(validated, ["prod"])
    policy.write_bytes(MAIN_POLICY.replace("\n", "\r\n").encode())  # same text once read, other bytes
    assert _run(validated, ["prod"]).evaluations > 0
    assert _run(validated, ["prod"]).evaluations == 0
    monkeypatch.setattr(rego_cache, "engine_version", lambda: "regopy-99.0")
    assert _run(validated, ["prod"]).evaluations > 0


def test_only_the_entries_a_run_used_are_saved(fraud: Path, cache_dir: Path) -> None:
    (fraud / "policies" / "k8s.rego").write_text(MAIN_POLICY)
    validated = validate(fraud)
    both = _run(validated, ["dev", "prod"])
    [path] = _files(cache_dir)
    saved = rego_cache.read(path, both.digest)
    assert isinstance(saved, dict) and len(saved) == len(both.export_cache())
    prod = _run(validated, ["prod"])
    assert prod.evaluations == 0
    pruned = rego_cache.read(path, prod.digest)
    assert isinstance(pruned, dict) and 0 < len(pruned) < len(saved)
    assert set(pruned) == set(prod.export_cache()) <= set(saved)


def test_saved_entries_are_bounded(fraud: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (fraud / "policies" / "k8s.rego").write_text(MAIN_POLICY)
    monkeypatch.setattr(rego_cache, "MAX_ENTRIES", 2)
    policies = _run(validate(fraud, ["prod"]), ["prod"])
    [path] = _files(cache_dir)
    saved = rego_cache.read(path, policies.digest)
    assert isinstance(saved, dict) and len(saved) == 2


def test_stale_cache_files_are_removed(tmp_path: Path) -> None:
    keep, old, recent = (tmp_path / f"rego-{n}.json" for n in ("keep", "old", "recent"))
    for p in (keep, old, recent):
        p.write_text("{}")
    os.utime(old, (0, 0))
    os.utime(keep, (0, 0))
    rego_cache.prune_stale(tmp_path, keep=keep)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rego-keep.json", "rego-recent.json"]


@pytest.mark.parametrize("value", ["off", "OFF", "0", "none"])
def test_the_cache_can_be_turned_off(fraud: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch,
                                     value: str) -> None:
    monkeypatch.setenv("BUTTRESS_CACHE_DIR", value)
    (fraud / "policies" / "k8s.rego").write_text(MAIN_POLICY)
    validated = validate(fraud, ["prod"])
    _run(validated, ["prod"])
    assert _run(validated, ["prod"]).evaluations > 0
    assert not cache_dir.exists() and not (fraud / ".buttress").exists()
    assert cache_folder(None, validated.blueprint) is None


def test_default_cache_folder_follows_xdg(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert rego_cache.cache_dir({"XDG_CACHE_HOME": str(tmp_path / "xdg")}) == (tmp_path / "xdg" / "buttress").resolve()
    assert rego_cache.cache_dir({"BUTTRESS_CACHE_DIR": str(tmp_path / "c"), "XDG_CACHE_HOME": "/x"}) == (
        tmp_path / "c").resolve()
    assert rego_cache.cache_dir({"BUTTRESS_CACHE_DIR": "off"}) is None
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        assert rego_cache.cache_dir({"XDG_CACHE_HOME": "relative"}) == (home / ".cache" / "buttress").resolve()
