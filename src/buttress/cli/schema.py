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
    schema = _with_partial_modules(model.model_json_schema(by_alias=True, mode="validation"))
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://buttress.dev/schema/v1/{kind.value}.json"
    schema["title"] = f"buttress {kind.value} v1"
    return schema


_PARTIAL = "Partial"


def _refs(node: Any) -> set[str]:
    """The ``$defs`` names a schema node refers to."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        own = {ref.removeprefix("#/$defs/")} if isinstance(ref, str) else set()
        return own.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _loosened(node: Any, names: set[str]) -> Any:
    """``node`` with no ``required`` keys, referring to the partial copies of ``names``."""
    if isinstance(node, dict):
        out = {k: _loosened(v, names) for k, v in node.items() if k != "required"}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.removeprefix("#/$defs/") in names:
            out["$ref"] = f"#/$defs/{_PARTIAL}{ref.removeprefix('#/$defs/')}"
        return out
    if isinstance(node, list):
        return [_loosened(v, names) for v in node]
    return node


def _with_partial_modules(schema: dict[str, Any]) -> dict[str, Any]:
    """``defaults``, a pattern's ``defaults`` and environments' ``overrides`` are partial modules (nothing
    required there, as ``spec.module.PartialModule`` validates them): they refer to a copy of the module
    schema, and of every definition it reaches, without ``required``."""
    defs: dict[str, Any] = schema.get("$defs", {})
    reach, todo = set(), ["ModuleSpec"]
    while todo:
        name = todo.pop()
        if name in reach or name not in defs:
            continue
        reach.add(name)
        todo += sorted(_refs(defs[name]))
    for name in sorted(reach):
        defs[f"{_PARTIAL}{name}"] = _loosened(defs[name], reach)
    partial = {"$ref": f"#/$defs/{_PARTIAL}ModuleSpec"}
    if "defaults" in schema.get("properties", {}):
        schema["properties"]["defaults"] = {**schema["properties"]["defaults"], **partial}
    overrides = defs.get("EnvironmentSpec", {}).get("properties", {}).get("overrides")
    if overrides is not None:
        overrides["additionalProperties"] = partial
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
