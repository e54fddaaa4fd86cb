"""What can still be checked of a blueprint whose file fails its schema, so that one run reports
those mistakes together with the schema errors: for every environment, each module's references
(``consumes``, ``capacity.calls``, ``queue.from``), scenario loads, and the kind rules of each
module that merges into a valid one.

Called by ``model.parse`` only. It reads the plain data, and stays silent wherever a part it
needs is malformed or may be missing because of a schema error (a module whose pattern did not
load, a module or environment holding unknown keys): it reports nothing the schema errors cause.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from buttress.errors import Problem
from buttress.model.diagnostics import allowed_keys
from buttress.model.graph import module_references, reference, scenario_references
from buttress.model.parse import Pattern, Raw
from buttress.model.resolve import ResolvedModule, merged_module, required_fields, typed
from buttress.model.source import Document
from buttress.model.spec import BlueprintSpec, EnvironmentSpec, ModuleSpec

_MODULE_KEYS = frozenset(allowed_keys(ModuleSpec))
_UNTYPED = ModuleSpec()


def salvage(doc: Document, patterns: Mapping[str, Pattern]) -> list[Problem]:
    """The problems of every environment that the schema errors of ``doc`` leave checkable."""
    top = Raw(doc.data if isinstance(doc.data, dict) else {}, BlueprintSpec)
    modules, envs, externals, defaults = (top.section(k) for k in ("modules", "environments", "externals", "defaults"))
    if modules is None or envs is None or externals is None or defaults is None:
        return []
    scenarios = top.section("scenarios")
    loads = {} if scenarios is None else {
        name: list(s["load"]) for name, s in scenarios.items() if isinstance(s, dict) and isinstance(s.get("load"), dict)}
    problems: list[Problem] = []
    for env_name, env in envs.items():
        overrides = {} if env is None else Raw(env, EnvironmentSpec).section("overrides") if isinstance(env, dict) else None
        if overrides is None:
            continue
        merged = {name: _merged(doc, patterns, env_name, name, own, defaults, overrides) for name, own in modules.items()}
        provided = {name: _interfaces(module) for name, module in merged.items()}
        for module in merged.values():
            if module is not None:
                problems += _module_problems(module, externals, provided)
        problems += scenario_references(doc, loads, provided)
    return problems


def _merged(doc: Document, patterns: Mapping[str, Pattern], env_name: str, name: str, own: Any,
            defaults: dict[str, Any], overrides: dict[str, Any]) -> ResolvedModule | None:
    """The module merged for the environment (typed when it is valid), or None when it cannot be relied on."""
    override = overrides.get(name)
    if not isinstance(own, dict) or (name in overrides and not isinstance(override, dict)):
        return None
    data, layers = merged_module(doc, patterns, env_name, name, own, defaults, override)
    extends = data.get("extends")
    if (extends is not None and not (isinstance(extends, str) and extends in patterns)) or not set(data) <= _MODULE_KEYS:
        return None
    return typed(name, data, layers, []) or ResolvedModule(name, _UNTYPED, data, layers)


def _interfaces(module: ResolvedModule | None) -> Collection[str] | None:
    """The module's interface names; None when they cannot be known."""
    if module is None:
        return None
    provides = module.data.get("provides")
    return () if provides is None else list(provides) if isinstance(provides, dict) else None


def _module_problems(module: ResolvedModule, externals: Collection[str], provided: Mapping[str, Collection[str] | None]
                     ) -> list[Problem]:
    data = module.data
    problems = required_fields(module) if module.spec is not _UNTYPED else []
    consumes = data.get("consumes")
    entries = consumes if isinstance(consumes, list) else []
    broken = []
    for i, ref in enumerate(entries):
        if isinstance(ref, str):
            found = reference(ref, externals, provided)
            if isinstance(found, str):
                problems.append(module.problem(("consumes", i), found))
                broken.append(ref)
    capacity, queue = data.get("capacity"), data.get("queue")
    calls = capacity.get("calls") if isinstance(capacity, dict) else None
    queue_from = queue.get("from") if isinstance(queue, dict) else None
    well_formed = consumes is None or (isinstance(consumes, list) and all(isinstance(r, str) for r in consumes))
    problems += module_references(module, entries if well_formed else [],
                                  calls if isinstance(calls, dict) and well_formed else {},
                                  queue_from if isinstance(queue_from, str) else None, externals, broken)
    return problems
