"""Validation cases found by probing the language as users write it: values without bounds, backwards
ranges, overrides that cannot apply, and messages in the language's words (no pydantic or class names)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import edit

import buttress
from buttress.errors import BlueprintError
from buttress.model.units import Cron, Duration, Percent, Quantity, Rate, SemVer, SemverRange


def problems(path: Path) -> list[str]:
    with pytest.raises(BlueprintError) as info:
        buttress.validate(path)
    return [p.format() for p in info.value.problems]


@pytest.mark.parametrize(("calls", "message"), [
    (".inf", "must be a finite number"), ("-2", "must be at least 0"), ("1e308", "must be at most 1000000")])
def test_calls_per_request_are_bounded_at_validate(fraud: Path, calls: str, message: str) -> None:
    edit(fraud / "blueprint.yaml", "calls: {features.feature-api: 2}", f"calls: {{features.feature-api: {calls}}}")
    [problem] = problems(fraud)
    assert f"error: {message} (at modules.scorer.capacity.calls.features.feature-api)" in problem


def test_huge_values_are_located_errors_not_tracebacks(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "serviceTime: 12ms", "serviceTime: 1" + "0" * 400 + "ms")
    [problem] = problems(fraud)
    assert "is out of range: a duration is at most 100 years" in problem and "capacity.serviceTime" in problem
    with pytest.raises(ValueError, match="out of range"):
        Quantity.parse("1" + "0" * 40)
    with pytest.raises(ValueError, match="out of range"):
        Rate.parse("1" + "0" * 400 + "rps")
    with pytest.raises(ValueError, match="out of range"):
        Quantity.parse("1e19")


@pytest.mark.parametrize(("text", "amount"), [("5e8", 500_000_000), ("1E9", 1_000_000_000), ("2.5e-3", 0.0025),
                                              ("1E", 10**18), ("512Mi", 512 * 2**20)])
def test_quantities_take_kubernetes_decimal_exponents(text: str, amount: float) -> None:
    assert float(Quantity.parse(text).amount) == pytest.approx(amount)


def test_an_unquoted_exponent_quantity_validates_as_its_integer(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "memory: 512Mi}\n    scaling:\n      replicas: {min: 3, max: 12}",
         "memory: 5e8}\n    scaling:\n      replicas: {min: 3, max: 12}")
    v = buttress.validate(fraud)
    assert str(v.environments["prod"].modules["features"].spec.resources.memory) == "500000000"  # type: ignore[union-attr]


def test_backwards_cron_ranges_and_windows_past_midnight_are_refused() -> None:
    with pytest.raises(ValueError, match="runs backwards"):
        Cron.parse("0 5-3 * * *")
    assert str(Cron.parse("0 3-5 * * *")) == "0 3-5 * * *"
    from buttress.model.spec.blueprint import Window

    with pytest.raises(ValueError):
        Window.model_validate({"hours": "00:00-24:30"})
    assert Window.model_validate({"hours": "08:00-24:00"}).hours == "08:00-24:00"


def test_a_module_mistake_is_reported_once_at_the_module(fraud: Path) -> None:
    text = (fraud / "blueprint.yaml").read_text()
    image = next(line for line in text.splitlines() if "risk/scorer@" in line)
    edit(fraud / "blueprint.yaml", image + "\n", "")
    [problem] = problems(fraud)  # not again at dev's override of scorer
    line = text.splitlines().index("  scorer:") + 2  # the module's mapping, not an override of it
    assert f":{line}:5: error: module has no image (at modules.scorer)" in problem


def test_extends_cannot_be_overridden_or_chained(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "      scorer:\n        scaling:", "      scorer:\n        extends: nope\n        scaling:")
    [problem] = problems(fraud)
    assert "extends cannot be overridden" in problem and "(at environments.dev.overrides.scorer.extends)" in problem
    pattern = next((fraud / "patterns").glob("*.yaml"))
    edit(pattern, "defaults:\n", "defaults:\n  extends: other\n")
    assert any("a pattern cannot extend another pattern" in p and pattern.name in p for p in problems(fraud))


def test_an_empty_range_after_at_is_an_error(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "- features.feature-api@^1.4", "- features.feature-api@")
    [problem] = problems(fraud)
    assert "has no version range after '@'" in problem


def test_env_and_secrets_naming_the_same_variable_is_an_error(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "  features:\n    kind: service\n",
         "  features:\n    kind: service\n    env: {DB_PASSWORD: x}\n")
    assert any("DB_PASSWORD is set in both env and secrets" in p and "modules.features.secrets.DB_PASSWORD" in p
               for p in problems(fraud))


def test_type_errors_read_in_the_language_s_words(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "      scorer:\n        scaling: {replicas: {min: 1, max: 2}}", "      scorer:")
    [problem] = problems(fraud)
    assert problem.endswith("error: expected a mapping (key: value), got an empty value (at environments.dev.overrides.scorer)")
    assert "ModuleSpec" not in problem and "Input should" not in problem


@pytest.mark.parametrize(("text", "version", "ok"), [
    ("v1.2 - v1.7", "1.5.0", True), ("^1.4.0+build.7", "1.5.0", True), (">=1.2.3+b", "1.2.3", True)])
def test_ranges_with_v_prefixes_in_hyphens_and_build_metadata(text: str, version: str, ok: bool) -> None:
    assert SemverRange.parse(text).satisfied_by(SemVer.parse(version)) is ok


def test_a_malformed_hyphen_range_is_a_message_not_a_crash() -> None:
    with pytest.raises(ValueError, match="is not a semver range"):
        SemverRange.parse("v1.x - ^2")
    assert SemverRange.parse("*").unbounded and not SemverRange.parse("^1 || 2.x").unbounded


def test_durations_beyond_a_century_are_refused() -> None:
    assert Duration.parse("2555d").seconds == 2555 * 86400  # a seven-year retention
    with pytest.raises(ValueError, match="out of range"):
        Duration.parse("40000d")


def test_a_stateful_module_s_canary_is_a_warning_that_it_is_not_rendered(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "  case-store:\n", "  case-store:\n    rollout: {strategy: canary, steps: [50]}\n")
    warnings = [p.format() for p in buttress.validate(fraud).warnings()]
    assert any("not rendered: a stateful module runs as a StatefulSet" in w and "case-store.rollout.strategy" in w
               for w in warnings)


def test_mermaid_edge_labels_quote_ranges(fraud: Path) -> None:
    from buttress.render.graph import to_mermaid

    edit(fraud / "blueprint.yaml", "- features.feature-api@^1.4", "- features.feature-api@^0.9 || ^1.5")
    v = buttress.validate(fraud)
    text = to_mermaid(v.environments["prod"], v.graphs["prod"], v.blueprint.spec.externals)
    assert 'scorer -->|"feature-api ^0.9 #124;#124; ^1.5"| features' in text


@pytest.mark.parametrize(("labels", "message"), [
    ("{'cost centre!': risk-ml-training}", "'cost centre!' is not a Kubernetes label key"),
    ("{cost-centre: risk ml training}", "'risk ml training' is not a Kubernetes label value"),
    ("{cost-centre: " + "a" * 64 + "}", "is not a Kubernetes label value")])
def test_labels_kubernetes_would_refuse_are_located_errors(fraud: Path, labels: str, message: str) -> None:
    edit(fraud / "blueprint.yaml", "labels: {cost-centre: risk-ml-training}", f"labels: {labels}")
    [problem] = problems(fraud)
    assert message in problem and "(at modules.retrain.labels." in problem


def test_prefixed_keys_and_empty_values_are_labels(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "labels: {cost-centre: risk-ml-training}",
         "labels: {example.com/cost-centre: risk_ml.training, tier: ''}")
    assert buttress.validate(fraud).environments


@pytest.mark.parametrize(("env", "located"), [
    ("{'MY VAR': x}", "'MY VAR' is not an environment variable name"),
    ("{9LIVES: x}", "'9LIVES' is not an environment variable name"),
    ("{'A=B': x}", "'A=B' is not an environment variable name")])
def test_environment_variable_names_kubernetes_would_refuse_are_errors_at_the_key(
        fraud: Path, env: str, located: str) -> None:
    edit(fraud / "blueprint.yaml", "  features:\n    kind: service\n", f"  features:\n    kind: service\n    env: {env}\n")
    [problem] = problems(fraud)
    text = (fraud / "blueprint.yaml").read_text().splitlines()
    line = next(i for i, row in enumerate(text, 1) if row.startswith("    env: "))
    assert located in problem and f"blueprint.yaml:{line}:11:" in problem  # the key, inside the flow mapping


def test_a_secret_s_variable_name_is_checked_too(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "      REGISTRY_TOKEN: vault://secret/risk/mlflow#token\n    capacity: {serviceTime: 12ms",
         "      REGISTRY-TOKEN.v2: vault://secret/risk/mlflow#token\n      2FA_SEED: vault://secret/risk/mlflow#seed\n"
         "    capacity: {serviceTime: 12ms")
    [problem] = problems(fraud)
    assert "'2FA_SEED' is not an environment variable name" in problem and "modules.scorer.secrets.2FA_SEED" in problem


@pytest.mark.parametrize(("metrics", "message"), [
    ("{requests: http-requests-total}", "'http-requests-total' is not a Prometheus metric name"),
    ("{duration: 'request duration'}", "'request duration' is not a Prometheus metric name"),
    ("{duration: http_request_duration_seconds_bucket}", "give its base name, 'http_request_duration_seconds'")])
def test_sli_metric_names_prometheus_would_refuse_are_errors(fraud: Path, metrics: str, message: str) -> None:
    edit(fraud / "blueprint.yaml", "  features:\n    kind: service\n",
         f"  features:\n    kind: service\n    metrics: {metrics}\n")
    [problem] = problems(fraud)
    assert message in problem and "(at modules.features.metrics." in problem


@pytest.mark.parametrize("name", ["nan", "Inf", "on", "BOOL", "group_left"])
def test_a_metric_name_promql_reads_as_a_keyword_or_number_is_an_error(fraud: Path, name: str) -> None:
    edit(fraud / "blueprint.yaml", "    extends: model-server\n",
         f"    extends: model-server\n    metrics: {{requests: {name}}}\n")
    [problem] = problems(fraud)
    assert f"'{name}' is a PromQL keyword or number" in problem and "(at modules.scorer.metrics.requests)" in problem


@pytest.mark.parametrize(("old", "new", "where"), [
    ("oncall: risk-ml-primary\n", "oncall: 'a {{ $labels.job }} b'\n", "(at oncall)"),
    ("owner: risk-ml\n", "owner: risk}}ml\n", "(at owner)"),
    ("\nmodules:\n", "\nrunbooks: {url: 'https://git.example.com/ops/{{branch}}'}\n\nmodules:\n", "(at runbooks.url)")])
def test_text_alerts_carry_may_not_hold_template_braces(fraud: Path, old: str, new: str, where: str) -> None:
    """Prometheus expands alert labels and annotations as Go templates: '{{' would be run, not shown."""
    edit(fraud / "blueprint.yaml", old, new)
    [problem] = problems(fraud)
    assert "which Prometheus would expand as a template" in problem and where in problem


@pytest.mark.parametrize(("value", "hint"), [("0.9995", "e.g. 99.95%"), ("1", "e.g. 100%"), ("0.5", "e.g. 50%")])
def test_an_objective_written_as_a_ratio_is_an_error_not_a_tiny_percentage(fraud: Path, value: str, hint: str) -> None:
    edit(fraud / "blueprint.yaml", "availability: 99.95%", f"availability: {value}")
    [problem] = problems(fraud)
    assert f"would read as {value}%" in problem and hint in problem and "slo.availability" in problem
    assert Percent.parse("99.95").value == 99.95 and Percent.parse("1%").value == 1  # bare above 1, or signed: percent


@pytest.mark.parametrize(("schedule", "runs"), [
    ("0 3 30 2 *", False), ("0 3 31 4,6,9,11 *", False), ("0 3 30-31 feb *", False),
    ("0 3 29 2 *", True), ("0 3 31 * *", True), ("0 3 30 2 mon", True), ("0 3 31 2-4 *", True), ("0 3 30 */2 *", True)])
def test_a_schedule_no_month_can_keep_never_runs(schedule: str, runs: bool) -> None:
    """Found by a probe: 30 February validated, and its missed-run alert waited 2,988 days."""
    if runs:
        assert str(Cron.parse(schedule)) == schedule
    else:
        with pytest.raises(ValueError, match="never runs: no month it names has a day"):
            Cron.parse(schedule)
