"""Small helpers the render tests share: render a blueprint folder, pick objects by kind and name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from buttress.app.validate import validate
from buttress.render.kubernetes import render_objects

Obj = dict[str, Any]


def render(folder: Path, env: str) -> list[Obj]:
    """Validate ``folder`` and render ``env``'s objects."""
    v = validate(folder, [env])
    return render_objects(v.blueprint, v.environments[env], v.graphs[env])


def pick(objects: list[Obj], kind: str, name: str | None = None, module: str | None = None) -> list[Obj]:
    """Objects of ``kind`` (optionally named ``name`` or belonging to ``module``)."""
    return [o for o in objects if o["kind"] == kind
            and (name is None or o["metadata"]["name"] == name)
            and (module is None or o["metadata"].get("annotations", {}).get("buttress.dev/module") == module)]


def one(objects: list[Obj], kind: str, name: str) -> Obj:
    """The single object of ``kind`` named ``name``."""
    found = pick(objects, kind, name)
    assert len(found) == 1, f"{len(found)} {kind}/{name}"
    return found[0]


def pod_spec(workload: Obj) -> Obj:
    """The pod spec inside any workload kind."""
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    result: Obj = spec["template"]["spec"]
    return result


WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job", "CronJob", "Rollout")
