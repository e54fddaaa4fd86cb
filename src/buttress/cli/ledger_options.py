"""Options every ledger command shares (ledger URL, key, identity, time, format) and the context they build.

Used by ``cli.ledger_admin``, ``cli.release``, ``cli.ledger_report`` and ``cli.audit``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from buttress.app.ledger_session import Forbidden, LedgerContext, parse_at
from buttress.cli.output import Format

Ledger = Annotated[str | None, typer.Option(
    "--ledger", envvar="BUTTRESS_LEDGER", help="Ledger database URL (default: sqlite at PROJECT/.buttress/ledger.db), "
    "e.g. postgresql+psycopg://user@host/db.")]
Project = Annotated[Path, typer.Option("--project", "-C", help="The blueprint's folder (where .buttress/ lives).")]
Key = Annotated[Path | None, typer.Option("--key", envvar="BUTTRESS_KEY",
                                          help="Ed25519 private key (default PROJECT/.buttress/keys/ledger.key).")]
Identity = Annotated[str | None, typer.Option("--as", envvar="BUTTRESS_USER", help="The identity acting.")]
At = Annotated[str | None, typer.Option("--at", help="The action's time, ISO 8601 (default: now).")]
Fmt = Annotated[Format, typer.Option("--format", help="Output format.")]


def context(project: Path, ledger: str | None, key: Path | None, identity: str | None, at: str | None) -> LedgerContext:
    """The ledger context of one command."""
    return LedgerContext(project=project.resolve(), url=ledger, key_path=key, identity=identity, at=parse_at(at),
                         claimed_time=at is not None)


@contextmanager
def opened(ctx: LedgerContext) -> Iterator[LedgerContext]:
    """Close the ledger when the command ends."""
    try:
        yield ctx
    finally:
        ctx.close()


def guarded(body: Callable[[], int]) -> int:
    """Run a command body; a missing role becomes ``error: ...`` and exit 1."""
    try:
        return body()
    except Forbidden as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
