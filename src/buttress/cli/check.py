"""``buttress check``, ``buttress controls`` and ``buttress explain``: run and describe the controls.

Exit codes of ``check``: 0 nothing blocks, 1 something blocks, 2 invalid input (BLUEPRINT.md).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from buttress.app.check import check
from buttress.app.manifests import environment_folder, read_objects
from buttress.app.validate import validate
from buttress.cli.output import Format, print_json, stdout
from buttress.errors import UsageError
from buttress.model.suggest import did_you_mean
from buttress.policy import enforcement
from buttress.policy.catalog import BY_ID, CATALOG, control
from buttress.policy.catalog.base import Control
from buttress.policy.catalog_doc import render_markdown
from buttress.policy.rego_cache import cache_dir
from buttress.policy.reports import reporter

PathArg = Annotated[Path, typer.Argument(help="A blueprint file, or a folder holding blueprint.yaml.")]


class CheckFormat(StrEnum):
    """Formats ``buttress check`` writes."""

    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"


def _date(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--at {text!r} is not a date such as 2026-05-01") from None


def command(
    path: PathArg,
    env: Annotated[list[str] | None, typer.Option("--env", "-e", help="Environment to check (repeatable; "
                                                  "default: every environment).")] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", help="Output format.")] = CheckFormat.text,
    at: Annotated[str | None, typer.Option("--at", help="Evaluation date for waivers, YYYY-MM-DD "
                                           "(default: today).")] = None,
    fail_on_warn: Annotated[bool, typer.Option("--fail-on-warn", help="Block on warnings too.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not keep Rego verdicts between runs (kept, "
                                           "signed, in $BUTTRESS_CACHE_DIR or ~/.cache/buttress).")] = False,
    manifests: Annotated[Path | None, typer.Option("--manifests", help="Judge the Kubernetes objects of this "
                                                   "render on disk (a render --out folder, a GitOps folder, or one "
                                                   "environment's folder), hand edits included, instead of a "
                                                   "fresh render.")] = None,
) -> int:
    """Check a blueprint against the built-in controls and the organisation's Rego policies.

    Exit 0 when nothing blocks, 1 when an environment is blocked, 2 for invalid input.

    Example:

        buttress check examples/fraud-detection --env prod --format sarif > buttress.sarif
        buttress check examples/fraud-detection --env prod --manifests deploy/
    """
    when = _date(at)
    validated = validate(path, env)
    cache = None if no_cache else cache_dir()
    on_disk = None
    if manifests is not None:
        folder = manifests
        if not folder.is_dir():
            raise UsageError(f"--manifests {folder}: no such folder")
        names = env or list(validated.environments)
        if (folder / "kustomization.yaml").is_file() and len(names) != 1:
            raise UsageError(f"--manifests {folder} holds one environment's render: name that environment with --env")
        for name in names:
            environment_folder(folder, name)  # refuse a folder without that environment before checking

        def on_disk(name: str) -> list[dict[str, Any]]:
            return read_objects(folder, name)
    result = check(validated, env, when, fail_on_warn=fail_on_warn, cache=cache, objects=on_disk)
    color = fmt is CheckFormat.text and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    sys.stdout.write(reporter(fmt.value)(result, color=color))
    sys.stdout.flush()
    return enforcement.exit_code(result.blocked)


class ControlsFormat(StrEnum):
    """Formats ``buttress controls`` writes."""

    text = "text"
    json = "json"
    markdown = "markdown"


def controls_command(
    fmt: Annotated[ControlsFormat, typer.Option("--format", help="Output format (markdown: the "
                                                "docs/controls.md reference).")] = ControlsFormat.text,
    profile: Annotated[str | None, typer.Option("--profile", help="Only controls of this profile "
                                                "(baseline or strict).")] = None,
) -> int:
    """List the built-in controls: ID, severity, profiles and title.

    Example:

        buttress controls --format json
    """
    if profile not in (None, "baseline", "strict"):
        raise UsageError(f"--profile {profile!r}: choose baseline or strict")
    chosen = [c for c in CATALOG if profile is None or profile in c.profiles]
    if fmt is ControlsFormat.markdown:
        sys.stdout.write(render_markdown())
        return 0
    if fmt is ControlsFormat.json:
        print_json([c.to_json() for c in chosen])
        return 0
    console = stdout()
    width = max(len(c.id) for c in chosen)
    for c in chosen:
        style = "red" if c.severity == "error" else "yellow"
        console.print(f"{c.id:<{width}}  [{style}]{c.severity:<7}[/]  {'/'.join(c.profiles):<16}  {escape(c.title)}")
    console.print(f"{len(chosen)} controls")
    return 0


def explain_lines(c: Control) -> list[str]:
    """One control described as plain text lines (also used by the docs generator)."""
    lines = [f"{c.id}: {c.title}", "",
             f"severity: {c.severity}    profiles: {', '.join(c.profiles)}    looks at: {c.scope}", "",
             c.explanation, "", f"Fix: {c.fix}", "", "Mappings:"]
    names = {"cis-k8s": "CIS Kubernetes v1.8", "pss": "Pod Security Standards", "nist-800-53": "NIST SP 800-53 r5",
             "soc2": "SOC 2 (TSC 2017)", "iso27001": "ISO/IEC 27001:2022 Annex A"}
    for framework, refs in c.mappings.as_dict().items():
        if refs:
            lines.append(f"  {names[framework]}: {', '.join(refs)}")
    return lines


def explain_command(
    control_id: Annotated[str, typer.Argument(metavar="ID", help="A control ID, e.g. image-digest.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> int:
    """Explain one control: what it requires, why, how to fix it, and its framework mappings.

    Example:

        buttress explain image-digest
    """
    found = control(control_id)
    if found is None:
        raise UsageError(f"no control {control_id!r}{did_you_mean(control_id, BY_ID)}; `buttress controls` lists them")
    if fmt is Format.json:
        sys.stdout.write(json.dumps(found.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write("\n".join(explain_lines(found)) + "\n")
    return 0
