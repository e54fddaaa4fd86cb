"""``buttress diff``: the effective difference between two environments (the first rendered under the
second's names, so only real differences remain), and between an environment and an earlier render;
exit 0 equal, 1 different."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import FRAUD, Run, edit

from buttress.app.diff import ObjectRef, diff_against, diff_environments, field_changes
from buttress.app.render import render_environments
from buttress.app.validate import Validated, validate
from buttress.render.bundle import write_atomic

CLI = Callable[..., Run]


def _labels(refs: list[ObjectRef]) -> set[str]:
    return {r.label for r in refs}


def test_dev_to_prod_shows_only_what_the_overrides_change(fraud_validated: Validated) -> None:
    result = diff_environments(fraud_validated, "dev", "prod")
    assert _labels(result.added) == {"PodDisruptionBudget/features", "PodDisruptionBudget/scorer"}
    assert not result.removed
    changed = {c.ref.label: {f.path: (f.before, f.after) for f in c.changes} for c in result.changed}
    assert changed["Deployment/features"]["spec.replicas"] == (1, 3)
    assert changed["HorizontalPodAutoscaler/features"]["spec.maxReplicas"] == (2, 12)
    assert changed["ScaledObject/scorer"]["spec.maxReplicaCount"] == (2, 40)
    # Objects that differ only by namespace or environment name are not reported.
    for same in ("Namespace/fraud-prod", "NetworkPolicy/features", "Schedule/fraud-prod-case-store",
                 "StatefulSet/case-store", "ExternalSecret/features", "AnalysisTemplate/scorer"):
        assert same not in changed


def test_prod_to_dev_reports_removed_objects(fraud_validated: Validated) -> None:
    result = diff_environments(fraud_validated, "prod", "dev")
    assert _labels(result.removed) == {"PodDisruptionBudget/features", "PodDisruptionBudget/scorer"}
    assert not result.added


def test_staging_and_prod_render_the_same_kubernetes_objects(fraud_validated: Validated) -> None:
    """The example's staging and prod differ in region only, which no Kubernetes object carries."""
    result = diff_environments(fraud_validated, "staging", "prod")
    assert not result.added and not result.removed
    assert [c.ref.label for c in result.changed if c.ref.kind] == []


def test_cli_from_to_exit_codes_and_json(cli: CLI) -> None:
    run = cli("diff", FRAUD, "--from", "dev", "--to", "prod")
    assert run.exit == 1
    assert "+ PodDisruptionBudget/features" in run.stdout
    assert "~ Deployment/features" in run.stdout and "spec.replicas: 1 -> 3" in run.stdout
    same = cli("diff", FRAUD, "--from", "prod", "--to", "prod", "--format", "json")
    assert same.exit == 0
    assert json.loads(same.stdout) == {"from": "prod", "to": "prod", "equal": True, "added": [], "removed": [],
                                       "changed": []}


def test_against_an_earlier_render(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_atomic(render_environments(validate(fraud, ["prod"]), ["prod"]).files, out)
    for folder in (out, out / "prod"):  # the --out folder, or its environment folder
        assert diff_against(validate(fraud, ["prod"]), "prod", folder).equal
    run = cli("diff", fraud, "--env", "prod", "--against", out)
    assert (run.exit, run.stdout.strip()) == (0, f"diff {out / 'prod'} -> prod\nno differences")

    window = '      window: {days: [mon, tue, wed, thu], hours: "08:00-16:00", timezone: Europe/Berlin}\n'
    edit(fraud / "blueprint.yaml", window, window +
         "    overrides:\n      features:\n        scaling: {replicas: {min: 4, max: 12}}\n")
    run = cli("diff", fraud, "--env", "prod", "--against", out, "--format", "json")
    assert run.exit == 1
    doc = json.loads(run.stdout)
    changed = {(c["kind"], c["name"]): c["changes"] for c in doc["changed"]}
    assert {"path": "spec.replicas", "from": 3, "to": 4} in changed[("Deployment", "features")]
    assert {"path": "spec.minReplicas", "from": 3, "to": 4} in changed[("HorizontalPodAutoscaler", "features")]
    assert not doc["added"] and not doc["removed"]
    # No noise: the edit changes the blueprint digest, which every object carries (annotation) and
    # the environment-wide objects' version label is derived from; those fields are not compared,
    # so exactly what the replica change really changes is shown.
    assert {f"{c['kind']}/{c['name']}" if c["kind"] else c["file"] for c in doc["changed"]} == {
        "Deployment/features", "HorizontalPodAutoscaler/features", "dashboards/features.json", "runbooks/features.md"}
    assert changed[("Deployment", "features")] == [{"path": "spec.replicas", "from": 3, "to": 4}]
    assert "blueprint-digest" not in run.stdout and "sha256-" not in run.stdout


def test_a_file_removed_from_the_earlier_render_is_reported(fraud: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    files = render_environments(validate(fraud, ["prod"]), ["prod"]).files
    gone = "prod/features/poddisruptionbudget-features.yaml"
    write_atomic({p: c for p, c in files.items() if p != gone}, out)
    result = diff_against(validate(fraud, ["prod"]), "prod", out)
    assert _labels(result.added) == {"PodDisruptionBudget/features"}


def test_named_list_items_match_by_name_and_absent_sides_are_marked() -> None:
    a = {"env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "gone": 1}
    b = {"env": [{"name": "B", "value": "3"}, {"name": "A", "value": "1"}], "new": {"x": 1}}
    changes = {c.path: c.to_json() for c in field_changes(a, b)}
    assert changes == {"env[B].value": {"path": "env[B].value", "from": "2", "to": "3"},
                       "gone": {"path": "gone", "from": 1}, "new": {"path": "new", "to": {"x": 1}}}


@pytest.mark.parametrize("args", [
    ["--from", "dev"],
    ["--from", "dev", "--to", "prod", "--env", "prod"],
    ["--from", "dev", "--to", "prd"],
    ["--env", "prod", "--against", "no-such-folder"],
])
def test_usage_errors_exit_2(cli: CLI, args: list[str]) -> None:
    assert cli("diff", FRAUD, *args).exit == 2


def test_a_changed_job_is_one_changed_object_although_its_name_follows_its_content(fraud: Path,
                                                                                   tmp_path: Path) -> None:
    edit(fraud / "blueprint.yaml", "kind: cronjob\n", "kind: job\n")
    edit(fraud / "blueprint.yaml", '    schedule: "0 3 * * *"\n', "")
    out = tmp_path / "build"
    write_atomic(render_environments(validate(fraud, ["prod"]), ["prod"]).files, out)
    edit(fraud / "blueprint.yaml", "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
         "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
    result = diff_against(validate(fraud, ["prod"]), "prod", out)
    assert not any(r.kind == "Job" for r in result.added + result.removed)
    [job] = [c for c in result.changed if c.ref.kind == "Job"]
    paths = {f.path for f in job.changes}
    assert "metadata.name" in paths and "spec.template.spec.containers[retrain].image" in paths
    # A module's version label is its image's, not the blueprint digest's: it is still compared.
    assert "metadata.labels.app.kubernetes.io/version" in paths
    assert not any("blueprint-digest" in f.path for c in result.changed for f in c.changes)


def test_secret_looking_values_are_redacted_in_both_formats(cli: CLI, fraud: Path) -> None:
    token, key = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG", "AKIAIOSFODNN7EXAMPLE"
    edit(fraud / "blueprint.yaml", "      features:\n        scaling: {replicas: {min: 1, max: 2}}\n",
         "      features:\n        scaling: {replicas: {min: 1, max: 2}}\n"
         f"        env: {{API_KEY: {key}, SIGNING_PASSWORD: hunter2hunter2, MODE: shadow}}\n"
         f"        args: [\"--token={token}\"]\n")
    text = cli("diff", fraud, "--from", "dev", "--to", "staging")
    doc = cli("diff", fraud, "--from", "dev", "--to", "staging", "--format", "json")
    assert text.exit == doc.exit == 1
    for out in (text.stdout, doc.stdout):
        assert token not in out and key not in out and "hunter2hunter2" not in out
        assert "<redacted>" in out and "shadow" in out  # a plain value is shown as it is
    changes = {c["path"]: c for o in json.loads(doc.stdout)["changed"] for c in o["changes"]}
    assert changes["spec.template.spec.containers[features].env[SIGNING_PASSWORD]"]["from"] == {
        "name": "SIGNING_PASSWORD", "value": "<redacted>"}


def test_against_a_file_says_it_is_no_folder(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    (tmp_path / "render.txt").write_text("x")
    run = cli("diff", fraud, "--env", "prod", "--against", tmp_path / "render.txt")
    assert run.exit == 2 and "render.txt exists and is not a folder" in run.stderr


def test_text_shows_bracketed_values_and_container_names(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_atomic(render_environments(validate(fraud, ["prod"]), ["prod"]).files, out)
    edit(fraud / "blueprint.yaml", "    capacity: {serviceTime: 4ms, concurrency: 8}",
         '    env: {NOTE: "[/v2 API] in real time [see docs]"}\n    capacity: {serviceTime: 4ms, concurrency: 8}')
    run = cli("diff", fraud, "--env", "prod", "--against", out)
    assert run.exit == 1 and "Traceback" not in run.stderr, run.stderr  # differences: 1, as diff(1)
    assert "[/v2 API] in real time [see docs]" in run.stdout
    assert "spec.template.spec.containers[features].env[NOTE]" in run.stdout


def test_a_hand_edit_that_breaks_the_yaml_is_a_located_error(cli: CLI, fraud: Path, tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_atomic(render_environments(validate(fraud, ["prod"]), ["prod"]).files, out)
    broken = out / "prod" / "case-store" / "statefulset-case-store.yaml"
    broken.write_text(broken.read_text() + "extra: [unclosed\n")
    lines = broken.read_text().count("\n")
    for args in (("diff", fraud, "--env", "prod", "--against", out), ("check", fraud, "--env", "prod", "--manifests", out)):
        run = cli(*args)
        assert run.exit == 2 and "Traceback" not in run.stderr, run.stderr
        [error] = [line for line in run.stderr.splitlines() if ": error: " in line]
        assert error.startswith(f"{broken}:{lines + 1}:1: error: not valid YAML:"), error


def test_a_user_s_value_naming_the_environment_is_compared_as_written(fraud: Path) -> None:
    """Only the names buttress derives from an environment are mapped: a model path or a tier the user
    wrote per environment is a real difference, and a value the same in both environments is none."""
    edit(fraud / "blueprint.yaml", "      scorer:\n        scaling: {replicas: {min: 1, max: 2}}\n",
         "      scorer:\n        scaling: {replicas: {min: 1, max: 2}}\n"
         "        env: {MODEL_URI: s3://risk-models/dev/scorer.onnx, TIER: dev}\n")
    edit(fraud / "blueprint.yaml", "timezone: Europe/Berlin}\n",
         "timezone: Europe/Berlin}\n    overrides:\n      scorer:\n"
         "        env: {MODEL_URI: s3://risk-models/prod/scorer.onnx, TIER: prod}\n")
    edit(fraud / "blueprint.yaml", "  features:\n    kind: service\n",
         "  features:\n    kind: service\n    env: {DEV_NOTES: /srv/dev/notes}\n")
    result = diff_environments(validate(fraud), "dev", "prod")
    changed = {c.ref.label: {f.path: (f.before, f.after) for f in c.changes} for c in result.changed}
    scorer = next(fields for label, fields in changed.items() if label.endswith("/scorer") and "Rollout" in label)
    assert ("s3://risk-models/dev/scorer.onnx", "s3://risk-models/prod/scorer.onnx") in scorer.values()
    assert ("dev", "prod") in scorer.values()  # TIER: the user's own value, although it is the environment's name
    assert not any("DEV_NOTES" in path for fields in changed.values() for path in fields)
    for same in ("Namespace/fraud-prod", "NetworkPolicy/features", "Schedule/fraud-prod-case-store"):
        assert same not in changed
