"""Opening a ledger: the database URL, the engine (SQLite in WAL mode or PostgreSQL), migrations on open,
and the serialised write transaction every append runs in.

``app`` use cases call ``open_ledger(url)`` and then ``ledger.read()`` or ``ledger.write()``. A write takes
the ledger's one lock first (SQLite ``BEGIN IMMEDIATE``; PostgreSQL ``SELECT ... FOR UPDATE`` on the head
row), so that concurrent processes append to the audit log one at a time and a killed process leaves
nothing half-written.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, OperationalError
from sqlalchemy.orm import Session

__all__ = ["DEFAULT_PATH", "Ledger", "Session", "default_url", "failpoint", "make_engine", "open_ledger"]

from buttress.errors import UsageError
from buttress.ledger.migrations import HEAD
from buttress.ledger.models import Head, Meta

MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_PATH = Path(".buttress") / "ledger.db"
_LOCK_ID = 0x62757474  # "butt": the advisory lock migrations take on PostgreSQL


def default_url(folder: Path) -> str:
    """The SQLite ledger beside a blueprint: ``FOLDER/.buttress/ledger.db``."""
    return f"sqlite:///{(folder / DEFAULT_PATH).resolve()}"


def _sqlite_engine(url: str, create: bool) -> Engine:
    path = make_url(url).database
    if path and path != ":memory:":
        if not create and not Path(path).is_file():
            raise UsageError(f"no ledger at {path}: `buttress keys init` creates one (or name it with --ledger)")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 60, "isolation_level": None})

    @event.listens_for(engine, "connect")
    def _connect(dbapi: Any, _record: Any) -> None:
        cursor = dbapi.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=60000"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("ledger_write") else "BEGIN")

    return engine


def make_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for a ``sqlite:///`` or ``postgresql+psycopg://`` URL (``create``: see ``open_ledger``)."""
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise UsageError(f"{url!r} is not a database URL such as postgresql+psycopg://user@host/db") from None
    if backend == "sqlite":
        return _sqlite_engine(url, create)
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True)
    raise UsageError(f"the ledger runs on SQLite or PostgreSQL, not {backend}")


def _up_to_date(engine: Engine) -> bool:
    """True when the schema is at ``HEAD`` (no lock needed: migrations only move forward)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD


def _migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision, one process at a time."""
    if _up_to_date(engine):
        return
    from alembic import command  # only needed when the schema changes: keeps every other open fast
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.execution_options(ledger_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_ID})")
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        with Session(bind=conn) as session:
            if session.get(Head, 1) is None:
                session.add(Head(id=1, size=0, frontier="[]"))
                session.add(Meta(key="ledger_id", value=str(uuid.uuid4())))
                session.flush()


@dataclass
class Ledger:
    """An open ledger database."""

    engine: Engine
    url: str

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (no lock)."""
        with Session(self.engine) as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction holding the ledger's write lock; commits on success, rolls back on any error."""
        with Session(self.engine.execution_options(ledger_write=True)) as session, session.begin():
            if self.engine.dialect.name == "postgresql":
                session.execute(select(Head).where(Head.id == 1).with_for_update()).scalar_one()
            failpoint("write-locked")
            yield session
            session.flush()
            failpoint("before-commit")

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A short write transaction outside the audit log (login throttling, browser sessions): it does not
        take the audit log's lock. On SQLite it begins ``IMMEDIATE`` (SQLite's one write lock, so that a
        read-then-write cannot race); on PostgreSQL the caller's ``SELECT ... FOR UPDATE`` takes row locks."""
        with Session(self.engine.execution_options(ledger_write=True)) as session, session.begin():
            yield session

    def meta(self, session: Session, key: str) -> str | None:
        """A value of the ``meta`` table."""
        row = session.get(Meta, key)
        return row.value if row else None

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


def open_ledger(url: str, *, create: bool = True) -> Ledger:
    """Open (migrating if needed) the ledger at ``url``; ``create``: a SQLite ledger that does not exist
    yet is created, else it is a ``UsageError`` (a mistyped folder must not pass for an empty ledger).
    A file that is no database is a ``UsageError`` too."""
    engine = make_engine(url, create=create)
    shown = engine.url.render_as_string()
    for attempt in range(5):
        try:
            _migrate(engine)
            break
        except OperationalError as exc:
            if attempt == 4:
                raise UsageError(f"cannot open the ledger at {shown}: {exc.orig}") from None
            time.sleep(0.2 * (attempt + 1))
        except DatabaseError as exc:
            raise UsageError(f"cannot open the ledger at {shown}: {exc.orig}") from None
    return Ledger(engine, url)


def failpoint(name: str) -> None:
    """Fault injection for the crash tests: ``BUTTRESS_FAILPOINT=NAME:FILE`` announces itself in FILE and waits.

    The crash-safety tests set it in a child process, wait for FILE, and SIGKILL the child while it holds
    an open transaction (``write-locked``, ``before-commit``) or between a promotion's ledger commit and its
    GitOps write (``after-commit``, in ``app.release_promote``). Unset (always, outside those tests) it does
    nothing.
    """
    spec = os.environ.get("BUTTRESS_FAILPOINT")
    if not spec or not spec.startswith(name + ":"):
        return
    Path(spec.split(":", 1)[1]).write_text(json.dumps({"failpoint": name, "pid": os.getpid()}))
    time.sleep(60)
