"""Control cases found by probing as users write blueprints and hand-edit manifests: findings that named
no module, selectors and hosts Kubernetes reads more widely than a literal match, waivers of findings about
no module, Rego that the engine left silently undefined, and secrets in places the scan skipped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.conftest import edit
from tests.policy.test_policy_controls_objects import _replicated, deny_all, fire, ingress, role, secure_set

from buttress.app.check import check
from buttress.app.validate import validate
from buttress.errors import BlueprintError
from buttress.policy.catalog import BY_ID
from buttress.secrets import looks_secret, redact

AT = dt.date(2026, 12, 1)
TOKEN = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"


def findings(fraud: Path, env: str = "prod") -> list[tuple[str, str | None, str]]:
    report = check(validate(fraud, [env]), [env], AT)
    return [(f.control, f.module, f.message) for f in report.findings if not f.waived]


def test_a_missing_disruption_budget_names_its_module() -> None:
    objects = _replicated(secure_set())
    [hit] = list(BY_ID["disruption-budget"].check(objects))  # type: ignore[misc]
    assert hit.module == "scorer"


def test_budgets_and_deny_all_policies_selecting_by_expressions_or_empty_maps_count() -> None:
    objects = _replicated(secure_set())
    by_expression = {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "scorer"},
                     "spec": {"maxUnavailable": 1, "selector": {"matchExpressions": [
                         {"key": "app.kubernetes.io/name", "operator": "In", "values": ["scorer", "features"]}]}}}
    assert "disruption-budget" not in fire([*objects, by_expression])
    by_expression["spec"]["selector"]["matchExpressions"][0]["operator"] = "NotIn"  # type: ignore[index]
    assert "disruption-budget" in fire([*objects, by_expression])
    empty_map = deny_all()
    empty_map["spec"]["podSelector"] = {"matchLabels": {}}
    assert "networkpolicy-default-deny" not in fire([empty_map, *secure_set()[1:]])


def test_a_wildcard_tls_host_covers_one_label() -> None:
    wildcard = ingress()
    wildcard["spec"]["tls"][0]["hosts"] = ["*.example.com"]
    assert "ingress-tls" not in fire([wildcard])
    wildcard["spec"]["rules"][0]["host"] = "a.score.example.com"
    assert "ingress-tls" in fire([wildcard])


def test_subresource_wildcards_are_wildcards() -> None:
    wide = role()
    wide["rules"][0]["resources"] = ["pods/*"]
    assert "rbac-wildcard" in fire([wide])


def test_a_token_is_not_mounted_when_the_service_account_says_so() -> None:
    objects = secure_set()
    del objects[1]["spec"]["template"]["spec"]["automountServiceAccountToken"]
    assert "sa-token-mount" in fire(objects)
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "scorer"},
               "automountServiceAccountToken": False}
    assert "sa-token-mount" not in fire([*objects, account])


def test_zero_approvals_and_zero_soak_are_findings_not_schema_errors(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "approvals: {count: 2, roles", "approvals: {count: 0, roles")
    edit(fraud / "blueprint.yaml", "soak: 24h", "soak: 0s")
    controls = {c for c, _, _ in findings(fraud)}
    assert {"promotion-approvals", "promotion-soak"} <= controls


def test_a_range_admitting_any_version_is_no_range(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "- features.feature-api@^1.4", "- features.feature-api@*")
    assert any(c == "contract-range" and m == "scorer" and "admits any version" in msg for c, m, msg in findings(fraud))


def test_modules_empty_waives_a_finding_about_no_module(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "soak: 24h", "soak: 0s")
    edit(fraud / "blueprint.yaml", "      expires: 2027-05-15\n", "      expires: 2027-05-15\n"
         "    - control: promotion-soak\n      modules: []\n      reason: Canary analysis replaces the soak.\n"
         "      approvedBy: security@example.com\n      expires: 2027-01-15\n")
    report = check(validate(fraud, ["prod"]), ["prod"], AT)
    [soak] = [f for f in report.findings if f.control == "promotion-soak"]
    assert soak.waived and soak.module is None
    assert not any(f.control == "waiver-unused" for f in report.findings)


def test_rego_reads_arrays_in_its_input_and_modules_inherit_owner(fraud: Path) -> None:
    (fraud / "policies" / "probe.rego").write_text(
        'package main\nimport rego.v1\ndeny_marshal contains "ingress has tls" if {\n  input.kind == "Ingress"\n'
        '  contains(json.marshal(input.spec.tls), "hosts")\n}\n')
    (fraud / "policies" / "owners.rego").write_text(
        'package blueprint\nimport rego.v1\ndeny_owner contains msg if {\n  some name, m in input.modules\n'
        '  m.owner == "risk-ml"\n  m.oncall\n  name == "scorer"\n  msg := sprintf("%s is owned", [name])\n}\n')
    controls = {c for c, _, _ in findings(fraud)}
    assert {"rego:main.deny_marshal", "rego:blueprint.deny_owner"} <= controls


def test_an_unsafe_head_variable_is_a_located_error(fraud: Path) -> None:
    (fraud / "policies" / "unsafe.rego").write_text(
        'package main\nimport rego.v1\ndeny contains msg if { input.kind == "Deployment" }\n'
        'deny contains sprintf("%v", [input.kind]) if { input.kind == "Nope" }\n')
    with pytest.raises(BlueprintError) as info:
        check(validate(fraud, ["prod"]), ["prod"], AT)
    [problem] = info.value.problems
    assert (Path(problem.file).name, problem.line, problem.column) == ("unsafe.rego", 3, 15)
    assert "var msg is unsafe" in problem.message


@pytest.mark.parametrize(("value", "name"), [("bert-base-uncased", "TOKENIZER"), ("-Dfile.encoding=UTF-8", "JAVA_TOOL_OPTIONS"),
                                             ("s3://risk-models/FraudModel/v12/model.pkl", "MODEL_URI"),
                                             ("Session token: refreshed hourly by the gateway.", None)])
def test_ordinary_ml_values_are_not_secrets(value: str, name: str | None) -> None:
    assert looks_secret(value, name=name) is None


def test_secrets_in_keys_image_repositories_and_numbers_are_found(fraud: Path) -> None:
    bp = fraud / "blueprint.yaml"
    edit(bp, "  features:\n    kind: service\n", f"  features:\n    kind: service\n    labels: {{{TOKEN}: x}}\n"
         "    env: {API_TOKEN: 83749201937465}\n")
    hits = [(m, msg) for c, m, msg in findings(fraud) if c == "secret-inline"]
    assert [m for m, _ in hits] == ["features", "features"] and not any(TOKEN in msg for _, msg in hits)
    assert looks_secret("registry.example.com/risk/xoxb-1234567890-abcdefghijklmnop@sha256:" + "a" * 64,
                        entropy_check=False) == "a Slack token"


def test_a_finding_never_quotes_a_secret_the_user_wrote(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "  regions: [eu-west-1, eu-central-1]", f"  regions: [eu-west-1, {TOKEN}]")
    messages = [msg for c, _, msg in findings(fraud) if c == "region-allowed"]
    assert messages and not any(TOKEN in msg for msg in messages)
    assert TOKEN not in redact(f'"registry.example.com/risk/scorer:it\'s-{TOKEN}" is not an image')


@pytest.mark.parametrize("slo", ["{latency: {p95: }}", "{latency: {}}"])
def test_an_slo_with_no_objective_is_no_slo(fraud: Path, slo: str) -> None:
    """``slo-defined`` wants an objective: a latency block with no percentile yields no alert at all."""
    edit(fraud / "blueprint.yaml", "    - control: slo-defined\n      modules: [label-ingest]\n",
         "    - control: slo-defined\n      modules: [features]\n")
    edit(fraud / "blueprint.yaml", "  label-ingest:\n    kind: worker\n", f"  label-ingest:\n    kind: worker\n    slo: {slo}\n")
    report = check(validate(fraud), at=dt.date(2026, 12, 1))
    assert any(f.control == "slo-defined" and f.module == "label-ingest" for f in report.environments["prod"].findings)
