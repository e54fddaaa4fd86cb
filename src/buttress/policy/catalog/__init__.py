"""The built-in control catalog: every control as data plus one small check function.

``CATALOG`` lists them in a fixed order, assembled explicitly from the topic modules (no
registration by import side effect). ``control(id)`` finds one; ``for_profile`` selects a profile.
Used by ``policy.evaluate``, ``policy.waivers``, the reports, ``buttress controls`` and ``docs/controls.md``.
"""

from __future__ import annotations

from buttress.policy.catalog import architecture, availability, data, network, operations, release, supply_chain, workload
from buttress.policy.catalog.base import Control, EnvContext, Hit, Mappings

CATALOG: tuple[Control, ...] = (
    *supply_chain.CONTROLS,
    *operations.CONTROLS,
    *data.CONTROLS,
    *architecture.CONTROLS,
    *release.CONTROLS,
    *workload.CONTROLS,
    *network.CONTROLS,
    *availability.CONTROLS,
)
BY_ID: dict[str, Control] = {c.id: c for c in CATALOG}


def control(control_id: str) -> Control | None:
    """The control with this ID, or None."""
    return BY_ID.get(control_id)


def for_profile(profile: str) -> tuple[Control, ...]:
    """The controls a profile applies, in catalog order (strict is a superset of baseline)."""
    return tuple(c for c in CATALOG if profile in c.profiles)


__all__ = ["BY_ID", "CATALOG", "Control", "EnvContext", "Hit", "Mappings", "control", "for_profile"]
