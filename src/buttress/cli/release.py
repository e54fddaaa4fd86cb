"""``buttress release create PATH`` and ``buttress release verify ID``: build and check signed releases."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from buttress.app import release as release_app
from buttress.app import release_query, server_upload
from buttress.cli.ledger_options import At, Fmt, Identity, Key, Ledger, Project, context, guarded, opened
from buttress.cli.output import Format, print_json, stdout

app = typer.Typer(help="Immutable, signed releases.", no_args_is_help=True)


@app.command("create")
def create(
    path: Annotated[Path, typer.Argument(help="A blueprint file, or a folder holding blueprint.yaml.")],
    ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None, fmt: Fmt = Format.text,
    server: Annotated[str | None, typer.Option("--server", help="Send the blueprint's source to this team server "
                                                                "(buttress serve), which checks, renders and signs "
                                                                "the release itself; authenticated by "
                                                                "$BUTTRESS_TOKEN.")] = None,
) -> int:
    """Render every environment, run check, and store a signed release in the ledger (or on a team server).

    Example:

        buttress release create examples/fraud-detection --as carol
        BUTTRESS_TOKEN=... buttress release create examples/fraud-detection --server https://buttress.example.com
    """
    project = path if path.is_dir() else path.parent
    with opened(context(project, ledger, key, identity, at)) as ctx:
        def body() -> int:
            result = (server_upload.upload(path, server) if server
                      else release_app.create_release(path, ctx))
            if fmt is Format.json:
                print_json(result.to_json())
                return 0
            out = stdout()
            out.print(f"release [bold]{result.id}[/] (#{result.number}) of {result.blueprint} by {result.creator} "
                      f"at {result.created_at}")
            for env, info in result.environments.items():
                out.print(f"  {env}: {info['files']} files, {info['errors']} unwaived error finding(s), "
                          f"{info['enforcement']} enforcement")
            return 0

        return guarded(body)


@app.command("verify")
def verify(
    release: Annotated[str, typer.Argument(help="Release ID, unique prefix, or number.")],
    project: Project = Path(), ledger: Ledger = None, key: Key = None, identity: Identity = None, at: At = None,
    fmt: Fmt = Format.text,
) -> int:
    """Check a release's signature and every file's digest; exit 1 if anything does not verify.

    Example:

        buttress release verify rel-0123abcd4567
    """
    with opened(context(project, ledger, key, identity, at)) as ctx:
        summary, check = release_query.verify_release(ctx, release)
    if fmt is Format.json:
        print_json({"release": summary.id, **check.to_json()})
    elif check.ok:
        stdout().print(f"[green]✓[/] {summary.id}: signature by {', '.join(k[:16] + '…' for k in check.key_ids)} "
                       f"verifies; {check.subjects} files match their digests")
    else:
        stdout().print(f"[red]✗[/] {summary.id} does not verify:")
        for problem in check.problems:
            stdout().print(f"  {escape(str(problem))}")
    return 0 if check.ok else 1
