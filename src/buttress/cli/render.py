"""``buttress render PATH [--env E ...] --out DIR``: check, then write every environment's manifests
into ``DIR/<env>/`` (replacing DIR atomically) and print objects per kind and environment.

Exit codes (BLUEPRINT.md): 0 written, 1 blocked by check (DIR untouched, the blocking findings on
stderr), 2 invalid input.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from buttress.app.render import render_checked
from buttress.app.validate import validate
from buttress.cli.output import Format, print_json, stdout
from buttress.policy import enforcement
from buttress.policy.rego_cache import cache_dir
from buttress.policy.reports import reporter
from buttress.policy.results import CheckReport
from buttress.render.bundle import Bundle, refuse_unsafe_target, replace_folder
from buttress.render.kubernetes.kustomization import KUSTOMIZATION
from buttress.render.yamlio import load_all

PathArg = Annotated[Path, typer.Argument(help="A blueprint file, or a folder holding blueprint.yaml.")]


_KIND = re.compile(rb"^kind:[ ]*['\"]?([A-Za-z0-9]+)", re.MULTILINE)
"""A document's top-level ``kind`` (top-level keys stand at column 0; nested ones are indented)."""


def kinds_per_environment(bundle: Bundle) -> dict[str, Counter[str]]:
    """Objects per kind in each environment folder of ``bundle``: the documents of every file its
    ``kustomization.yaml`` lists (scanned, not parsed: the files are the renderer's own output)."""
    counts: dict[str, Counter[str]] = {}
    for path, content in bundle.files.items():
        env, _, rest = path.partition("/")
        if rest != KUSTOMIZATION:
            continue
        counter = counts.setdefault(env, Counter())
        for resource in load_all(content)[0].get("resources", []):
            for kind in _KIND.findall(bundle.files.get(f"{env}/{resource}", b"")):
                counter[kind.decode()] += 1
    return counts


def blocking_only(report: CheckReport) -> CheckReport:
    """``report`` narrowed to its blocked environments and, in each, the findings that block it."""
    blocked = {name: replace(env, findings=enforcement.blocking(env.findings, env.enforcement, writing=True))
               for name, env in report.environments.items() if env.blocked}
    return replace(report, environments=blocked)


def _summary(bundle: Bundle, out: Path, envs: list[str]) -> None:
    counts = kinds_per_environment(bundle)
    table = Table(title=f"Objects per kind, written to {escape(str(out))}", title_justify="left")
    table.add_column("kind")
    for env in envs:
        table.add_column(env, justify="right")
    for kind in sorted({k for c in counts.values() for k in c}):
        table.add_row(kind, *(str(counts[e][kind]) for e in envs))
    table.add_row("[bold]total[/]", *(f"[bold]{sum(counts[e].values())}[/]" for e in envs))
    console = stdout()
    console.print(table)
    console.print(f"{len(bundle.files)} files, bundle digest sha256:{bundle.content_digest}")


def _json(report: CheckReport, bundle: Bundle | None, out: Path) -> dict[str, Any]:
    doc = report.to_json()
    counts = kinds_per_environment(bundle) if bundle is not None else {}
    result: dict[str, Any] = {"written": bundle is not None, "out": str(out), "blocked": doc["blocked"]}
    if bundle is not None:
        result.update(digest=f"sha256:{bundle.content_digest}", files=len(bundle.files))
    result["environments"] = {name: {**verdict, "objects": dict(sorted(counts.get(name, Counter()).items()))}
                              for name, verdict in doc["environments"].items()}
    result["findings"] = doc["findings"]
    return result


def _report_blocked(report: CheckReport, out: Path) -> None:
    color = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    sys.stderr.write(reporter("text")(blocking_only(report), color=color))
    blocked = ", ".join(n for n, e in report.environments.items() if e.blocked)
    sys.stderr.write(f"render blocked by check in {blocked}: nothing was written to {out}\n")
    if any(e.enforcement == "advisory" for e in report.environments.values() if e.blocked):
        sys.stderr.write("an inline secret blocks the render even where enforcement is advisory: its value would be "
                         "written into the manifests (move it under secrets:, or waive the finding if it is no "
                         "secret)\n")
    sys.stderr.flush()


def command(
    path: PathArg,
    out: Annotated[Path, typer.Option("--out", help="Output folder; replaced as a whole, atomically.")],
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="Environment to render (repeat; "
                                                  "default all).")] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Summary format.")] = Format.text,
    at: Annotated[dt.datetime | None, typer.Option("--at", formats=["%Y-%m-%d"], metavar="DATE", help="Evaluation date for "
                                                   "waivers, YYYY-MM-DD (default: today).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not keep Rego verdicts between runs (kept, "
                                           "signed, in $BUTTRESS_CACHE_DIR or ~/.cache/buttress).")] = False,
) -> int:
    """Check a blueprint, then render Kubernetes manifests for its environments into DIR/<env>/.

    Exit 0 when written, 1 when check blocks an environment (nothing is written), 2 for invalid input.

    Example:

        buttress render examples/fraud-detection --env prod --out build/
    """
    validated = validate(path, env or None)
    refuse_unsafe_target(out, keep=[validated.blueprint.folder])
    names = list(dict.fromkeys(env)) if env else list(validated.environments)
    cache = None if no_cache else cache_dir()
    report, bundle = render_checked(validated, names, at.date() if at else None, cache=cache)
    if bundle is None:
        _report_blocked(report, out)
    else:
        replace_folder(bundle.files, out)
    if fmt is Format.json:
        print_json(_json(report, bundle, out))
    elif bundle is not None:
        _summary(bundle, out, names)
        quiet = [f for f in report.findings if not f.waived]
        if quiet:
            sys.stderr.write(f"check: {len(quiet)} finding(s) that do not block; `buttress check` lists them\n")
    return enforcement.exit_code(bundle is None)
