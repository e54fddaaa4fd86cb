"""Resolve one environment: merge defaults -> pattern -> module -> override for every module.

Maps merge key by key; lists and scalars replace. The result keeps, for every module, the
merged plain data (the input Rego policies see), the typed ``ModuleSpec``, and a locator that
names the file and line each merged value came from. Pure: called by ``app`` and ``buttress.resolve``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from buttress.errors import BlueprintError, Problem
from buttress.model.diagnostics import problems_from
from buttress.model.parse import Blueprint, Pattern
from buttress.model.source import Document, KeyPath, Mark, format_keypath
from buttress.model.spec import EnvironmentSpec, ModuleSpec
from buttress.model.spec.module import LONG_RUNNING


def merge(base: Any, over: Any) -> Any:
    """Deep-merge ``over`` onto ``base``: maps key by key, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(base[key], value) if key in base else value
        return out
    return over


@dataclass(frozen=True)
class Layer:
    """One source of a merged module: a document and where in it the module's keys start."""

    document: Document
    prefix: KeyPath


@dataclass(frozen=True)
class ResolvedModule:
    """A module as it runs in one environment."""

    name: str
    spec: ModuleSpec
    data: dict[str, Any]
    layers: tuple[Layer, ...] = field(repr=False)
    """Highest precedence first."""

    def locate(self, *path: str | int) -> Mark:
        """Where the value at ``path`` (inside the module) was written; falls back to its parents."""
        probe: KeyPath = path
        while probe:
            for layer in self.layers:
                full = (*layer.prefix, *probe)
                if layer.document.has(full) or layer.document.key_marks.get(full):
                    return layer.document.locate(full)
            probe = probe[:-1]
        # the module as a whole: where it is declared, not an environment's override of some of its keys
        own = next((layer for layer in self.layers if layer.prefix == ("modules", self.name)), self.layers[-1])
        return own.document.locate(own.prefix)

    def problem(self, path: KeyPath, message: str) -> Problem:
        """A problem about ``path`` inside this module."""
        mark = self.locate(*path)
        return Problem(mark.file, mark.line, mark.column, message, format_keypath(("modules", self.name, *path)))

    @property
    def kind(self) -> str:
        """The module's kind (always set once resolved)."""
        return self.spec.kind or "service"

    @property
    def long_running(self) -> bool:
        """Whether the module runs continuously (service or worker)."""
        return self.kind in LONG_RUNNING


@dataclass(frozen=True)
class Environment:
    """The resolved view of one environment."""

    name: str
    spec: EnvironmentSpec
    modules: dict[str, ResolvedModule]


def resolve(bp: Blueprint, env_name: str, memo: dict[str, ResolvedModule] | None = None) -> Environment:
    """Resolve every module of ``bp`` for environment ``env_name``; ``BlueprintError`` on problems.

    ``memo`` shares the modules that no override touches between calls for several environments.
    """
    env = bp.spec.environments[env_name]
    raw = bp.document.data
    defaults = raw.get("defaults") or {}
    overrides = ((raw["environments"][env_name] or {}).get("overrides")) or {}
    modules: dict[str, ResolvedModule] = {}
    problems: list[Problem] = []
    for name, own in raw["modules"].items():
        if memo is not None and name not in overrides and name in memo:
            modules[name] = memo[name]
            continue
        merged, layers = merged_module(bp.document, bp.patterns, env_name, name, own, defaults,
                                       (overrides[name] or {}) if name in overrides else None)
        module = typed(name, merged, layers, problems)
        if module is not None:
            problems += required_fields(module)
            modules[name] = module
            if memo is not None and name not in overrides:
                memo[name] = module
    if problems:
        raise BlueprintError(problems)
    return Environment(env_name, env, modules)


def merged_module(doc: Document, patterns: Mapping[str, Pattern], env_name: str, name: str, own: dict[str, Any] | None,
                  defaults: dict[str, Any], override: dict[str, Any] | None) -> tuple[dict[str, Any], tuple[Layer, ...]]:
    """One module's plain data merged for ``env_name``, with its layers (highest precedence first).

    ``override`` is the environment's override of the module, None when it has none.
    """
    own = own or {}
    layers = [Layer(doc, ("modules", name))]
    merged = merge(defaults, own)
    pattern_name = merged.get("extends")
    pattern = patterns.get(pattern_name) if isinstance(pattern_name, str) else None
    if pattern is not None:
        merged = merge(merge(defaults, pattern.document.data.get("defaults") or {}), own)
    if override is not None:
        merged = merge(merged, override)
        layers.insert(0, Layer(doc, ("environments", env_name, "overrides", name)))
    if pattern is not None:
        layers.append(Layer(pattern.document, ("defaults",)))
    if defaults:
        layers.append(Layer(doc, ("defaults",)))
    return merged, tuple(layers)


def typed(name: str, merged: dict[str, Any], layers: tuple[Layer, ...], problems: list[Problem]) -> ResolvedModule | None:
    """The merged module validated as a ``ModuleSpec``; None, with its problems added, when it is not one."""
    try:
        spec = ModuleSpec.model_validate(merged)
    except ValidationError as exc:
        shell = ResolvedModule(name, ModuleSpec(), merged, layers)
        problems += problems_from(exc, merged, ModuleSpec, lambda p, key: shell.locate(*p[2:]), ("modules", name))
        return None
    return ResolvedModule(name, spec, merged, layers)


def required_fields(m: ResolvedModule) -> list[Problem]:
    """What a merged module must have, by kind and by what it declares (state a volume and a long-running
    kind, blue-green an interface)."""
    s = m.spec
    problems = []
    if s.kind is None:
        problems.append(m.problem(("kind",), "module has no kind: set kind to service, worker, job or cronjob "
                                  "(here, in defaults, or in its pattern)"))
        return problems
    if s.image is None:
        problems.append(m.problem((), "module has no image"))
    if s.kind == "cronjob" and s.schedule is None:
        problems.append(m.problem(("kind",), "a cronjob needs a schedule"))
    if s.kind != "cronjob" and s.schedule is not None:
        problems.append(m.problem(("schedule",), f"schedule applies to cronjobs only; this module is a {s.kind}"))
    if s.kind != "service" and s.provides:
        problems.append(m.problem(("provides",), f"a {s.kind} has no inbound interface; only services provide"))
    if s.kind == "service" and not s.provides:
        problems.append(m.problem(("kind",), "a service must provide at least one interface (or be a worker)"))
    ports: dict[int, str] = {}
    for iface_name, iface in (s.provides or {}).items():
        if iface.port in ports:
            problems.append(m.problem(("provides", iface_name, "port"),
                                      f"port {iface.port} is already used by interface {ports[iface.port]!r}"))
        ports[iface.port] = iface_name
    if s.rollout and s.rollout.strategy == "canary" and not s.rollout.steps:
        problems.append(m.problem(("rollout",), "a canary rollout needs steps (traffic percentages)"))
    if not m.long_running and s.state is not None:
        problems.append(m.problem(("state",), f"a {s.kind} runs to completion and keeps no volume; state "
                                  "applies to services and workers (keep a job's data in an external)"))
    if m.long_running and s.state is not None and s.state.volume is None:
        problems.append(m.problem(("state", "volume"), "a stateful module needs state.volume "
                                  "(the size of its volume, e.g. 20Gi)"))
    if m.long_running and s.state is None and s.rollout and s.rollout.strategy == "blue-green" and not s.provides:
        problems.append(m.problem(("rollout", "strategy"), "blue-green switches a Service between versions; "
                                  "a module without interfaces needs canary or rolling"))
    for variable in sorted(set(s.env or {}) & set(s.secrets or {})):
        problems.append(m.problem(("secrets", variable), f"{variable} is set in both env and secrets; a container "
                                  "has one value per variable: keep it in one of them"))
    return problems + _name_length(m)


def unrendered(m: ResolvedModule) -> list[Problem]:
    """Warnings for what a module declares that its kind does not render: probes a worker declares without a
    port (from a pattern written for services, say: it has no interface to probe by default), and a canary or
    blue-green rollout of a stateful module (a StatefulSet updates its pods in order, one at a time)."""
    s = m.spec
    out = []
    if m.long_running and not s.provides and s.probes is not None:
        out += [m.problem(("probes", kind), f"not rendered: a {s.kind} provides no interface to probe; give the probe "
                                            "the port its health endpoint listens on (port: 8081)")
                for kind in ("startup", "readiness", "liveness")
                if getattr(s.probes, kind) is not None and getattr(s.probes, kind).port is None]
    if m.long_running and s.state is not None and s.rollout and s.rollout.strategy in ("canary", "blue-green"):
        out.append(m.problem(("rollout", "strategy"), f"not rendered: a stateful module runs as a StatefulSet, which "
                                                      f"updates its pods one at a time; {s.rollout.strategy} applies "
                                                      "to stateless modules"))
    return out


def _name_limit(m: ResolvedModule) -> tuple[int, str] | None:
    """The longest name the objects Kubernetes derives from this module's allow (each at most 63
    characters), and why; None when 63 itself is the limit."""
    s = m.spec
    if s.kind == "cronjob":
        return 52, "Kubernetes names each Job it starts after the CronJob plus 11 characters"
    if m.long_running and s.state is not None:
        return 52, "a StatefulSet's pods carry a controller-revision-hash label of its name plus 11 characters"
    if m.long_running and s.rollout is not None and s.rollout.strategy == "blue-green":
        return 55, "blue-green adds a Service named after it plus -preview"
    return None


def _name_length(m: ResolvedModule) -> list[Problem]:
    """A module name too long for the objects Kubernetes would derive from it: they would be refused, or
    their pods never created."""
    limit = _name_limit(m)
    if limit is None or len(m.name) <= limit[0]:
        return []
    message = f"the name {m.name!r} has {len(m.name)} characters; this module's may have at most {limit[0]}: {limit[1]}"
    own = ("modules", m.name)
    for layer in m.layers:  # at the name itself, where the module is written
        if layer.prefix == own:
            mark = layer.document.locate(own, key=True)
            return [Problem(mark.file, mark.line, mark.column, message, format_keypath(own))]
    return [m.problem((), message)]
