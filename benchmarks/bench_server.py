"""Team-server load test: concurrent readers and approvers against ``buttress serve`` over PostgreSQL.

    .venv/bin/python benchmarks/bench_server.py [--readers 50] [--approvers 5] [--seconds 30] [--ledger URL]

Starts a throw-away PostgreSQL cluster (unless ``--ledger`` names one), seeds a ledger (identities, roles,
tokens, a password, one release promoted to dev and staging), and starts ``buttress serve`` as a separate
process on loopback. Then, for ``--seconds``: every reader loops over the main pages (logged in with a
session cookie) and API reads; every approver loops: create a release from CI (its own token), approve it
for prod as a release manager, then as a security approver. Prints p50/p99 latency per page/endpoint,
the throughput, and the number of errors; then checks that every write that succeeded has its audit entry
and that the whole audit log verifies. Exits 1 on any error, lost entry or failed verification.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from buttress.app import accounts, ledger_admin, ledger_report, server_upload
from buttress.app.ledger_session import LedgerContext
from buttress.ledger import audit

PG_BIN = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), default=Path("/nonexistent"))
"""The newest PostgreSQL installed from Debian's packages."""
PASSWORD = "load test password"
FRAUD = Path(__file__).resolve().parents[1] / "examples" / "fraud-detection"
ENTRY, SOURCE = server_upload.source_of(FRAUD)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


@contextlib.contextmanager
def postgres() -> Iterator[str]:
    """A throw-away PostgreSQL cluster on loopback; the URL of its ``postgres`` database."""
    folder = Path(tempfile.mkdtemp(prefix="buttress-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    subprocess.run(_as_postgres(str(PG_BIN / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres",
                                "--no-sync", "-E", "UTF8"), check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
    subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-o", options, "-l",
                                str(folder / "log"), "-w", "start"), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "-w",
                                    "stop"), check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def release_body(tag: str) -> dict[str, Any]:
    """A release as CI posts it (``release create --server``): the example blueprint's source, its
    description made unique by ``tag``; the server validates, checks, renders and signs it."""
    files = dict(SOURCE)
    files[ENTRY] = files[ENTRY].replace(b"description: Scores card", f"description: ({tag}) Scores card".encode(), 1)
    return {"blueprintFile": ENTRY, "source": {name: base64.b64encode(content).decode() for name, content in files.items()}}


class Stats:
    """Latencies per label and errors, shared by the worker threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.writes: list[tuple[str, str, str]] = []
        """(kind, subject, actor) of every write that succeeded."""

    def call(self, client: httpx.Client, label: str, method: str, url: str, expect: int, **kw: Any) -> httpx.Response:
        start = time.perf_counter()
        try:
            answer = client.request(method, url, **kw)
        except httpx.HTTPError as exc:
            with self.lock:
                self.errors.append(f"{label}: {exc!r}")
            raise
        took = time.perf_counter() - start
        with self.lock:
            self.latency[label].append(took)
            if answer.status_code != expect:
                self.errors.append(f"{label}: {answer.status_code} {answer.text[:200]}")
        return answer


def seed(project: Path, url: str, approvers: int) -> tuple[LedgerContext, dict[str, str]]:
    """Identities, roles, tokens and eve's password; the admin's context and every token."""
    ctx = LedgerContext(project=project, url=url, identity="alice")
    ledger_admin.init_key(ctx)
    tokens: dict[str, str] = {}
    grants = {"eve": "engineer"} | {f"rm{i}": "release-manager" for i in range(approvers)} | {
        f"sec{i}": "security" for i in range(approvers)}
    for who, role in grants.items():
        ledger_admin.grant_role(ctx, who, role)
    for who in (*grants, *(f"ci{i}" for i in range(approvers))):
        tokens[who], _ = accounts.create_token(ctx, who, "load test", None, False, 1)
    accounts.set_password(ctx, "eve", PASSWORD)
    return ctx, tokens


@contextlib.contextmanager
def server(project: Path, url: str) -> Iterator[str]:
    """``buttress serve`` as a separate process; its base URL."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUTTRESS_")}
    log = (project / "server.log").open("w")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("buttress")), "serve", "--ledger", url, "--project",
                             str(project), "--port", str(port), "--insecure-cookies"], env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise SystemExit((project / "server.log").read_text())
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def session_cookie(base: str) -> str:
    """Log eve in through the login form; the session cookie."""
    with httpx.Client(base_url=base) as client:
        page = client.get("/login").text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        answer = client.post("/login", data={"identity": "eve", "password": PASSWORD, "csrf": csrf})
        if answer.status_code != 303:
            raise SystemExit(f"login failed: {answer.status_code}")
        return str(client.cookies["buttress_session"])


def reader(base: str, cookie: str, token: str, rid: str, stop: threading.Event, stats: Stats) -> None:
    """Loop over the main pages and API reads until ``stop``."""
    reads = [("page /", "/"), ("page /releases/ID", f"/releases/{rid}"), ("page /audit", "/audit"),
             ("GET /api/releases", "/api/releases"), ("GET /api/releases/ID", f"/api/releases/{rid}"),
             ("GET /api/environments", "/api/environments"), ("GET /api/audit/entries", "/api/audit/entries")]
    with httpx.Client(base_url=base, cookies={"buttress_session": cookie}, timeout=120) as browser, \
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as api:
        turn = 0
        while not stop.is_set():
            label, path = reads[turn % len(reads)]
            with contextlib.suppress(httpx.HTTPError):
                stats.call(browser if label.startswith("page") else api, label, "GET", path, 200)
            turn += 1


def approver(base: str, index: int, tokens: dict[str, str], stop: threading.Event, stats: Stats) -> None:
    """Loop until ``stop``: CI creates a release; a release manager and a security approver approve it."""
    def client(who: str) -> httpx.Client:
        return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens[who]}"}, timeout=120)

    ci, rm, sec = f"ci{index}", f"rm{index}", f"sec{index}"
    with client(ci) as creator, client(rm) as manager, client(sec) as security:
        turn = 0
        while not stop.is_set():
            turn += 1
            try:
                made = stats.call(creator, "POST /api/releases", "POST", "/api/releases", 201,
                                  json=release_body(f"{index}-{turn}"))
                if made.status_code != 201:
                    continue
                rid = made.json()["id"]
                with stats.lock:
                    stats.writes.append(("release.created", rid, ci))
                for who, c in ((rm, manager), (sec, security)):
                    done = stats.call(c, "POST /api/releases/ID/approvals", "POST", f"/api/releases/{rid}/approvals",
                                      201, json={"environment": "prod"})
                    if done.status_code == 201:
                        with stats.lock:
                            stats.writes.append(("approve", f"{rid}@prod", who))
            except httpx.HTTPError:
                continue


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def run(url: str, readers: int, approvers: int, seconds: float) -> int:
    project = Path(tempfile.mkdtemp(prefix="buttress-bench-server-"))
    ctx, tokens = seed(project, url, approvers)
    try:
        with server(project, url) as base:
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['ci0']}"}) as ci:
                rid = ci.post("/api/releases", json=release_body("seed")).json()["id"]
            with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['eve']}"}) as eve:
                for env in ("dev", "staging"):
                    eve.post("/api/promotions", json={"release": rid, "environment": env}).raise_for_status()
            cookie = session_cookie(base)
            with ctx.ledger().read() as session:
                size_before = audit.page(session, 0, 1)[0]
            stats, stop = Stats(), threading.Event()
            threads = [threading.Thread(target=reader, args=(base, cookie, tokens["eve"], rid, stop, stats))
                       for _ in range(readers)]
            threads += [threading.Thread(target=approver, args=(base, i, tokens, stop, stats)) for i in range(approvers)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            time.sleep(seconds)
            stop.set()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
        return report(ctx, stats, elapsed, size_before, readers, approvers)
    finally:
        ctx.close()
        shutil.rmtree(project, ignore_errors=True)


def report(ctx: LedgerContext, stats: Stats, elapsed: float, size_before: int, readers: int, approvers: int) -> int:
    """Print the latency table and check the audit log; the exit code."""
    total = sum(len(v) for v in stats.latency.values())
    print(f"{readers} readers + {approvers} approvers for {elapsed:.1f} s: {total} requests "
          f"({total / elapsed:.0f}/s), {len(stats.errors)} error(s)")
    print(f"{'page / endpoint':<34}{'count':>7}{'p50 ms':>9}{'p99 ms':>9}")
    for label in sorted(stats.latency):
        values = stats.latency[label]
        print(f"{label:<34}{len(values):>7}{statistics.median(values) * 1000:>9.0f}{percentile(values, .99) * 1000:>9.0f}")
    for error in stats.errors[:10]:
        print(f"error: {error}")
    with ctx.ledger().read() as session:
        size, entries = audit.page(session, 0, 10**7, newest_first=False)
    logged = {(e["kind"], e["subject"], e["actor"]) for e in entries[size_before:]}
    lost = [w for w in stats.writes if w not in logged]
    verified = ledger_report.verify_log(ctx)
    print(f"audit: {size - size_before} new entries for {len(stats.writes)} successful writes, {len(lost)} lost; "
          f"log {'verifies' if verified.ok else 'DOES NOT VERIFY'} ({verified.entries} entries)")
    return 0 if verified.ok and not lost and not stats.errors else 1


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--approvers", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--ledger", help="an empty PostgreSQL ledger URL (default: a throw-away cluster)")
    args = parser.parse_args(argv)
    if args.ledger:
        return run(args.ledger, args.readers, args.approvers, args.seconds)
    with postgres() as url:
        return run(url, args.readers, args.approvers, args.seconds)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
