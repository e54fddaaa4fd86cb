"""The GitOps folder follows the ledger: a promotion killed (or failing) between its ledger commit and the
folder write is reconciled by the next promote, rollback or status with ``--gitops``; concurrent
promotions to different environments of one git repository are serialised and each gets its commit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from buttress.app import release
from buttress.ledger import records

Seeded = tuple[Callable[..., Any], str]
AT = "2026-12-01T09:05:00+00:00"
WORKER = Path(__file__).with_name("ledger_worker.py")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def commits(repo: Path) -> list[str]:
    """Commit messages, newest first (none in a fresh repository)."""
    if subprocess.run(["git", "-C", str(repo), "rev-parse", "-q", "--verify", "HEAD"], capture_output=True).returncode:
        return []
    return [m.strip() for m in git(repo, "log", "--format=%B%x00").split("\0") if m.strip()]


def new_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def marker(repo: Path, env: str) -> str:
    return (repo / env / ".buttress-release").read_text().splitlines()[0]


def worker(ctx: Any, rid: str, env: str, repo: Path, **env_vars: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(WORKER), ctx.url, str(ctx.key_file), rid, env, AT,
                             f"--gitops={repo}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env_vars})


def run_cli(cli: Callable[..., Any], ctx: Any, *args: str) -> Any:
    return cli(*args, "--ledger", ctx.url, "--key", str(ctx.key_file), "--as", "frank", "--at", AT)


def test_concurrent_promotions_to_environments_of_one_repo_each_get_their_commit(
        seeded_sqlite: Seeded, tmp_path: Path) -> None:
    ctx_of, _ = seeded_sqlite
    ctx = ctx_of()
    envs = [f"env{i}" for i in range(1, 9)]
    new = records.NewRelease(
        blueprint="fraud-detection", source_digest="cd" * 32,
        files={e: {"deployment.yaml": f"kind: Deployment\nmetadata: {{name: scorer, namespace: {e}}}\n".encode(),
                   "service.yaml": b"kind: Service\n"} for e in envs},
        policy={e: {"enforcement": "advisory", "promotion": None, "waivers": []} for e in envs},
        findings={e: [] for e in envs}, creator="carol", created_at=AT)
    rid = release.store_release(ctx_of("carol"), new).id
    repo = new_repo(tmp_path / "deploy")
    hook = repo / ".git" / "hooks" / "pre-commit"  # a hook that takes a while, as real ones do: git holds
    hook.write_text("#!/bin/sh\nsleep 0.2\n")    # .git/index.lock meanwhile
    hook.chmod(0o755)
    go = tmp_path / "go"
    procs = [worker(ctx, rid, env, repo, BUTTRESS_TEST_GO=str(go)) for env in envs]
    time.sleep(1.5)  # every worker has imported buttress and waits
    go.write_text("")
    results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0] * len(envs), results
    messages = commits(repo)
    assert sorted(m.splitlines()[0] for m in messages) == sorted(f"promote {rid} to {e}" for e in envs)
    assert not any("reconciled" in m.lower() for m in messages)
    for rev in range(len(envs)):
        touched = {p.split("/")[0] for p in git(repo, "show", "--name-only", "--format=", f"HEAD~{rev}").split()}
        assert len(touched) == 1, "each commit holds exactly its own environment"
    assert git(repo, "status", "--porcelain") == ""
    assert {marker(repo, e) for e in envs} == {rid}
    for _, out, _ in results:
        assert json.loads(out)["gitops"]["commit"]


def _wait_for(path: Path, proc: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"the promotion ended before reaching the failpoint: {proc.communicate()}"
        assert time.monotonic() < deadline, "the failpoint was never reached"
        time.sleep(0.05)


def test_sigkill_after_the_ledger_commit_is_reconciled_by_the_next_command(
        seeded: Seeded, cli: Callable[..., Any], tmp_path: Path) -> None:
    ctx_of, rid = seeded
    ctx = ctx_of()
    repo = new_repo(tmp_path / "deploy")
    flag = tmp_path / "at-failpoint"
    proc = worker(ctx, rid, "dev", repo, BUTTRESS_FAILPOINT=f"after-commit:{flag}")
    _wait_for(flag, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    status = json.loads(run_cli(cli, ctx, "status", "--format", "json").stdout)
    assert status["environments"][0] | {"since": None} == {
        "environment": "dev", "release": rid, "since": None, "by": "frank", "kind": "promote", "breakGlass": False,
        "reason": None}, "the ledger holds the promotion"
    assert not (repo / "dev").exists() and commits(repo) == [], "the folder was left behind"

    reconciled = run_cli(cli, ctx, "status", "--gitops", str(repo), "--format", "json")
    assert reconciled.exit == 0, reconciled.stderr
    report = json.loads(reconciled.stdout)["gitops"]
    assert [(r["environment"], r["release"]) for r in report["reconciled"]] == [("dev", rid)]
    assert marker(repo, "dev") == rid and (repo / "dev" / "deployment.yaml").read_text().startswith("kind: Deployment")
    [message] = commits(repo)
    assert message.startswith(f"promote {rid} to dev (reconciled)")
    assert f"Buttress-Release: {rid}" in message and "Buttress-Actor: frank" in message
    assert "Buttress-Reconciled:" in message
    assert git(repo, "status", "--porcelain") == ""

    again = run_cli(cli, ctx, "status", "--gitops", str(repo), "--format", "json")
    assert json.loads(again.stdout)["gitops"]["reconciled"] == [] and len(commits(repo)) == 1, "idempotent"
    staged = run_cli(cli, ctx, "promote", rid, "--to", "staging", "--gitops", str(repo), "--format", "json")
    assert staged.exit == 0, staged.stdout
    assert json.loads(staged.stdout)["gitops"]["reconciled"] == []
    assert [m.splitlines()[0] for m in commits(repo)] == [f"promote {rid} to staging",
                                                          f"promote {rid} to dev (reconciled)"]
    assert cli("audit", "verify", "--ledger", ctx.url).exit == 0


def test_a_folder_interrupted_mid_write_or_uncommitted_is_rewritten(seeded_sqlite: Seeded, cli: Callable[..., Any],
                                                                   tmp_path: Path) -> None:
    ctx_of, rid = seeded_sqlite
    ctx = ctx_of()
    repo = new_repo(tmp_path / "deploy")
    assert run_cli(cli, ctx, "promote", rid, "--to", "dev", "--gitops", str(repo)).exit == 0
    assert len(commits(repo)) == 1
    (repo / "dev").rename(repo / ".dev.old")  # killed between the two renames of a rewrite
    (repo / ".dev.tmp-leftover").mkdir()
    fixed = run_cli(cli, ctx, "status", "--gitops", str(repo))
    assert fixed.exit == 0 and "reconciled" in fixed.stdout
    assert marker(repo, "dev") == rid and not (repo / ".dev.old").exists() and not (repo / ".dev.tmp-leftover").exists()
    (repo / "dev" / "deployment.yaml").write_text("kind: Deployment\n# written, never committed\n")
    assert run_cli(cli, ctx, "status", "--gitops", str(repo)).exit == 0
    assert "never committed" not in (repo / "dev" / "deployment.yaml").read_text()
    assert git(repo, "status", "--porcelain") == ""
    plain = tmp_path / "plain"
    assert run_cli(cli, ctx, "status", "--gitops", str(plain)).exit == 0, "a plain folder is reconciled too"
    assert marker(plain, "dev") == rid


def test_a_failed_git_step_after_the_ledger_commit_says_so_and_is_reconciled(
        seeded_sqlite: Seeded, cli: Callable[..., Any], tmp_path: Path) -> None:
    ctx_of, rid = seeded_sqlite
    ctx = ctx_of()
    repo = new_repo(tmp_path / "deploy")
    (repo / ".git" / "index.lock").write_text("")  # another git process holds the index
    run = run_cli(cli, ctx, "promote", rid, "--to", "dev", "--gitops", str(repo), "--format", "json")
    assert run.exit == 1
    out = json.loads(run.stdout)
    assert out["outcome"] == "deployed" and "index.lock" in out["gitops"]["error"]
    assert "reconcile" in run.stderr
    (repo / ".git" / "index.lock").unlink()
    rolled = run_cli(cli, ctx, "rollback", "--env", "dev", "--gitops", str(repo))
    assert rolled.exit == 2, "nothing to roll back to; the folder is still brought up to the ledger first"
    [message] = commits(repo)
    assert message.startswith(f"promote {rid} to dev (reconciled)")
    assert git(repo, "status", "--porcelain") == ""
