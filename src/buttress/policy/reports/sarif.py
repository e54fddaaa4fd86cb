"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning.

One run; every evaluated control is a rule carrying its title, explanation, fix and framework
mappings (as tags and properties); every finding a result located in the blueprint; waived
findings carry an accepted external suppression with the waiver's justification.
"""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

from buttress.policy.catalog import BY_ID, Control
from buttress.policy.findings import Finding, Location
from buttress.policy.results import CheckReport

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/buttress-dev/buttress"
_LEVEL = {"error": "error", "warning": "warning"}
_SECURITY_SEVERITY = {"error": "8.0", "warning": "4.0"}


SRCROOT = "%SRCROOT%"
"""The base of relative artifact URIs: the folder ``buttress check`` ran in (the repository's checkout in
CI), so that code scanning maps a finding to its file whatever the runner's absolute paths are."""


def _artifact(file: str, root: Path) -> dict[str, str]:
    """Where a finding's file is: relative to ``root`` when it lies inside it, else an absolute file URI."""
    path = Path(os.path.normpath(root / file))
    try:
        return {"uri": urllib.parse.quote(path.relative_to(root).as_posix()), "uriBaseId": SRCROOT}
    except ValueError:
        return {"uri": path.as_uri()}


def _control_rule(c: Control) -> dict[str, Any]:
    mappings = c.mappings.as_dict()
    tags = ["security", *(f"{fw}:{ref}" for fw, refs in mappings.items() for ref in refs)]
    refs = "\n".join(f"- {fw}: {', '.join(r)}" for fw, r in mappings.items() if r)
    return {
        "id": c.id,
        "name": "".join(part.capitalize() for part in c.id.split("-")),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.explanation},
        "help": {"text": f"{c.explanation}\n\nFix: {c.fix}",
                 "markdown": f"{c.explanation}\n\n**Fix:** {c.fix}\n\n**Mappings**\n\n{refs}"},
        "defaultConfiguration": {"level": _LEVEL[c.severity]},
        "properties": {"tags": tags, "profiles": list(c.profiles), "scope": c.scope, "mappings": mappings,
                       "security-severity": _SECURITY_SEVERITY[c.severity]},
    }


def _rego_rule(rule_id: str, severity: str, where: Location | None) -> dict[str, Any]:
    text = f"Organisation policy {rule_id.removeprefix('rego:')}"
    if where is not None:
        text += f", defined at {where.file}:{where.line}"
    return {"id": rule_id, "name": rule_id.removeprefix("rego:").replace(".", "/"),
            "shortDescription": {"text": text}, "help": {"text": text},
            "defaultConfiguration": {"level": _LEVEL[severity]},
            "properties": {"tags": ["security", "organisation-policy"],
                           "security-severity": _SECURITY_SEVERITY[severity]}}


def _rules(report: CheckReport) -> list[dict[str, Any]]:
    ids = [c.id for c in report.controls]
    for f in report.findings:
        if f.control not in ids:
            ids.append(f.control)
    for rule_id in report.rules:
        if rule_id not in ids:
            ids.append(rule_id)
    severities = {f.control: f.severity for f in report.findings}
    out = []
    for rule_id in ids:
        control = BY_ID.get(rule_id)
        if control is not None:
            out.append(_control_rule(control))
        else:
            severity = severities.get(rule_id, "warning" if ".warn" in rule_id else "error")
            out.append(_rego_rule(rule_id, severity, report.rules.get(rule_id)))
    return out


def _result(f: Finding, index: dict[str, int], root: Path) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.control,
        "ruleIndex": index[f.control],
        "level": _LEVEL[f.severity],
        "message": {"text": f.message},
        "properties": {"environment": f.environment, "module": f.module},
        "partialFingerprints": {"buttress/v1": f"{f.environment}/{f.module}/{f.control}/{f.message}"},
    }
    if f.object is not None:
        result["properties"]["object"] = {"kind": f.object.kind, "name": f.object.name}
    if f.location is not None:
        result["locations"] = [{"physicalLocation": {
            "artifactLocation": _artifact(f.location.file, root),
            "region": {"startLine": f.location.line, "startColumn": f.location.column}}}]
    if f.waived and f.waiver is not None:
        w = f.waiver
        justification = f"{w.reason} (approved by {w.approved_by}, expires {w.expires.isoformat()}"
        justification += f", ticket {w.ticket})" if w.ticket else ")"
        result["suppressions"] = [{"kind": "external", "state": "accepted", "justification": justification}]
    return result


def render(report: CheckReport, *, color: bool = False) -> str:
    """One SARIF log."""
    rules = _rules(report)
    index = {r["id"]: i for i, r in enumerate(rules)}
    root = Path.cwd()
    results = [_result(f, index, root) for f in report.findings]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "buttress", "informationUri": INFORMATION_URI,
                                "semanticVersion": _version(), "rules": rules}},
            "automationDetails": {"id": f"buttress/check/{report.blueprint}/"},
            "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
            "results": results,
            "properties": {"blocked": report.blocked, "at": report.at.isoformat()},
        }],
    }
    return json.dumps(log, indent=2) + "\n"


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("buttress")
    except PackageNotFoundError:
        return "0.0.0"
