"""Check reports: one small output interface, one module per format, picked by ``reporter(name)``.

Every format renders a ``CheckReport`` to text; adding a format touches no control. Called by
``buttress check``.
"""

from __future__ import annotations

from typing import Protocol

from buttress.policy.reports import json_report, junit, sarif, text
from buttress.policy.results import CheckReport


class Reporter(Protocol):
    """Renders a check report in one format."""

    def __call__(self, report: CheckReport, *, color: bool = False) -> str:
        """The whole report as text (``color`` only matters to terminal formats)."""
        ...


FORMATS: dict[str, Reporter] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "junit": junit.render,
}


def reporter(name: str) -> Reporter:
    """The reporter for a format name (``text``, ``json``, ``sarif``, ``junit``)."""
    return FORMATS[name]


__all__ = ["FORMATS", "Reporter", "reporter"]
