"""``--format junit``: JUnit XML for Jenkins and GitLab.

One test suite per environment; one test case per finding (a failure when it is an unwaived
error or warning, skipped with the waiver's justification when waived), and one passing test
case per evaluated control that found nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from buttress.policy.findings import Finding
from buttress.policy.results import CheckReport, EnvironmentResult


def _case(suite: ET.Element, env: str, f: Finding) -> None:
    case = ET.SubElement(suite, "testcase", classname=f"{env}.{f.module or 'environment'}", name=f.control)
    where = f"{f.location.file}:{f.location.line}:{f.location.column}" if f.location else ""
    if f.waived and f.waiver is not None:
        ET.SubElement(case, "skipped", message=f"waived: {f.waiver.reason} (approved by {f.waiver.approved_by}, "
                                               f"expires {f.waiver.expires.isoformat()})")
    else:
        node = ET.SubElement(case, "failure", message=f.message, type=f.severity)
        node.text = f"{where}: {f.severity}: {f.message}" if where else f.message


def _suite(root: ET.Element, report: CheckReport, env: EnvironmentResult) -> None:
    found = {f.control for f in env.findings}
    passed = [c.id for c in report.controls if c.id not in found and c.check is not None]
    failures = sum(not f.waived for f in env.findings)
    skipped = sum(f.waived for f in env.findings)
    suite = ET.SubElement(root, "testsuite", name=f"buttress check {env.name}",
                          tests=str(len(env.findings) + len(passed)), failures=str(failures), errors="0",
                          skipped=str(skipped))
    for f in env.findings:
        _case(suite, env.name, f)
    for control_id in passed:
        ET.SubElement(suite, "testcase", classname=f"{env.name}.controls", name=control_id)


def render(report: CheckReport, *, color: bool = False) -> str:
    """One JUnit XML document."""
    root = ET.Element("testsuites", name=f"buttress check {report.blueprint}")
    for env in report.environments.values():
        _suite(root, report, env)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
