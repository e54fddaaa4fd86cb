"""Secret detection: known token formats and high-entropy strings are found, references and
ordinary values are not, and the reason never contains the value."""

from __future__ import annotations

import pytest

from buttress.secrets import entropy, looks_secret, redact_text, redact_value

SECRETS = [
    ("ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG", "a GitHub token"),
    ("AKIAIOSFODNN7EXAMPLE", "an AWS access key id"),
    ("xoxb-123456789012-abcdefghij", "a Slack token"),
    ("-----BEGIN RSA PRIVATE KEY-----", "a private key"),
    ("postgres://app:s3cretpass@db:5432/x", "a URL with a password"),
    ("password=hunter2hunter2", "a password assignment"),
    ("Zq8rT2mLx9VbN4cW7kPs3HdJ", "a high-entropy string"),
]
ORDINARY = [
    "vault://secret/risk/txdb#password",
    "registry.example.com/risk/scorer@sha256:" + "1f2e3d4c5b6a7988" * 4,
    "https://mlflow.internal.example.com:443",
    "Scores a transaction with the current fraud model.",
    "risk-ml-training",
    "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "--model-path=/models/fraud/current",
]


@pytest.mark.parametrize(("value", "reason"), SECRETS)
def test_secrets_are_found_without_echoing(value: str, reason: str) -> None:
    found = looks_secret(value)
    assert found == reason
    assert value not in found


@pytest.mark.parametrize("value", ORDINARY)
def test_ordinary_values_are_not_secrets(value: str) -> None:
    assert looks_secret(value, name="SOME_SETTING") is None


def test_a_secret_name_raises_suspicion_of_plain_values() -> None:
    assert looks_secret("correcthorse", name="DB_PASSWORD") == "a value for DB_PASSWORD, which names a secret"
    assert looks_secret("https://vault.example.com:8200", name="VAULT_TOKEN_URL") is None
    assert looks_secret("correcthorse", name="LOG_LEVEL") is None


@pytest.mark.parametrize("name", ["DB_PASSWORD_FILE", "API_KEY_HEADER", "TOKEN_ISSUER", "token-file"])
def test_a_name_about_a_secret_does_not_raise_suspicion(name: str) -> None:
    assert looks_secret("/var/run/secrets/db/password", name=name) is None
    assert looks_secret("ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG", name=name) == "a GitHub token"


def test_a_variable_reference_is_no_secret() -> None:
    assert looks_secret("$(API_TOKEN)", name="API_TOKEN") is None  # Kubernetes expands it
    assert looks_secret("$(API_TOKEN)x", name="API_TOKEN") is not None
    for value in ("$Winter2024pw", "${DB_PASSWORD}"):  # not expanded in env or args: a value like any other
        assert looks_secret(value, name="DB_PASSWORD") is not None


@pytest.mark.parametrize("text", ["secrets: references instead of API reads", "tokenizer: bert-base-uncased",
                                  "e.g. secrets: {API_TOKEN: vault://secret/team/app#token}"])
def test_redact_text_keeps_prose_about_secrets(text: str) -> None:
    assert redact_text(text) == text


def test_entropy_of_hex_stays_below_threshold() -> None:
    assert entropy("0123456789abcdef" * 4) <= 4.0 < entropy("Zq8rT2mLx9VbN4cW7kPs3HdJ")


@pytest.mark.parametrize(("value", "_"), SECRETS)
def test_redact_text_removes_each_secret_from_surrounding_text(value: str, _: str) -> None:
    text = f"module scorer sets TOKEN={value} in plain env; see RISK-1042"
    redacted = redact_text(text)
    assert value not in redacted and "<redacted>" in redacted
    assert redacted.startswith("module scorer sets") and redacted.endswith("RISK-1042")


@pytest.mark.parametrize("value", ORDINARY)
def test_redact_text_keeps_ordinary_text(value: str) -> None:
    assert redact_text(f"image {value} is fine") == f"image {value} is fine"


def test_redact_value_reads_an_env_entry_with_its_name() -> None:
    entry = {"name": "DB_PASSWORD", "value": "hunter2hunter2"}
    assert redact_value([entry, {"name": "MODE", "value": "shadow"}]) == [
        {"name": "DB_PASSWORD", "value": "<redacted>"}, {"name": "MODE", "value": "shadow"}]
    assert redact_value({"args": ["--token=ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG", "-v"]}) == {
        "args": ["<redacted>", "-v"]}


@pytest.mark.parametrize("text", [
    "Job/backfill-0e9ec367: Job/backfill-0e9ec367 runs once", "https://jira.example.com/browse/RISK-1042",
    "tracked in https://github.com/Acme/risk/issues/4821", "rbac.authorization.k8s.io/v1/RoleBinding",
    "modules.features.env.S3_BUCKET", "modules.scorer.env.KAFKA_TOPIC_V2",
])
def test_redact_text_keeps_names_paths_and_links(text: str) -> None:
    assert redact_text(text) == text


def test_redact_text_reads_a_value_assigned_to_a_secret_name() -> None:
    assert redact_text("sets REGISTRY_PASSWORD=correct-horse-battery-staple here") == "sets <redacted> here"
