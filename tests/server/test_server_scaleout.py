"""Scale out: two ``buttress serve`` processes (uvicorn on loopback) over one PostgreSQL ledger race the same
promotion; one deploys (201), the other is refused with 409, and the audit log records one deployment and
still verifies. The server keeps no state of its own, so either instance sees the other's work at once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from buttress.app import ledger_report

World = Any  # the ``pg_world`` fixture below
BUTTRESS = Path(sys.executable).with_name("buttress")


@pytest.fixture
def instances(pg_world: World, tmp_path: Path) -> Iterator[list[str]]:
    """Two server processes over ``pg_world``'s ledger; their base URLs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUTTRESS_")}
    ports = [pg_world.free_port(), pg_world.free_port()]
    logs = [(tmp_path / f"server-{port}.log").open("w") for port in ports]
    procs = [subprocess.Popen([str(BUTTRESS), "serve", "--ledger", pg_world.url, "--project", str(pg_world.project),
                               "--port", str(port), "--insecure-cookies"], env=env, stdout=log,
                              stderr=subprocess.STDOUT) for port, log in zip(ports, logs, strict=True)]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 90
        for url, proc in zip(urls, procs, strict=True):
            while True:
                assert proc.poll() is None, (tmp_path / f"server-{url.rsplit(':', 1)[1]}.log").read_text()
                try:
                    if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in logs:
            log.close()


@pytest.fixture
def pg_world(tmp_path: Path, postgres: str, build: Any, free_port: Any) -> Iterator[World]:
    """The seeded world on a fresh PostgreSQL database."""
    world = build(tmp_path, postgres)
    world.free_port = free_port
    yield world
    world.close()


def test_server_two_instances_race_one_promotion(pg_world: World, instances: list[str]) -> None:
    rid = pg_world.release
    assert pg_world.client("eve").post("/api/promotions", json={"release": rid, "environment": "dev"}).status_code == 201
    gate = threading.Barrier(2)
    answers: dict[str, httpx.Response] = {}

    def race(who: str, url: str) -> None:
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {pg_world.tokens[who]}"}, timeout=60) as c:
            c.get("/api/me")  # connection open before the start line
            gate.wait()
            answers[who] = c.post("/api/promotions", json={"release": rid, "environment": "staging",
                                                           "replacing": "none"})

    threads = [threading.Thread(target=race, args=(who, url)) for who, url in zip(("eve", "ic"), instances, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(a.status_code for a in answers.values())
    assert codes == [201, 409], {who: a.text for who, a in answers.items()}
    [winner] = [who for who, a in answers.items() if a.status_code == 201]
    [loser] = [a for a in answers.values() if a.status_code == 409]
    assert "staging" in loser.json()["detail"] and "current" in loser.json()["detail"]
    for url in instances:  # both instances agree on what runs
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {pg_world.tokens['bob']}"}) as c:
            staging = c.get("/api/environments/staging").json()
            assert staging["current"]["release"] == rid and staging["current"]["actor"] == winner
    entries = pg_world.client("alice").get("/api/audit/entries", params={"limit": 500}).json()["entries"]
    deployed = [e for e in entries if e["kind"] == "promote" and e["subject"].endswith("staging")
                and e["data"].get("outcome") == "deployed"]
    assert len(deployed) == 1 and deployed[0]["actor"] == winner
    assert ledger_report.verify_log(pg_world.ctx()).ok
