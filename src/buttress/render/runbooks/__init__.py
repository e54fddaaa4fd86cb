"""Markdown runbooks of one environment: ``runbooks/<module>.md``, written by ``runbooks.markdown``.

Each runbook has a stable anchor per alert (the ``runbook_url`` of the alert links to it), the
module's dependencies from the graph, scaling, rollback, backup and restore, and who approves
changes in each environment. ``render_runbooks(bp, env, graph)`` is the renderer ``app.render``
calls; it reads ``render.signals`` and ``buttress.model`` only.
"""

from __future__ import annotations

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.common.labels import oncall, owner
from buttress.render.common.promotion import promotion_rules
from buttress.render.common.requests import status_label
from buttress.render.common.stand_ins import StandIn, Template, Templates, template
from buttress.render.runbooks.markdown import Page, alert, approvals, rollback, runbook
from buttress.render.signals.alerts import (
    Scope,
    backup_schedule_name,
    dashboard_uid,
    kind_alerts,
    runbook_path,
    slo_alerts,
)
from buttress.render.signals.slo import Slo, number, slos_of


def _workload(module: ResolvedModule) -> str:
    """The kubectl resource type of the module's workload."""
    if module.kind in ("cronjob", "job"):
        return module.kind
    if module.spec.state is not None:
        return "statefulset"
    strategy = module.spec.rollout.strategy if module.spec.rollout else None
    return "rollout" if strategy in ("canary", "blue-green") else "deployment"


class Sections:
    """The alerts' sections of one environment's runbooks: an SLO's written once per shape with
    stand-ins (``common.stand_ins``: module, dashboard and dependencies as fields) and filled in
    per module; a module's other alerts written out."""

    def __init__(self, bp: Blueprint, env: Environment, graph: Graph) -> None:
        self.bp, self.env, self.graph = bp, env, graph
        self.templates = Templates()

    def text(self, module: ResolvedModule, slos: list[Slo]) -> str:
        """Every alert's section of ``module``'s runbook, in ``alerts_of``'s order."""
        scope = Scope(self.bp, self.env, self.graph, module)
        parts = [self._slo(scope, slo) for slo in slos]
        parts += [alert(a) for a in kind_alerts(self.bp, self.env, self.graph, module)]
        return "".join(parts)

    def _slo(self, scope: Scope, slo: Slo) -> str:
        # any value fills a Markdown template (written as is, nothing to quote): no ``plain`` test
        key = slo.shape()
        shape = self.templates.get(key, lambda: self._template(scope, slo))
        if shape is None:
            return "".join(alert(a) for a in slo_alerts(scope, slo))
        return shape[0].fill((slo.module, scope.dashboard, scope.dependencies))

    def _template(self, scope: Scope, slo: Slo) -> tuple[Template, ...] | None:
        def write(stand_in: StandIn) -> tuple[str]:
            alerts = slo_alerts(scope.standing_in(*stand_in), slo.renamed(stand_in[0]))
            return ("".join(alert(a) for a in alerts),)

        def fields(stand_in: StandIn) -> tuple[str, ...]:
            return stand_in[0], dashboard_uid(str(self.bp.spec.name), self.env.name, stand_in[0]), stand_in[3]

        return template(write, fields)


def _page(bp: Blueprint, env: Environment, graph: Graph, module: ResolvedModule, sections: Sections,
          shared: tuple[str, str]) -> Page:
    """What the runbook of ``module`` says besides its declaration (``shared``: the environment's
    rollback section and approvals table)."""
    spec = module.spec
    slos = slos_of(env, module)
    targets = spec.scaling.targets.model_dump(by_alias=True, exclude_none=True) if spec.scaling and spec.scaling.targets else {}
    backup = spec.state.backup if spec.state else None
    return Page(
        blueprint=str(bp.spec.name), environment=env.name, namespace=str(env.spec.namespace),
        region=env.spec.region, owner=owner(bp, module), oncall=oncall(bp, module),
        dashboard=dashboard_uid(str(bp.spec.name), env.name, module.name),
        upstream=list(graph.outgoing(module.name)),
        downstream=sorted({(e.consumer, e.interface or "") for e in graph.incoming(module.name)}),
        slos=[(s.name, number(s.objective * 100), s.window_text, str(s.threshold) if s.threshold else None,
               "server-fault status" if status_label(s.metric) == "grpc_code" else "5xx") for s in slos],
        alerts=sections.text(module, slos), targets={k: str(v) for k, v in targets.items()},
        workload=_workload(module), backup_schedule=backup_schedule_name(env, module.name) if backup else None,
        rollback=shared[0], approvals=shared[1])


def _approvals(bp: Blueprint) -> str:
    """The table of who approves changes in each environment: the same in every runbook."""
    return approvals(promotion_rules(bp))


def render_runbooks(bp: Blueprint, env: Environment, graph: Graph) -> dict[str, bytes]:
    """One runbook per module (the rollback section and the approvals table written once)."""
    shared = rollback(env.name), _approvals(bp)
    sections = Sections(bp, env, graph)
    return {runbook_path(name): runbook(m, _page(bp, env, graph, m, sections, shared)).encode()
            for name, m in env.modules.items()}
