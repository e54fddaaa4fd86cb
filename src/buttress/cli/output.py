"""Shared terminal output for commands: results on stdout, diagnostics on stderr, NO_COLOR honoured."""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from typing import Any

from rich.console import Console

from buttress.errors import Problem


class Format(StrEnum):
    """Report formats every reporting command accepts."""

    text = "text"
    json = "json"


def stdout(*, markup: bool = True) -> Console:
    """A console for results. With ``markup`` (styled output), every value a message interpolates from the
    user (a description, a reason, a path) goes through ``rich.markup.escape``; without it nothing is read
    as markup."""
    return Console(file=sys.stdout, no_color=bool(os.environ.get("NO_COLOR")), highlight=False, soft_wrap=True,
                   markup=markup)


def stderr() -> Console:
    """A console for diagnostics."""
    return Console(file=sys.stderr, no_color=bool(os.environ.get("NO_COLOR")), highlight=False, soft_wrap=True)


def print_problems(problems: list[Problem], severity: str = "error") -> None:
    """``FILE:LINE:COL: error: MESSAGE (at KEY.PATH)`` for each problem, on stderr."""
    for problem in problems:
        sys.stderr.write(problem.format(severity) + "\n")  # redacted when made
    sys.stderr.flush()


def print_json(data: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()
