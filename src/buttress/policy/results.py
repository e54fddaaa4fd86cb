"""The result of a check: per-environment verdicts and findings, as every report format reads it.

Built by ``app.check``; read by ``policy.reports`` and the CLI.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from buttress.policy.catalog import Control
from buttress.policy.findings import Finding, Location


@dataclass(frozen=True)
class EnvironmentResult:
    """One environment's verdict."""

    name: str
    enforcement: str
    blocked: bool
    findings: list[Finding]


@dataclass(frozen=True)
class CheckReport:
    """Everything ``buttress check`` reports."""

    blueprint: str
    file: str
    at: dt.date
    environments: dict[str, EnvironmentResult]
    controls: tuple[Control, ...]
    """The built-in controls that were evaluated (reports describe them)."""
    rules: dict[str, Location] = field(default_factory=dict)
    """Organisation Rego rules by control ID (``rego:<package>.<rule>``), with their definition line."""

    @property
    def blocked(self) -> bool:
        """Whether any environment blocks."""
        return any(e.blocked for e in self.environments.values())

    @property
    def findings(self) -> list[Finding]:
        """Every finding of every environment, in report order."""
        return [f for e in self.environments.values() for f in e.findings]

    def to_json(self) -> dict[str, Any]:
        """The ``check --format json`` contract, plus per-environment verdicts. Locations name files
        relative to the blueprint's folder (``blueprint.yaml``, as BLUEPRINT.md shows), so the report
        reads the same from any working folder, in CI as in a release."""
        folder = Path(self.file).parent
        return {"blocked": self.blocked, "blueprint": self.blueprint, "at": self.at.isoformat(),
                "environments": {n: {"enforcement": e.enforcement, "blocked": e.blocked,
                                     "findings": len(e.findings)} for n, e in self.environments.items()},
                "findings": [f.to_json(folder) for f in self.findings]}
