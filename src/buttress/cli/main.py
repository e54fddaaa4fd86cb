"""The ``buttress`` command: registers every command group and maps errors to exit codes.

``main(argv) -> int`` runs in-process (tests call it); ``run()`` is the console script.
Exit codes: 0 ok, 1 blocked by a policy or a gate, 2 invalid input or usage.
"""

from __future__ import annotations

import sys

import typer

from buttress.cli import (
    audit,
    capacity,
    check,
    diff,
    graph,
    init,
    ledger_admin,
    ledger_report,
    policy,
    promote,
    release,
    render,
    schema,
    serve,
    tokens,
    validate,
)
from buttress.cli.output import print_problems
from buttress.errors import BlueprintError, UsageError

app = typer.Typer(
    name="buttress",
    help="Declare an ML or analytics system once as a blueprint; validate, check, render and release it safely.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("init")(init.command)
app.command("validate")(validate.command)
app.command("schema")(schema.command)
app.command("graph")(graph.command)
app.command("check")(check.command)
app.command("controls")(check.controls_command)
app.command("explain")(check.explain_command)
app.add_typer(policy.app, name="policy")
app.add_typer(ledger_admin.keys, name="keys")
app.add_typer(ledger_admin.roles, name="roles")
app.add_typer(release.app, name="release")
app.command("approve")(promote.approve)
app.command("reject")(promote.reject)
app.command("promote")(promote.promote)
app.command("rollback")(promote.rollback)
app.command("status")(ledger_report.status)
app.command("history")(ledger_report.history)
app.add_typer(audit.app, name="audit")
app.command("capacity")(capacity.command)
app.command("render")(render.command)
app.command("diff")(diff.command)
app.command("serve")(serve.command)
app.add_typer(tokens.tokens, name="tokens")
app.add_typer(tokens.accounts_app, name="accounts")


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code."""
    try:
        result = app(args=argv if argv is not None else sys.argv[1:], prog_name="buttress", standalone_mode=False)
    except BlueprintError as exc:
        print_problems(exc.problems)
        sys.stderr.write(f"{len(exc.problems)} error(s)\n")
        return 2
    except UsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        return 130
    except typer.exceptions.TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            sys.stderr.write(f"error: {exc}\n")
        return int(getattr(exc, "exit_code", 2) or 2)
    return int(result) if isinstance(result, int) else 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
