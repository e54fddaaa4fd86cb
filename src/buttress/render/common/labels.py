"""The standard labels and annotations of every rendered object, whichever renderer writes it.

Labels: ``app.kubernetes.io/{name,part-of,component,version,managed-by}``, the owner and the data
classification. Annotations: the blueprint digest and the environment, and, on an object that
belongs to one module, the module. A module's objects carry the module's labels (its version is
its image's); an environment-wide object (the Namespace, the default-deny policy, the
PrometheusRule) carries the environment's labels: the blueprint as name, version
``sha256-<12 hex of the blueprint digest>`` and the highest classification of any module.
Called by the Kubernetes renderer's ``Context`` and by the monitoring renderer.
"""

from __future__ import annotations

import re

from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.model.spec.base import CLASSIFICATION_RANK

MANAGED_BY = "buttress"
PREFIX = "buttress.dev"
MODULE_ANNOTATION = f"{PREFIX}/module"
DIGEST_ANNOTATION = f"{PREFIX}/blueprint-digest"
ENVIRONMENT_ANNOTATION = f"{PREFIX}/environment"
VERSION_LABEL = "app.kubernetes.io/version"
NAMESPACE_COMPONENT = "namespace"
DEFAULT_CLASSIFICATION = "internal"
_LABEL_VALUE = re.compile(r"[^A-Za-z0-9._-]")


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


def digest_version(digest: str) -> str:
    """The version label derived from a blueprint digest: ``sha256-<its first 12 hex>``."""
    return f"sha256-{digest[:12]}"


def blueprint_version(bp: Blueprint) -> str:
    """The version label of an environment-wide object: derived from the blueprint digest, so it
    changes with every edit of the blueprint (``buttress diff`` ignores it for that reason)."""
    return digest_version(bp.digest)


def selector(bp: Blueprint, module: str) -> dict[str, str]:
    """Labels that select the pods of ``module`` (stable across releases)."""
    return {"app.kubernetes.io/name": module, "app.kubernetes.io/part-of": str(bp.spec.name)}


def owner(bp: Blueprint, module: ResolvedModule) -> str:
    """The module's owning team, falling back to the blueprint's owner."""
    return module.spec.owner or bp.spec.owner


def oncall(bp: Blueprint, module: ResolvedModule) -> str:
    """Who is paged for the module: its on-call, else the blueprint's, else its owner (``owner``)."""
    return module.spec.oncall or bp.spec.oncall or owner(bp, module)


def classification(module: ResolvedModule) -> str:
    """The module's data classification (``internal`` when none is declared)."""
    data = module.spec.data
    return (data.classification if data and data.classification else None) or DEFAULT_CLASSIFICATION


def module_labels(bp: Blueprint, module: ResolvedModule) -> dict[str, str]:
    """Standard labels of every object belonging to ``module``, the module's own ``labels`` after them."""
    labels = {
        **selector(bp, module.name),
        "app.kubernetes.io/component": module.kind,
        VERSION_LABEL: module_version(module),
        "app.kubernetes.io/managed-by": MANAGED_BY,
        f"{PREFIX}/owner": label_value(owner(bp, module)),
        f"{PREFIX}/classification": classification(module),
    }
    for key, value in sorted((module.spec.labels or {}).items()):
        labels.setdefault(key, label_value(value))
    return labels


def module_annotations(bp: Blueprint, env: Environment, module: ResolvedModule) -> dict[str, str]:
    """Standard annotations of every object belonging to ``module``."""
    return {MODULE_ANNOTATION: module.name, **environment_annotations(bp, env)}


def environment_labels(bp: Blueprint, env: Environment, component: str = NAMESPACE_COMPONENT) -> dict[str, str]:
    """Standard labels of an environment-wide object; the classification is the highest of any module."""
    highest = max((classification(m) for m in env.modules.values()),
                  key=CLASSIFICATION_RANK.__getitem__, default=DEFAULT_CLASSIFICATION)
    system = str(bp.spec.name)
    return {
        "app.kubernetes.io/name": system,
        "app.kubernetes.io/part-of": system,
        "app.kubernetes.io/component": component,
        VERSION_LABEL: blueprint_version(bp),
        "app.kubernetes.io/managed-by": MANAGED_BY,
        f"{PREFIX}/owner": label_value(bp.spec.owner),
        f"{PREFIX}/classification": highest,
    }


def environment_annotations(bp: Blueprint, env: Environment) -> dict[str, str]:
    """Standard annotations of every object of ``env``: the blueprint digest and the environment."""
    return {DIGEST_ANNOTATION: bp.digest, ENVIRONMENT_ANNOTATION: env.name}
