"""What every ledger use case starts from: where the ledger and key are, who acts, and when.

The CLI (and the server) build a ``LedgerContext`` from ``--ledger``/``BUTTRESS_LEDGER``, ``--key``/
``BUTTRESS_KEY``, ``--as``/``BUTTRESS_USER``, ``--at`` and the project folder; use cases in
``app.release*`` and ``app.ledger_*`` open the ledger through it and append audit entries with ``record``.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from buttress.errors import UsageError
from buttress.ledger import audit, records, roles
from buttress.ledger.roles import Forbidden
from buttress.ledger.signing import SigningKey, key_from_pem, load_key
from buttress.ledger.store import Ledger, Session, default_url, open_ledger

__all__ = ["KEY_PATH", "Forbidden", "LedgerContext", "iso", "parse_at", "signing_key"]

KEY_PATH = Path(".buttress") / "keys" / "ledger.key"
SIGNING_KEY_ENV = "BUTTRESS_SIGNING_KEY"
"""The signing key's PEM text, for a server whose secrets arrive as environment variables."""


def signing_key(key_path: Path | None, key_file: Path) -> SigningKey | None:
    """The signing key as configured, or None when there is none yet: the PEM text in
    ``BUTTRESS_SIGNING_KEY`` unless a key file was named (``--key``/``BUTTRESS_KEY``), else
    ``key_file`` when it exists. Used by ``LedgerContext.key`` and the server's start-up."""
    pem = os.environ.get(SIGNING_KEY_ENV, "")
    if key_path is None and pem.strip():
        return key_from_pem(pem.encode(), f"${SIGNING_KEY_ENV}")
    return load_key(key_file) if key_file.is_file() else None


def parse_at(text: str | None) -> dt.datetime:
    """``--at``: an ISO 8601 time (UTC when no offset is given); now when absent."""
    if not text:
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at {text!r} is not an ISO 8601 time such as 2026-05-04T10:00:00+02:00") from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def iso(value: dt.datetime) -> str:
    """The UTC text the ledger stores."""
    return value.astimezone(dt.UTC).isoformat()


@dataclass
class LedgerContext:
    """Where the ledger is, which key signs, who acts, and at what time."""

    project: Path = field(default_factory=Path.cwd)
    url: str | None = None
    key_path: Path | None = None
    identity: str | None = None
    at: dt.datetime = field(default_factory=lambda: parse_at(None))
    claimed_time: bool = False
    """``at`` was given (``--at``) rather than read from the clock: it may not go back past the log's
    latest entry (an action at the clock's time always may, so that a future-dated entry locks no one out)."""
    _ledger: Ledger | None = None
    _key: SigningKey | None = None

    def use_key(self, key: SigningKey) -> None:
        """Sign with ``key`` (``keys init`` has just created or loaded it)."""
        self._key = key

    @property
    def actor(self) -> str:
        """The acting identity: ``--as``, ``BUTTRESS_USER``, or the login name."""
        return roles.check_name(self.identity if self.identity is not None else getpass.getuser())  # --as "": refused

    @property
    def when(self) -> str:
        """The action's time as stored."""
        return iso(self.at)

    @property
    def key_file(self) -> Path:
        """The private key file."""
        return self.key_path or (self.project / KEY_PATH)

    def ledger(self, *, create: bool = False) -> Ledger:
        """The open ledger (opened once); ``create``: a SQLite ledger that does not exist yet is created
        (``keys init``), else its absence is a ``UsageError``."""
        if self._ledger is None:
            self._ledger = open_ledger(self.url or default_url(self.project), create=create)
        return self._ledger

    def key(self) -> SigningKey:
        """The signing key (loaded once): from ``--key``/``BUTTRESS_KEY`` when given, else from the PEM
        text in ``BUTTRESS_SIGNING_KEY`` when set (a container's secret arrives as an environment
        variable), else from the project's key file."""
        if self._key is None:
            self._key = signing_key(self.key_path, self.key_file) or load_key(self.key_file)
        return self._key

    def close(self) -> None:
        """Release the database connections."""
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A locked write transaction on an initialised ledger, with the actor recorded as an identity."""
        key = self.key()
        with self.ledger().write() as session:
            if not records.key_registered(session, key.id):
                raise UsageError(f"the signing key {self.key_file} is not registered in this ledger: "
                                 "run `buttress keys init` (as the ledger's admin for an existing ledger)")
            if roles.ensure(session, self.actor, self.when):
                self.record(session, [audit.Draft(self.actor, "identity.created", self.actor, {"identity": self.actor})])
            yield session

    def record(self, session: Session, drafts: Sequence[audit.Draft]) -> list[int]:
        """Append audit entries (and their checkpoint); their sequence numbers."""
        return [row.seq for row in audit.append(session, self.key(), self.when, drafts, claimed=self.claimed_time)]

