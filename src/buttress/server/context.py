"""What every request needs: the server's configuration, the shared open ledger and signing key, and a
``LedgerContext`` acting as the authenticated identity at the server clock's time.

Built once by ``server.app.create_app``; routers get it from ``request.app.state.server``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request

from buttress.app.ledger_session import LedgerContext
from buttress.ledger.signing import SigningKey
from buttress.ledger.store import Ledger


def utc_now() -> dt.datetime:
    """The real clock (seconds precision, UTC)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass
class ServerConfig:
    """How the server was started."""

    project: Path = field(default_factory=Path.cwd)
    """The blueprint's folder: default ledger and key location, and the module catalog's source."""
    ledger_url: str | None = None
    key_path: Path | None = None
    clock: Callable[[], dt.datetime] = utc_now
    secure_cookies: bool = True
    gitops: Path | None = None
    """Where promotions write each environment's bundle (``promote --gitops``), if anywhere."""


@dataclass
class Server:
    """The configuration plus the ledger connection and key every request shares."""

    config: ServerConfig
    ledger: Ledger
    key: SigningKey | None

    def context(self, identity: str | None = None) -> LedgerContext:
        """A ledger context acting as ``identity`` now (reads need no identity)."""
        ctx = LedgerContext(project=self.config.project, url=self.ledger.url, key_path=self.config.key_path,
                            identity=identity or "buttress-server", at=self.config.clock())
        ctx._ledger = self.ledger  # share one engine (and its pool) across requests
        if self.key is not None:
            ctx.use_key(self.key)
        return ctx


def server_of(request: Request) -> Server:
    """The server a request arrived at."""
    server: Server = request.app.state.server
    return server
