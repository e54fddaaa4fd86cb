"""Fixtures for the ledger tests: a real throw-away PostgreSQL cluster, ledger URLs on both databases,
contexts acting as named identities at given times, and a seeded ledger with one release.

The PostgreSQL cluster runs as the unprivileged ``postgres`` user (PostgreSQL refuses root) in a
temporary folder on a free port, for the whole session, and is stopped and deleted afterwards. It uses the
newest installed server (``/usr/lib/postgresql/VERSION/bin``). Without one the PostgreSQL tests are
skipped — except when the environment variable ``CI`` is set (``CI=true``), where they fail, so that a
missing install can never pass as green.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from buttress.app import ledger_admin, release
from buttress.app.ledger_session import LedgerContext, parse_at
from buttress.ledger import records

PG_ROOT = Path("/usr/lib/postgresql")
T0 = "2026-12-01T09:00:00+00:00"

POLICY: dict[str, Any] = {
    "dev": {"enforcement": "advisory", "promotion": None, "waivers": []},
    "staging": {"enforcement": "mandatory", "waivers": [],
                "promotion": {"from": "dev", "approvals": None, "soakSeconds": None, "window": None}},
    "prod": {"enforcement": "mandatory", "waivers": [],
             "promotion": {"from": "staging", "approvals": {"count": 2, "roles": ["release-manager", "security"]},
                           "soakSeconds": 86400.0,
                           "window": {"days": ["mon", "tue", "wed", "thu"], "hours": "08:00-16:00",
                                      "timezone": "Europe/Berlin"}}},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_postgres(*args: str) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return list(args)


def _version(folder: Path) -> tuple[int, ...]:
    parts = folder.name.split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else (-1,)


def in_ci() -> bool:
    """Is the environment variable ``CI`` set (to anything but empty, 0, false or no)?"""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def find_pg_bin(root: Path = PG_ROOT) -> Path:
    """The ``bin`` folder of the newest PostgreSQL under ``root`` (Debian's ``/usr/lib/postgresql/N/bin``).

    None installed: skip the test, or fail it when ``CI`` is set."""
    found = sorted((d for d in root.glob("*") if (d / "bin" / "pg_ctl").is_file() and (d / "bin" / "initdb").is_file()),
                   key=_version) if root.is_dir() else []
    if found:
        return found[-1] / "bin"
    message = f"no PostgreSQL server is installed under {root} (apt-get install postgresql)"
    if in_ci():
        pytest.fail(f"{message}; CI is set, so the PostgreSQL tests fail instead of being skipped", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres() -> Iterator[str]:
    """A running PostgreSQL server for the session: its base URL (append a database name)."""
    pg_bin = find_pg_bin()
    folder = Path(tempfile.mkdtemp(prefix="buttress-pg-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()
    subprocess.run(_as_postgres(str(pg_bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                "--no-sync", "-E", "UTF8"), check=True, capture_output=True)
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
    subprocess.run(_as_postgres(str(pg_bin / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                                "-w", "start"), check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_postgres(str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"),
                       check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


_databases = itertools.count()


def sql(url: str, statement: str, **params: Any) -> list[Any]:
    """Run SQL against the ledger database, bypassing buttress (as an attacker with write access would)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


def new_pg_database(base: str) -> str:
    """Create an empty database on the session's server; its URL."""
    import psycopg

    name = f"ledger_{os.getpid()}_{next(_databases)}"
    with psycopg.connect(base.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh ledger URL, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / '.buttress' / 'ledger.db'}"
    return new_pg_database(request.getfixturevalue("postgres"))


@pytest.fixture
def pg_finder() -> Callable[..., Path]:
    """``find_pg_bin(root)``, for the tests of the test setup itself."""
    return find_pg_bin


@pytest.fixture
def another_ledger_url(request: pytest.FixtureRequest, tmp_path: Path, ledger_url: str) -> Callable[[], str]:
    """A factory of further empty databases on the same kind of server as ``ledger_url``."""
    names = itertools.count()

    def new() -> str:
        if ledger_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / f'other-{next(names)}.db'}"
        return new_pg_database(request.getfixturevalue("postgres"))

    return new


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite ledger URL (for tests whose subject is not the database)."""
    return f"sqlite:///{tmp_path / '.buttress' / 'ledger.db'}"


Ctx = Callable[..., LedgerContext]


def make_ctx(project: Path, url: str) -> Ctx:
    """A factory of contexts acting as ``who`` at ``at`` on one ledger with one key."""
    opened: list[LedgerContext] = []

    def ctx(who: str = "alice", at: str = T0) -> LedgerContext:
        c = LedgerContext(project=project, url=url, key_path=project / "keys" / "ledger.key", identity=who,
                          at=parse_at(at))
        opened.append(c)
        return c

    ctx.opened = opened  # type: ignore[attr-defined]
    return ctx


def files_for(tag: str) -> dict[str, dict[str, bytes]]:
    """A small bundle per environment, distinct per ``tag``."""
    return {env: {"deployment.yaml": f"kind: Deployment\nmetadata: {{name: scorer, labels: {{tag: {tag}}}}}\n".encode(),
                  "service.yaml": b"kind: Service\nmetadata: {name: scorer}\n",
                  f"config/{env}.yaml": f"env: {env}\n".encode()} for env in POLICY}


def new_release(ctx: LedgerContext, tag: str = "v1", findings: dict[str, list[dict[str, Any]]] | None = None,
                policy: dict[str, Any] | None = None) -> str:
    """Store a release built from plain data; its ID."""
    new = records.NewRelease(blueprint="fraud-detection", source_digest="ab" * 32, files=files_for(tag),
                             policy=policy or POLICY, findings=findings or {env: [] for env in POLICY},
                             creator=ctx.actor, created_at=ctx.when)
    return release.store_release(ctx, new).id


def _seeded(tmp_path: Path, url: str) -> Iterator[tuple[Ctx, str]]:
    ctx = make_ctx(tmp_path, url)
    seed(ctx)
    rid = new_release(ctx("carol"))
    yield ctx, rid
    for c in ctx.opened:  # type: ignore[attr-defined]
        c.close()


@pytest.fixture
def seeded(tmp_path: Path, ledger_url: str) -> Iterator[tuple[Ctx, str]]:
    """A ledger on both databases: alice admin, bob release-manager, sec security, ic incident-commander,
    and one release by carol. Yields the context factory and the release ID."""
    yield from _seeded(tmp_path, ledger_url)


@pytest.fixture
def seeded_sqlite(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[Ctx, str]]:
    """``seeded`` on SQLite only."""
    yield from _seeded(tmp_path, sqlite_url)


@pytest.fixture
def make_release() -> Callable[..., str]:
    """``new_release(ctx, tag, findings, policy)``: store a release built from plain data."""
    return new_release


def seed(ctx: Ctx) -> None:
    """Create the key and the identities with their roles."""
    ledger_admin.init_key(ctx("alice"))
    for who, role in (("bob", "release-manager"), ("sec", "security"), ("ic", "incident-commander")):
        ledger_admin.grant_role(ctx("alice"), who, role)
