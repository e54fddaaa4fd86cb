"""Read the Kubernetes objects of a render on disk (``buttress render --out DIR``, a GitOps folder,
or one environment's folder), so that ``check --manifests DIR`` judges what will really be applied —
hand edits included — rather than a fresh render. The objects are those the environment's
``kustomization.yaml`` lists. Called by ``cli.check``; ``environment_folder`` also by ``app.diff``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from buttress.errors import UsageError
from buttress.render.kubernetes.kustomization import KUSTOMIZATION
from buttress.render.yamlio import load_located


def environment_folder(folder: Path, env: str) -> Path:
    """``folder/<env>`` when it holds that environment's render, else ``folder`` itself when it holds a
    render (one environment's folder given directly)."""
    for root in (folder / env, folder):
        if (root / KUSTOMIZATION).is_file():
            return root
    raise UsageError(f"{folder} holds no render of {env!r} (no {env}/{KUSTOMIZATION} and no {KUSTOMIZATION})")


def _resources(root: Path) -> list[str]:
    docs = load_located((root / KUSTOMIZATION).read_bytes(), str(root / KUSTOMIZATION))
    if len(docs) != 1:
        raise UsageError(f"{root / KUSTOMIZATION} holds {len(docs)} YAML documents, not one")
    [doc] = docs
    listed = doc.get("resources") if isinstance(doc, dict) else None
    if not isinstance(listed, list) or not all(isinstance(p, str) for p in listed):
        raise UsageError(f"{root / KUSTOMIZATION} lists no resources")
    return listed


def read_objects(folder: Path, env: str) -> list[dict[str, Any]]:
    """Every Kubernetes object the environment's kustomization lists, in its order."""
    root = environment_folder(folder, env).resolve()
    objects: list[dict[str, Any]] = []
    for name in _resources(root):
        path = (root / name).resolve()
        if root not in path.parents or not path.is_file():
            raise UsageError(f"{root / KUSTOMIZATION} lists {name!r}, which is not a file inside {root}")
        docs = load_located(path.read_bytes(), str(path))
        for doc in docs:
            if not (isinstance(doc, dict) and isinstance(doc.get("kind"), str) and isinstance(doc.get("metadata"), dict)):
                raise UsageError(f"{path} holds a document that is not a Kubernetes object")
            objects.append(doc)
    return objects
