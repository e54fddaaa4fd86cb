"""Organisation Rego policies: both packages, severities, located syntax and runtime errors,
caching, waivers of Rego findings, and ``buttress policy test``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import edit

from buttress.app.check import check, policy_set
from buttress.app.validate import validate
from buttress.cli.main import main
from buttress.errors import BlueprintError
from buttress.policy import rego, rego_batch, rego_tests
from buttress.policy.rego import load_policies

AT = dt.date(2026, 12, 1)

MAIN_POLICY = """package main

import rego.v1

deny_missing_team_label contains msg if {
\tinput.kind in {"Deployment", "Rollout"}
\tnot input.metadata.labels.team
\tmsg := sprintf("%s has no team label", [input.metadata.name])
}

warn_service_ports contains msg if {
\tinput.kind == "Service"
\tcount(input.spec.ports) > 0
\tmsg := "services should be reviewed"
}
"""


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the Rego verdict cache of every test here in a temporary folder, never in the home."""
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("BUTTRESS_CACHE_DIR", str(folder))
    return folder


def run(capfd: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process, capturing file descriptors (the Rego engine writes to fd 1)."""
    capfd.readouterr()
    code = main([str(a) for a in args])
    out = capfd.readouterr()
    return code, out.out, out.err


def test_blueprint_package_blocks_with_module_and_location(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "replicas: {min: 3, max: 12}", "replicas: {min: 2, max: 12}")
    report = check(validate(fraud, ["prod"]), ["prod"], AT)
    [f] = [f for f in report.findings if f.control.startswith("rego:")]
    assert (f.control, f.severity, f.module, f.waived) == ("rego:blueprint.deny_restricted_replicas", "error",
                                                           "features", False)
    assert f.location is not None and f.location.line == 32
    assert report.blocked


def test_warn_rule_is_a_warning_and_blocks_only_with_fail_on_warn(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "labels: {cost-centre: risk-ml-training}", "labels: {team: risk}")
    validated = validate(fraud, ["prod"])
    report = check(validated, ["prod"], AT)
    [f] = [f for f in report.findings if f.control == "rego:blueprint.warn_gpu_cost_centre"]
    assert (f.severity, f.module) == ("warning", "retrain")
    assert not report.blocked
    assert check(validated, ["prod"], AT, fail_on_warn=True).blocked


def test_main_package_runs_over_every_rendered_object(fraud: Path) -> None:
    (fraud / "policies" / "k8s.rego").write_text(MAIN_POLICY)
    report = check(validate(fraud, ["prod"]), ["prod"], AT)
    denied = [f for f in report.findings if f.control == "rego:main.deny_missing_team_label"]
    assert {f.module for f in denied} >= {"features", "scorer", "label-ingest"}
    scorer = next(f for f in denied if f.module == "scorer")
    assert scorer.object is not None and scorer.message.startswith(f"{scorer.object.kind}/")
    assert scorer.location is not None and scorer.location.line == 51
    assert any(f.control == "rego:main.warn_service_ports" and f.severity == "warning" for f in report.findings)


def test_waiver_can_waive_a_rego_rule(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "replicas: {min: 3, max: 12}", "replicas: {min: 2, max: 12}")
    edit(bp, "      expires: 2027-05-15\n", "      expires: 2027-05-15\n"
         "    - control: rego:blueprint.deny_restricted_replicas\n      modules: [features]\n"
         "      reason: Load test shows two replicas hold.\n      approvedBy: security@example.com\n"
         "      expires: 2027-01-15\n")
    report = check(validate(bp, ["prod"]), ["prod"], AT)
    assert not report.blocked
    assert [f.waived for f in report.findings if f.control.startswith("rego:")] == [True]


def test_syntax_error_is_located_and_keeps_stdout_clean(fraud: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (fraud / "policies" / "broken.rego").write_text("package blueprint\n\nimport rego.v1\n\n"
                                                     "deny_x contains msg if {\n  input.a ==\n}\n")
    code, out, err = run(capfd, "check", fraud, "--env", "prod", "--format", "json")
    assert code == 2
    assert out == ""
    assert "policies/broken.rego:6:" in err and ": error: Rego: " in err
    assert "Traceback" not in err


def test_one_mistake_is_one_error(fraud: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (fraud / "policies" / "bad.rego").write_text("package blueprint\n\nimport rego.v1\n\n"
                                                  "deny_x contains msg if {\n\tinput.a >> 0\n\tmsg := \"x\"\n}\n")
    code, _, err = run(capfd, "check", fraud, "--env", "prod", "--format", "json")
    assert code == 2
    assert err.count("bad.rego:6:") == 1 and "1 error(s)" in err


def test_a_misspelt_package_is_an_error_and_a_library_package_is_not(fraud: Path,
                                                                     capfd: pytest.CaptureFixture[str]) -> None:
    (fraud / "policies" / "lib.rego").write_text("package lib.naming\n\nimport rego.v1\n\nshort(n) if count(n) < 3\n")
    assert run(capfd, "check", fraud, "--env", "prod", "--format", "json")[0] == 0
    (fraud / "policies" / "typo.rego").write_text("package blueprnt\n\nimport rego.v1\n\ndeny_x contains \"x\" if true\n")
    code, _, err = run(capfd, "check", fraud, "--env", "prod", "--format", "json")
    assert code == 2 and "typo.rego:1:9: error: Rego: package blueprnt is neither blueprint nor main" in err
    assert "did you mean 'blueprint'?" in err


def test_runtime_error_is_a_located_user_error(fraud: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (fraud / "policies" / "conflict.rego").write_text(
        "package blueprint\n\nimport rego.v1\n\nlevel := 1 if input.environment.name == \"prod\"\n\n"
        "level := 2 if input.blueprint.name == \"fraud-detection\"\n\n"
        "deny_level contains msg if {\n\tlevel > 0\n\tmsg := \"x\"\n}\n")
    code, out, err = run(capfd, "check", fraud, "--env", "prod", "--format", "json")
    assert code == 2
    assert out == ""
    assert "conflict.rego:9:1: error: Rego runtime error in rule deny_level" in err


@pytest.mark.parametrize("package", ["blueprint", "main"])
def test_an_unknown_function_is_located_at_its_call(fraud: Path, capfd: pytest.CaptureFixture[str],
                                                    package: str) -> None:
    # rego-cpp finds it only when a rule runs on an input, and regopy cannot read its answer then
    (fraud / "policies" / "typo.rego").write_text(
        f"package {package}\n\nimport rego.v1\n\ndeny_typo contains msg if {{\n\tsome x in input\n"
        "\tstartwith(\"a\", \"b\")\n\tmsg := \"x\"\n}\n")
    code, out, err = run(capfd, "check", fraud, "--env", "prod", "--format", "json")
    assert (code, out) == (2, "")
    assert "typo.rego:7:2: error: Rego: unknown function startwith" in err
    assert "Traceback" not in err


def test_a_policy_test_calling_an_unknown_function_fails_with_the_engine_message(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t_test.rego").write_text("package blueprint\n\nimport rego.v1\n\n"
                                          "test_typo if {\n\tstartwith(\"a\", \"b\")\n}\n")
    code, out, _ = run(capfd, "policy", "test", tmp_path)
    assert code == 1
    assert "t_test.rego:5: ERROR: data.blueprint.test_typo (runtime error: Function not found: startwith)" in out


def test_unchanged_inputs_are_evaluated_once(fraud: Path) -> None:
    policies = load_policies([(fraud / "policies", "policies")])
    assert policies is not None
    inputs = [{"environment": {"name": "prod"}, "modules": {}}] * 3
    assert policies.evaluate("blueprint", inputs) == [[], [], []]
    assert policies.evaluations == 1
    assert policies.evaluate("main", inputs) == [[], [], []]  # no package main: no engine call
    assert policies.evaluations == 1


def test_policies_without_a_package_are_refused(tmp_path: Path) -> None:
    (tmp_path / "x.rego").write_text("deny_x := true\n")
    with pytest.raises(BlueprintError, match="no package declaration"):
        load_policies([(tmp_path, "p")])


def test_blueprint_without_rego_has_no_policy_set(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "  rego: [policies/]\n", "")
    assert policy_set(validate(fraud, ["prod"]).blueprint) is None


PASSING_TEST = """package blueprint

import rego.v1

test_denies_two_replicas_in_prod if {
\tr := deny_restricted_replicas with input as {"environment": {"name": "prod"}, "modules": {"a": {
\t\t"kind": "service", "data": {"classification": "restricted"}, "scaling": {"replicas": {"min": 2}}}}}
\tcount(r) == 1
}

test_allows_dev if {
\tr := deny_restricted_replicas with input as {"environment": {"name": "dev"}, "modules": {}}
\tcount(r) == 0
}
"""


def test_policy_test_passes(fraud: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (fraud / "policies" / "fraud_test.rego").write_text(PASSING_TEST)
    code, out, _ = run(capfd, "policy", "test", fraud / "policies", "--format", "json")
    assert code == 0
    result = json.loads(out)
    assert [(t["name"], t["status"]) for t in result["tests"]] == [
        ("data.blueprint.test_denies_two_replicas_in_prod", "pass"), ("data.blueprint.test_allows_dev", "pass")]


def test_policy_test_reports_failures(fraud: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (fraud / "policies" / "fraud_test.rego").write_text(PASSING_TEST.replace("count(r) == 0", "count(r) == 5"))
    code, out, _ = run(capfd, "policy", "test", fraud / "policies")
    assert code == 1
    assert "FAIL: data.blueprint.test_allows_dev" in out
    assert "PASS: data.blueprint.test_denies_two_replicas_in_prod" in out


def test_policy_test_isolates_an_engine_crash(fraud: Path, capfd: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real = rego_tests._run_child

    def crashing(files: list[Any], queries: list[str]) -> list[dict[str, Any]] | None:
        """Behave like a child process that the engine kills while evaluating test_allows_dev."""
        return None if any(q.endswith("test_allows_dev") for q in queries) else real(files, queries)

    monkeypatch.setattr(rego_tests, "_run_child", crashing)
    (fraud / "policies" / "fraud_test.rego").write_text(PASSING_TEST)
    code, out, _ = run(capfd, "policy", "test", fraud / "policies", "--format", "json")
    assert code == 1
    statuses = {t["name"].rsplit(".", 1)[1]: t["status"] for t in json.loads(out)["tests"]}
    assert statuses == {"test_denies_two_replicas_in_prod": "pass", "test_allows_dev": "error"}


def test_policy_test_syntax_error_is_exit_2(fraud: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (fraud / "policies" / "bad_test.rego").write_text("package blueprint\n\ntest_x if {\n  1 ==\n}\n")
    code, _out, err = run(capfd, "policy", "test", fraud / "policies")
    assert code == 2
    assert "bad_test.rego:4:" in err


def test_verdicts_persist_between_runs(fraud: Path) -> None:
    (fraud / "policies" / "k8s.rego").write_text(MAIN_POLICY)
    validated = validate(fraud, ["prod"])
    cache = fraud / ".buttress" / "cache"
    first = policy_set(validated.blueprint)
    assert first is not None
    report = check(validated, ["prod"], AT, policies=first, cache=cache)
    assert first.evaluations > 0  # the Deployments only: no rule applies to the other kinds
    second = policy_set(validated.blueprint)
    assert second is not None
    again = check(validated, ["prod"], AT, policies=second, cache=cache)
    assert second.evaluations == 0
    assert [f.to_json() for f in again.findings] == [f.to_json() for f in report.findings]


def test_large_batches_run_in_worker_processes_with_the_same_verdicts(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "k8s.rego").write_text(MAIN_POLICY)
    objects = [{"kind": "Deployment", "metadata": {"name": f"d{i}", "labels": {"team": "x"} if i % 2 else {}}}
               for i in range(600)]
    monkeypatch.setattr(rego, "PARALLEL_MIN", 10_000)  # characters: these 600 objects go to workers
    parallel = load_policies([(tmp_path, "p")])
    assert parallel is not None
    started = []
    real = rego.Workers
    monkeypatch.setattr(rego, "Workers", lambda sources, size: started.append(size) or real(sources, size))
    verdicts = parallel.evaluate("main", objects)
    assert started == [rego_batch.cores()] and parallel._workers is None  # started for the batch, stopped after it
    assert [len(v) for v in verdicts[:4]] == [1, 0, 1, 0]
    assert verdicts[2][0].message == "d2 has no team label"
    sequential = load_policies([(tmp_path, "p")])
    assert sequential is not None
    assert [sequential.evaluate("main", [o])[0] for o in objects[:50]] == verdicts[:50]


def test_a_batch_waits_for_inputs_an_earlier_batch_is_evaluating(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "k8s.rego").write_text(MAIN_POLICY)
    objects = [{"kind": "Deployment", "metadata": {"name": f"d{i}", "labels": {"team": "x"} if i % 2 else {}}}
               for i in range(600)]
    monkeypatch.setattr(rego, "PARALLEL_MIN", 10_000)
    policies = load_policies([(tmp_path, "p")])
    assert policies is not None
    try:
        # three environments with the same objects (and one of their own), submitted before any is waited for
        waiters = [policies.submit("main", [*objects, {**objects[1], "metadata": {"name": f"only-{e}"}}])
                   for e in ("dev", "staging", "prod")]
        results = [waiter() for waiter in reversed(waiters)][::-1]
    finally:
        policies.close()
    assert policies.evaluations == 600 + 3
    assert results[0][:600] == results[1][:600] == results[2][:600]
    assert [v.message for v in results[2][600]] == ["only-prod has no team label"]
    assert [len(v) for v in results[0][:4]] == [1, 0, 1, 0]


def test_a_secret_a_rego_message_interpolates_is_neither_shown_nor_cached(
        fraud: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    token = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"
    edit(fraud / "blueprint.yaml", "    secrets:\n      REGISTRY_TOKEN: vault://secret/risk/mlflow#token\n",
         f"    env:\n      REGISTRY_TOKEN: {token}\n")
    (fraud / "policies" / "env.rego").write_text(
        "package blueprint\n\nimport rego.v1\n\nwarn_plain_env contains msg if {\n\tsome name, m in input.modules\n"
        "\tsome var, value in m.env\n\tmsg := sprintf(\"module %s sets %s=%s in plain env\", [name, var, value])\n}\n")
    cache = tmp_path / "cache"
    monkeypatch.setenv("BUTTRESS_CACHE_DIR", str(cache))
    for fmt in ("json", "sarif", "text"):
        code, out, err = run(capfd, "check", fraud, "--env", "prod", "--format", fmt)
        assert code == 1 and token not in out + err
    assert "module scorer sets <redacted> in plain env" in out
    assert token.encode() not in b"".join(p.read_bytes() for p in cache.rglob("*") if p.is_file())


def test_a_secret_in_a_waiver_reason_is_in_no_report(fraud: Path, capfd: pytest.CaptureFixture[str]) -> None:
    token = "ghp_Qw3rTy8uIo1pAs5dFg7hJk9lZx2cVb4nM6qW"
    edit(fraud / "blueprint.yaml", "      reason: The queue worker", f"      reason: (dashboard token {token}) The queue worker")
    for fmt in ("json", "sarif", "junit", "text"):  # staging honours the waiver, so every report shows it
        code, out, err = run(capfd, "check", fraud, "--env", "staging", "--format", fmt, "--at", "2026-12-01")
        assert code == 1 and token not in out + err  # secret-inline flags the reason itself
        assert "(dashboard token <redacted>) The queue worker" in out.replace("&lt;", "<").replace("&gt;", ">") \
            or fmt == "text"


def test_verdicts_of_an_older_cache_are_redacted_when_read(tmp_path: Path) -> None:
    (tmp_path / "k8s.rego").write_text(MAIN_POLICY)
    policies = load_policies([(tmp_path, "p")])
    assert policies is not None
    token = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"
    policies.import_cache({"a" * 64: [["deny_x", "error", f"sets TOKEN={token}", None]]})
    assert token not in json.dumps(policies.export_cache()) and token not in repr(policies._cache)


def test_a_waiter_after_close_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "k8s.rego").write_text(MAIN_POLICY)
    objects = [{"kind": "Deployment", "metadata": {"name": f"d{i}", "labels": {}}} for i in range(300)]
    here = load_policies([(tmp_path, "p")])
    assert here is not None
    waiter = here.submit("main", objects[:3])  # small: evaluated in this process, stored at once
    here.close()
    assert [v[0].message for v in waiter()] == ["d0 has no team label", "d1 has no team label", "d2 has no team label"]
    monkeypatch.setattr(rego, "PARALLEL_MIN", 1_000)
    pooled = load_policies([(tmp_path, "p")])
    assert pooled is not None
    waiter = pooled.submit("main", objects)
    pooled.close()
    with pytest.raises(RuntimeError, match="closed before these verdicts were collected"):
        waiter()


def test_policy_test_runs_as_opa_test_does(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """A test package importing the policy, a test_ rule beside the rules, todo_ skipped, errors counted apart."""
    (tmp_path / "policy.rego").write_text("package blueprint\n\nimport rego.v1\n\n"
                                          "deny_x contains \"x\" if input.x\n\ntest_inline if true\n")
    (tmp_path / "policy_test.rego").write_text(
        "package blueprint_test\n\nimport rego.v1\nimport data.blueprint\n\n"
        "test_denies if blueprint.deny_x == {\"x\"} with input as {\"x\": true}\n\n"
        "test_wrong if blueprint.deny_x == set() with input as {\"x\": true}\n\n"
        "test_typo if startwith(\"a\", \"b\")\n\ntodo_later if false\n")
    code, out, _ = run(capfd, "policy", "test", tmp_path, "--format", "json")
    report = json.loads(out)
    assert code == 1 and (report["passed"], report["failed"], report["errors"], report["skipped"]) == (2, 1, 1, 1)
    assert {t["name"]: t["status"] for t in report["tests"]} == {
        "data.blueprint.test_inline": "pass", "data.blueprint_test.test_denies": "pass",
        "data.blueprint_test.test_wrong": "fail", "data.blueprint_test.test_typo": "error",
        "data.blueprint_test.todo_later": "skip"}
    code, out, _ = run(capfd, "policy", "test", tmp_path)
    assert "PASS: 2/4" in out and "FAIL: 1/4" in out and "ERROR: 1/4" in out and "SKIPPED: 1" in out


def test_an_unclosed_bracket_is_reported_where_it_opens(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """rego-cpp also reports the rule's { and the file's package as unclosed: only the bracket is the mistake."""
    (tmp_path / "a_test.rego").write_text("package blueprint\n\nimport rego.v1\n\n"
                                          "test_b if {\n\tx := [1, 2\n\tx[0] == 1\n}\n\ntest_c if { true }\n")
    code, _out, err = run(capfd, "policy", "test", tmp_path)
    assert code == 2
    assert [line.split(": error: ")[0].rsplit("/", 1)[-1] for line in err.splitlines() if ": error: " in line] == [
        "a_test.rego:6:7"]


def test_a_conflict_the_engine_leaves_unexplained_is_an_error_that_says_what_may_cause_it(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f_test.rego").write_text("package blueprint\n\nimport rego.v1\n\nf(x) := y if { y := x + 1 }\n"
                                          "f(x) := y if { y := x + 2 }\n\ntest_conflict if {\n\tf(1) == 2\n}\n")
    code, out, _ = run(capfd, "policy", "test", tmp_path)
    assert code == 1 and "ERROR: data.blueprint.test_conflict (runtime error: the engine stopped without a message" in out
