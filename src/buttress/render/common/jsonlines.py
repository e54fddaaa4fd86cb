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


def json_lines(document: dict[str, Any], split: Callable[[str], bool]) -> bytes:
    """``document`` with one key per line; a non-empty list under a key ``split`` accepts gets one item per line."""
    lines = []
    for key, value in document.items():
        if isinstance(value, list) and value and split(key):
            items = ",\n".join(f"    {compact(v)}" for v in value)
            lines.append(f"  {compact(key)}: [\n{items}\n  ]")
        else:
            lines.append(f"  {compact(key)}: {compact(value)}")
    return ("{\n" + ",\n".join(lines) + "\n}\n").encode()
