"""Enforcement: whether an environment's findings block it (BLUEPRINT.md, exit codes).

``advisory`` never blocks ``check``; ``mandatory`` and ``strict`` block on an unwaived error, and on an
unwaived warning with ``fail_on_warn``. A command writing rendered files is also stopped, in every
environment, by an unwaived inline secret (``WRITE_STOPPERS``). ``strict`` environments honour no waiver (see
``policy.waivers.apply``). Pure; called by ``app.check``, ``app.release`` and ``buttress render``.
"""

from __future__ import annotations

from collections.abc import Iterable

from buttress.policy.findings import Finding


def honours_waivers(enforcement: str) -> bool:
    """Whether waivers count in an environment with this enforcement."""
    return enforcement != "strict"


WRITE_STOPPERS = frozenset({"secret-inline"})
"""Controls whose unwaived findings stop a command that writes the rendered files (``render``,
``release create``) in every environment, advisory ones too: the value found would be written into
them, and a secret-looking value is never written to any file (BLUEPRINT.md). A waiver (where
honoured) says the value is no secret, and lets it through."""


def write_stoppers(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that stop writing rendered files in any environment (``WRITE_STOPPERS``, unwaived)."""
    return [f for f in findings if not f.waived and f.control in WRITE_STOPPERS]


def blocking(findings: Iterable[Finding], enforcement: str, *, fail_on_warn: bool = False,
             writing: bool = False) -> list[Finding]:
    """The findings that block an environment with this enforcement; ``writing``: for a command
    that writes the rendered files, where ``write_stoppers`` block whatever the enforcement."""
    if enforcement == "advisory":
        return write_stoppers(findings) if writing else []
    return [f for f in findings if not f.waived and (f.severity == "error" or fail_on_warn)]


def exit_code(blocked: bool) -> int:
    """0 when nothing blocks, 1 when something does."""
    return 1 if blocked else 0
