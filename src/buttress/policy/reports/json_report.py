"""``--format json``: the BLUEPRINT.md contract ``{"blocked": ..., "findings": [...]}`` plus verdicts per environment."""

from __future__ import annotations

import json

from buttress.policy.results import CheckReport


def render(report: CheckReport, *, color: bool = False) -> str:
    """One JSON document."""
    return json.dumps(report.to_json(), indent=2) + "\n"
