"""Compliance evidence of one environment: for each framework in ``compliance.frameworks``, each
mapped reference and the built-in controls implementing it, with status, modules and evidence.

``evidence_files(report, validated, env_name)`` joins a finished check (``app.check``) with the
control catalog's framework mappings and the environment's rendered Kubernetes objects, and returns
``compliance/report.md`` and ``compliance/report.json`` (paths relative to the environment folder).
A control is ``fail`` when a finding stands unwaived, ``waived`` when every finding is waived (the
waiver's reason, approver, expiry and ticket are listed), ``not applicable`` when it was not
evaluated here (not in the profile, no rendered object of its kinds, no waivers, or computed by
another command) and ``pass`` otherwise. Evidence names blueprint lines (relative to the blueprint's
folder) and rendered files. Pure; called by the render flow after ``check``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from buttress.app.validate import Validated
from buttress.model.parse import Blueprint
from buttress.model.resolve import Environment
from buttress.model.source import KeyPath
from buttress.policy.catalog import CATALOG, Control
from buttress.policy.catalog.kube import WORKLOAD_KINDS, module_of, ref
from buttress.policy.catalog_doc import FRAMEWORKS
from buttress.policy.findings import Finding, Location, WaiverRef
from buttress.policy.results import CheckReport
from buttress.render.compliance import STATUSES, report_files
from buttress.render.kubernetes import render_objects
from buttress.render.kubernetes.kustomization import KUSTOMIZATION

_DIGITS = re.compile(r"(\d+)")


@dataclass(frozen=True)
class RenderedFile:
    """One rendered Kubernetes object's file in the environment folder."""

    path: str
    kind: str
    name: str
    module: str | None


def _rendered(bp: Blueprint, env: Environment, validated: Validated,
              objects: list[dict[str, Any]] | None) -> list[RenderedFile]:
    """The files of the environment's Kubernetes objects: ``objects`` as the render wrote them, or
    (None) rendered again here."""
    # app.render imports this module to wire the report in; import its path rule late to avoid a cycle.
    from buttress.app.render import object_path

    if objects is None:
        objects = render_objects(bp, env, validated.graphs[env.name])
    out = []
    for o in objects:
        at = ref(o)
        out.append(RenderedFile(object_path(o), at.kind, at.name, module_of(o)))
    return out


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key putting ``CC6.2`` before ``CC6.10``."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in _DIGITS.split(text) if p)


class _Where:
    """Blueprint positions as ``file:line``, the file relative to the blueprint's folder."""

    def __init__(self, bp: Blueprint) -> None:
        self.bp = bp
        self.folder = Path(bp.folder).absolute()
        self.cache: dict[str, str] = {}

    def file(self, name: str) -> str:
        if name not in self.cache:
            path = Path(name).absolute()
            self.cache[name] = path.relative_to(self.folder).as_posix() if path.is_relative_to(self.folder) \
                else path.name
        return self.cache[name]

    def location(self, loc: Location | None) -> str | None:
        return f"{self.file(loc.file)}:{loc.line}" if loc is not None else None

    def key(self, path: KeyPath, *, key: bool = True) -> str:
        mark = self.bp.document.locate(path, key=key)
        return f"{self.file(mark.file)}:{mark.line}"


def _status(findings: list[Finding]) -> str:
    if any(not f.waived for f in findings):
        return "fail"
    return "waived" if findings else "pass"


def _finding(f: Finding, where: _Where, paths: dict[tuple[str, str], str]) -> dict[str, Any]:
    return {"module": f.module, "severity": f.severity, "message": f.message,
            "location": where.location(f.location), "waived": f.waived,
            "rendered": paths.get((f.object.kind, f.object.name)) if f.object is not None else None,
            "waiver": _waiver(f.waiver, where) if f.waiver is not None else None}


def _waiver(w: WaiverRef, where: _Where) -> dict[str, Any]:
    return {"reason": w.reason, "approvedBy": w.approved_by, "expires": w.expires.isoformat(), "ticket": w.ticket,
            "location": where.location(w.location)}


LookedAt = tuple[list[str], list[dict[str, Any]], list[str]]
"""The modules a control looked at, the evidence of what it read, and the kinds of the files it read."""


class _Evidence:
    """What each control looked at in one environment: modules, blueprint lines, rendered files."""

    def __init__(self, bp: Blueprint, env: Environment, files: list[RenderedFile], where: _Where) -> None:
        self.bp, self.env, self.where = bp, env, where
        self.files = files
        self.by_module: dict[str | None, list[RenderedFile]] = defaultdict(list)
        for f in files:
            self.by_module[f.module].append(f)
        self.kinds = {f.kind for f in files}
        self.order = {m: i for i, m in enumerate(env.modules)}
        self.lines = {m: [where.key(("modules", m))] for m in env.modules}
        self.entries: dict[tuple[str | None, frozenset[str] | None], dict[str, Any]] = {}
        self.entry_kinds: dict[int, frozenset[str]] = {}
        """``id`` of an entry -> the kinds of its files (none for namespace-wide objects)."""
        self.looked_at: dict[tuple[str, frozenset[str] | None], LookedAt] = {}
        """What ``of`` gave for a scope and kinds."""

    def module_entry(self, module: str | None, kinds: frozenset[str] | None = None) -> dict[str, Any]:
        """A module's definition line and its rendered files of ``kinds`` (None: all). Built once
        per module and kinds: the controls reading the same kinds share it (never changed)."""
        key = (module, kinds)
        entry = self.entries.get(key)
        if entry is None:
            files = [f for f in self.by_module[module] if kinds is None or f.kind in kinds]
            entry = self.entries[key] = {"module": module, "blueprint": self.lines[module] if module is not None else [],
                                         "rendered": [f.path for f in files]}
            self.entry_kinds[id(entry)] = frozenset(f.kind for f in files) if module is not None else frozenset()
        return entry

    def kinds_read(self, evidence: list[dict[str, Any]]) -> list[str]:
        """The kinds of the modules' rendered files in ``evidence``, sorted."""
        kinds: set[str] = set()
        for entry in evidence:
            kinds |= self.entry_kinds.get(id(entry), frozenset())
        return sorted(kinds)

    def per_module(self) -> list[dict[str, Any]]:
        """Every module's definition line and rendered files (namespace-wide objects first)."""
        owners = sorted(self.by_module, key=lambda m: -1 if m is None else self.order.get(m, len(self.order)))
        return [self.module_entry(m) for m in owners]

    def of(self, control: Control) -> LookedAt:
        """The modules a control looked at (in blueprint order), the evidence of what it read and
        its kinds (``kinds_read``). Controls of one scope and kinds share them (never changed)."""
        key = (control.scope, control.kinds)
        seen = self.looked_at.get(key)
        if seen is None:
            modules, evidence = self._of(control)
            seen = self.looked_at[key] = (sorted(modules, key=lambda m: self.order.get(m, -1)), evidence,
                                          self.kinds_read(evidence))
        return seen

    def _of(self, control: Control) -> tuple[list[str], list[dict[str, Any]]]:
        scope = control.scope
        if scope == "module":
            modules = list(self.env.modules)
            return modules, [self.module_entry(m, WORKLOAD_KINDS) for m in modules]
        if scope == "object":
            owners = sorted(self.by_module, key=lambda m: (m is not None, m or ""))
            entries = [e for e in (self.module_entry(m, control.kinds) for m in owners) if e["rendered"]]
            return [e["module"] for e in entries if e["module"] is not None], entries
        if scope == "objects":
            modules = sorted(m for m in self.by_module if m is not None)
            return modules, [{"module": None, "blueprint": [self.where.key(("environments", self.env.name))],
                              "rendered": [KUSTOMIZATION]}]
        if scope == "waivers":
            lines = [self.where.key(("policies", "waivers", i), key=False) for i, _ in enumerate(self.bp.spec.policies.waivers)]
            return [], [{"module": None, "blueprint": lines, "rendered": []}] if lines else []
        if scope == "environment":
            return [], [{"module": None, "blueprint": [self.where.key(("environments", self.env.name))],
                         "rendered": []}]
        return [], []

    def not_applicable(self, control: Control, evaluated: bool, findings: list[Finding]) -> str | None:
        """Why the control does not apply here, or None when it does."""
        if findings:
            return None
        if not evaluated:
            return f"not in the {self.bp.spec.policies.profile} profile"
        if control.scope == "object" and control.kinds is not None and not control.kinds & self.kinds:
            return f"no rendered {', '.join(sorted(control.kinds))} object in this environment"
        if control.scope == "waivers" and not self.bp.spec.policies.waivers:
            return "the blueprint declares no waivers"
        if control.scope == "supplied" and not self.bp.spec.scenarios:
            return "the blueprint declares no load scenarios to size against"
        return None


def _control(c: Control, frameworks: list[str], findings: list[Finding], evaluated: bool, ev: _Evidence,
             paths: dict[tuple[str, str], str]) -> dict[str, Any]:
    reason = ev.not_applicable(c, evaluated, findings)
    modules, evidence, kinds = ev.of(c) if reason is None else ([], [], [])
    found = {f.module for f in findings if f.module} - set(modules)
    modules = sorted({*modules, *found}, key=lambda m: ev.order.get(m, -1)) if found else list(modules)
    mapped = c.mappings.as_dict()
    waivers = {f.waiver for f in findings if f.waiver is not None}
    return {
        "id": c.id, "title": c.title, "severity": c.severity, "scope": c.scope,
        "status": "not applicable" if reason else _status(findings), "reason": reason,
        "references": {fw: mapped[fw] for fw in frameworks if mapped[fw]},
        "modules": modules,
        "findings": [_finding(f, ev.where, paths) for f in findings],
        "waivers": [_waiver(w, ev.where) for w in sorted(waivers, key=lambda w: (w.expires, w.reason))],
        "evidence": evidence,
        "evidenceKinds": kinds,
    }


def _worst(statuses: list[str]) -> str:
    """A reference's status from its controls': any fail, else any waived, else any pass."""
    for status in ("fail", "waived", "pass"):
        if status in statuses:
            return status
    return "not applicable"


def _framework(fw: str, controls: list[dict[str, Any]]) -> dict[str, Any]:
    by_ref: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in controls:
        for reference in c["references"].get(fw, []):
            by_ref[reference].append(c)
    references: list[dict[str, Any]] = [{"id": r, "status": _worst([c["status"] for c in by_ref[r]]),
                   "controls": [c["id"] for c in by_ref[r]]} for r in sorted(by_ref, key=_natural)]
    counts = {s: sum(1 for r in references if r["status"] == s) for s in STATUSES}
    return {"id": fw, "title": FRAMEWORKS[fw], "status": _worst([r["status"] for r in references]),
            "counts": counts, "references": references}


def _organisation_rules(report: CheckReport, by_control: dict[str, list[Finding]], where: _Where,
                        paths: dict[tuple[str, str], str]) -> list[dict[str, Any]]:
    out = []
    for rule, defined in sorted(report.rules.items()):
        findings = by_control.get(rule, [])
        out.append({"id": rule, "status": _status(findings), "definition": where.location(defined),
                    "modules": sorted({f.module for f in findings if f.module}),
                    "findings": [_finding(f, where, paths) for f in findings]})
    return out


def evidence_report(report: CheckReport, validated: Validated, env_name: str,
                    objects: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The evidence of one environment as plain data (the content of ``compliance/report.json``).

    ``objects`` are the environment's rendered Kubernetes objects when the caller has them (the
    render flow); without them they are rendered again, to name their files.
    """
    if env_name not in report.environments or env_name not in validated.environments:
        raise ValueError(f"environment {env_name!r} was not checked and validated together")
    bp, env, result = validated.blueprint, validated.environments[env_name], report.environments[env_name]
    frameworks = list(dict.fromkeys(str(f) for f in bp.spec.compliance.frameworks))
    where = _Where(bp)
    files = _rendered(bp, env, validated, objects)
    paths = {(f.kind, f.name): f.path for f in files}
    ev = _Evidence(bp, env, files, where)
    evaluated = {c.id for c in report.controls}
    by_control: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_control[f.control].append(f)
    controls = [_control(c, frameworks, by_control.get(c.id, []), c.id in evaluated, ev, paths) for c in CATALOG
                if any(c.mappings.as_dict()[fw] for fw in frameworks)]
    return {
        "blueprint": report.blueprint,
        "environment": env_name,
        "namespace": str(env.spec.namespace),
        "region": env.spec.region,
        "enforcement": result.enforcement,
        "profile": bp.spec.policies.profile,
        "checkedOn": report.at.isoformat(),
        "blueprintDigest": f"sha256:{bp.digest}",
        "blocked": result.blocked,
        "frameworks": [_framework(fw, controls) for fw in frameworks],
        "controls": controls,
        "organisationRules": _organisation_rules(report, by_control, where, paths),
        "moduleEvidence": ev.per_module(),
    }


def evidence_files(report: CheckReport, validated: Validated, env_name: str,
                   objects: list[dict[str, Any]] | None = None) -> dict[str, bytes]:
    """``compliance/report.md`` and ``compliance/report.json`` of one environment (relative paths;
    ``objects``: as ``evidence_report``)."""
    return report_files(evidence_report(report, validated, env_name, objects))
