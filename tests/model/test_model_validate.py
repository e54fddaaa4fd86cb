"""Validation of whole blueprints: every problem located, all of them in one run, with hints."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import EXAMPLES, Run, edit

import buttress
from buttress.cli.main import main
from buttress.errors import BlueprintError, UsageError


def problems(path: Path) -> list[str]:
    with pytest.raises(BlueprintError) as info:
        buttress.validate(path)
    return [p.format() for p in info.value.problems]


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "blueprint.yaml").exists()))
def test_every_example_validates(example: str) -> None:
    result = buttress.validate(EXAMPLES / example)
    assert result.environments and result.graphs


def test_unknown_key_names_line_column_path_and_suggestion(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "replicas: {min: 3, max: 40}", "replicas: {min: 3, maxx: 40}")
    [message] = problems(fraud)
    assert message.endswith(":62:26: error: unknown key 'maxx'; did you mean 'max'? "
                            "(at modules.scorer.scaling.replicas.maxx)")


def test_every_problem_of_a_file_is_reported_in_one_run(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "owner: risk-ml\n", "")
    edit(bp, "kind: worker", "kind: wroker")
    edit(bp, "enforcement: advisory", "enforcement: sometimes")
    edit(bp, "port: 9090", "port: 99999")
    found = "\n".join(problems(fraud))
    assert "missing required key 'owner'" in found
    assert "'wroker' is not allowed" in found and "did you mean 'worker'" in found
    assert "'sometimes' is not allowed" in found
    assert "modules.case-store.provides.cases.port" in found


def test_unknown_reference_is_located_on_its_line(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "- features.feature-api@^1.4", "- featurez.feature-api@^1.4")
    found = problems(fraud)
    assert any(":58:9: error: module 'featurez' does not exist; did you mean 'features'?" in f for f in found)


def test_unknown_interface_and_external(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "- scorer.score-api@^2", "- scorer.scor-api@^2")
    edit(bp, "      - events\n", "      - eventz\n")
    found = "\n".join(problems(fraud))
    assert "provides no interface 'scor-api'; did you mean 'score-api'?" in found
    assert "'eventz' is neither an external nor a module interface; did you mean 'events'?" in found


def test_bare_module_name_asks_for_an_interface(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "- scorer.score-api@^2", "- scorer")
    assert any("name its interface, e.g. scorer.score-api" in f for f in problems(fraud))


def test_override_of_unknown_module(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "      features:\n        scaling", "      featuers:\n        scaling")
    assert any("override names module 'featuers', which does not exist; did you mean 'features'?" in f
               for f in problems(fraud))


def test_override_errors_point_into_the_override(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "scaling: {replicas: {min: 1, max: 2}}\n      features:",
         "scaling: {replicas: {min: one, max: 2}}\n      features:")
    [message] = problems(fraud)
    assert ":135:35: error: expected a whole number, got text" in message
    assert message.endswith("(at environments.dev.overrides.scorer.scaling.replicas.min)")


def test_promotion_from_unknown_and_loops(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "from: dev", "from: prod")
    found = "\n".join(problems(fraud))
    assert "promotion chain loops: prod -> staging -> prod" in found  # in promotion order, source first
    assert "promotion chain loops: staging -> prod -> staging" in found
    edit(bp, "from: prod", "from: qa")
    assert any("promotion source 'qa' is not an environment" in f for f in problems(fraud))


def test_a_loop_through_every_environment_is_named_in_promotion_order(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "    enforcement: advisory\n", "    enforcement: advisory\n    promotion: {from: prod}\n")
    found = "\n".join(problems(fraud))
    assert "environments.dev.promotion.from" in found
    assert "promotion chain loops: dev -> staging -> prod -> dev" in found


@pytest.mark.parametrize("target", ["../../../etc/passwd", "/etc/passwd"])
def test_pattern_paths_must_stay_inside(fraud: Path, target: str) -> None:
    edit(fraud / "blueprint.yaml", "model-server: patterns/model-server.yaml", f"model-server: {target}")
    [message] = problems(fraud)
    assert ":14:" in message and "leaves the blueprint's folder" in message


def test_symlink_pointing_out_is_refused(fraud: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text((fraud / "patterns" / "model-server.yaml").read_text())
    (fraud / "patterns" / "model-server.yaml").unlink()
    (fraud / "patterns" / "model-server.yaml").symlink_to(outside)
    assert any("leaves the blueprint's folder" in f for f in problems(fraud))


def test_errors_in_pattern_files_name_the_pattern_file(fraud: Path) -> None:
    edit(fraud / "patterns" / "model-server.yaml", "failureThreshold: 60", "failureTreshold: 60")
    [message] = problems(fraud)
    assert "model-server.yaml:" in message and "did you mean 'failureThreshold'" in message


def test_missing_pattern_and_unknown_extends(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "extends: model-server", "extends: model-sever")
    assert any("pattern 'model-sever' is not declared in uses; did you mean 'model-server'?" in f for f in problems(fraud))
    edit(bp, "extends: model-sever", "extends: model-server")
    (fraud / "patterns" / "model-server.yaml").unlink()
    assert any("does not exist" in f and ":14:" in f for f in problems(fraud))


def test_kind_rules(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, '    schedule: "0 3 * * *"\n', "")
    edit(bp, "    kind: worker\n", "    kind: worker\n    provides: {x: {protocol: http, port: 1, version: 1.0.0}}\n")
    found = "\n".join(problems(fraud))
    assert "a cronjob needs a schedule" in found
    assert "a worker has no inbound interface" in found


def test_secret_values_are_never_echoed(fraud: Path) -> None:
    secret = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"
    edit(fraud / "blueprint.yaml", "REGISTRY_TOKEN: vault://secret/risk/mlflow#token\n    capacity",
         f"REGISTRY_TOKEN: {secret}\n    capacity")
    found = "\n".join(problems(fraud))
    assert "secret reference" in found and secret not in found


def test_scenario_load_must_name_a_provided_interface(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "load: {scorer.score-api: 2500rps}", "load: {scorer.score: 2500rps}")
    assert any("scenario loads 'scorer.score', which no module provides; did you mean 'scorer.score-api'?" in f
               for f in problems(fraud))


def test_unknown_environment_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="did you mean 'prod'"):
        buttress.validate(EXAMPLES / "fraud-detection", ["prd"])


def test_cli_validate_exit_codes_and_output(cli: Callable[..., Run], fraud: Path) -> None:
    ok = cli("validate", fraud)
    assert ok.exit == 0 and "is valid" in ok.stdout and "5 modules" in ok.stdout
    edit(fraud / "blueprint.yaml", "name: fraud-detection", "name: Fraud_Detection")
    bad = cli("validate", fraud)
    assert bad.exit == 2 and "blueprint.yaml:3:7: error: " in bad.stderr and "Traceback" not in bad.stderr
    missing = cli("validate", fraud / "nope")
    assert missing.exit == 2 and "no such blueprint file" in missing.stderr


def test_cli_validate_warns_about_contracts_and_cycles(cli: Callable[..., Run], fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "- features.feature-api@^1.4", "- features.feature-api@^2.0")
    edit(bp, "    consumes:\n      - transactions-db\n    resources: {cpu: 250m",
         "    consumes:\n      - transactions-db\n      - scorer.score-api\n    resources: {cpu: 250m")
    run = cli("validate", fraud, "--format", "json")
    assert run.exit == 0
    assert "outside the range ^2.0" in run.stdout
    assert "dependency cycle: features -> scorer -> features" in run.stdout


def test_a_misspelt_required_key_is_one_error_not_two(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "owner: risk-ml\n", "ownr: risk-ml\n")
    [message] = problems(fraud)
    assert "unknown key 'ownr'; did you mean 'owner'?" in message


def test_a_secret_pasted_into_any_field_is_not_echoed(cli: Callable[..., Run], fraud: Path) -> None:
    secret = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"
    edit(fraud / "blueprint.yaml", "    image: registry.example.com/risk/retrain@sha256:"
         "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789", f"    image: {secret}")
    run = cli("validate", fraud)
    assert run.exit == 2 and "'<redacted>' is not an OCI image reference" in run.stderr
    assert secret not in run.stderr + run.stdout


def test_a_secret_in_a_value_of_the_wrong_form_is_not_echoed_by_the_error(fraud: Path) -> None:
    # the endpoint is refused (credentials have no place in it); its problem, as every consumer sees it
    # (command line, server, Python API), does not repeat the password
    edit(fraud / "blueprint.yaml", "endpoint: postgres://txdb.internal.example.com:5432",
         "endpoint: postgres://scorer:Sup3rS3cretPassw0rd@txdb.internal.example.com:5432")
    found = "\n".join(problems(fraud))
    assert "is not an endpoint" in found and "'<redacted>'" in found
    assert "Sup3rS3cretPassw0rd" not in found


def test_a_secret_written_as_a_key_is_redacted_in_the_key_path(fraud: Path, capfd: pytest.CaptureFixture[str]) -> None:
    token = "ghp_4mQ9vR2xT7kL1pZ8wN3bY6cH0jF5dS9aE2uK"
    edit(fraud / "blueprint.yaml", "  retrain:\n", f"  retrain:\n    {token}: true\n")
    assert main(["validate", str(fraud)]) == 2
    err = capfd.readouterr().err
    assert token not in err and "(at modules.retrain.<redacted>)" in err


@pytest.mark.parametrize(("camel", "snake"), [("approvedBy:", "approved_by:"), ("atRest:", "at_rest:"),
                                              ("serviceTime:", "service_time:")])
def test_a_key_in_snake_case_is_unknown_with_the_spelling_as_hint(fraud: Path, capfd: pytest.CaptureFixture[str],
                                                                  camel: str, snake: str) -> None:
    text = (fraud / "blueprint.yaml").read_text()
    assert camel in text
    (fraud / "blueprint.yaml").write_text(text.replace(camel, snake, 1))
    assert main(["validate", str(fraud)]) == 2
    err = capfd.readouterr().err
    assert f"unknown key '{snake[:-1]}'; did you mean '{camel[:-1]}'?" in err


def test_a_call_is_reported_against_its_consumes_reference_once(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "calls: {features.feature-api: 2}", "calls: {features.feature-apo: 2}")
    [found] = problems(fraud)
    assert "calls 'features.feature-apo', which this module does not consume; did you mean 'features.feature-api'?" \
        in found
    edit(bp, "calls: {features.feature-apo: 2}", "calls: {features.feature-api: 2}")
    edit(bp, "      - features.feature-api", "      - featurez.feature-api")
    [found] = problems(fraud)  # the consumes reference is the mistake: the (right) call is not blamed for it
    assert "module 'featurez' does not exist; did you mean 'features'?" in found
