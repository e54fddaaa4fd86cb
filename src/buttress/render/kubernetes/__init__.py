"""Secure-by-default Kubernetes objects for one resolved environment.

``render_objects`` is the entry point (called by ``buttress.app.render`` and by controls over
rendered objects): a pure function returning every object as a plain dict, in a fixed order —
namespace-wide objects first, then each module (sorted by name) concern by concern. Each concern
lives in its own module of this package; none performs I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.kubernetes.backup import schedule
from buttress.render.kubernetes.identity import identity
from buttress.render.kubernetes.ingress import ingresses
from buttress.render.kubernetes.labels import MODULE_ANNOTATION, Context
from buttress.render.kubernetes.monitors import service_monitor
from buttress.render.kubernetes.namespace import limit_range, namespace, resource_quota
from buttress.render.kubernetes.network import module_policy, namespace_policies
from buttress.render.kubernetes.scaling import autoscaler, disruption_budget
from buttress.render.kubernetes.secrets import external_secret
from buttress.render.kubernetes.workloads import workloads

__all__ = ["MODULE_ANNOTATION", "MODULE_RENDERERS", "render_objects"]

ModuleRenderer = Callable[[Context, ResolvedModule], list[dict[str, Any]]]

MODULE_RENDERERS: tuple[ModuleRenderer, ...] = (
    identity,
    external_secret,
    workloads,
    ingresses,
    module_policy,
    service_monitor,
    autoscaler,
    disruption_budget,
    schedule,
)
"""The per-module concerns, in output order."""


def render_objects(bp: Blueprint, env: Environment, graph: Graph) -> list[dict[str, Any]]:
    """Every Kubernetes object of ``env`` as a plain dict, in a deterministic order."""
    ctx = Context(bp, env, graph)
    objects: list[dict[str, Any]] = [namespace(ctx), limit_range(ctx), resource_quota(ctx),
                                     *namespace_policies(ctx)]
    for name in sorted(env.modules):
        module = env.modules[name]
        for renderer in MODULE_RENDERERS:
            objects += renderer(ctx, module)
    return objects
