"""The docs use case: a validated blueprint -> the files of its static HTML site.

Collects, as plain data, the module catalog (owners, interfaces, versions, replicas per
environment), the dependency graph of every environment, the SLOs with their burn-rate alert
thresholds, the environments with their promotion rules, and the profile's controls, Rego rules
and waivers (reviewed as of ``at``); ``render.site.site_files`` turns that into pages. Pure but for
compiling the blueprint's Rego folders; called by ``buttress docs``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from buttress.app.check import policy_set
from buttress.app.validate import Validated
from buttress.model.graph import Graph
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment, ResolvedModule
from buttress.policy import waivers
from buttress.policy.catalog import BY_ID, for_profile
from buttress.policy.catalog_doc import FRAMEWORKS
from buttress.render.common.labels import oncall, owner
from buttress.render.common.promotion import promotion_rules
from buttress.render.graph import graph_data
from buttress.render.signals.slo import number, slos_of
from buttress.render.site import site_files
from buttress.secrets import redact_text


def _replicas(module: ResolvedModule) -> str:
    replicas = module.spec.scaling.replicas if module.spec.scaling else None
    if module.kind in ("job", "cronjob"):
        return "one pod per run"
    if replicas is None or (replicas.min is None and replicas.max is None):
        return "1"
    low, high = replicas.min if replicas.min is not None else 1, replicas.max
    return f"{low}" if high is None or high == low else f"{low}–{high}"


def _module(bp: Blueprint, validated: Validated, env: Environment, graph: Graph, name: str) -> dict[str, Any]:
    m = env.modules[name]
    spec = m.spec
    consumers: dict[str, list[str]] = {}
    for e in graph.incoming(name):
        consumers.setdefault(e.interface or "", []).append(e.consumer)
    state = spec.state
    backup = state.backup if state else None
    return {
        "name": name, "kind": m.kind, "description": spec.description,
        "owner": owner(bp, m), "oncall": oncall(bp, m),
        "image": str(spec.image) if spec.image else "—",
        "classification": spec.data.classification if spec.data else None,
        "schedule": str(spec.schedule) if spec.schedule else None,
        "state": (f"{state.volume or 'volume'}" + (f"; backup {backup.schedule}, RPO {backup.rpo}, RTO {backup.rto}"
                                                    if backup else "; no backup")) if state else None,
        "provides": [{"name": i, "version": str(p.version), "protocol": p.protocol, "port": p.port,
                      "exposure": p.exposure, "auth": p.auth or "none", "consumers": sorted(set(consumers.get(i, [])))}
                     for i, p in (spec.provides or {}).items()],
        "consumes": [{"target": e.target, "interface": e.interface, "external": e.external,
                      "range": str(e.range) if e.range else None, "compatible": e.compatible,
                      "provider_version": str(e.provider_version) if e.provider_version else None}
                     for e in graph.outgoing(name)],
        "replicas": {n: _replicas(validated.environments[n].modules[name]) for n in validated.environments},
        "slos": bool(slos_of(env, m)),  # what slos.html lists: a window alone, or a cron job's slo, is none
    }


def _slos(env: Environment) -> list[dict[str, Any]]:
    out = []
    for name, module in env.modules.items():
        for i, slo in enumerate(slos_of(env, module)):
            factors = slo.factors()
            out.append({
                "module": name, "first": i == 0, "name": slo.name, "objective": number(slo.objective * 100),
                "window": slo.window_text, "budget": number(slo.error_budget * 100),
                "threshold": str(slo.threshold) if slo.threshold else None,
                "page": ", ".join(f"{number(f)}× over {t.long} and {t.short}" for t, f in factors if t.severity == "page"),
                "ticket": ", ".join(f"{number(f)}× over {t.long} and {t.short}" for t, f in factors
                                    if t.severity == "ticket"),
            })
    return out


def _environments(bp: Blueprint) -> list[dict[str, Any]]:
    out = []
    for rules in promotion_rules(bp):
        env = bp.spec.environments[rules["name"]]
        overrides = (bp.document.data["environments"][rules["name"]] or {}).get("overrides") or {}
        out.append({**rules, "namespace": str(env.namespace), "region": env.region,
                    "overrides": {m: sorted(keys or {}) for m, keys in overrides.items()}})
    return out


def _controls(bp: Blueprint, at: dt.date) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    frameworks = list(dict.fromkeys(str(f) for f in bp.spec.compliance.frameworks)) or list(FRAMEWORKS)
    controls = [{"id": c.id, "severity": c.severity, "title": c.title, "fix": c.fix,
                 "references": [c.mappings.as_dict()[fw] for fw in frameworks]}
                for c in for_profile(bp.spec.policies.profile)]
    policies = policy_set(bp)
    folder = str(Path(bp.file).parent)
    rules = [{"id": f"rego:{rule}", "definition": f"{Path(file.display).relative_to(folder).as_posix()}:{line}"
              if Path(file.display).is_relative_to(folder) else f"{Path(file.display).name}:{line}"}
             for rule, (file, line) in sorted((policies.rules() if policies else {}).items())]
    known = set(BY_ID) | {r["id"] for r in rules}
    listed = {c["id"] for c in controls} | {r["id"] for r in rules}
    reviewed = [{"control": w.spec.control, "linked": w.spec.control in listed, "modules": list(w.spec.modules),
                 "environments": list(w.spec.environments or []), "reason": redact_text(w.spec.reason),
                 "approvedBy": redact_text(w.spec.approved_by),
                 "ticket": redact_text(w.spec.ticket) if w.spec.ticket else None, "expires": w.spec.expires.isoformat(),
                 "valid": w.valid, "problems": list(w.problems)}
                for w in waivers.review(bp, at, known)]
    return controls, rules, reviewed


def _graphs(validated: Validated, externals: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for name, env in validated.environments.items():
        data = graph_data(env, validated.graphs[name], externals)
        same = next((g["environment"] for g in out if not g.get("same_as")
                     and {**g, "environment": name} == {**data, "environment": name}), None)
        out.append({**data, "same_as": same} if same else data)
    return out


def site(validated: Validated, at: dt.date) -> dict[str, Any]:
    """The site's content as plain data."""
    bp = validated.blueprint
    first = next(iter(validated.environments))
    env, graph = validated.environments[first], validated.graphs[first]
    externals = {n: x.model_dump(by_alias=True, exclude_none=True) for n, x in bp.spec.externals.items()}
    controls, rules, reviewed = _controls(bp, at)
    frameworks = list(dict.fromkeys(str(f) for f in bp.spec.compliance.frameworks))
    slos = _slos(env)
    return {
        "name": str(bp.spec.name), "description": bp.spec.description, "owner": bp.spec.owner, "oncall": bp.spec.oncall,
        "file": Path(bp.file).name, "digest": bp.digest, "at": at.isoformat(),
        "frameworks": frameworks, "framework_titles": [FRAMEWORKS[f] for f in frameworks or FRAMEWORKS],
        "regions": list(bp.spec.compliance.regions or []), "registries": list(bp.spec.compliance.registries or []),
        "externals": [{"name": n, "endpoint": x.endpoint, "classification": x.classification,
                       "consumers": sorted({e.consumer for e in graph.edges if e.target == n})}
                      for n, x in bp.spec.externals.items()],
        "modules": [_module(bp, validated, env, graph, name) for name in env.modules],
        "edges": len(graph.edges),
        "graphs": _graphs(validated, externals),
        "slo_environment": first, "slos": slos, "slo_count": len(slos),
        "without_slo": [n for n, m in env.modules.items() if m.long_running and not slos_of(env, m)],
        "environments": _environments(bp),
        "profile": bp.spec.policies.profile, "controls": controls, "rules": rules, "waivers": reviewed,
    }


def docs_files(validated: Validated, at: dt.date | None = None) -> dict[str, bytes]:
    """Every file of the site (``index.html`` first), as of ``at`` (default today) for waiver review."""
    return site_files(site(validated, at or dt.date.today()))
