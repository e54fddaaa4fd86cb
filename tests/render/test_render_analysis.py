"""The SLO analysis of canary and blue-green rollouts: a measurement passes only on data within
the objective. No series, or NaN (no traffic), is inconclusive — it pauses the rollout — and
never a success; the queries give no data without traffic and 0 without errors (promtool)."""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.conftest import edit
from tests.render.helpers import Obj, one, pick, render

from buttress.app.validate import Validated
from buttress.render.kubernetes import render_objects

_THRESHOLD = re.compile(r"result\[0\] <= ([0-9.]+)$")


def _holds(condition: str, result: list[float]) -> bool:
    """An Argo Rollouts (expr) condition evaluated over ``result``; ``&&`` short-circuits as in expr."""
    python = condition.replace("&&", " and ").replace("||", " or ").replace("!isNaN(", " not isNaN(")
    assert set(python) <= set("abcdefghijklmnopqrstuvwxyzNA()[]<>=.0123456789 "), condition
    return bool(eval(python, {"__builtins__": {}}, {"len": len, "isNaN": math.isnan, "result": result}))


def argo_phase(metric: Obj, result: list[float]) -> str:
    """A measurement's phase as Argo Rollouts assesses it (``utils/evaluate.EvaluateResult``): with
    only a success condition, anything else fails; with both, neither holding is inconclusive."""
    success = _holds(metric["successCondition"], result) if "successCondition" in metric else None
    failure = _holds(metric["failureCondition"], result) if "failureCondition" in metric else None
    if success is None and failure is None:
        return "Successful"
    if failure is None:
        failure = not success
    if success is None:
        success = not failure
    if failure:
        return "Failed"
    return "Successful" if success else "Inconclusive"


def _templates(examples: dict[str, Validated]) -> list[Obj]:
    return [o for v in examples.values() for name, env in v.environments.items()
            for o in render_objects(v.blueprint, env, v.graphs[name]) if o["kind"] == "AnalysisTemplate"]


def test_no_data_is_never_a_success(examples: dict[str, Validated]) -> None:
    templates = _templates(examples)
    assert templates
    for template in templates:
        for metric in template["spec"]["metrics"]:
            match = _THRESHOLD.search(metric["successCondition"])
            assert match, metric["successCondition"]
            threshold = float(match.group(1))
            label = f"{template['metadata']['name']}/{metric['name']}"
            assert argo_phase(metric, []) == "Inconclusive", label  # no series at all
            assert argo_phase(metric, [math.nan]) == "Inconclusive", label  # 0/0: no traffic in the window
            assert argo_phase(metric, [threshold]) == "Successful", label
            assert argo_phase(metric, [threshold / 2]) == "Successful", label
            assert argo_phase(metric, [threshold * 2 + 0.001]) == "Failed", label
            # The first inconclusive measurement already makes the analysis inconclusive (the
            # rollout pauses for a person): no run of no-data measurements can end in success.
            assert metric["inconclusiveLimit"] == 0, label
            assert metric["failureLimit"] == 1, label


def test_blue_green_pre_promotion_analysis_completes_and_canary_analysis_runs_in_the_background(
        fraud: Path) -> None:
    canary = one(render(fraud, "prod"), "AnalysisTemplate", "scorer")
    assert all("count" not in m for m in canary["spec"]["metrics"])  # until the rollout completes
    edit(fraud / "blueprint.yaml", "strategy: canary\n      steps: [10, 50]\n      pause: 10m",
         "strategy: blue-green\n      pause: 10m")
    objects = render(fraud, "prod")
    green = one(objects, "AnalysisTemplate", "scorer")
    # Without a count an analysis never completes, and a pre-promotion analysis must complete.
    assert [m["count"] for m in green["spec"]["metrics"]] == [5, 5]
    assert pick(objects, "Rollout", "scorer")[0]["spec"]["strategy"]["blueGreen"]["prePromotionAnalysis"]


def _queries(template: Obj, passed: list[dict[str, str]]) -> dict[str, str]:
    """Each metric's query as Argo Rollouts runs it: the template's argument defaults, overridden by
    the arguments the Rollout passes, substituted for ``{{args.NAME}}``."""
    values = {a["name"]: a["value"] for a in template["spec"].get("args", [])}
    values.update({a["name"]: a["value"] for a in passed})
    out = {}
    for metric in template["spec"]["metrics"]:
        query = metric["provider"]["prometheus"]["query"]
        for name, value in values.items():
            query = query.replace("{{args." + name + "}}", value)
        assert "{{" not in query, query  # every argument the template reads is given
        out[metric["name"]] = query
    return out


def test_blue_green_pre_promotion_analysis_measures_the_preview_not_the_active_version(
        fraud: Path, tmp_path: Path) -> None:
    """During a blue-green rollout the active Service still selects the old ReplicaSet; only the
    preview Service selects the new one. The analysis must read the preview's series (scraped through
    the preview Service), so a broken new version fails it even while the old one is healthy."""
    edit(fraud / "blueprint.yaml", "strategy: canary\n      steps: [10, 50]\n      pause: 10m",
         "strategy: blue-green\n      pause: 10m")
    objects = render(fraud, "prod")
    green = one(objects, "Rollout", "scorer")["spec"]["strategy"]["blueGreen"]
    template = one(objects, "AnalysisTemplate", "scorer")
    passed = green["prePromotionAnalysis"]["args"]
    assert passed == [{"name": "service", "value": green["previewService"]}]
    queries = _queries(template, passed)
    assert all('service="scorer-preview"' in q and 'service="scorer"' not in q for q in queries.values())
    # Prometheus scrapes the preview Service as well (its pods' series say service="scorer-preview").
    monitor = one(objects, "ServiceMonitor", "scorer")["spec"]
    [endpoint] = monitor["endpoints"]
    assert endpoint["relabelings"][0]["regex"] == "scorer|scorer-preview"
    preview = one(objects, "Service", "scorer-preview")
    assert monitor["selector"]["matchLabels"].items() <= preview["metadata"]["labels"].items()
    assert "metrics" in {p["name"] for p in preview["spec"]["ports"]}
    # The old version serves its traffic flawlessly while the preview fails half of its requests.
    active = 'http_requests_total{namespace="fraud-prod",service="scorer",code="200"}'
    preview_ok = 'http_requests_total{namespace="fraud-prod",service="scorer-preview",code="200"}'
    preview_failing = 'http_requests_total{namespace="fraud-prod",service="scorer-preview",code="500"}'
    cases: list[tuple[list[dict[str, str]], list[dict[str, Any]]]] = [
        ([{"series": active, "values": "0+600x10"}, {"series": preview_ok, "values": "0+30x10"},
          {"series": preview_failing, "values": "0+30x10"}], [{"labels": "{}", "value": 0.5}]),
        ([{"series": active, "values": "0+600x10"}], []),  # no test traffic on the preview: no data
    ]
    tests = [{"interval": "1m", "input_series": series,
              "promql_expr_test": [{"expr": queries["error-ratio"], "eval_time": "5m", "exp_samples": expected}]}
             for series, expected in cases]
    path = tmp_path / "preview-test.yaml"
    path.write_text(yaml.safe_dump({"rule_files": [], "evaluation_interval": "1m", "tests": tests}))
    proc = subprocess.run([_promtool(), "test", "rules", str(path)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    metric = {m["name"]: m for m in template["spec"]["metrics"]}["error-ratio"]
    assert argo_phase(metric, [0.5]) == "Failed"  # the broken preview is not promoted
    assert argo_phase(metric, []) == "Inconclusive"  # without preview traffic a person decides


def test_canary_analysis_measures_the_module_service(fraud: Path) -> None:
    objects = render(fraud, "prod")
    canary = one(objects, "Rollout", "scorer")["spec"]["strategy"]["canary"]
    assert "args" not in canary["analysis"]  # the template's default: the module's own Service
    queries = _queries(one(objects, "AnalysisTemplate", "scorer"), [])
    assert all('service="scorer"' in q for q in queries.values())
    assert one(objects, "ServiceMonitor", "scorer")["spec"]["endpoints"][0]["relabelings"][0]["regex"] == "scorer"


def _promtool() -> str:
    exe = shutil.which("promtool")
    if exe is None:
        pytest.fail("promtool is not installed: run scripts/bootstrap.sh --system (Debian package prometheus)")
    return exe


def test_the_queries_give_no_data_without_traffic_and_zero_without_errors(fraud_validated: Validated,
                                                                           tmp_path: Path) -> None:
    v = fraud_validated
    template = one(render_objects(v.blueprint, v.environments["prod"], v.graphs["prod"]), "AnalysisTemplate", "scorer")
    metrics = {m["name"]: m for m in template["spec"]["metrics"]}
    queries = _queries(template, [])
    errors, latency = queries["error-ratio"], queries["latency-p95"]
    ok = 'http_requests_total{namespace="fraud-prod",service="scorer",code="200"}'
    failing = 'http_requests_total{namespace="fraud-prod",service="scorer",code="503"}'
    cases: list[tuple[list[dict[str, str]], str, list[dict[str, Any]]]] = [
        ([{"series": ok, "values": "0+60x10"}], errors, [{"labels": "{}", "value": 0}]),  # no 5xx series: 0
        ([{"series": ok, "values": "0+30x10"}, {"series": failing, "values": "0+30x10"}], errors,
         [{"labels": "{}", "value": 0.5}]),  # half the requests fail
        ([], errors, []),  # no traffic: no data
        ([], latency, []),
    ]
    tests = [{"interval": "1m", "input_series": series,
              "promql_expr_test": [{"expr": expr, "eval_time": "5m", "exp_samples": expected}]}
             for series, expr, expected in cases]
    path = tmp_path / "analysis-test.yaml"
    path.write_text(yaml.safe_dump({"rule_files": [], "evaluation_interval": "1m", "tests": tests}))
    proc = subprocess.run([_promtool(), "test", "rules", str(path)], capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # And what Argo Rollouts makes of those results.
    assert argo_phase(metrics["error-ratio"], [0.0]) == "Successful"
    assert argo_phase(metrics["error-ratio"], [0.5]) == "Failed"
    assert argo_phase(metrics["error-ratio"], []) == argo_phase(metrics["latency-p95"], []) == "Inconclusive"


def test_a_grpc_canary_fails_on_the_server_fault_codes_its_slo_counts(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "      latency: {p95: 150ms}\n",
         "      latency: {p95: 150ms}\n    metrics: {requests: grpc_server_handled_total}\n")  # scorer
    [error_ratio] = [m for m in one(render(fraud, "prod"), "AnalysisTemplate", "scorer")["spec"]["metrics"]
                     if m["name"] == "error-ratio"]
    query = error_ratio["provider"]["prometheus"]["query"]
    assert 'grpc_code=~"Unknown|DeadlineExceeded|Unimplemented|Internal|Unavailable|DataLoss"' in query
    assert "code=~\"5..\"" not in query
