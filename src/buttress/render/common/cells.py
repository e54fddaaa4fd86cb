"""Text inside a Markdown table cell: one line, no column breaks. Called by the runbooks and the
compliance report, whose tables hold values the user wrote (owners, messages, reasons)."""

from __future__ import annotations


def cell(text: object) -> str:
    """``text`` on one line, its ``|`` escaped."""
    value = str(text)
    if value.isprintable() and "|" not in value and "  " not in value and value == value.strip():
        return value  # the common case, a thousand times per environment: already one clean line
    return " ".join(value.split()).replace("|", "\\|")
