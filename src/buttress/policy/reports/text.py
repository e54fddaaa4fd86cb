"""``--format text``: findings grouped by environment and module, coloured on a terminal, a summary line."""

from __future__ import annotations

import io
from itertools import groupby

from rich.console import Console
from rich.markup import escape

from buttress.policy.findings import Finding
from buttress.policy.results import CheckReport, EnvironmentResult

_STYLE = {"error": "red", "warning": "yellow"}


def _line(f: Finding) -> str:
    where = f"{f.location.file}:{f.location.line}:{f.location.column}: " if f.location else ""
    if f.waived and f.waiver is not None:
        badge = f"[dim]waived ({escape(f.waiver.approved_by)}, until {f.waiver.expires.isoformat()})[/]"
        return f"    [dim]{escape(where)}[/]{badge} [dim]{escape(f.control)}: {escape(f.message)}[/]"
    style = _STYLE[f.severity]
    return f"    [dim]{escape(where)}[/][{style}]{f.severity}[/] [bold]{escape(f.control)}[/]: {escape(f.message)}"


def _environment(console: Console, env: EnvironmentResult) -> None:
    verdict = "[red]blocked[/]" if env.blocked else "[green]passes[/]"
    console.print(f"[bold]{escape(env.name)}[/] ({env.enforcement}): {verdict}")
    for module, items in groupby(env.findings, key=lambda f: f.module or ""):
        console.print(f"  [cyan]{escape(module) if module else '(environment)'}[/]")
        for f in items:
            console.print(_line(f))


def render(report: CheckReport, *, color: bool = False) -> str:
    """The report for a terminal or a log."""
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=color, no_color=not color, highlight=False, soft_wrap=True,
                      width=100)
    for env in report.environments.values():
        _environment(console, env)
    findings = report.findings
    errors = sum(f.severity == "error" and not f.waived for f in findings)
    warnings = sum(f.severity == "warning" and not f.waived for f in findings)
    waived = sum(f.waived for f in findings)
    blocked = [e.name for e in report.environments.values() if e.blocked]
    verdict = f"[red]blocked: {', '.join(blocked)}[/]" if blocked else "[green]nothing blocks[/]"
    console.print(f"{errors} error(s), {warnings} warning(s), {waived} waived in "
                  f"{len(report.environments)} environment(s) as of {report.at.isoformat()}: {verdict}")
    return buffer.getvalue()
