"""Markdown runbooks of one environment: ``runbooks/<module>.md``, from a Jinja2 template.

Each runbook has a stable anchor per alert (the ``runbook_url`` of the alert links to it), the
module's dependencies from the graph, scaling, rollback, backup and restore, and who approves
changes in each environment. ``render_runbooks(bp, env, graph)`` is the renderer ``app.render``
calls; it reads ``render.signals`` and ``buttress.model`` only.
"""

from __future__ import annotations

from typing import Any

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.common.labels import oncall, owner
from buttress.render.common.promotion import promotion_rules
from buttress.render.common.templates import templates
from buttress.render.signals.alerts import alerts_of, backup_schedule_name, dashboard_uid, runbook_path
from buttress.render.signals.slo import number, slos_of

_TEMPLATES = templates("buttress.render.runbooks")


def _workload(module: ResolvedModule) -> str:
    """The kubectl resource type of the module's workload."""
    if module.kind in ("cronjob", "job"):
        return module.kind
    if module.spec.state is not None:
        return "statefulset"
    strategy = module.spec.rollout.strategy if module.spec.rollout else None
    return "rollout" if strategy in ("canary", "blue-green") else "deployment"


def _context(bp: Blueprint, env: Environment, graph: Graph, module: ResolvedModule,
             approvals: list[dict[str, Any]]) -> dict[str, Any]:
    spec = module.spec
    slos = slos_of(env, module)
    upstream = [{"target": e.target, "interface": e.interface, "range": str(e.range) if e.range else None,
                 "external": e.external} for e in graph.outgoing(module.name)]
    downstream = sorted({(e.consumer, e.interface or "") for e in graph.incoming(module.name)})
    replicas = spec.scaling.replicas if spec.scaling else None
    targets = spec.scaling.targets.model_dump(by_alias=True, exclude_none=True) if spec.scaling and spec.scaling.targets else {}
    state = spec.state
    backup = state.backup if state else None
    return {
        "bp": bp.spec, "env": env, "namespace": str(env.spec.namespace), "module": module, "spec": spec,
        "owner": owner(bp, module), "oncall": oncall(bp, module),
        "upstream": upstream, "downstream": downstream,
        "slos": [{"name": s.name, "objective": number(s.objective * 100), "window": s.window_text,
                  "threshold": str(s.threshold) if s.threshold else None} for s in slos],
        "alerts": alerts_of(bp, env, graph, module, slos),
        "replicas": replicas, "targets": {k: str(v) for k, v in targets.items()},
        "state": state, "backup": backup,
        "backup_schedule": backup_schedule_name(env, module.name) if backup else None,
        "dashboard": dashboard_uid(str(bp.spec.name), env.name, module.name),
        "approvals": approvals,
        "workload": _workload(module),
    }


def render_runbook(bp: Blueprint, env: Environment, graph: Graph, module: ResolvedModule) -> str:
    """The Markdown runbook of one module."""
    return _TEMPLATES.get_template("runbook.md.j2").render(_context(bp, env, graph, module, promotion_rules(bp)))


def render_runbooks(bp: Blueprint, env: Environment, graph: Graph) -> dict[str, bytes]:
    """One runbook per module (the template loaded, and the approvals table built, once)."""
    template = _TEMPLATES.get_template("runbook.md.j2")
    approvals = promotion_rules(bp)
    return {runbook_path(name): template.render(_context(bp, env, graph, m, approvals)).encode()
            for name, m in env.modules.items()}
