"""Reviewable JSON for large generated documents (dashboards, the compliance report): one top-level
key per line, and one item per line for the lists chosen, each written compact by the C encoder —
several times faster than ``indent=2``, and a diff still reads line by line."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def compact(value: object) -> str:
    """One value on one line."""
    return _ENCODER.encode(value)


def json_lines(document: dict[str, Any], split: Callable[[str], bool],
               items: dict[str, Callable[[Any], str]] | None = None) -> bytes:
    """``document`` with one key per line; a non-empty list under a key ``split`` accepts gets one item per
    line, each written by ``items[key]`` where given (``compact`` by another way), else by ``compact``."""
    lines = []
    for key, value in document.items():
        if isinstance(value, list) and value and split(key):
            item = (items or {}).get(key, compact)
            items_text = ",\n".join(f"    {item(v)}" for v in value)
            lines.append(f"  {compact(key)}: [\n{items_text}\n  ]")
        else:
            lines.append(f"  {compact(key)}: {compact(value)}")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode()


_HOLE = "\x00hole\x00"
_HOLE_TEXT = compact(_HOLE)
"""How the encoder writes ``_HOLE``: only a string that is exactly ``_HOLE`` is written so (its NULs are
escaped, and a backslash of a document's own string would be escaped in turn)."""


def compact_with(value: dict[str, Any], key: str, text: str) -> str:
    """``compact(value)`` with ``text`` as the already written value of ``key`` (a large value that several
    documents hold, written once)."""
    holed = compact({**value, key: _HOLE})
    if holed.count(_HOLE_TEXT) != 1:  # the document holds the hole's own text elsewhere: write it whole
        return compact(value)
    return holed.replace(_HOLE_TEXT, text)
