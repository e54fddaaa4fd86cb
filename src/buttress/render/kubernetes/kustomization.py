"""The ``kustomization.yaml`` of an environment folder: its file name and its content.

Used by ``app.render`` (which writes it), ``app.manifests`` (which reads a render back),
``app.evidence`` and ``app.diff``; no other renderer needed to know its name.
"""

from __future__ import annotations

from buttress.render.yamlio import dump

KUSTOMIZATION = "kustomization.yaml"


def kustomization(resources: list[str]) -> bytes:
    """The ``kustomization.yaml`` listing ``resources`` (paths relative to the environment folder)."""
    return dump({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
                 "resources": sorted(resources)}).encode()
