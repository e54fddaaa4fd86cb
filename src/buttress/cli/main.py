"""The ``buttress`` command: registers the command groups (lazily) and maps errors to exit codes.

``main(argv) -> int`` runs in-process (tests call it); ``run()`` is the console script.
Exit codes: 0 ok, 1 blocked by a policy or a gate, 2 invalid input or usage.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable

import typer

from buttress import batch
from buttress.cli.output import print_problems
from buttress.errors import BlueprintError, Tampered, UsageError

# name -> (module under buttress.cli, attribute, is a sub-group). Only the module of the command
# being run is imported, so that `buttress validate` does not pay for the server, the ledger or
# matplotlib; `--help` and unknown names import them all.
COMMANDS: dict[str, tuple[str, str, bool]] = {
    "init": ("init", "command", False),
    "validate": ("validate", "command", False),
    "schema": ("schema", "command", False),
    "graph": ("graph", "command", False),
    "render": ("render", "command", False),
    "diff": ("diff", "command", False),
    "docs": ("docs", "command", False),
    "check": ("check", "command", False),
    "controls": ("check", "controls_command", False),
    "explain": ("check", "explain_command", False),
    "policy": ("policy", "app", True),
    "capacity": ("capacity", "command", False),
    "keys": ("ledger_admin", "keys", True),
    "roles": ("ledger_admin", "roles", True),
    "release": ("release", "app", True),
    "approve": ("promote", "approve", False),
    "reject": ("promote", "reject", False),
    "promote": ("promote", "promote", False),
    "rollback": ("promote", "rollback", False),
    "status": ("ledger_report", "status", False),
    "history": ("ledger_report", "history", False),
    "audit": ("audit", "app", True),
    "serve": ("serve", "command", False),
    "tokens": ("tokens", "tokens", True),
    "accounts": ("tokens", "accounts_app", True),
}


def _root() -> None:
    """Declare an ML or analytics system once as a blueprint; validate, check, render and release it safely."""


def build(names: Iterable[str] = COMMANDS) -> typer.Typer:
    """The command-line application with the commands ``names`` registered (default: all)."""
    app = typer.Typer(name="buttress", no_args_is_help=True, add_completion=False,
                      pretty_exceptions_enable=False, rich_markup_mode=None)
    app.callback()(_root)
    for name in names:
        module, attribute, group = COMMANDS[name]
        target = getattr(importlib.import_module(f"buttress.cli.{module}"), attribute)
        if group:
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    return app


def _needed(args: list[str]) -> Iterable[str]:
    first = next((a for a in args if not a.startswith("-")), None)
    return [first] if first in COMMANDS else COMMANDS


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code."""
    try:
        args = argv if argv is not None else sys.argv[1:]
        result = build(_needed(args))(args=args, prog_name="buttress", standalone_mode=False)
    except BlueprintError as exc:
        print_problems(exc.problems)
        sys.stderr.write(f"{len(exc.problems)} error(s)\n")
        return 2
    except UsageError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except Tampered as exc:  # the ledger was edited outside buttress: refused, as a failed verification is
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except OSError as exc:  # a path the user named cannot be read or written: not a folder, no permission, no space
        if exc.filename:
            sys.stderr.write(f"error: cannot use {exc.filename}: {exc.strerror or exc}\n")
        else:  # the output (stdout on a full disk) or the system (fork refused): no path to name, still no traceback
            sys.stderr.write(f"error: {exc.strerror or exc}\n")
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
    """Console-script entry point: batch settings and a fast exit (``buttress.batch``) for every command but ``serve``."""
    if "serve" in sys.argv[1:]:
        sys.exit(main())
    batch.tune()
    batch.exit_now(main())
