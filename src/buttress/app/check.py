"""The check use case: every built-in control, every Rego policy, waivers and enforcement.

``check(validated, environments, at)`` evaluates, for each environment, the controls of the
blueprint's profile over the resolved modules and the graph, the rendered Kubernetes objects
(``render.kubernetes.render_objects``), the ``package blueprint`` Rego rules over the resolved
environment and the ``package main`` rules over each rendered object; then applies waivers as of
``at`` and decides, per environment, whether it blocks. Findings computed elsewhere (e.g. the
capacity planner's ``capacity-headroom``) join through ``extra_findings`` and get the same waiver
and enforcement treatment. Called by ``buttress check``, ``buttress render`` and the server.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from buttress.app.capacity_check import headroom_findings
from buttress.app.validate import Validated
from buttress.model.parse import Blueprint, inside_folder
from buttress.model.resolve import Environment, ResolvedModule
from buttress.policy import enforcement, rego_cache, waivers
from buttress.policy.catalog import BY_ID, for_profile
from buttress.policy.catalog.base import EnvContext
from buttress.policy.catalog.kube import module_of, ref
from buttress.policy.evaluate import evaluate
from buttress.policy.findings import Finding, Location
from buttress.policy.rego import PolicySet, Verdict, load_policies
from buttress.policy.results import CheckReport, EnvironmentResult
from buttress.render.kubernetes import render_objects

_WORD = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
"""Candidate module names in a message (DNS-1123 labels)."""
_TOP_LEVEL_INPUT = ("blueprint", "name", "description", "owner", "oncall", "compliance")


def policy_set(bp: Blueprint) -> PolicySet | None:
    """The blueprint's organisation policies, compiled; None when it has none."""
    folders = []
    for relative in bp.spec.policies.rego:
        target = inside_folder(bp.folder, relative)
        if target is not None:
            folders.append((target, str(Path(bp.file).parent / relative.rstrip("/"))))
    return load_policies(folders) if folders else None


def blueprint_input(bp: Blueprint, env: Environment) -> dict[str, Any]:
    """The ``package blueprint`` input for one environment (BLUEPRINT.md, Policies)."""
    raw = bp.document.data
    spec = env.spec
    return {
        "blueprint": {k: raw[k] for k in _TOP_LEVEL_INPUT if k in raw},
        "environment": {"name": env.name, "namespace": str(spec.namespace), "region": spec.region,
                        "enforcement": spec.enforcement},
        "modules": {name: _module_input(bp, m) for name, m in env.modules.items()},
        "externals": raw.get("externals") or {},
    }


def _module_input(bp: Blueprint, m: ResolvedModule) -> dict[str, Any]:
    """A module as ``package blueprint`` reads it: merged for the environment, with its kind and the owner and
    on-call rotation it inherits from the top level (a key left out where there is none, so ``not m.oncall``
    holds)."""
    out = {**m.data, "kind": m.kind}
    for key in ("owner", "oncall"):
        inherited = out.get(key) or getattr(bp.spec, key)
        if inherited:
            out[key] = inherited
    return out


def _rego_findings(bp: Blueprint, env: Environment, policies: PolicySet, objects: list[dict[str, Any]],
                   blueprint_verdicts: list[Verdict], object_verdicts: list[list[Verdict]]) -> list[Finding]:
    """Findings of one environment's ``package blueprint`` and ``package main`` verdicts, located."""
    rules = policies.rules()
    out = []
    for v in blueprint_verdicts:
        module = v.module if v.module in env.modules else _named_module(v.message, env)
        location: Location | None
        if module is not None:
            location = _module_location(bp, module)
        else:
            f, line = rules.get(f"blueprint.{v.rule}", (None, 1))
            location = Location(f.display, line, 1) if f else None
        out.append(_rego_finding(v, "blueprint", env.name, module, v.message, location=location))
    for obj, verdicts in zip(objects, object_verdicts, strict=True):
        owner = module_of(obj)
        module = owner if owner in env.modules else None
        location = _module_location(bp, module) if module else _env_location(bp, env.name)
        for v in verdicts:
            out.append(_rego_finding(v, "main", env.name, module, f"{ref(obj)}: {v.message}", location=location,
                                     obj=ref(obj)))
    return out


def _rego_finding(v: Verdict, package: str, env: str, module: str | None, message: str, *,
                  location: Location | None, obj: Any = None) -> Finding:
    return Finding(f"rego:{package}.{v.rule}", v.severity, env, module, message, location, object=obj)


def _named_module(message: str, env: Environment) -> str | None:
    """The one module a Rego message names as a word, if exactly one."""
    named = {word for word in _WORD.findall(message) if word in env.modules}
    return named.pop() if len(named) == 1 else None


def _module_location(bp: Blueprint, module: str) -> Location:
    mark = bp.document.locate(("modules", module), key=True)
    return Location(mark.file, mark.line, mark.column)


def _env_location(bp: Blueprint, env: str) -> Location:
    mark = bp.document.locate(("environments", env), key=True)
    return Location(mark.file, mark.line, mark.column)


def cache_folder(requested: Path | None, bp: Blueprint) -> Path | None:
    """Where Rego verdicts are kept between runs; None when caching is off.

    ``requested`` None turns the cache off (``--no-cache``); so does ``BUTTRESS_CACHE_DIR=off``,
    and any other value of it names the folder. A folder inside the blueprint's checkout (the
    old default, ``.buttress/cache``) is never used — a pull request could commit one — and the
    user cache folder (``rego_cache.cache_dir``) is used instead.
    """
    if requested is None:
        return None
    if os.environ.get(rego_cache.ENV_VAR, "").strip():
        return rego_cache.cache_dir()
    folder = requested.expanduser().resolve()
    return rego_cache.cache_dir() if folder == bp.folder or bp.folder in folder.parents else folder


def cache_file(folder: Path, bp: Blueprint, policies: PolicySet) -> Path:
    """The verdict file of this blueprint (by resolved path) and policy set, inside ``folder``."""
    return rego_cache.cache_file(folder, str(Path(bp.file).resolve()), policies.digest)


def _load_cache(folder: Path | None, bp: Blueprint, policies: PolicySet | None) -> None:
    if folder is not None and policies is not None:
        policies.import_cache(rego_cache.read(cache_file(folder, bp, policies), policies.digest))


def _save_cache(folder: Path | None, bp: Blueprint, policies: PolicySet | None) -> None:
    if folder is not None and policies is not None and policies.cache_changed:
        entries = policies.export_cache(rego_cache.MAX_ENTRIES)
        rego_cache.write(cache_file(folder, bp, policies), policies.digest, entries)


def check(validated: Validated, environments: list[str] | None = None, at: dt.date | None = None, *,
          fail_on_warn: bool = False, extra_findings: Iterable[Finding] = (),
          policies: PolicySet | None = None, cache: Path | None = None,
          objects: Callable[[str], list[dict[str, Any]]] | None = None, writing: bool = False) -> CheckReport:
    """Check ``environments`` (default: every validated one) as of ``at`` (default: today).

    The controls and ``package main`` policies over Kubernetes objects judge a fresh render of each
    environment, or, given ``objects`` (environment name -> its objects, e.g. read from a render on
    disk by ``app.manifests``), those objects: what will really be applied, hand edits included.

    ``extra_findings`` are findings computed elsewhere (their ``environment`` must be set); they
    are waived and enforced like the built-in ones. ``policies`` defaults to the blueprint's own.
    ``cache`` is a folder where Rego verdicts are kept between runs, signed and keyed by (policy
    digest, engine version, input digest), so that unchanged objects are not evaluated again
    (None: no persistent cache; see ``cache_folder`` for the environment and the checkout).
    ``writing``: the check gates writing the rendered files (``buttress render``), which an unwaived
    inline secret blocks in every environment (``enforcement.WRITE_STOPPERS``).
    """
    bp = validated.blueprint
    at = at or dt.date.today()
    names = environments or list(validated.environments)
    controls = for_profile(bp.spec.policies.profile)
    policies = policies if policies is not None else policy_set(bp)
    cache = cache_folder(cache, bp)
    _load_cache(cache, bp, policies)
    rules = policies.rules() if policies else {}
    known = set(BY_ID) | {f"rego:{r}" for r in rules}
    reviewed = waivers.review(bp, at, known)
    unused_reported = BY_ID["waiver-unused"] in controls
    rendered, rego = {}, {}
    try:
        # Rego starts first and runs in the background (worker processes, when large) while this
        # process renders and runs the built-in controls: the blueprint package needs no render.
        inputs = [blueprint_input(bp, validated.environments[name]) for name in names]
        on_blueprint = functools.cache(policies.submit("blueprint", inputs)) if policies is not None else None
        for name in names:
            env, graph = validated.environments[name], validated.graphs[name]
            rendered[name] = objects(name) if objects is not None else render_objects(bp, env, graph)
            if policies is not None:
                rego[name] = policies.submit("main", rendered[name])
        extra = list(extra_findings)
        extra += [f for name in names for f in headroom_findings(validated, name)]
        results = {}
        for name in names:
            env, graph = validated.environments[name], validated.graphs[name]
            found = evaluate(EnvContext(bp, env, graph), controls, rendered[name])
            if policies is not None and on_blueprint is not None:  # both or neither
                found += _rego_findings(bp, env, policies, rendered[name], on_blueprint()[names.index(name)],
                                        rego[name]())
            found += [f for f in extra if f.environment == name]
            mode = env.spec.enforcement
            found = waivers.apply(found, reviewed, name, honoured=enforcement.honours_waivers(mode),
                                  report_unused=unused_reported)
            found.sort(key=Finding.sort_key)
            blocked = bool(enforcement.blocking(found, mode, fail_on_warn=fail_on_warn, writing=writing))
            results[name] = EnvironmentResult(name, mode, blocked, found)
    finally:
        if policies is not None:
            policies.close()
    _save_cache(cache, bp, policies)
    rule_locations = {f"rego:{r}": Location(f.display, line, 1) for r, (f, line) in rules.items()}
    return CheckReport(str(bp.spec.name), bp.file, at, results, controls, rule_locations)
