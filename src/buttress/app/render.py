"""The render use case: a validated blueprint -> the bundle of every file of one or all environments.

Per environment ``<env>/``: one YAML file per Kubernetes object (``<module>/<kind>-<name>.yaml``,
namespace-wide objects at the top), the files of every renderer in ``EXTRA_RENDERERS`` (monitoring,
dashboards, runbooks; their paths are relative to the environment folder), and a
``kustomization.yaml`` listing every resource file. Given the check report of the environment, it
also holds the compliance evidence (``compliance/report.md`` and ``.json``, from ``app.evidence``;
not resources). The bundle ends with ``bundle.json``. Pure: writing is
``buttress.render.bundle.write_atomic``'s job. ``render_checked`` runs the check first and renders
only when no environment is blocked (``buttress render``'s contract). Called by ``buttress render``,
``buttress diff`` and the release flow.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from buttress.app.check import check
from buttress.app.evidence import evidence_files
from buttress.app.validate import Validated
from buttress.errors import UsageError
from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment
from buttress.model.suggest import did_you_mean
from buttress.policy.results import CheckReport
from buttress.render.bundle import Bundle
from buttress.render.dashboards import render_dashboards
from buttress.render.kubernetes import MODULE_ANNOTATION, render_objects
from buttress.render.kubernetes.kustomization import KUSTOMIZATION, kustomization
from buttress.render.monitoring import render_monitoring
from buttress.render.runbooks import render_runbooks
from buttress.render.yamlio import dump

Renderer = Callable[[Blueprint, Environment, Graph], dict[str, bytes]]

EXTRA_RENDERERS: list[Renderer] = [render_monitoring, render_dashboards, render_runbooks]
"""Renderers whose files join each environment's folder (appended to by the observe renderers)."""

_OBJECT_FILE = re.compile(rb"^apiVersion:\s*\S", re.MULTILINE)
_KIND_LINE = re.compile(rb"^kind:\s*\S", re.MULTILINE)


def object_path(obj: dict[str, Any]) -> str:
    """Where an object is written inside its environment folder: ``<module>/<kind>-<name>.yaml``."""
    meta = obj["metadata"]
    module = (meta.get("annotations") or {}).get(MODULE_ANNOTATION)
    name = f"{obj['kind'].lower()}-{meta['name']}.yaml"
    return f"{module}/{name}" if module else name


def is_resource(path: str, content: bytes) -> bool:
    """Whether an extra renderer's file holds Kubernetes objects (listed in the kustomization)."""
    return path.endswith((".yaml", ".yml")) and bool(_OBJECT_FILE.search(content)) \
        and bool(_KIND_LINE.search(content))


def canonical(env: Environment, graph: Graph) -> tuple[Environment, Graph]:
    """``env`` and ``graph`` with modules in name order and edges grouped by consumer in that order
    (each consumer's ``consumes`` order kept: a list's order is meaning). Renderers that follow
    the order they are given then write the same bytes whatever the blueprint's mapping order."""
    modules = dict(sorted(env.modules.items()))
    edges = tuple(sorted(graph.edges, key=lambda e: (e.consumer, e.index)))
    return replace(env, modules=modules), replace(graph, modules=tuple(sorted(graph.modules)), edges=edges)


def environment_files(bp: Blueprint, env: Environment, graph: Graph) -> dict[str, bytes]:
    """Every file of one environment, paths relative to its folder."""
    return rendered_environment(bp, env, graph)[0]


def rendered_environment(bp: Blueprint, env: Environment, graph: Graph) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """``environment_files`` and the Kubernetes objects written (which the compliance evidence names)."""
    env, graph = canonical(env, graph)
    files: dict[str, bytes] = {}
    objects = render_objects(bp, env, graph)
    for obj in objects:
        path = object_path(obj)
        if path in files:
            raise AssertionError(f"two rendered objects share the file {path}")
        files[path] = dump(obj).encode()
    resources = list(files)
    for renderer in EXTRA_RENDERERS:
        for path, content in sorted(renderer(bp, env, graph).items()):
            if path in files or path == KUSTOMIZATION:
                raise AssertionError(f"renderer {renderer.__name__} writes {path}, which is already rendered")
            files[path] = content
            if is_resource(path, content):
                resources.append(path)
    files[KUSTOMIZATION] = kustomization(resources)
    return files, objects


def require_environment(validated: Validated, env_name: str) -> None:
    """Refuse (as a usage error, with a suggestion) an environment the validation did not resolve."""
    if env_name not in validated.environments:
        names = list(validated.environments)
        raise UsageError(f"environment {env_name!r} is not in the blueprint{did_you_mean(env_name, names)}"
                         f" (environments: {', '.join(names)})")


Rendered = tuple[dict[str, bytes], list[dict[str, Any]]]
"""One environment's files and the Kubernetes objects among them (``rendered_environment``)."""


def _rendered(validated: Validated, env_names: list[str]) -> dict[str, Rendered]:
    out = {}
    for name in env_names:
        require_environment(validated, name)
        out[name] = rendered_environment(validated.blueprint, validated.environments[name], validated.graphs[name])
    return out


def _bundle(validated: Validated, rendered: dict[str, Rendered], report: CheckReport | None) -> Bundle:
    """The bundle of the rendered environments (each under ``<env>/``), with ``bundle.json``; with the
    compliance evidence of every environment that ``report`` (their check) covers."""
    files: dict[str, bytes] = {}
    for env_name, (env_files, objects) in rendered.items():
        env_files = dict(env_files)
        if report is not None and env_name in report.environments:
            evidence = evidence_files(report, validated, env_name, objects)
            clash = sorted(evidence.keys() & env_files.keys())
            if clash:
                raise AssertionError(f"the compliance evidence overwrites rendered files: {clash}")
            env_files.update(evidence)
        files.update({f"{env_name}/{path}": content for path, content in env_files.items()})
    return Bundle(files).with_manifest()


def render_environments(validated: Validated, env_names: list[str], report: CheckReport | None = None) -> Bundle:
    """The bundle of ``env_names`` (each under ``<env>/``), with ``bundle.json``; with the
    compliance evidence of every environment that ``report`` (their check) covers."""
    return _bundle(validated, _rendered(validated, env_names), report)


def render_environment(validated: Validated, env_name: str, report: CheckReport | None = None) -> Bundle:
    """The bundle of one environment: ``<env>/...`` and ``bundle.json`` (and its evidence, given ``report``)."""
    return render_environments(validated, [env_name], report)


def render_all(validated: Validated) -> Bundle:
    """The bundle of every environment the validation resolved."""
    return render_environments(validated, list(validated.environments))


def render_checked(validated: Validated, env_names: list[str], at: dt.date | None = None, *,
                   cache: Path | None = None) -> tuple[CheckReport, Bundle | None]:
    """Check ``env_names`` as of ``at`` (default today), then render them — only when none is blocked.

    Returns the check report and the bundle (with each environment's compliance evidence from that
    report), or ``None`` for the bundle when an environment is blocked: a blocked render produces
    nothing at all, not even the environments that pass. An unwaived inline secret blocks even an
    advisory environment: its value would be written into the manifests.
    ``cache`` is the Rego verdict cache folder ``check`` keeps between runs (None: none).
    """
    rendered = _rendered(validated, env_names)  # once: the check judges the very objects that are written
    report = check(validated, env_names, at, cache=cache, objects=lambda name: rendered[name][1], writing=True)
    if report.blocked:
        return report, None
    return report, _bundle(validated, rendered, report)
