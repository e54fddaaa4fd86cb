"""``buttress init DIR``: scaffold a small valid blueprint with comments."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from buttress.app.init import scaffold
from buttress.cli.output import stdout


def command(
    folder: Annotated[Path, typer.Argument(help="A new or empty folder.")],
    name: Annotated[str | None, typer.Option("--name", help="System name (default: the folder's name).")] = None,
) -> int:
    """Scaffold a starter blueprint with a pattern, two modules and two environments.

    Example:

        buttress init my-system && buttress validate my-system
    """
    for path in scaffold(folder, name):
        stdout(markup=False).print(f"wrote {path}")
    stdout(markup=False).print(f"next: buttress validate {folder}")
    return 0
