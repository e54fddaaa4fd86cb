"""Enforcement: whether an environment's findings block it (BLUEPRINT.md, exit codes).

``advisory`` never blocks; ``mandatory`` and ``strict`` block on an unwaived error, and on an
unwaived warning with ``fail_on_warn``. ``strict`` environments honour no waiver (see
``policy.waivers.apply``). Pure; called by ``app.check``.
"""

from __future__ import annotations

from collections.abc import Iterable

from buttress.policy.findings import Finding


def honours_waivers(enforcement: str) -> bool:
    """Whether waivers count in an environment with this enforcement."""
    return enforcement != "strict"


def blocking(findings: Iterable[Finding], enforcement: str, *, fail_on_warn: bool = False) -> list[Finding]:
    """The findings that block an environment with this enforcement."""
    if enforcement == "advisory":
        return []
    return [f for f in findings if not f.waived and (f.severity == "error" or fail_on_warn)]


def exit_code(blocked: bool) -> int:
    """0 when nothing blocks, 1 when something does."""
    return 1 if blocked else 0
