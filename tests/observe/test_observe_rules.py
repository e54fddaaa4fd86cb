"""Prometheus rules of the example: promtool accepts them, their unit tests pass (and can fail),
the PrometheusRule matches its CRD schema, and burn-rate tiers scale with the SLO window."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import jsonschema
import pytest
import yaml
from tests.conftest import EXAMPLES, edit
from tests.observe.conftest import render_observe, write

from buttress.app.render import rendered_environment
from buttress.app.validate import Validated, validate
from buttress.model.units import Duration
from buttress.render.dashboards import render_dashboards
from buttress.render.monitoring import render_monitoring
from buttress.render.signals.cron import max_gap_seconds
from buttress.render.signals.slo import CEILING, DEFAULT_WINDOW, TIERS, slos_of

SCHEMA = Path(__file__).resolve().parents[3] / "shared" / "schemas" / "monitoring.coreos.com" / "PrometheusRule_v1.json"
Promtool = Callable[..., CompletedProcess[str]]


def _rules(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((folder / "monitoring" / "rules.yaml").read_text())
    return data


def test_every_rules_file_passes_promtool_check(rendered: dict[str, Path], promtool: Promtool, tmp_path: Path) -> None:
    for env, folder in rendered.items():
        result = promtool("check", "rules", folder / "monitoring" / "rules.yaml")
        assert result.returncode == 0, f"{env}: {result.stdout}{result.stderr}"
        operator = yaml.safe_load((folder / "monitoring" / "prometheusrule.yaml").read_text())
        extracted = tmp_path / f"{env}-operator.yaml"
        extracted.write_text(yaml.safe_dump({"groups": operator["spec"]["groups"]}))
        result = promtool("check", "rules", extracted)
        assert result.returncode == 0, f"{env} PrometheusRule: {result.stdout}{result.stderr}"


def test_prometheusrule_matches_the_crd_schema(rendered: dict[str, Path]) -> None:
    # The CRD's Go regular expressions ((?i) mid-pattern) are no valid Python ones: skip the metaschema check.
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    for folder in rendered.values():
        obj = yaml.safe_load((folder / "monitoring" / "prometheusrule.yaml").read_text())
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(obj)]
        assert errors == []
        broken = {**obj, "spec": {"groups": [{"name": "x", "rules": [{"alert": "A", "expr": 1, "for": "soon"}]}]}}
        assert list(validator.iter_errors(broken)), "the schema must refuse a malformed rule"
        assert obj["metadata"]["namespace"].startswith("fraud-")


def test_every_module_with_an_slo_has_unit_tests(rendered: dict[str, Path]) -> None:
    for folder in rendered.values():
        assert sorted(p.stem for p in (folder / "monitoring" / "tests").glob("*.yaml")) == [
            "case-store", "features", "scorer"]


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
@pytest.mark.parametrize("module", ["features", "scorer", "case-store"])
def test_generated_unit_tests_pass_in_promtool(rendered: dict[str, Path], promtool: Promtool, env: str,
                                               module: str) -> None:
    test_file = rendered[env] / "monitoring" / "tests" / f"{module}.yaml"
    result = promtool("test", "rules", test_file)
    assert result.returncode == 0, result.stdout + result.stderr
    names = [t["name"] for t in yaml.safe_load(test_file.read_text())["tests"]]
    assert any("pages within 1h" in n for n in names)
    assert any("opens a ticket and does not page" in n for n in names)
    assert any("0.5x fires nothing" in n for n in names)


def test_unit_tests_catch_a_wrong_page_threshold(rendered: dict[str, Path], promtool: Promtool, tmp_path: Path) -> None:
    """The generated tests are not vacuous: page thresholds nobody can reach make them fail."""
    folder = tmp_path / "monitoring"
    (folder / "tests").mkdir(parents=True)
    rules = (rendered["prod"] / "monitoring" / "rules.yaml").read_text()
    assert "> 13.44 and" in rules and "> 5.6)" in rules
    (folder / "rules.yaml").write_text(rules.replace("> 13.44", "> 1344").replace("> 5.6)", "> 560)"))
    test_file = folder / "tests" / "case-store.yaml"
    test_file.write_text((rendered["prod"] / "monitoring" / "tests" / "case-store.yaml").read_text())
    result = promtool("test", "rules", test_file)
    assert result.returncode != 0
    assert "ErrorBudgetBurnFast" in result.stdout + result.stderr


def test_a_cron_run_fails_when_its_job_does_not_when_a_pod_does(rendered: dict[str, Path], promtool: Promtool,
                                                                 tmp_path: Path) -> None:
    """kube_job_failed{condition="true"} is a Job that spent its retries; a pod failing once is retried."""
    rules = yaml.safe_load((rendered["prod"] / "monitoring" / "rules.yaml").read_text())
    [alert] = [r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "CronJobFailed"]
    job = 'namespace="fraud-prod",job_name="retrain-29420000"'
    cases = [
        ("a failed run", [f'kube_job_failed{{{job},condition="true"}}', f'kube_job_status_failed{{{job}}}'],
         [{"exp_labels": alert["labels"], "exp_annotations": alert["annotations"]}]),
        ("a pod failed, its retry succeeded", [f'kube_job_failed{{{job},condition="false"}}',
                                               f'kube_job_status_failed{{{job}}}'], []),
    ]
    (tmp_path / "rules.yaml").write_text((rendered["prod"] / "monitoring" / "rules.yaml").read_text())
    (tmp_path / "test.yaml").write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m",
        "tests": [{"name": name, "interval": "1m", "input_series": [{"series": s, "values": "1x30"} for s in series],
                   "alert_rule_test": [{"eval_time": "15m", "alertname": "CronJobFailed", "exp_alerts": expected}]}
                  for name, series, expected in cases]}))
    result = promtool("test", "rules", tmp_path / "test.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_backup_or_cron_run_that_never_completed_alerts_after_its_rpo_or_gap(
        rendered: dict[str, Path], promtool: Promtool, tmp_path: Path) -> None:
    """BackupStale and CronJobMissedRun measure the age of the last success: with none on record they are
    silent, so BackupNeverCompleted and CronJobNeverSucceeded fire once it has been missing that long."""
    rules = yaml.safe_load((rendered["prod"] / "monitoring" / "rules.yaml").read_text())
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"] if "alert" in r}
    backup, cron = alerts["BackupNeverCompleted"], alerts["CronJobNeverSucceeded"]
    assert (backup["for"], cron["for"]) == ("1h", "30h"), "the RPO of 1h; the nightly run's gap and slack"
    absent = ({"schedule": "fraud-prod-case-store"}, {"namespace": "fraud-prod", "cronjob": "retrain"})  # absent()'s
    fired = [{"exp_labels": {**a["labels"], **extra}, "exp_annotations": a["annotations"]}
             for a, extra in zip((backup, cron), absent, strict=True)]
    other = [{"series": 'up{job="x"}', "values": "1x200"}]
    success = [{"series": 'velero_backup_last_successful_timestamp{schedule="fraud-prod-case-store"}',
                "values": "1x200"},
               {"series": 'kube_cronjob_status_last_successful_time{namespace="fraud-prod",cronjob="retrain"}',
                "values": "1x200"}]
    cases = [("nothing on record", other, "75m", "BackupNeverCompleted", fired[:1]),
             ("nothing on record, but not yet an RPO", other, "45m", "BackupNeverCompleted", []),
             ("nothing on record", other, "31h", "CronJobNeverSucceeded", fired[1:]),
             ("a success on record", other + success, "31h", "BackupNeverCompleted", []),
             ("a success on record", other + success, "31h", "CronJobNeverSucceeded", [])]
    (tmp_path / "rules.yaml").write_text((rendered["prod"] / "monitoring" / "rules.yaml").read_text())
    (tmp_path / "test.yaml").write_text(yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "15m",
        "tests": [{"name": name, "interval": "15m", "input_series": series,
                   "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": expected}]}
                  for name, series, at, alert, expected in cases]}))
    result = promtool("test", "rules", tmp_path / "test.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_alerts_carry_identity_labels_and_runbook_links(rendered: dict[str, Path]) -> None:
    alerts = [r for g in _rules(rendered["prod"])["groups"] for r in g["rules"] if "alert" in r]
    names = {(r["labels"]["module"], r["alert"], r["labels"].get("slo")) for r in alerts}
    assert ("scorer", "ErrorBudgetBurnFast", "availability") in names
    assert ("scorer", "ErrorBudgetBurnSlow", "latency-p95") in names
    assert ("scorer", "SLOMetricsAbsent", "latency-p95") in names
    assert ("label-ingest", "WorkerBacklogHigh", None) in names
    assert ("retrain", "CronJobMissedRun", None) in names
    assert ("retrain", "CronJobFailed", None) in names
    assert ("case-store", "BackupStale", None) in names
    for rule in alerts:
        assert {"blueprint", "environment", "module", "severity"} <= set(rule["labels"])
        assert rule["labels"]["environment"] == "prod"
        assert {"summary", "description", "runbook_url"} == set(rule["annotations"])
        assert rule["annotations"]["runbook_url"].startswith(f"runbooks/{rule['labels']['module']}.md#")


def test_thresholds_come_from_the_blueprint(rendered: dict[str, Path]) -> None:
    alerts = {(r["labels"]["module"], r["alert"]): r for g in _rules(rendered["prod"])["groups"]
              for r in g["rules"] if "alert" in r}
    # queueDepth 500 per replica at the maximum of 8 replicas
    assert alerts["label-ingest", "WorkerBacklogHigh"]["expr"].endswith("> 4000")
    assert 'consumergroup="label-ingest",topic="chargebacks"' in alerts["label-ingest", "WorkerBacklogHigh"]["expr"]
    # RPO 1h
    assert alerts["case-store", "BackupStale"]["expr"].endswith("> 3600")
    # daily at 03:00: 24h between runs plus a quarter
    assert alerts["retrain", "CronJobMissedRun"]["expr"].endswith(f"> {24 * 3600 + 6 * 3600}")


def test_recording_rules_cover_every_window(rendered: dict[str, Path]) -> None:
    records = {(r["record"], r["labels"]["module"], r["labels"]["slo"]) for g in _rules(rendered["prod"])["groups"]
               for r in g["rules"] if "record" in r}
    for window in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "28d"):
        assert (f"buttress:slo_sli_error:ratio_rate{window}", "scorer", "latency-p95") in records
        assert (f"buttress:slo_burn_rate:ratio_rate{window}", "scorer", "availability") in records
    for name in ("objective", "error_budget", "error_budget_remaining"):
        assert (f"buttress:slo_{name}:ratio", "features", "availability") in records


def _exprs(text: str | bytes) -> str:
    return "\n".join(r["expr"] for g in yaml.safe_load(text)["groups"] for r in g["rules"])


def test_latency_sli_reads_the_bucket_of_the_threshold(rendered: dict[str, Path]) -> None:
    rules = _exprs((rendered["prod"] / "monitoring" / "rules.yaml").read_text())
    assert 'http_request_duration_seconds_bucket{namespace="fraud-prod",job="scorer",le="0.15"}[5m]' in rules
    assert 'http_request_duration_seconds_bucket{namespace="fraud-prod",job="features",le="0.05"}[1h]' in rules


def test_a_whole_second_threshold_matches_both_spellings_of_its_bucket(fraud: Path, promtool: Promtool,
                                                                       tmp_path: Path) -> None:
    """Go clients write le="1", Python's and Prometheus 3 (normalising on ingestion) le="1.0"."""
    edit(fraud / "blueprint.yaml", "      latency: {p95: 50ms}\n", "      latency: {p95: 1s}\n")  # features
    v = validate(fraud, ["prod"])
    folder = write(render_observe(v, "prod"), tmp_path)
    rules = _exprs((folder / "monitoring" / "rules.yaml").read_text())
    assert 'http_request_duration_seconds_bucket{namespace="fraud-prod",job="features",le=~"1|1\\\\.0"}[1h]' in rules
    tests = yaml.safe_load((folder / "monitoring" / "tests" / "features.yaml").read_text())["tests"]
    assert any('le="1.0"' in s["series"] for t in tests for s in t["input_series"])
    found = _check_all_scenarios(v, "prod", folder, promtool)  # the fast burn on le="1.0" pages
    assert any("pages within" in n for n in found["features", "latency-p95"])


def test_a_rabbitmq_worker_is_watched_on_the_series_it_scales_on(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "endpoint: kafka://", "endpoint: amqps://")
    v = validate(fraud, ["prod"])
    env, graph = v.environments["prod"], v.graphs["prod"]
    rules = yaml.safe_load(render_monitoring(v.blueprint, env, graph)["monitoring/rules.yaml"])
    [alert] = [r for g in rules["groups"] for r in g["rules"] if r.get("alert") == "WorkerBacklogHigh"]
    assert alert["expr"] == 'sum(rabbitmq_queue_messages_ready{queue="chargebacks"}) > 4000'
    assert "The queue chargebacks holds more than 4000 messages" in alert["annotations"]["description"]
    [scaled] = [o for o in rendered_environment(v.blueprint, env, graph)[1] if o["kind"] == "ScaledObject"
                and o["metadata"]["name"] == "label-ingest"]
    [trigger] = [t for t in scaled["spec"]["triggers"] if t["type"] == "prometheus"]
    assert f'{trigger["metadata"]["query"]} > 4000' == alert["expr"]
    board = json.loads(render_dashboards(v.blueprint, env, graph)["dashboards/label-ingest.json"])
    [panel] = [p for p in board["panels"] if p["title"] == "Queue backlog"]
    assert [t["expr"] for t in panel["targets"]] == ['sum(rabbitmq_queue_messages_ready{queue="chargebacks"})']


def test_an_slo_reaching_a_cron_job_renders_no_sli_it_could_not_feed(fraud: Path) -> None:
    """A cron job serves no requests: an SLO from defaults would leave SLOMetricsAbsent firing forever."""
    edit(fraud / "blueprint.yaml", "defaults:\n  data:\n", "defaults:\n  slo: {availability: 99.9%}\n  data:\n")
    v = validate(fraud, ["prod"])
    rules = yaml.safe_load(render_monitoring(v.blueprint, v.environments["prod"], v.graphs["prod"])["monitoring/rules.yaml"])
    retrain = [r.get("alert") or r.get("record") for g in rules["groups"] if g["name"].endswith("/retrain")
               for r in g["rules"]]
    assert retrain == ["CronJobMissedRun", "CronJobNeverSucceeded", "CronJobFailed"]
    assert any(r.get("alert") == "SLOMetricsAbsent" for g in rules["groups"] if g["name"].endswith("/label-ingest")
               for r in g["rules"]), "a worker's SLO is still measured"


def test_a_grpc_request_counter_fails_on_server_fault_codes(fraud: Path, promtool: Promtool, tmp_path: Path) -> None:
    """grpc_server_handled_total carries grpc_code, not an HTTP code: 5xx would match nothing, and the SLO look met."""
    edit(fraud / "blueprint.yaml", "      latency: {p95: 50ms}\n",
         "      latency: {p95: 50ms}\n    metrics: {requests: grpc_server_handled_total}\n")  # features
    v = validate(fraud, ["prod"])
    folder = write(render_observe(v, "prod"), tmp_path)
    rules = _exprs((folder / "monitoring" / "rules.yaml").read_text())
    assert ('grpc_server_handled_total{namespace="fraud-prod",job="features",'
            'grpc_code=~"Unknown|DeadlineExceeded|Unimplemented|Internal|Unavailable|DataLoss"}[5m]') in rules
    assert 'grpc_server_handled_total{namespace="fraud-prod",job="features",code=~' not in rules
    found = _check_all_scenarios(v, "prod", folder, promtool)  # fed grpc_code="Unavailable": the fast burn pages
    assert any("pages within" in n for n in found["features", "availability"])
    board = (folder / "dashboards" / "features.json").read_text()
    assert "sum by (grpc_code)" in board and 'grpc_code=~\\"Unknown|' in board


def test_metrics_key_renames_the_sli_series(fraud: Path) -> None:
    text = (fraud / "blueprint.yaml").read_text()
    marker = "      latency: {p95: 150ms}\n"
    assert text.count(marker) == 1
    (fraud / "blueprint.yaml").write_text(text.replace(
        marker, marker + "    metrics: {requests: scorer_requests_total, duration: scorer_latency_seconds}\n"))
    v = validate(fraud, ["prod"])
    rules = _exprs(render_monitoring(v.blueprint, v.environments["prod"], v.graphs["prod"])["monitoring/rules.yaml"])
    assert 'scorer_requests_total{namespace="fraud-prod",job="scorer"}' in rules
    assert 'scorer_latency_seconds_bucket{namespace="fraud-prod",job="scorer",le="0.15"}' in rules
    assert 'http_requests_total{namespace="fraud-prod",job="scorer"}' not in rules


@pytest.mark.parametrize(("window", "expected"), [
    ("30d", [14.4, 6.0, 3.0, 1.0]),
    ("28d", [13.44, 5.6, 2.8, 1.0]),
    ("7d", [3.36, 1.4, 1.0, 1.0]),
])
def test_burn_rate_tiers_scale_with_the_window_and_never_drop_below_one(window: str, expected: list[float]) -> None:
    seconds = Duration.parse(window).seconds
    assert [t.factor(seconds) for t in TIERS] == expected
    assert DEFAULT_WINDOW.seconds == 28 * 86400


def test_a_threshold_no_burn_can_reach_is_clamped_below_the_maximum_burn() -> None:
    sixty_days = Duration.parse("60d").seconds
    # A p95 objective burns at most 20x (every request slow); 2% of a 60-day budget within 1h takes 28.8x.
    assert TIERS[0].factor(sixty_days) == 28.8
    assert TIERS[0].factor(sixty_days, 20.0) == CEILING * 20 == 18.0
    assert TIERS[1].factor(sixty_days, 20.0) == 12.0  # reachable: unchanged
    assert TIERS[0].factor(sixty_days, 1.05) == 1.0  # never below 1, still below the maximum


def _scenarios(tests: list[dict[str, Any]], module: str, slo: str) -> dict[str, dict[str, list[Any]]]:
    """The unit-test cases of one SLO by their name's end, each as alert name -> expected alerts."""
    cases = {t["name"].removeprefix(f"{module} {slo}: "): {a["alertname"]: a["exp_alerts"] for a in t["alert_rule_test"]}
             for t in tests if t["name"].startswith(f"{module} {slo}: ")}
    assert len(cases) == 3, (module, slo, list(cases))
    return cases


def _check_all_scenarios(v: Validated, env: str, folder: Path, promtool: Promtool) -> dict[tuple[str, str], Any]:
    """Every SLO of ``env`` has a fast burn that pages, a slow burn that opens a ticket and a burn
    below 1 that fires nothing, and promtool passes them all; the cases by (module, slo)."""
    files = sorted((folder / "monitoring" / "tests").glob("*.yaml"))
    result = promtool("test", "rules", *files)
    assert result.returncode == 0, result.stdout + result.stderr
    found = {}
    for name, module in v.environments[env].modules.items():
        slos = slos_of(v.environments[env], module)
        if not slos:
            continue
        tests = yaml.safe_load((folder / "monitoring" / "tests" / f"{name}.yaml").read_text())["tests"]
        for slo in slos:
            cases = _scenarios(tests, name, slo.name)
            fast = [c for n, c in cases.items() if "pages within" in n]
            slow = [c for n, c in cases.items() if "opens a ticket" in n]
            quiet = [c for n, c in cases.items() if n.endswith("fires nothing")]
            assert len(fast) == len(slow) == len(quiet) == 1, (name, slo.name, list(cases))
            assert fast[0]["ErrorBudgetBurnFast"], (name, slo.name)
            assert slow[0]["ErrorBudgetBurnSlow"], (name, slo.name)
            assert all(expected == [] for expected in quiet[0].values()), (name, slo.name)
            found[name, slo.name] = cases
    return found


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "blueprint.yaml").is_file()))
def test_every_slo_of_every_example_gets_all_three_scenarios(example: str, promtool: Promtool, tmp_path: Path) -> None:
    v = validate(EXAMPLES / example)
    for env in v.environments:
        found = _check_all_scenarios(v, env, write(render_observe(v, env), tmp_path / env), promtool)
        assert found, (example, env)
        for cases in found.values():  # at 28 days the tiers leave room between ticket and page
            assert any(n.endswith("opens a ticket and does not page") for n in cases), cases


def test_slos_whose_tiers_cannot_fire_as_computed_are_clamped_and_still_get_every_scenario(
        fraud: Path, promtool: Promtool, tmp_path: Path) -> None:
    """A low objective or a long window asks for burn rates no failure reaches; a short window
    floors every threshold at 1; a 100% objective has no budget at all. None drops a scenario."""
    edit(fraud / "blueprint.yaml", "      availability: 99.95%\n      latency: {p95: 150ms}\n",
         "      availability: 90%\n      latency: {p95: 150ms}\n      window: 60d\n")  # scorer
    edit(fraud / "blueprint.yaml", "      availability: 99.9%\n\nenvironments:",
         "      availability: 99.9%\n      window: 3d\n\nenvironments:")  # case-store
    edit(fraud / "blueprint.yaml", "      availability: 99.9%\n      latency: {p95: 50ms}\n",
         "      availability: 100%\n      latency: {p95: 50ms}\n")  # features
    v = validate(fraud, ["prod"])
    folder = write(render_observe(v, "prod"), tmp_path)
    alerts = {(r["labels"]["module"], r["alert"], r["labels"].get("slo")): r["expr"]
              for g in _rules(folder)["groups"] for r in g["rules"] if "alert" in r}
    # Every request slow burns a p95 budget at 20x, every request failing a 90% one at 10x: the
    # first page tier (28.8x over 60 days) is clamped to 90% of that, and so is the second for 90%.
    assert "> 18 and" in alerts["scorer", "ErrorBudgetBurnFast", "latency-p95"]
    assert "> 12 and" in alerts["scorer", "ErrorBudgetBurnFast", "latency-p95"]
    assert alerts["scorer", "ErrorBudgetBurnFast", "availability"].count("> 9 and") == 2
    found = _check_all_scenarios(v, "prod", folder, promtool)
    assert "burn 20x pages within 1h" in found["scorer", "latency-p95"]
    # Three days: every threshold is 1, so a burn that opens a ticket pages too — and says so.
    [slow] = [c for n, c in found["case-store", "availability"].items() if "opens a ticket" in n]
    assert slow["ErrorBudgetBurnFast"] and slow["ErrorBudgetBurnSlow"]
    [slow] = [c for n, c in found["features", "availability"].items() if "opens a ticket" in n]
    assert slow["ErrorBudgetBurnFast"]  # no budget: any failure pages


@pytest.mark.parametrize(("schedule", "hours"), [
    ("0 3 * * *", 24), ("@hourly", 1), ("*/15 * * * *", 0.25), ("0 9 * * mon-fri", 72),
    ("0 2,22 * * *", 20), ("45 23 * * *", 24), ("0 0 1 * *", 31 * 24), ("30 2 * * 0", 168), ("0 0 29 2 *", 4 * 365 * 24 + 24),
])
def test_longest_gap_between_cron_runs(schedule: str, hours: float) -> None:
    assert max_gap_seconds(schedule) == hours * 3600


def test_rendering_is_deterministic(example: Any) -> None:
    env, graph = example.environments["staging"], example.graphs["staging"]
    assert render_monitoring(example.blueprint, env, graph) == render_monitoring(example.blueprint, env, graph)
