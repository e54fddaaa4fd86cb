"""The compliance evidence report of one environment as files: ``compliance/report.md`` (Jinja2)
and ``compliance/report.json``.

Takes the report as plain data (built by ``buttress.app.evidence``, which joins the check's
findings with the control catalog and the rendered files); knows nothing of controls itself.
Pure and deterministic; called by ``app.evidence.evidence_files``.
"""

from __future__ import annotations

from typing import Any

from buttress.render.common.cells import cell
from buttress.render.common.jsonlines import compact, compact_with, json_lines
from buttress.render.common.templates import templates

REPORT_MD = "compliance/report.md"
REPORT_JSON = "compliance/report.json"
STATUSES = ("pass", "fail", "waived", "not applicable")
"""Every status a control, a framework reference or an organisation rule can have, best first."""

_TEMPLATES = templates("buttress.render.compliance")


def _ticked(names: list[str]) -> str:
    """Names as code, comma-separated (one join: the lists of every module are long)."""
    return ", ".join(f"`{name}`" for name in names)


_TEMPLATES.filters["cell"] = cell
_TEMPLATES.filters["ticked"] = _ticked


def report_markdown(report: dict[str, Any]) -> str:
    """The Markdown report for auditors."""
    titles = {fw["id"]: fw["title"] for fw in report["frameworks"]}
    return _TEMPLATES.get_template("report.md.j2").render(report=report, statuses=STATUSES, titles=titles)


def report_json(report: dict[str, Any]) -> bytes:
    """The machine-readable report: one top-level key, and one list item, per line (stable key order).

    Controls that look at the same things hold the same evidence entries (every module's workloads, say):
    each distinct evidence list is written once, and spliced into every control holding it.
    """
    written: dict[tuple[int, ...], str] = {}

    def control(c: dict[str, Any]) -> str:
        key = tuple(map(id, c["evidence"]))  # the report holds the entries alive while it is written
        text = written.get(key)
        if text is None:
            text = written[key] = compact(c["evidence"])
        return compact_with(c, "evidence", text)

    return json_lines(report, split=lambda _key: True, items={"controls": control})


def report_files(report: dict[str, Any]) -> dict[str, bytes]:
    """Both report files, paths relative to the environment folder."""
    return {REPORT_MD: report_markdown(report).encode(), REPORT_JSON: report_json(report)}
