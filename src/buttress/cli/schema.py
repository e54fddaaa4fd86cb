"""``buttress schema``: the JSON Schema of blueprint and pattern files, for editor completion."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from buttress.model.spec import BlueprintSpec, PatternSpec


class Kind(StrEnum):
    """Which file's schema."""

    blueprint = "blueprint"
    pattern = "pattern"


def json_schema(kind: Kind) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) for a blueprint or pattern file."""
    model = BlueprintSpec if kind is Kind.blueprint else PatternSpec
    schema = model.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://buttress.dev/schema/v1/{kind.value}.json"
    schema["title"] = f"buttress {kind.value} v1"
    return schema


def command(
    kind: Annotated[Kind, typer.Option("--kind", help="Schema of a blueprint or of a pattern file.")] = Kind.blueprint,
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file instead of stdout.")] = None,
) -> int:
    """Print the JSON Schema of blueprint (or pattern) files.

    Example, for VS Code's YAML extension:

        buttress schema --out .vscode/buttress.schema.json
    """
    text = json.dumps(json_schema(kind), indent=2, sort_keys=True) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return 0
