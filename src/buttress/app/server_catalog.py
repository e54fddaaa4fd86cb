"""The module catalog the team server shows: per module its kind, owner, interfaces and versions,
dependencies, SLOs and runbook, read from the blueprint the server was started beside.

The ledger stores rendered bundles, not blueprints, so the catalog comes from the project folder
(``buttress serve --project``); without a blueprint there the catalog is empty. Called by ``server``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from buttress.app.validate import validate
from buttress.errors import BlueprintError


def catalog(project: Path) -> dict[str, Any]:
    """The blueprint's modules as plain data (``{"blueprint": None, "modules": []}`` when there is none)."""
    if not (project / "blueprint.yaml").is_file():
        return {"blueprint": None, "modules": [], "problem": f"no blueprint.yaml in {project}"}
    try:
        validated = validate(project)
    except BlueprintError as exc:
        return {"blueprint": None, "modules": [], "problem": f"the blueprint does not validate ({len(exc.problems)} "
                                                             "error(s)): run `buttress validate`"}
    spec = validated.blueprint.spec
    env_name = next(iter(validated.environments))
    resolved = validated.environments[env_name].modules
    graph = validated.graphs[env_name]
    modules = []
    for name in sorted(resolved):
        module = resolved[name].spec
        slo = module.slo.model_dump(mode="json", by_alias=True, exclude_none=True) if module.slo else None
        modules.append({
            "name": name, "kind": str(module.kind) if module.kind else None, "description": module.description,
            "owner": module.owner or spec.owner, "oncall": module.oncall or spec.oncall,
            "image": str(module.image) if module.image else None,
            "interfaces": [{"name": iname, "protocol": i.protocol, "port": i.port, "version": str(i.version),
                            "exposure": i.exposure} for iname, i in sorted((module.provides or {}).items())],
            "dependencies": [{"target": e.target, "interface": e.interface, "range": str(e.range) if e.range else None,
                              "external": e.external, "compatible": e.compatible} for e in graph.outgoing(name)],
            "slo": slo, "runbook": f"runbooks/{name}.md" if module.kind and resolved[name].long_running else None,
        })
    return {"blueprint": str(spec.name), "owner": spec.owner, "environment": env_name, "modules": modules}
