"""Dashboards and PromQL: importable Grafana JSON, deterministic uids, and every expression in
dashboards and rules parses in promtool and reads only series that exist."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import yaml
from tests.conftest import edit

from buttress.app.validate import Validated, validate
from buttress.render.dashboards import render_dashboards
from buttress.render.signals.series import PLATFORM_SERIES, module_series

Promtool = Callable[..., CompletedProcess[str]]
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"(?<![\w:.])([A-Za-z_:][\w:]*)(?![\w:]|\s*\()")
_KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left",
             "group_right", "inf", "nan"}


def series_names(expr: str) -> set[str]:
    """The metric names an expression selects (a small lexer: strings, matchers, ranges, groupings removed)."""
    bare = _GROUPING.sub(" ", _RANGES.sub(" ", _MATCHERS.sub(" ", _STRINGS.sub('""', expr))))
    return {n for n in _NAME.findall(bare) if n.lower() not in _KEYWORDS and not re.fullmatch(r"[0-9eE.+-]+", n)}


def test_series_names_lexer() -> None:
    assert series_names('sum by (code) (rate(a_total{job="x",code=~"5.."}[5m])) / b:rec{le="0.1"} > 3') == {
        "a_total", "b:rec"}
    assert series_names("time() - max(kube_cronjob_status_last_successful_time{cronjob=\"a\"}) > 1e-05") == {
        "kube_cronjob_status_last_successful_time"}


def _dashboards(folder: Path) -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted((folder / "dashboards").glob("*.json"))}


def _panel_exprs(board: dict[str, Any]) -> Iterator[str]:
    for panel in board["panels"]:
        for t in panel.get("targets", []):
            yield t["expr"]


def _rule_exprs(folder: Path) -> Iterator[str]:
    for group in yaml.safe_load((folder / "monitoring" / "rules.yaml").read_text())["groups"]:
        for rule in group["rules"]:
            yield rule["expr"]


def test_dashboards_are_importable_with_deterministic_uids(rendered: dict[str, Path], example: Validated) -> None:
    uids: set[str] = set()
    for env, folder in rendered.items():
        boards = _dashboards(folder)
        assert set(boards) == {"_overview.json", *(f"{m}.json" for m in example.environments[env].modules)}
        for board in boards.values():
            assert board["schemaVersion"] >= 36
            assert re.fullmatch(r"[a-z0-9-]{1,40}", board["uid"])
            variables = board["templating"]["list"]
            assert [v["name"] for v in variables if v["type"] == "datasource"] == ["datasource"]
            for panel in board["panels"]:
                if panel["type"] != "row":
                    assert panel["datasource"]["uid"] == "${datasource}"
            uids.add(board["uid"])
    assert len(uids) == sum(len(_dashboards(f)) for f in rendered.values())


def test_module_dashboard_has_red_saturation_and_slo_rows(rendered: dict[str, Path]) -> None:
    board = _dashboards(rendered["prod"])["scorer.json"]
    rows = [p["title"] for p in board["panels"] if p["type"] == "row"]
    assert rows == ["Requests, errors, duration", "Saturation", "SLO availability: 99.95% over 28d",
                    "SLO latency-p95: 95% over 28d"]
    titles = {p["title"] for p in board["panels"]}
    assert {"Request rate", "Error ratio", "Duration percentiles", "CPU", "Memory", "Replicas vs. autoscaling bounds",
            "Objective", "Error budget remaining", "Burn rate", "Firing alerts"} <= titles
    replicas = next(p for p in board["panels"] if p["title"] == "Replicas vs. autoscaling bounds")
    assert [t["expr"] for t in replicas["targets"]][1:] == ["vector(3)", "vector(40)"]
    worker = _dashboards(rendered["prod"])["label-ingest.json"]
    assert any(p["title"] == "Queue backlog" for p in worker["panels"])
    assert _dashboards(rendered["dev"])["scorer.json"]["uid"] != board["uid"]


def test_every_promql_expression_parses(rendered: dict[str, Path], promtool: Promtool, tmp_path: Path) -> None:
    exprs = sorted({e for folder in rendered.values() for board in _dashboards(folder).values()
                    for e in _panel_exprs(board)} | {e for folder in rendered.values() for e in _rule_exprs(folder)})
    wrapped = {"groups": [{"name": "parse", "rules": [{"record": f"check:expr:{i}", "expr": e}
                                                      for i, e in enumerate(exprs)]}]}
    target = tmp_path / "exprs.yaml"
    target.write_text(yaml.safe_dump(wrapped))
    result = promtool("check", "rules", target)
    assert result.returncode == 0, result.stdout + result.stderr
    target.write_text(yaml.safe_dump({"groups": [{"name": "parse", "rules": [
        {"record": "check:expr:0", "expr": "sum(rate(x[5m])"}]}]}))
    assert promtool("check", "rules", target).returncode != 0


def test_expressions_read_only_series_that_exist(rendered: dict[str, Path], example: Validated) -> None:
    for env, folder in rendered.items():
        recorded = {r.get("record") for g in yaml.safe_load((folder / "monitoring" / "rules.yaml").read_text())["groups"]
                    for r in g["rules"]}
        provided = set(PLATFORM_SERIES).union(*(module_series(m) for m in example.environments[env].modules.values()))
        known = provided | {r for r in recorded if r}
        exprs = [*_rule_exprs(folder), *(e for b in _dashboards(folder).values() for e in _panel_exprs(b))]
        unknown = {name: expr for expr in exprs for name in series_names(expr) if name not in known}
        assert unknown == {}, f"{env}: {unknown}"


def test_the_overview_reads_each_request_counter_for_the_modules_serving_it(fraud: Path) -> None:
    """Found by a probe: with one module on its own counter, every counter's query selected every module."""
    edit(fraud / "blueprint.yaml", "    extends: model-server\n",
         "    extends: model-server\n    metrics: {requests: scorer_requests_total}\n")
    v = validate(fraud)
    board = json.loads(render_dashboards(v.blueprint, v.environments["prod"], v.graphs["prod"])["dashboards/_overview.json"])
    exprs = [t["expr"] for p in board["panels"] if p["title"].endswith("by module") for t in p["targets"]]
    assert any('scorer_requests_total{namespace="fraud-prod",job=~"scorer"}' in e for e in exprs)
    assert all("scorer" not in e for e in exprs if "http_requests_total" in e)
    errors = [e for p in board["panels"] if p["title"] == "Error ratio by module" for e in (t["expr"] for t in p["targets"])]
    assert errors and all(" or sum by (job) (rate(" in e and ") * 0) / " in e for e in errors)  # 0, not no line
