"""``buttress status`` and ``buttress history``: what runs where, and how it got there."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from buttress.app import ledger_report
from buttress.cli.ledger_options import At, Fmt, Identity, Key, Ledger, Project, context, opened
from buttress.cli.output import Format, print_json, stdout


def status(project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None,
           at: At = None, fmt: Fmt = Format.text) -> int:
    """Show which release runs in each environment.

    Example:

        buttress status
    """
    with opened(context(project, ledger, key, identity, at)) as ctx:
        rows = ledger_report.status(ctx)
    if fmt is Format.json:
        print_json({"environments": rows})
        return 0
    out = stdout()
    if not rows:
        out.print("no releases yet")
    for row in rows:
        if row["release"] is None:
            out.print(f"{row['environment']}: nothing deployed")
            continue
        flag = f" [bold red]BREAK-GLASS[/] ({row['reason']})" if row["breakGlass"] else ""
        out.print(f"{row['environment']}: {row['release']} since {row['since']} ({row['kind']} by {row['by']}){flag}")
    return 0


def history(env: Annotated[str | None, typer.Option("--env", help="Only this environment.")] = None,
            project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None,
            at: At = None, fmt: Fmt = Format.text) -> int:
    """List releases and every promotion and rollback (refused ones too), oldest first.

    Example:

        buttress history --env prod --format json
    """
    with opened(context(project, ledger, key, identity, at)) as ctx:
        events = ledger_report.history(ctx, env)
    if fmt is Format.json:
        print_json({"events": events})
        return 0
    out = stdout()
    for e in events:
        if e["event"] == "release":
            out.print(f"{e['at']}  release   {e['release']} (#{e['number']}) of {e['blueprint']} by {e['by']}")
            continue
        flag = f" [bold red]BREAK-GLASS[/] ({e['breakGlass']['reason']})" if e["breakGlass"] else ""
        line = f"{e['at']}  {e['event']:<9} {e['release']} -> {e['environment']} by {e['by']}: {e['outcome']}{flag}"
        if e["failed"]:
            line += " (" + "; ".join(f"{f['gate']}: {f['reason']}" for f in e["failed"]) + ")"
        out.print(line)
    return 0
