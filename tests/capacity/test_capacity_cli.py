"""``buttress capacity``: table, JSON for CI, plots, exit codes and located errors."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from tests.capacity.conftest import service
from tests.conftest import Run, edit


def test_text_table_for_prod(cli: Callable[..., Run], fraud: Path) -> None:
    run = cli("capacity", fraud, "--env", "prod")
    assert run.exit == 0, run.stderr
    assert "scenario peak" in run.stdout
    assert re.search(r"scorer \*\s+│\s+2500/s\s+│\s+11\s+│\s+40\s+│", run.stdout)
    assert "resources at peak" in run.stdout and "namespace quota" in run.stdout
    assert "short" not in run.stdout


def test_dev_falls_short_and_exits_one(cli: Callable[..., Run], fraud: Path) -> None:
    run = cli("capacity", fraud, "--env", "dev")
    assert run.exit == 1
    assert "scorer: needs 11 replicas for 2500 rps" in run.stdout
    assert "max 2 falls short" in run.stdout
    assert "the ramp breaks the p95 ≤ 150 ms objective" in run.stdout


def test_json_is_stable_and_deterministic(cli: Callable[..., Run], fraud: Path) -> None:
    first = cli("capacity", fraud, "--env", "prod", "--format", "json")
    second = cli("capacity", fraud, "--env", "prod", "--format", "json")
    assert first.exit == 0 and first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert data["blueprint"] == "fraud-detection" and data["environment"] == "prod"
    [scenario] = data["scenarios"]
    assert scenario["verdict"] == "ok" and scenario["criticalPath"] == ["scorer", "features"]
    scorer = scenario["modules"][0]
    assert (scorer["module"], scorer["arrivalRate"], scorer["replicasNeeded"], scorer["replicasAllowed"]) == \
        ("scorer", 2500, 11, 40)
    assert scorer["ramp"]["verdict"] == "ok" and scorer["ramp"]["breachMinutes"] == 0
    resources = scenario["resources"]
    assert resources["peakFitsQuota"] is True
    assert resources["peak"]["cpu"] <= resources["quota"]["cpu"]
    assert cli("capacity", fraud, "--env", "prod", "--format", "json", "--seed", "5").stdout != first.stdout


def test_png_plot_is_written(cli: Callable[..., Run], fraud: Path, tmp_path: Path) -> None:
    target = tmp_path / "peak.png"
    run = cli("capacity", fraud, "--env", "dev", "--plot", target)
    assert run.exit == 1
    data = target.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 30_000


def test_svg_plot_names_modules_and_objective(cli: Callable[..., Run], fraud: Path, tmp_path: Path) -> None:
    target = tmp_path / "peak.svg"
    assert cli("capacity", fraud, "--env", "prod", "--scenario", "peak", "--plot", target).exit == 0
    text = target.read_text()
    assert text.lstrip().startswith("<?xml") and "<svg" in text
    for words in ("scorer", "features", "objective", "replicas", "arrival rate"):
        assert words in text, words


def test_one_plot_per_scenario_when_several(cli: Callable[..., Run], fraud: Path, tmp_path: Path) -> None:
    edit(fraud / "blueprint.yaml", "scenarios:\n", "scenarios:\n  quiet:\n    load: {scorer.score-api: 100rps}\n")
    assert cli("capacity", fraud, "--env", "prod", "--plot", tmp_path / "ramp.png").exit == 0
    assert (tmp_path / "ramp-peak.png").is_file() and (tmp_path / "ramp-quiet.png").is_file()


def test_usage_errors(cli: Callable[..., Run], fraud: Path, tmp_path: Path) -> None:
    run = cli("capacity", fraud, "--env", "prod", "--scenario", "peek")
    assert run.exit == 2 and "scenario 'peek' is not in the blueprint" in run.stderr and "peak" in run.stderr
    run = cli("capacity", fraud, "--env", "prod", "--plot", tmp_path / "x.pdf")
    assert run.exit == 2 and ".png or .svg" in run.stderr
    run = cli("capacity", fraud, "--env", "qa")
    assert run.exit == 2 and "environment 'qa'" in run.stderr
    assert "Traceback" not in run.stderr


def test_no_scenarios_is_a_usage_error(cli: Callable[..., Run], write_blueprint: Callable[..., Path]) -> None:
    run = cli("capacity", write_blueprint({"front": service()}, {}), "--env", "prod")
    assert run.exit == 2 and "declares no scenarios" in run.stderr


def test_a_call_cycle_is_reported_with_its_location(cli: Callable[..., Run],
                                                    write_blueprint: Callable[..., Path]) -> None:
    folder = write_blueprint({"a": service(calls={"b.api": 1}), "b": service(calls={"a.api": 1})},
                             {"peak": {"load": {"a.api": "10rps"}}})
    run = cli("capacity", folder, "--env", "prod")
    assert run.exit == 2
    assert re.search(r"blueprint\.yaml:\d+:\d+: error: capacity\.calls form a cycle, so load cannot be "
                     r"propagated: a -> b -> a \(at modules\.a\.capacity\.calls\.b\.api\)", run.stderr)


def test_a_peak_beyond_the_namespace_quota_is_reported(cli: Callable[..., Run],
                                                       write_blueprint: Callable[..., Path]) -> None:
    # the rendered quota allows (max 2 + 1 surge) x 0.5 CPU x 1.2; the peak needs 36 replicas of 0.5 CPU
    folder = write_blueprint({"front": service(replicas=(2, 2))}, {"peak": {"load": {"front.api": "10000rps"}}})
    run = cli("capacity", folder, "--env", "prod", "--format", "json")
    assert run.exit == 1
    [scenario] = json.loads(run.stdout)["scenarios"]
    resources = scenario["resources"]
    assert scenario["modules"][0]["replicasNeeded"] == 36
    assert resources["peak"]["cpu"] == 18 and resources["quota"]["cpu"] == 1.8
    assert resources["peakFitsQuota"] is False
    text = cli("capacity", folder, "--env", "prod").stdout
    assert "resources at peak: 18 CPU, 36 GiB — exceeds the namespace quota" in text
    assert "namespace quota:   1.8 CPU" in text


def test_the_table_and_json_name_the_binding_objective(cli: Callable[..., Run],
                                                       write_blueprint: Callable[..., Path]) -> None:
    # 30 rps of 100 ms, one server per replica: p95 <= 310 ms needs 6 replicas, p99 <= 463 ms needs 7
    module = service(service_time="100ms", concurrency=1, replicas=(2, 10),
                     slo={"availability": "99.9%", "latency": {"p95": "310ms", "p99": "463ms"}})
    folder = write_blueprint({"front": module}, {"peak": {"load": {"front.api": "30rps"}}})
    text = cli("capacity", folder, "--env", "prod")
    assert text.exit == 0, text.stderr
    assert re.search(r"front \*\s+│\s+30/s\s+│\s+7\s+│\s+10\s+│\s+30%\s+│\s+p99 [\d.]+ ms\s+│\s+p99 463 ms †\s+│",
                     text.stdout), text.stdout
    assert "† the binding one of the module's latency objectives" in text.stdout
    [scenario] = json.loads(cli("capacity", folder, "--env", "prod", "--format", "json").stdout)["scenarios"]
    [front] = scenario["modules"]
    assert (front["replicasNeeded"], front["quantile"], front["objective"], front["objectiveSource"]) == \
        (7, "p99", 0.463, "slo.latency.p99")
    assert [(o["quantile"], o["binding"], o["replicasNeeded"]) for o in front["objectives"]] == \
        [("p95", False, 6), ("p99", True, 7)]
    assert [o["quantile"] for o in front["ramp"]["objectives"]] == ["p95", "p99"]


def test_text_shows_bracketed_user_text_as_written(cli: Callable[..., Run], fraud: Path) -> None:
    """Descriptions are text, not terminal markup: ``[/peak]`` used to crash the table, ``[x]`` to vanish."""
    edit(fraud / "blueprint.yaml", "description: Black-Friday evening peak.",
         'description: "Black-Friday [/peak] evening [bold]peak [see runbook]."')
    run = cli("capacity", fraud, "--env", "prod")
    assert run.exit == 0 and "Traceback" not in run.stderr
    assert "Black-Friday [/peak] evening [bold]peak [see runbook]." in " ".join(run.stdout.split())


def test_a_plot_with_nothing_simulated_writes_no_library_warning(cli: Callable[..., Run], fraud: Path,
                                                                 tmp_path: Path) -> None:
    edit(fraud / "blueprint.yaml", "    capacity: {serviceTime: 12ms, concurrency: 4, calls: {features.feature-api: 2}}\n", "")
    run = cli("capacity", fraud, "--env", "prod", "--plot", tmp_path / "peak.svg")
    assert (tmp_path / "peak.svg").is_file() and "declares no capacity.serviceTime" in run.stdout
    assert "Warning" not in run.stderr and "matplotlib" not in run.stderr, run.stderr
