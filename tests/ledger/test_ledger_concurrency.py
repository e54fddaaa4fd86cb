"""Concurrency and crash safety on SQLite and PostgreSQL, with real processes.

Eight processes promote eight different releases to one environment at once, each decided against the
same state: exactly one wins, the others are refused cleanly, and the audit log loses or duplicates
nothing. A promotion killed with SIGKILL (inside its transaction, or at a random moment) leaves the
ledger consistent and verifiable: the promotion happened with all its entries, or not at all.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

Seeded = tuple[Callable[..., Any], str]
AT = "2026-12-01T09:05:00+00:00"


WORKER = Path(__file__).with_name("ledger_worker.py")


def command(ctx: Any, rid: str, env: str, replacing: str | None = None) -> list[str]:
    """A separate process promoting ``rid`` to ``env`` as frank."""
    return [sys.executable, str(WORKER), ctx.url, str(ctx.key_file), rid, env, AT, *([replacing] if replacing else [])]


def rows(url: str, statement: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(text(statement)))
    finally:
        engine.dispose()


def verified(ctx: Any, cli: Callable[..., Any]) -> dict[str, Any]:
    run = cli("audit", "verify", "--ledger", ctx.url, "--format", "json")
    report = json.loads(run.stdout)
    assert run.exit == 0, report
    return report


def consistent(url: str) -> None:
    """Every promotion row has exactly its gate entries and its outcome entry, and no entry lacks its row."""
    promotions = {r[0]: r[1] for r in rows(url, "SELECT id, gates FROM promotions")}
    entries = [json.loads(r[1]) | {"kind": r[0]} for r in rows(
        url, "SELECT kind, body FROM audit_entries WHERE kind IN ('promote', 'gate')")]
    outcome = [e["promotion"] for e in entries if e["kind"] == "promote"]
    gates = [e["promotion"] for e in entries if e["kind"] == "gate"]
    assert sorted(outcome) == sorted(promotions)
    for pid, recorded in promotions.items():
        assert gates.count(pid) == len(json.loads(recorded))


def test_eight_processes_promote_at_once_and_exactly_one_wins(seeded: Seeded, cli: Callable[..., Any],
                                                              make_release: Callable[..., str]) -> None:
    ctx_of, first = seeded
    ctx = ctx_of()
    releases = [first] + [make_release(ctx_of("carol"), f"v{i}") for i in range(2, 9)]
    before = verified(ctx, cli)["entries"]
    procs = [subprocess.Popen(command(ctx, rid, "dev", "none"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for rid in releases]
    results = [(p.wait(timeout=120), p.stdout.read() if p.stdout else "", p.stderr.read() if p.stderr else "")
               for p in procs]
    for proc in procs:
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    codes = [code for code, _, _ in results]
    assert sorted(codes) == [0] + [1] * 7, results
    outcomes = [json.loads(out) for _, out, _ in results]
    winner = next(o for o in outcomes if o["outcome"] == "deployed")
    for lost in (o for o in outcomes if o["outcome"] == "refused"):
        [gate] = [g for g in lost["gates"] if not g["passed"]]
        assert gate["gate"] == "current" and f"now runs {winner['release']}" in gate["reason"]
    report = verified(ctx, cli)
    # frank's first act records his identity; then an outcome each, 5 gates, and a failed "current" gate if refused
    assert report["entries"] == before + 1 + 8 + 7 * 6 + 5
    seqs = [r[0] for r in rows(ctx.url, "SELECT seq FROM audit_entries ORDER BY seq")]
    assert seqs == list(range(len(seqs)))
    consistent(ctx.url)
    status = json.loads(cli("status", "--ledger", ctx.url, "--format", "json").stdout)
    assert status["environments"][0]["release"] == winner["release"]


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, "the promotion ended before reaching the failpoint"
        assert time.monotonic() < deadline, "the failpoint was never reached"
        time.sleep(0.05)


@pytest.mark.parametrize("failpoint", ["write-locked", "before-commit"])
def test_sigkill_inside_the_transaction_leaves_no_trace(seeded: Seeded, cli: Callable[..., Any], tmp_path: Path,
                                                        failpoint: str) -> None:
    ctx_of, rid = seeded
    ctx = ctx_of()
    before = verified(ctx, cli)
    marker = tmp_path / "at-failpoint"
    proc = subprocess.Popen(command(ctx, rid, "dev"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "BUTTRESS_FAILPOINT": f"{failpoint}:{marker}"})
    _wait_for(marker, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    after = verified(ctx, cli)
    assert after == before
    assert rows(ctx.url, "SELECT count(*) FROM promotions")[0][0] == 0
    promoted = cli("promote", rid, "--to", "dev", "--ledger", ctx.url, "--key", str(ctx.key_file), "--as", "frank",
                   "--at", AT)
    assert promoted.exit == 0
    consistent(ctx.url)
    assert verified(ctx, cli)["entries"] == before["entries"] + 7  # frank's identity, 5 gates, the outcome


def test_sigkill_at_random_moments_leaves_a_consistent_ledger(seeded: Seeded, cli: Callable[..., Any],
                                                              make_release: Callable[..., str]) -> None:
    ctx_of, _ = seeded
    ctx = ctx_of()
    chance = random.Random(7)
    for i in range(3):
        rid = make_release(ctx_of("carol"), f"k{i}")
        proc = subprocess.Popen(command(ctx, rid, "dev"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.3, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        verified(ctx, cli)
        consistent(ctx.url)
