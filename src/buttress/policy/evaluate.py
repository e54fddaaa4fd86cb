"""Run the built-in controls of a profile over one environment and its rendered objects.

Turns each check function's ``Hit``s into located ``Finding``s: module hits at the line of the
field they concern, environment hits at their blueprint key, rendered-object hits at the line of
the module the object was rendered for (the object's kind/name is in the message). Pure; called
by ``app.check``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from buttress.model.source import Mark
from buttress.policy.catalog import Control
from buttress.policy.catalog.base import EnvContext, Hit
from buttress.policy.catalog.kube import module_of
from buttress.policy.findings import Finding, Location


def _loc(mark: Mark) -> Location:
    return Location(mark.file, mark.line, mark.column)


def _finding(ctx: EnvContext, control: Control, hit: Hit, module: str | None) -> Finding:
    env = ctx.environment
    if module is not None and module in env.modules:
        location = _loc(env.modules[module].locate(*hit.path))
    elif hit.path:
        location = _loc(ctx.blueprint.locate(hit.path))
    else:
        location = _loc(ctx.blueprint.locate(("environments", env.name)))
    return Finding(control=control.id, severity=hit.severity or control.severity, environment=env.name,
                   module=module, message=hit.message, location=location, object=hit.object)


def _object_finding(ctx: EnvContext, control: Control, hit: Hit, obj: dict[str, Any] | None) -> Finding:
    env = ctx.environment
    module = hit.module or (module_of(obj) if obj is not None else None)
    if module is None or module not in env.modules:
        module, where = None, ("environments", env.name)
    else:
        where = ("modules", module)
    location = _loc(ctx.blueprint.document.locate(where, key=True))
    return Finding(control=control.id, severity=hit.severity or control.severity, environment=env.name,
                   module=module, message=hit.message, location=location, object=hit.object)


def evaluate(ctx: EnvContext, controls: Iterable[Control], objects: list[dict[str, Any]] | None) -> list[Finding]:
    """Every finding of ``controls`` in one environment (object controls only when ``objects`` is given)."""
    findings: list[Finding] = []
    modules = list(ctx.environment.modules.values())
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for obj in objects or ():
        by_kind.setdefault(str(obj.get("kind")), []).append(obj)
    for control in controls:
        check = control.check
        if check is None:
            continue
        if control.scope == "module":
            findings += [_finding(ctx, control, hit, m.name) for m in modules for hit in check(ctx, m)]
        elif control.scope == "environment":
            findings += [_finding(ctx, control, hit, hit.module) for hit in check(ctx)]
        elif control.scope == "object" and objects is not None:
            chosen = objects if control.kinds is None else [o for k in control.kinds for o in by_kind.get(k, ())]
            findings += [_object_finding(ctx, control, hit, obj) for obj in chosen for hit in check(obj)]
        elif control.scope == "objects" and objects is not None:
            findings += [_object_finding(ctx, control, hit, None) for hit in check(objects)]
    return findings
