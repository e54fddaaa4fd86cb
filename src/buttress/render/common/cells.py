"""Text inside a Markdown table cell: one line, no column breaks. Called by the runbooks and the
compliance report, whose tables hold values the user wrote (owners, messages, reasons)."""

from __future__ import annotations


def cell(text: object) -> str:
    """``text`` on one line, its ``|`` escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")
