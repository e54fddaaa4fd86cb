"""Each environment's promotion rules as people read them: where a release comes from, how many
approvals by which roles, the soak and the change window. Used by the runbooks ("who approves
changes") and the docs site's environments page."""

from __future__ import annotations

from typing import Any

from buttress.model.parse import Blueprint


def promotion_rules(bp: Blueprint) -> list[dict[str, Any]]:
    """One row per environment, in blueprint order: ``name``, ``enforcement``, ``from`` (the
    environment promoted from, or None), ``approvals`` (count), ``roles``, ``soak`` and ``window``
    (text, or None)."""
    out = []
    for name, env in bp.spec.environments.items():
        promotion = env.promotion
        approvals = promotion.approvals if promotion else None
        window = promotion.window if promotion else None
        out.append({
            "name": name, "enforcement": env.enforcement,
            "from": promotion.from_ if promotion else None,
            "approvals": approvals.count if approvals else 0, "roles": list(approvals.roles) if approvals else [],
            "soak": str(promotion.soak) if promotion and promotion.soak else None,
            "window": f"{', '.join(window.days)} {window.hours} ({window.timezone})" if window else None,
        })
    return out
