"""``buttress validate PATH``: load, schema, references and graph; exit 0 valid, 2 invalid."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from buttress.app.validate import validate
from buttress.cli.output import Format, print_json, print_problems, stdout

PathArg = Annotated[Path, typer.Argument(help="A blueprint file, or a folder holding blueprint.yaml.")]


def command(
    path: PathArg,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> int:
    """Validate a blueprint: YAML safety, schema, references, contracts and the dependency graph.

    Example:

        buttress validate examples/fraud-detection
    """
    result = validate(path)
    warnings = result.warnings()
    spec = result.blueprint.spec
    if fmt is Format.json:
        print_json({"valid": True, "blueprint": str(spec.name), "digest": result.blueprint.digest,
                    "modules": list(spec.modules), "environments": list(spec.environments),
                    "warnings": [{"file": w.file, "line": w.line, "column": w.column, "message": w.message,
                                  "path": w.keypath} for w in warnings]})
    else:
        print_problems(warnings, "warning")
        edges = sum(len(g.edges) for g in result.graphs.values()) // max(1, len(result.graphs))
        stdout().print(f"[green]✓[/] {escape(str(result.blueprint.file))} is valid: blueprint [bold]{spec.name}[/], "
                       f"{len(spec.modules)} modules, {edges} dependencies, "
                       f"{len(spec.environments)} environments ({', '.join(spec.environments)})")
    return 0
