"""Loaded documents: plain data plus a source map from key paths to file positions.

The loader builds a ``Document``; parse, resolve and graph use ``Document.locate`` to turn a
key path such as ``("modules", "scorer", "scaling")`` into a ``Problem`` with file, line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from buttress.errors import Problem

KeyPath = tuple[str | int, ...]


def format_keypath(path: KeyPath) -> str:
    """``("modules", "scorer", "consumes", 0)`` -> ``modules.scorer.consumes[0]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True)
class Mark:
    """A 1-based position in a file."""

    file: str
    line: int
    column: int


@dataclass(frozen=True)
class Document:
    """One loaded YAML file: its plain data, and where every key and value stands."""

    file: str
    data: Any
    key_marks: dict[KeyPath, tuple[int, int]] = field(repr=False)
    value_marks: dict[KeyPath, tuple[int, int]] = field(repr=False)

    def locate(self, path: KeyPath, *, key: bool = False) -> Mark:
        """The position of ``path`` (its key when ``key``), else of its nearest located parent."""
        marks = self.key_marks if key else self.value_marks
        probe = path
        while True:
            pos = marks.get(probe)
            if pos is None and not key:
                pos = self.key_marks.get(probe)
            if pos is not None:
                return Mark(self.file, pos[0], pos[1])
            if not probe:
                return Mark(self.file, 1, 1)
            probe = probe[:-1]

    def problem(self, path: KeyPath, message: str, *, key: bool = False) -> Problem:
        """A problem located at ``path`` of this file (at its key when ``key``)."""
        mark = self.locate(path, key=key)
        return Problem(mark.file, mark.line, mark.column, message, format_keypath(path))

    def has(self, path: KeyPath) -> bool:
        """Whether the file itself wrote ``path``."""
        return path in self.value_marks
