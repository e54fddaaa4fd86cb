"""Names, labels and annotations every rendered object carries.

``Context`` is built once per environment by ``render_objects`` and handed to every per-concern
renderer of this package, so that the standard labels (``app.kubernetes.io/*``, owner, data
classification) and annotations (blueprint digest, module) are written in exactly one place.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from buttress.model.graph import Edge, Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.model.spec.base import CLASSIFICATION_RANK

MANAGED_BY = "buttress"
PREFIX = "buttress.dev"
MODULE_ANNOTATION = f"{PREFIX}/module"
DIGEST_ANNOTATION = f"{PREFIX}/blueprint-digest"
_LABEL_VALUE = re.compile(r"[^A-Za-z0-9._-]")

Obj = dict[str, Any]


def label_value(text: str) -> str:
    """``text`` made a valid label value: allowed characters only, at most 63, alphanumeric ends."""
    value = _LABEL_VALUE.sub("-", text)[:63]
    return value.strip("-_.")


def module_version(module: ResolvedModule) -> str:
    """The version label of a module: its image tag, else the short image digest, else ``unversioned``."""
    image = module.spec.image
    if image is not None and image.tag:
        return label_value(image.tag)
    if image is not None and image.digest:
        algo, _, hexdigest = image.digest.partition(":")
        return f"{algo}-{hexdigest[:12]}"
    return "unversioned"


@dataclass(frozen=True)
class Context:
    """Everything a per-concern renderer needs about the environment being rendered."""

    bp: Blueprint
    env: Environment
    graph: Graph

    @cached_property
    def _edges(self) -> tuple[dict[str, list[Edge]], dict[str, list[Edge]]]:
        incoming: dict[str, list[Edge]] = defaultdict(list)
        outgoing: dict[str, list[Edge]] = defaultdict(list)
        for edge in self.graph.edges:
            outgoing[edge.consumer].append(edge)
            if not edge.external:
                incoming[edge.target].append(edge)
        return incoming, outgoing

    def incoming(self, module: str) -> list[Edge]:
        """Edges from other modules into ``module`` (indexed once; ``Graph.incoming`` scans)."""
        return self._edges[0].get(module, [])

    def outgoing(self, module: str) -> list[Edge]:
        """Edges from ``module`` to modules and externals."""
        return self._edges[1].get(module, [])

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
        return {"app.kubernetes.io/name": module, "app.kubernetes.io/part-of": self.system}

    def owner(self, module: ResolvedModule) -> str:
        """The module's owning team, falling back to the blueprint's owner."""
        return module.spec.owner or self.bp.spec.owner

    def classification(self, module: ResolvedModule) -> str:
        """The module's data classification (``internal`` when none is declared)."""
        data = module.spec.data
        return (data.classification if data and data.classification else None) or "internal"

    @cached_property
    def _labels(self) -> dict[str, dict[str, str]]:
        return {}

    def module_labels(self, module: ResolvedModule) -> dict[str, str]:
        """Standard labels of every object belonging to ``module``, pod templates included (a fresh dict)."""
        cached = self._labels.get(module.name)
        if cached is None:
            cached = self._labels[module.name] = self._module_labels(module)
        return dict(cached)

    def _module_labels(self, module: ResolvedModule) -> dict[str, str]:
        labels = {
            **self.selector(module.name),
            "app.kubernetes.io/component": module.kind,
            "app.kubernetes.io/version": module_version(module),
            "app.kubernetes.io/managed-by": MANAGED_BY,
            f"{PREFIX}/owner": label_value(self.owner(module)),
            f"{PREFIX}/classification": self.classification(module),
        }
        for key, value in sorted((module.spec.labels or {}).items()):
            labels.setdefault(key, label_value(value))
        return labels

    def module_meta(self, module: ResolvedModule, name: str, *, annotations: dict[str, str] | None = None,
                    namespaced: bool = True) -> Obj:
        """``metadata`` of an object of ``module`` named ``name``."""
        meta: Obj = {"name": name}
        if namespaced:
            meta["namespace"] = self.namespace
        meta["labels"] = self.module_labels(module)
        meta["annotations"] = {
            MODULE_ANNOTATION: module.name,
            DIGEST_ANNOTATION: self.bp.digest,
            f"{PREFIX}/environment": self.env.name,
            **(annotations or {}),
        }
        return meta

    def namespace_labels(self) -> dict[str, str]:
        """Standard labels of namespace-wide objects; the classification is the highest of any module."""
        highest = max((self.classification(m) for m in self.env.modules.values()),
                      key=CLASSIFICATION_RANK.__getitem__, default="internal")
        return {
            "app.kubernetes.io/name": self.system,
            "app.kubernetes.io/part-of": self.system,
            "app.kubernetes.io/component": "namespace",
            "app.kubernetes.io/version": f"sha256-{self.bp.digest[:12]}",
            "app.kubernetes.io/managed-by": MANAGED_BY,
            f"{PREFIX}/owner": label_value(self.bp.spec.owner),
            f"{PREFIX}/classification": highest,
        }

    def namespace_meta(self, name: str, *, namespaced: bool = True, labels: dict[str, str] | None = None,
                       annotations: dict[str, str] | None = None) -> Obj:
        """``metadata`` of a namespace-wide object (no module annotation)."""
        meta: Obj = {"name": name}
        if namespaced:
            meta["namespace"] = self.namespace
        meta["labels"] = {**self.namespace_labels(), **(labels or {})}
        meta["annotations"] = {DIGEST_ANNOTATION: self.bp.digest, f"{PREFIX}/environment": self.env.name,
                               **(annotations or {})}
        return meta
