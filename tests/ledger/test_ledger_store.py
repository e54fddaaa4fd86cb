"""Storage: Alembic migrations create exactly the models' schema (SQLite and PostgreSQL), run on open,
once; SQLite runs in WAL mode at ``.buttress/ledger.db`` beside the blueprint."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from buttress.ledger import accounts, store
from buttress.ledger.migrations import HEAD
from buttress.ledger.models import Base


def test_migrations_match_the_models_and_head(ledger_url: str) -> None:
    assert accounts.Account.__table__.metadata is Base.metadata, "the server's tables are part of the schema"
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
