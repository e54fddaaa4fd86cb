"""``buttress policy test DIR``: run Rego unit tests beside the policies, like ``opa test``.

Exit 0 when every test passes, 1 when one fails or errors, 2 when the policies do not compile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from buttress.cli.output import Format, print_json, stdout
from buttress.errors import UsageError
from buttress.policy.rego_tests import timed

app = typer.Typer(help="Organisation Rego policies.", no_args_is_help=True, add_completion=False,
                  rich_markup_mode=None)


@app.command("test")
def test_command(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="A folder of *.rego files and their tests.")],
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.text,
) -> int:
    """Run the test_* rules of the folder's Rego files, as opa test does; each passes when it evaluates to true
    (todo_* rules are reported as skipped).

    Example:

        buttress policy test examples/fraud-detection/policies
    """
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such folder")
    results, seconds = timed(folder, str(folder))
    counts = {status: sum(r.status == status for r in results) for status in ("pass", "fail", "error", "skip")}
    if fmt is Format.json:
        print_json({"passed": counts["pass"], "failed": counts["fail"], "errors": counts["error"],
                    "skipped": counts["skip"],
                    "tests": [{"name": r.name, "file": r.file, "line": r.line, "status": r.status,
                               "detail": r.detail} for r in results]})
    else:
        console = stdout()
        for r in results:
            label = {"pass": "[green]PASS[/]", "fail": "[red]FAIL[/]", "error": "[red]ERROR[/]",
                     "skip": "[yellow]SKIPPED[/]"}[r.status]
            detail = f" ({escape(r.detail)})" if r.detail else ""
            console.print(f"{escape(r.file)}:{r.line}: {label}: {escape(r.name)}{detail}")
        console.print("-" * 40)
        ran = len(results) - counts["skip"]
        console.print(f"PASS: {counts['pass']}/{ran} ({seconds:.2f}s)"
                      + "".join(f", {label}: {counts[s]}/{ran}" for s, label in (("fail", "FAIL"), ("error", "ERROR"))
                                if counts[s])
                      + (f", SKIPPED: {counts['skip']}" if counts["skip"] else ""))
    return 1 if counts["fail"] or counts["error"] else 0
