"""Every control over the resolved blueprint fires on a one-line change of the example, and no
control fires on the unchanged example (only the example's own waived slo-defined finding)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from tests.conftest import edit

from buttress.app.check import check
from buttress.app.validate import validate
from buttress.policy.catalog import CATALOG

AT = dt.date(2026, 12, 1)

# (control, environment, old text, new text): one change of the example each.
CASES: list[tuple[str, str, str, str]] = [
    ("secret-inline", "prod", "    capacity: {serviceTime: 4ms, concurrency: 8}",
     '    env: {API_URL: "https://svc:hunter2hunter2@api.example.com"}\n    capacity: {serviceTime: 4ms, concurrency: 8}'),
    ("secret-inline", "prod", "labels: {cost-centre: risk-ml-training}",
     "labels: {cost-centre: risk-ml-training, build: Zq8rT2mLx9VbN4cW7kPs3HdJ}"),
    ("secret-inline", "prod", "description: Scores card transactions in real time",
     "description: Scores (token ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG) card transactions in real time"),
    ("secret-inline", "staging", "description: Black-Friday evening peak.",
     "description: Black-Friday evening peak, replayed with api key AKIAIOSFODNN7EXAMPLE."),
    ("secret-inline", "prod", "    capacity: {serviceTime: 4ms, concurrency: 8}",
     '    args: [--db-password, "Tr0ub4dor&3xKq9!zW"]\n    capacity: {serviceTime: 4ms, concurrency: 8}'),
    ("secret-inline", "prod", "risk/scorer@sha256:1f2e3d4c5b6a79880f1e2d3c4b5a69788f9e0d1c2b3a49586f7e8d9c0b1a2f3e",
     "risk/scorer:ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"),
    ("image-digest", "prod", "risk/scorer@sha256:1f2e3d4c5b6a79880f1e2d3c4b5a69788f9e0d1c2b3a49586f7e8d9c0b1a2f3e",
     "risk/scorer:2.3.1"),
    ("image-registry", "prod", "image: registry.example.com/risk/features@", "image: docker.io/risk/features@"),
    ("image-mutable-tag", "dev", "risk/scorer@sha256:1f2e3d4c5b6a79880f1e2d3c4b5a69788f9e0d1c2b3a49586f7e8d9c0b1a2f3e",
     "risk/scorer:latest"),
    ("owner-defined", "prod", "oncall: risk-ml-primary\n", ""),
    ("slo-defined", "prod", "      availability: 99.9%\n      latency: {p95: 50ms}\n", "      window: 28d\n"),
    ("replicas-ha", "prod", "replicas: {min: 3, max: 12}", "replicas: {min: 1, max: 12}"),
    ("autoscaling-bounds", "prod", "replicas: {min: 3, max: 12}", "replicas: {min: 3, max: 2}"),
    ("autoscaling-bounds", "prod", "replicas: {min: 3, max: 12}", "replicas: {min: 3}"),
    ("autoscaling-targets", "prod", "      targets: {cpu: 70%}\n", ""),
    ("resources-defined", "prod", "resources: {cpu: 250m, memory: 512Mi}", "resources: {memory: 512Mi}"),
    ("resources-limits", "prod", "resources: {cpu: 250m, memory: 512Mi}",
     "resources: {cpu: 250m, memory: 512Mi, limits: {memory: 256Mi}}"),
    ("queue-consumer-group", "prod", "topic: chargebacks, consumerGroup: label-ingest}", "topic: chargebacks}"),
    ("region-allowed", "prod", "region: eu-central-1", "region: us-east-1"),
    ("region-defined", "prod", "    region: eu-central-1\n", ""),
    ("encryption-at-rest", "prod", "      encryption: {atRest: kms://eu/risk-cases}\n", "      classification: restricted\n"),
    ("encryption-at-rest", "prod", "      encryption: {atRest: kms://eu/risk-cases}\n", ""),
    ("backup-defined", "prod", "rpo: 1h, rto: 4h", "rto: 4h"),
    ("backup-retention", "prod", ", retention: 30d}", "}"),
    ("classification-defined", "prod", "defaults:\n  data:\n    classification: restricted\n", ""),
    ("classification-flow", "prod", "    capacity: {serviceTime: 4ms, concurrency: 8}",
     "    data: {classification: internal}\n    capacity: {serviceTime: 4ms, concurrency: 8}"),
    ("external-plaintext", "prod", "postgres://txdb.internal.example.com:5432", "http://txdb.internal.example.com:80"),
    ("public-auth", "prod", "exposure: public, auth: oidc", "exposure: public, auth: none"),
    ("public-auth", "prod", "exposure: public, auth: oidc", "exposure: public"),
    ("public-protocol", "prod", "score-api: {protocol: http,", "score-api: {protocol: tcp,"),
    ("contract-compatible", "staging", "features.feature-api@^1.4", "features.feature-api@^2.0"),
    ("contract-range", "prod", "features.feature-api@^1.4", "features.feature-api"),
    ("dependency-cycle", "prod", "    consumes:\n      - transactions-db\n    resources: {cpu: 250m",
     "    consumes:\n      - transactions-db\n      - scorer.score-api@^2\n    resources: {cpu: 250m"),
    ("access-least-privilege", "prod", "{resources: [configmaps], verbs: [get]}", "{resources: [configmaps], verbs: ['*']}"),
    ("access-least-privilege", "prod", "{resources: [configmaps], verbs: [get]}",
     "{resources: [configmaps], verbs: [get, escalate]}"),
    ("access-sensitive", "prod", "{resources: [configmaps], verbs: [get]}", "{resources: [secrets], verbs: [get]}"),
    ("promotion-approvals", "prod", "approvals: {count: 2,", "approvals: {count: 1,"),
    ("promotion-approvals", "prod", "      approvals: {count: 2, roles: [release-manager, security]}\n", ""),
    ("promotion-roles", "prod", "approvals: {count: 2, roles: [release-manager, security]}", "approvals: {count: 2}"),
    ("promotion-soak", "prod", "      soak: 24h\n", ""),
    ("promotion-window", "prod",
     '      window: {days: [mon, tue, wed, thu], hours: "08:00-16:00", timezone: Europe/Berlin}\n', ""),
    ("enforcement-approved", "prod", "    enforcement: mandatory\n    promotion:\n      from: staging",
     "    enforcement: advisory\n    promotion:\n      from: staging"),
    ("waiver-valid", "prod", "expires: 2027-05-15", "expires: 2025-01-31"),
    ("waiver-valid", "prod", "modules: [label-ingest]", "modules: [label-ingest, labels-ingest]"),
    ("waiver-valid", "prod", "control: slo-defined", "control: slo-definedd"),
    ("waiver-valid", "prod", "expires: 2027-05-15", "expires: 2027-09-15"),
    ("waiver-unused", "prod", "modules: [label-ingest]", "modules: [case-store]"),
]


def _findings(folder: Path, env: str) -> list[tuple[str, str, bool]]:
    report = check(validate(folder, [env]), [env], AT)
    return [(f.control, f.severity, f.waived) for f in report.findings]


@pytest.mark.parametrize(("control", "env", "old", "new"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_control_fires_on_one_change(fraud: Path, control: str, env: str, old: str, new: str) -> None:
    edit(fraud / "blueprint.yaml", old, new)
    fired = [f for f in _findings(fraud, env) if f[0] == control and not f[2]]
    assert fired, f"{control} did not fire"


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_unchanged_example_fires_only_its_waived_finding(fraud: Path, env: str) -> None:
    assert _findings(fraud, env) == [("slo-defined", "error", True)]


def test_unchanged_example_fires_only_its_waived_finding_in_dev_too(fraud: Path) -> None:
    # dev falls short of the peak (`buttress capacity --env dev` says so), but an advisory environment is
    # not held to a scenario unless the scenario names it
    report = check(validate(fraud, ["dev"]), ["dev"], AT)
    assert [(f.control, f.severity, f.waived) for f in report.findings] == [("slo-defined", "error", True)]


def test_every_evaluated_control_has_a_firing_case() -> None:
    covered = {c[0] for c in CASES}
    resolved_scopes = {"module", "environment", "waivers"}
    wanted = {c.id for c in CATALOG if c.scope in resolved_scopes}
    assert wanted - covered == set()


@pytest.mark.parametrize("written", [
    "env: {DB_PASSWORD_FILE: /var/run/secrets/db/password, API_KEY_HEADER: X-Api-Key, TOKEN_TTL: 15m}",
    'args: [--token-file, /var/run/secrets/token, --api-key, "$(API_KEY)"]',
    'args: [--require-api-key, "--listen=0.0.0.0:9090"]',  # a switch, then another flag
])
def test_a_setting_about_a_secret_is_no_secret(fraud: Path, written: str) -> None:
    edit(fraud / "blueprint.yaml", "    capacity: {serviceTime: 4ms, concurrency: 8}",
         f"    {written}\n    capacity: {{serviceTime: 4ms, concurrency: 8}}")
    assert "secret-inline" not in [f[0] for f in _findings(fraud, "prod")]


def test_a_secret_image_tag_is_never_echoed(fraud: Path) -> None:
    token = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"
    edit(fraud / "blueprint.yaml", "risk/scorer@sha256:1f2e3d4c5b6a79880f1e2d3c4b5a69788f9e0d1c2b3a49586f7e8d9c0b1a2f3e",
         f"risk/scorer:{token}")
    report = check(validate(fraud, ["prod"]), ["prod"], AT)
    assert {"secret-inline", "image-digest"} <= {f.control for f in report.findings}
    assert all(token not in f.message for f in report.findings)


def test_a_secret_outside_the_modules_is_located_and_never_echoed(fraud: Path) -> None:
    edit(fraud / "blueprint.yaml", "description: Scores card transactions in real time",
         "description: Scores (token ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG) card transactions in real time")
    report = check(validate(fraud, ["prod"]), ["prod"], AT)
    [hit] = [f for f in report.findings if f.control == "secret-inline"]
    assert hit.module is None and hit.location is not None and hit.location.line == 4
    assert "ghp_" not in hit.message and hit.message.startswith("description holds what looks like")
