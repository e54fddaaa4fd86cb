"""``buttress status`` and ``buttress history``: what runs where, and how it got there."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from buttress.app import ledger_report
from buttress.cli.ledger_options import At, Fmt, Identity, Key, Ledger, Project, context, opened
from buttress.cli.output import Format, print_json, stdout


def status(gitops: Annotated[Path | None, typer.Option(
               "--gitops", help="First bring DIR/ENV up to the release the ledger says runs in each environment "
               "(writing and committing what an interrupted promotion left out).")] = None,
           project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None,
           at: At = None, fmt: Fmt = Format.text) -> int:
    """Show which release runs in each environment.

    Example:

        buttress status --gitops ../deploy
    """
    with opened(context(project, ledger, key, identity, at)) as ctx:
        synced = ledger_report.reconcile(ctx, gitops) if gitops is not None else []
        rows = ledger_report.status(ctx)
    if fmt is Format.json:
        print_json({"environments": rows} | ({"gitops": {"folder": str(gitops), "reconciled": synced}} if gitops else {}))
        return 0
    out = stdout()
    for s in synced:
        out.print(f"reconciled {escape(str(s['folder']))} to {s['release']} (promotion {s['promotion']})"
                  + (f", commit {s['commit'][:12]}" if s["commit"] else ""))
    if not rows:
        out.print("no releases yet")
    for row in rows:
        if row["release"] is None:
            out.print(f"{row['environment']}: nothing deployed")
            continue
        flag = f" [bold red]BREAK-GLASS[/] ({escape(row['reason'])})" if row["breakGlass"] else ""
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
        flag = f" [bold red]BREAK-GLASS[/] ({escape(e['breakGlass']['reason'])})" if e["breakGlass"] else ""
        line = f"{e['at']}  {e['event']:<9} {e['release']} -> {e['environment']} by {e['by']}: {e['outcome']}{flag}"
        if e["failed"]:
            line += " (" + "; ".join(f"{f['gate']}: {escape(f['reason'])}" for f in e["failed"]) + ")"
        out.print(line)
    return 0
