"""The errors buttress raises, grouped by what the caller should do about them.

::

    ButtressError                 base of everything buttress raises on purpose
    ├── BlueprintError            the user's input is wrong: fix the file (exit code 2)
    │                             carries every Problem found, each with file, line, column
    └── UsageError                the command line is wrong: fix the arguments (exit code 2)

Any other exception is a bug in buttress and keeps its traceback.
The CLI turns ``BlueprintError`` into ``FILE:LINE:COL: error: MESSAGE (at KEY.PATH)`` lines. A quoted
value in a problem's message (and any part of its key path) that looks like a secret is replaced by
``<redacted>`` when the ``Problem`` is made, once, for every consumer (command line, server, Python API).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from buttress.secrets import redact, redact_text


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in a user's file, with where it is."""

    file: str
    line: int
    column: int
    message: str
    keypath: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", redact(self.message))  # no problem ever carries a secret
        object.__setattr__(self, "keypath", redact_text(self.keypath))  # not even as a key's name

    def format(self, severity: str = "error") -> str:
        """Render as ``FILE:LINE:COL: error: MESSAGE (at KEY.PATH)``."""
        where = f" (at {self.keypath})" if self.keypath else ""
        return f"{self.file}:{self.line}:{self.column}: {severity}: {self.message}{where}"


class ButtressError(Exception):
    """Base of every error buttress raises on purpose."""


class BlueprintError(ButtressError):
    """The user's blueprint, pattern or policy files are invalid; holds every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(p.format() for p in self.problems))

    @classmethod
    def single(cls, file: str | Path, line: int, column: int, message: str, keypath: str = "") -> BlueprintError:
        """An error holding one problem."""
        return cls([Problem(str(file), line, column, message, keypath)])


class UsageError(ButtressError):
    """The command line itself is wrong (unknown environment, missing file, bad option)."""


class Tampered(ButtressError):
    """A ledger row holds what buttress never writes: the database was edited outside buttress. Commands
    refuse (exit 1); ``buttress audit verify`` names what else changed."""
