"""Fixtures of the render tests: the examples validated once, and schema validators for every
rendered kind — Kubernetes 1.31 strict schemas from ``kubernetes-validate`` (loaded once, one
``jsonschema`` validator per kind kept) and the CRD schemas in ``../shared/schemas/``."""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from tests.conftest import EXAMPLES, SHARED

from buttress.app.validate import Validated, validate

K8S_VERSION = "1.31.0"
CRDS = {
    ("argoproj.io/v1alpha1", "Rollout"): "argoproj.io/Rollout_v1alpha1.json",
    ("argoproj.io/v1alpha1", "AnalysisTemplate"): "argoproj.io/AnalysisTemplate_v1alpha1.json",
    ("keda.sh/v1alpha1", "ScaledObject"): "keda.sh/ScaledObject_v1alpha1.json",
    ("external-secrets.io/v1", "ExternalSecret"): "external-secrets.io/ExternalSecret_v1.json",
    ("external-secrets.io/v1", "SecretStore"): "external-secrets.io/SecretStore_v1.json",
    ("velero.io/v1", "Schedule"): "velero.io/Schedule_v1.json",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com/ServiceMonitor_v1.json",
}
Validator = Callable[[dict[str, Any]], list[str]]


def _strict(schema: Any) -> Any:
    """A CRD schema as the API server's strict field validation reads it: unknown fields refused."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema \
                and not schema.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


class Schemas:
    """Validators by (apiVersion, kind), built on first use and kept."""

    def __init__(self) -> None:
        root = resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{K8S_VERSION}-local-strict"
        self.root = Path(str(root))
        definitions = Resource.from_contents(json.loads((self.root / "_definitions.json").read_text()))
        self.registry: Registry[Any] = definitions @ Registry()
        self.validators: dict[tuple[str, str], Any] = {}

    def validator(self, api_version: str, kind: str) -> Any:
        key = (api_version, kind)
        if key not in self.validators:
            if key in CRDS:
                schema = _strict(json.loads((SHARED / "schemas" / CRDS[key]).read_text()))
                self.validators[key] = jsonschema.Draft202012Validator(schema)
            else:
                group, _, version = api_version.rpartition("/")
                suffix = f"{group.split('.')[0]}-{version}" if group else version
                schema = json.loads((self.root / f"{kind.lower()}-{suffix}.json").read_text())
                registry = Resource.from_contents(schema) @ self.registry
                self.validators[key] = jsonschema.Draft202012Validator(schema, registry=registry)
        return self.validators[key]

    def errors(self, obj: dict[str, Any]) -> list[str]:
        validator = self.validator(obj["apiVersion"], obj["kind"])
        return [f"{obj['kind']}/{obj['metadata']['name']}: {'.'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(obj)]


@pytest.fixture(scope="session")
def schemas() -> Schemas:
    """Every schema validator, shared by the whole session."""
    return Schemas()


@pytest.fixture(scope="session")
def examples() -> dict[str, Validated]:
    """Every example blueprint, validated once."""
    return {p.name: validate(p) for p in sorted(EXAMPLES.iterdir()) if (p / "blueprint.yaml").is_file()}


@pytest.fixture(scope="session")
def fraud_validated(examples: dict[str, Validated]) -> Validated:
    """The fraud-detection example, validated."""
    return examples["fraud-detection"]
