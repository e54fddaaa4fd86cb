"""``buttress render PATH [--env E ...] --out DIR``: write every environment's manifests into
``DIR/<env>/`` (replacing DIR atomically) and print objects per kind and environment."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from buttress.app.render import render_environments
from buttress.app.validate import validate
from buttress.cli.output import Format, print_json, stdout
from buttress.render.bundle import Bundle, write_atomic
from buttress.render.yamlio import load_all

PathArg = Annotated[Path, typer.Argument(help="A blueprint file, or a folder holding blueprint.yaml.")]


def kinds_per_environment(bundle: Bundle) -> dict[str, Counter[str]]:
    """Objects per kind in each environment folder of ``bundle`` (kustomization excluded)."""
    counts: dict[str, Counter[str]] = {}
    for path, content in bundle.files.items():
        env, _, rest = path.partition("/")
        if not rest:
            continue
        counter = counts.setdefault(env, Counter())
        if rest == "kustomization.yaml" or not rest.endswith((".yaml", ".yml")):
            continue
        for doc in load_all(content):
            if isinstance(doc, dict) and "kind" in doc and "apiVersion" in doc:
                counter[str(doc["kind"])] += 1
    return counts


def _summary(bundle: Bundle, out: Path) -> None:
    counts = kinds_per_environment(bundle)
    envs = list(counts)
    table = Table(title=f"Objects per kind, written to {out}", title_justify="left")
    table.add_column("kind")
    for env in envs:
        table.add_column(env, justify="right")
    for kind in sorted({k for c in counts.values() for k in c}):
        table.add_row(kind, *(str(counts[e][kind]) for e in envs))
    table.add_row("[bold]total[/]", *(f"[bold]{sum(counts[e].values())}[/]" for e in envs))
    console = stdout()
    console.print(table)
    console.print(f"{len(bundle.files)} files, bundle digest sha256:{bundle.digest}")


def command(
    path: PathArg,
    out: Annotated[Path, typer.Option("--out", help="Output folder; replaced as a whole, atomically.")],
    env: Annotated[list[str] | None, typer.Option("--env", help="Environment to render (repeat; default all).")]
    = None,
    fmt: Annotated[Format, typer.Option("--format", help="Summary format.")] = Format.text,
) -> int:
    """Render Kubernetes manifests for environments of a blueprint into DIR/<env>/.

    Example:

        buttress render examples/fraud-detection --env prod --out build/
    """
    validated = validate(path, env or None)
    names = list(dict.fromkeys(env)) if env else list(validated.environments)
    bundle = render_environments(validated, names)
    write_atomic(bundle.files, out)
    if fmt is Format.json:
        counts = kinds_per_environment(bundle)
        print_json({"out": str(out), "digest": f"sha256:{bundle.digest}", "files": len(bundle.files),
                    "environments": {e: dict(sorted(c.items())) for e, c in counts.items()}})
    else:
        _summary(bundle, out)
    return 0
