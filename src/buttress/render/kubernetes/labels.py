"""Names, labels and annotations every rendered object carries.

``Context`` is built once per environment by ``render_objects`` and handed to every per-concern
renderer of this package, so that the standard labels (``app.kubernetes.io/*``, owner, data
classification) and annotations (blueprint digest, module) are written in exactly one place:
``buttress.render.common.labels``, which the other renderers use too.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from buttress.model.graph import Edge, Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.render.common import labels as common
from buttress.render.common.labels import (
    DIGEST_ANNOTATION,
    MANAGED_BY,
    MODULE_ANNOTATION,
    PREFIX,
    label_value,
    module_version,
)

__all__ = ["DIGEST_ANNOTATION", "MANAGED_BY", "MODULE_ANNOTATION", "PREFIX", "Context", "Obj", "label_value",
           "module_version"]

Obj = dict[str, Any]


@dataclass(frozen=True)
class Context:
    """Everything a per-concern renderer needs about the environment being rendered."""

    bp: Blueprint
    env: Environment
    graph: Graph

    def incoming(self, module: str) -> list[Edge]:
        """Edges from other modules into ``module``."""
        return list(self.graph.incoming(module))

    def outgoing(self, module: str) -> list[Edge]:
        """Edges from ``module`` to modules and externals."""
        return list(self.graph.outgoing(module))

    @cached_property
    def namespace(self) -> str:
        """The environment's namespace."""
        return str(self.env.spec.namespace)

    @cached_property
    def system(self) -> str:
        """The blueprint's name (``app.kubernetes.io/part-of``)."""
        return str(self.bp.spec.name)

    def selector(self, module: str) -> dict[str, str]:
        """Labels that select the pods of ``module`` (stable across releases)."""
        return common.selector(self.bp, module)

    def owner(self, module: ResolvedModule) -> str:
        """The module's owning team, falling back to the blueprint's owner."""
        return common.owner(self.bp, module)

    def classification(self, module: ResolvedModule) -> str:
        """The module's data classification (``internal`` when none is declared)."""
        return common.classification(module)

    @cached_property
    def _labels(self) -> dict[str, dict[str, str]]:
        return {}

    def module_labels(self, module: ResolvedModule) -> dict[str, str]:
        """Standard labels of every object belonging to ``module``, pod templates included (a fresh dict)."""
        cached = self._labels.get(module.name)
        if cached is None:
            cached = self._labels[module.name] = common.module_labels(self.bp, module)
        return dict(cached)

    def module_meta(self, module: ResolvedModule, name: str, *, annotations: dict[str, str] | None = None,
                    namespaced: bool = True) -> Obj:
        """``metadata`` of an object of ``module`` named ``name``."""
        meta: Obj = {"name": name}
        if namespaced:
            meta["namespace"] = self.namespace
        meta["labels"] = self.module_labels(module)
        meta["annotations"] = {**common.module_annotations(self.bp, self.env, module), **(annotations or {})}
        return meta

    @cached_property
    def _namespace_labels(self) -> dict[str, str]:
        return common.environment_labels(self.bp, self.env)

    def namespace_labels(self) -> dict[str, str]:
        """Standard labels of namespace-wide objects; the classification is the highest of any module."""
        return dict(self._namespace_labels)

    def namespace_meta(self, name: str, *, namespaced: bool = True, labels: dict[str, str] | None = None,
                       annotations: dict[str, str] | None = None) -> Obj:
        """``metadata`` of a namespace-wide object (no module annotation)."""
        meta: Obj = {"name": name}
        if namespaced:
            meta["namespace"] = self.namespace
        meta["labels"] = {**self._namespace_labels, **(labels or {})}
        meta["annotations"] = {**common.environment_annotations(self.bp, self.env), **(annotations or {})}
        return meta
