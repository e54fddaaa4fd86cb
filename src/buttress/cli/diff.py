"""``buttress diff PATH --from A --to B`` or ``buttress diff PATH --env E --against DIR``: the
effective difference between two renders, object by object; exit 0 when equal, 1 when different."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from buttress.app.diff import DiffResult, diff_against, diff_environments
from buttress.app.validate import validate
from buttress.cli.output import Format, print_json, stdout
from buttress.errors import UsageError

PathArg = Annotated[Path, typer.Argument(help="A blueprint file, or a folder holding blueprint.yaml.")]


MAX_VALUE = 160


def _value(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=False)
    return text if len(text) <= MAX_VALUE else text[:MAX_VALUE - 1] + "…"


def print_diff(result: DiffResult) -> None:
    """The diff as text: one line per object, then its changed fields."""
    console = stdout()
    console.print(f"[bold]diff {escape(result.a)} -> {escape(result.b)}[/]")
    for ref in result.removed:
        console.print(f"[red]- {escape(ref.label)}[/]  ({escape(ref.file)})")
    for ref in result.added:
        console.print(f"[green]+ {escape(ref.label)}[/]  ({escape(ref.file)})")
    for changed in result.changed:
        console.print(f"[yellow]~ {escape(changed.ref.label)}[/]  ({escape(changed.ref.file)})")
        for change in changed.changes:
            if not change.before_present:
                console.print(f"    {escape(change.path)}: [green]+ {escape(_value(change.after))}[/]", highlight=False)
            elif not change.after_present:
                console.print(f"    {escape(change.path)}: [red]- {escape(_value(change.before))}[/]", highlight=False)
            else:
                console.print(f"    {escape(change.path)}: {escape(_value(change.before))} -> {escape(_value(change.after))}",
                              highlight=False)
    console.print(f"{len(result.added)} added, {len(result.removed)} removed, {len(result.changed)} changed"
                  if not result.equal else "no differences")


def command(
    path: PathArg,
    from_env: Annotated[str | None, typer.Option("--from", help="Environment to compare from.")] = None,
    to_env: Annotated[str | None, typer.Option("--to", help="Environment to compare to.")] = None,
    env: Annotated[str | None, typer.Option("--env", help="Environment to compare with an earlier render.")] = None,
    against: Annotated[Path | None, typer.Option("--against", help="Folder of an earlier `buttress render`.")]
    = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> int:
    """Show what differs between two environments' manifests, or between now and an earlier render.

    Examples:

        buttress diff examples/fraud-detection --from staging --to prod

        buttress diff examples/fraud-detection --env prod --against build/
    """
    if from_env and to_env and not (env or against):
        result = diff_environments(validate(path, [from_env, to_env]), from_env, to_env)
    elif env and against and not (from_env or to_env):
        result = diff_against(validate(path, [env]), env, against)
    else:
        raise UsageError("give either --from A --to B, or --env E --against DIR")
    if fmt is Format.json:
        print_json(result.to_json())
    else:
        print_diff(result)
    return 0 if result.equal else 1
