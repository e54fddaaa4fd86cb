"""Findings: what a control or a Rego policy reports, with where it is and whether it is waived.

Built by ``policy.evaluate`` and ``policy.rego``, marked by ``policy.waivers``, judged by
``policy.enforcement`` and printed by ``policy.reports``. ``to_json`` is the contract of
``buttress check --format json`` (BLUEPRINT.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from buttress.secrets import redact_text

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based position in a user's file."""

    file: str
    line: int
    column: int

    def to_json(self, folder: Path | None = None) -> dict[str, Any]:
        """``{"file", "line", "column"}``; with ``folder`` (the blueprint's), a file inside it is named
        relative to it (``blueprint.yaml``, ``policies/deny.rego``), wherever the command ran from."""
        return {"file": self.portable(folder) if folder is not None else self.file, "line": self.line,
                "column": self.column}

    def portable(self, folder: Path) -> str:
        """The file relative to ``folder`` when inside it, else as given."""
        try:
            return Path(self.file).resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            return self.file


@dataclass(frozen=True, order=True)
class ObjectRef:
    """A rendered Kubernetes object a finding is about."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.name}"


@dataclass(frozen=True, order=True)
class WaiverRef:
    """The waiver that waived a finding: who approved it, why, until when."""

    reason: str
    approved_by: str
    expires: dt.date
    ticket: str | None = None
    location: Location | None = None

    def to_json(self, folder: Path | None = None) -> dict[str, Any]:
        """The waiver's fields as users write them."""
        return {"reason": self.reason, "approvedBy": self.approved_by, "expires": self.expires.isoformat(),
                "ticket": self.ticket, "location": self.location.to_json(folder) if self.location else None}


@dataclass(frozen=True)
class Finding:
    """One result of one control (or Rego rule) for one environment and module."""

    control: str
    severity: Severity
    environment: str | None
    module: str | None
    message: str
    location: Location | None = None
    waived: bool = False
    waiver: WaiverRef | None = None
    object: ObjectRef | None = None

    def __post_init__(self) -> None:
        # a message quotes what the user wrote (a region, a registry, a waiver's module), which may be a secret
        object.__setattr__(self, "message", redact_text(self.message))

    def sort_key(self) -> tuple[str, str, str, int, str, str]:
        """Stable report order: environment, module, position, control, message."""
        line = self.location.line if self.location else 0
        return (self.environment or "", self.module or "", self.location.file if self.location else "", line,
                self.control, self.message)

    def waive(self, waiver: WaiverRef) -> Finding:
        """This finding, marked waived by ``waiver``."""
        return replace(self, waived=True, waiver=waiver)

    def to_json(self, folder: Path | None = None) -> dict[str, Any]:
        """The BLUEPRINT.md contract fields, plus waiver details and the rendered object (``folder``: see
        ``Location.to_json``)."""
        out: dict[str, Any] = {
            "control": self.control,
            "severity": self.severity,
            "environment": self.environment,
            "module": self.module,
            "message": self.message,
            "waived": self.waived,
            "location": self.location.to_json(folder) if self.location else None,
        }
        if self.waiver is not None:
            out["waiver"] = self.waiver.to_json(folder)
        if self.object is not None:
            out["object"] = {"kind": self.object.kind, "name": self.object.name}
        return out
