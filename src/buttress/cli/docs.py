"""``buttress docs PATH --out DIR``: write the blueprint's static HTML site into DIR (replaced atomically)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from buttress.app.docs import docs_files
from buttress.app.validate import validate
from buttress.cli.output import Format, print_json, stdout
from buttress.cli.validate import PathArg
from buttress.render.bundle import refuse_unsafe_target, replace_folder


def _earlier_site(folder: Path) -> bool:
    """Whether ``folder`` holds only what a site holds: pages and a style sheet, no folder."""
    return all(p.is_file() and p.suffix in (".html", ".css") for p in folder.iterdir())


def command(
    path: PathArg,
    out: Annotated[Path, typer.Option("--out", help="Output folder; replaced as a whole, atomically.")],
    at: Annotated[dt.datetime | None, typer.Option("--at", formats=["%Y-%m-%d"],
                                                   help="Review waivers as of this date (default today).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Summary format.")] = Format.text,
) -> int:
    """Write a static HTML site of the blueprint: modules, dependency graph, SLOs, environments, controls.

    The site needs no network access; open DIR/index.html or publish DIR as it is.

    Example:

        buttress docs examples/fraud-detection --out site/
    """
    validated = validate(path)
    refuse_unsafe_target(out, keep=[validated.blueprint.folder], earlier=_earlier_site, what="site")
    files = docs_files(validated, at.date() if at else None)
    replace_folder(files, out)
    if fmt is Format.json:
        print_json({"out": str(out), "files": sorted(files)})
    else:
        stdout(markup=False).print(f"{len(files)} files written to {out}; open {out / 'index.html'}")
    return 0
