"""``buttress graph PATH``: print the module dependency graph as Mermaid, DOT or JSON."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from buttress.app.validate import validate
from buttress.cli.validate import PathArg
from buttress.render.graph import to_dot, to_json, to_mermaid


class GraphFormat(StrEnum):
    """Graph output formats."""

    mermaid = "mermaid"
    dot = "dot"
    json = "json"


_WRITERS = {GraphFormat.mermaid: to_mermaid, GraphFormat.dot: to_dot, GraphFormat.json: to_json}


def command(
    path: PathArg,
    env: Annotated[str | None, typer.Option("--env", help="Environment (default: the first one).")] = None,
    fmt: Annotated[GraphFormat, typer.Option("--format", help="Output format.")] = GraphFormat.mermaid,
) -> int:
    """Print the dependency graph of one environment.

    Example:

        buttress graph examples/fraud-detection --format dot | dot -Tsvg > graph.svg
    """
    result = validate(path, [env] if env else None)
    name = env or next(iter(result.environments))
    typer.echo(_WRITERS[fmt](result.environments[name], result.graphs[name], result.blueprint.spec.externals), nl=False)
    return 0
