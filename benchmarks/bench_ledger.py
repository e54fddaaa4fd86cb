"""Ledger benchmarks: verifying a 10,000-entry audit log, and one promotion with every gate on SQLite.

    .venv/bin/python benchmarks/bench_ledger.py [--entries 10000] [--promotions 20]

The audit log is written in appends shaped like real use (a release: 1 entry; an approval: 1; a promotion:
5 gate verdicts + the outcome = 6), each append with its signed checkpoint; a second log has one
checkpoint per entry (the worst case). A promotion is timed in-process on a warm ledger, excluding
rendering: it loads the release, verifies its signature and every file digest (3 environments x 60
files), evaluates soak, findings, approvals and the change window, records the verdicts and appends 6
audit entries with a signed checkpoint, and commits.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from buttress.app import ledger_admin, ledger_report, release, release_decisions, release_promote
from buttress.app.ledger_session import LedgerContext, parse_at
from buttress.ledger import audit, records

POLICY: dict[str, Any] = {
    "dev": {"enforcement": "advisory", "promotion": None, "waivers": []},
    "staging": {"enforcement": "mandatory", "waivers": [],
                "promotion": {"from": "dev", "approvals": None, "soakSeconds": None, "window": None}},
    "prod": {"enforcement": "mandatory", "waivers": [],
             "promotion": {"from": "staging", "approvals": {"count": 2, "roles": ["release-manager", "security"]},
                           "soakSeconds": 86400.0, "window": {"days": ["mon", "tue", "wed", "thu"],
                                                              "hours": "08:00-16:00", "timezone": "Europe/Berlin"}}},
}


def _ctx(project: Path, who: str, at: str = "2026-12-01T09:00:00+00:00") -> LedgerContext:
    return LedgerContext(project=project, identity=who, at=parse_at(at))


def build_log(project: Path, entries: int, shape: list[int]) -> LedgerContext:
    """A ledger whose audit log holds ``entries`` entries appended in batches of the sizes in ``shape``."""
    ctx = _ctx(project, "alice")
    ledger_admin.init_key(ctx)
    ledger = ctx.ledger()
    turn = 0
    with ledger.read() as session:
        head = session.get(audit.Head, 1)
        written = head.size if head else 0
    while written < entries:
        size = min(shape[turn % len(shape)], entries - written)
        turn += 1
        with ledger.write() as session:
            ctx.record(session, [audit.Draft("bob", "gate" if size > 1 else "comment", f"rel-{turn:06d}@prod",
                                             {"n": written + i, "reason": "benchmark entry"}) for i in range(size)])
        written += size
    return ctx


def bench_verify(entries: int, shape: list[int], label: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        ctx = build_log(Path(folder), entries, shape)
        times = []
        for _ in range(3):
            start = time.perf_counter()
            report = ledger_report.verify_log(ctx)
            times.append(time.perf_counter() - start)
            assert report.ok, report.problems
        ctx.close()
        print(f"audit verify, {report.entries} entries, {report.checkpoints} checkpoints ({label}): "
              f"best {min(times):.3f} s, median {statistics.median(times):.3f} s")


def _files(tag: int) -> dict[str, dict[str, bytes]]:
    body = "".join(f"  line{i}: value-{i}\n" for i in range(80))
    return {env: {f"kubernetes/object-{n:02d}.yaml": f"kind: ConfigMap\nrelease: {tag}\nenv: {env}\n{body}".encode()
                  for n in range(60)} for env in POLICY}


def bench_promotion(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        ledger_admin.init_key(_ctx(project, "alice"))
        for who, role in (("bob", "release-manager"), ("sec", "security")):
            ledger_admin.grant_role(_ctx(project, "alice"), who, role)
        times = []
        for n in range(count):
            day = f"2026-12-{1 + (n % 2) * 7:02d}"  # Tuesdays: soak on Tue, promote on Thu
            carol = _ctx(project, "carol", f"{day}T08:00:00+00:00")
            rid = release.store_release(carol, records.NewRelease(
                "bench", "ab" * 32, _files(n), POLICY, {e: [] for e in POLICY}, "carol", carol.when)).id
            for env in ("dev", "staging"):
                release_promote.promote(_ctx(project, "frank", f"{day}T09:00:00+00:00"), rid, env)
            for who in ("bob", "sec"):
                release_decisions.decide(_ctx(project, who, f"{day}T10:00:00+00:00"), rid, "prod", "approve")
            promoter = _ctx(project, "frank", f"{day[:-2]}{int(day[-2:]) + 2:02d}T09:00:00+00:00")
            promoter.ledger()
            promoter.key()
            start = time.perf_counter()
            outcome = release_promote.promote(promoter, rid, "prod")
            times.append(time.perf_counter() - start)
            promoter.close()
            assert outcome.deployed, [v.reason for v in outcome.verdicts if not v.passed]
        times.sort()
        print(f"promotion to prod with all 5 gates (SQLite, 180 files attested, warm ledger), {count} runs: "
              f"median {statistics.median(times) * 1000:.0f} ms, p90 {times[int(0.9 * (len(times) - 1))] * 1000:.0f} ms, "
              f"max {times[-1] * 1000:.0f} ms")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--promotions", type=int, default=20)
    args = parser.parse_args(argv)
    bench_verify(args.entries, [1, 1, 6, 1], "release/approval/promotion appends")
    bench_verify(args.entries, [1], "one checkpoint per entry, worst case")
    bench_promotion(args.promotions)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
