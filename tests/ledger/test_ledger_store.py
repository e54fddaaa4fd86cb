"""Storage: Alembic migrations create exactly the models' schema (SQLite and PostgreSQL), run on open,
once, and upgrade a populated ledger from the first revision with its data and audit log intact; SQLite
runs in WAL mode at ``.buttress/ledger.db`` beside the blueprint. Also the test setup's own PostgreSQL
lookup: the newest installed server, and no silent skip in CI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from buttress.app import accounts, ledger_report, release_decisions, release_promote
from buttress.app.ledger_session import LedgerContext, parse_at
from buttress.ledger import accounts as ledger_accounts
from buttress.ledger import store
from buttress.ledger.migrations import HEAD
from buttress.ledger.models import Base

Seeded = tuple[Callable[..., Any], str]
T0 = "2026-12-01T09:00:00+00:00"


def sql(url: str, statement: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return [tuple(row) for row in conn.execute(text(statement))]
    finally:
        engine.dispose()


def test_migrations_match_the_models_and_head(ledger_url: str) -> None:
    assert ledger_accounts.Account.__table__.metadata is Base.metadata, "the server's tables are part of the schema"
    ledger = store.open_ledger(ledger_url)
    try:
        with ledger.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            assert diff == []
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        config = Config()
        config.set_main_option("script_location", str(store.MIGRATIONS))
        assert ScriptDirectory.from_config(config).get_current_head() == HEAD
        store.open_ledger(ledger_url).close()  # opening again is a no-op
    finally:
        ledger.close()


def test_sqlite_default_location_and_wal(tmp_path: Path) -> None:
    url = store.default_url(tmp_path)
    assert url == f"sqlite:///{tmp_path.resolve() / '.buttress' / 'ledger.db'}"
    ledger = store.open_ledger(url)
    try:
        with ledger.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        with ledger.read() as session:
            assert len(ledger.meta(session, "ledger_id") or "") == 36
    finally:
        ledger.close()
    assert (tmp_path / ".buttress" / "ledger.db").exists()


REVISION_0001 = {  # every table of the first revision, parents first, with its columns
    "meta": ["key", "value"],
    "head": ["id", "size", "frontier"],
    "audit_entries": ["seq", "at", "actor", "kind", "subject", "body", "leaf_hash"],
    "checkpoints": ["size", "root", "at", "key_id", "signature"],
    "keys": ["id", "public_key", "owner", "created_at"],
    "identities": ["name", "created_at"],
    "role_grants": ["identity", "role", "granted_by", "at"],
    "blobs": ["digest", "content"],
    "releases": ["id", "number", "created_at", "creator", "blueprint", "source_digest", "bundle_digest", "envelope",
                 "policy", "findings"],
    "release_files": ["release_id", "environment", "path", "digest"],
    "decisions": ["id", "release_id", "environment", "identity", "kind", "roles", "reason", "at"],
    "promotions": ["id", "release_id", "environment", "kind", "break_glass", "reason", "actor", "at", "outcome", "gates",
                   "replaced"],
}
SERIAL = ("decisions", "promotions")


def _rows(url: str, table: str, columns: list[str]) -> list[tuple[Any, ...]]:
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
            for row in sql(url, f"SELECT {', '.join(columns)} FROM {table} ORDER BY {columns[0]}, {columns[-1]}")]


def _at_revision(url: str, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(store.MIGRATIONS))
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _insert(url: str, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            statement = text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})")
            for row in rows:
                conn.execute(statement, dict(zip(columns, row, strict=True)))
            if table in SERIAL and conn.dialect.name == "postgresql" and rows:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    finally:
        engine.dispose()


def test_a_populated_ledger_upgrades_from_the_first_revision_to_head(
        seeded: Seeded, another_ledger_url: Callable[[], str], tmp_path: Path) -> None:
    ctx, rid = seeded
    release_promote.promote(ctx("frank"), rid, "dev")
    release_decisions.decide(ctx("bob"), rid, "prod", "approve")
    release_decisions.decide(ctx("sec"), rid, "prod", "reject", "CVE-2026-1")
    release_promote.promote(ctx("frank", "2026-12-01T09:30:00+00:00"), rid, "prod")  # refused, and recorded
    source = ctx().url
    assert str(source)
    old = {table: _rows(str(source), table, columns) for table, columns in REVISION_0001.items()}
    assert all(old[t] for t in REVISION_0001), "every table of the first revision holds rows"

    url = another_ledger_url()
    _at_revision(url, "0001")
    assert sql(url, "SELECT version_num FROM alembic_version")[0][0] == "0001"
    for table, columns in REVISION_0001.items():
        _insert(url, table, columns, old[table])
    _at_revision(url, "0002")  # a server's accounts arrive with the second revision
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("correct horse battery staple")
    _insert(url, "accounts", ["identity", "password_hash", "set_by", "updated_at"], [("bob", cheap, "alice", T0)])
    _insert(url, "login_attempts", ["identity", "at", "ok"], [("bob", T0, False)])

    upgraded = LedgerContext(project=tmp_path, url=url, key_path=ctx().key_file, identity="frank",
                             at=parse_at("2026-12-01T09:40:00+00:00"))
    try:
        with upgraded.ledger().read():  # opening migrates to head
            pass
        assert sql(url, "SELECT version_num FROM alembic_version")[0][0] == HEAD
        report = ledger_report.verify_log(upgraded)
        assert report.ok, report.problems
        assert report.entries == len(old["audit_entries"]) and report.checkpoints == len(old["checkpoints"])
        for table, columns in REVISION_0001.items():
            assert _rows(url, table, columns) == old[table], f"{table} survives the upgrade"
        assert sql(url, "SELECT identity, ok, address FROM login_attempts") == [("bob", False, "")]
        assert {e["environment"]: e["release"] for e in ledger_report.status(upgraded)} == {
            "dev": rid, "prod": None, "staging": None}
        later = release_promote.promote(upgraded, rid, "staging")
        assert later.deployed, later.to_json()
        assert accounts.login(upgraded, "bob", "correct horse battery staple", "192.0.2.1")[0]
        after = ledger_report.verify_log(upgraded)
        assert after.ok and after.entries == report.entries + len(later.entries)
    finally:
        upgraded.close()


def test_the_newest_installed_postgresql_is_used(tmp_path: Path, pg_finder: Callable[..., Path]) -> None:
    for version in ("9.6", "13", "16", "15", "devel"):
        for tool in ("pg_ctl", "initdb"):
            (tmp_path / version / "bin").mkdir(parents=True, exist_ok=True)
            (tmp_path / version / "bin" / tool).write_text("")
    (tmp_path / "17" / "bin").mkdir(parents=True)  # left behind by an uninstalled server: no binaries
    assert pg_finder(tmp_path) == tmp_path / "16" / "bin"


def test_a_missing_postgresql_skips_locally_but_fails_in_ci(tmp_path: Path, pg_finder: Callable[..., Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        pg_finder(tmp_path / "none")
    for value in ("true", "1", "yes"):
        monkeypatch.setenv("CI", value)
        with pytest.raises(pytest.fail.Exception, match="CI is set"):
            pg_finder(tmp_path / "none")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        pg_finder(tmp_path)
