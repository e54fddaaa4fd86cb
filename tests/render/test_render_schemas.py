"""Every rendered object of every example in every environment validates: core kinds against the
Kubernetes 1.31 strict schemas, custom resources against their projects' CRD schemas."""

from __future__ import annotations

from typing import Any

import pytest
from tests.render.conftest import CRDS, K8S_VERSION, Schemas

from buttress.app.validate import Validated
from buttress.render.kubernetes import render_objects


def _all_objects(examples: dict[str, Validated]) -> list[dict[str, Any]]:
    out = []
    for v in examples.values():
        for name, env in v.environments.items():
            out += render_objects(v.blueprint, env, v.graphs[name])
    return out


def test_every_object_is_schema_valid(examples: dict[str, Validated], schemas: Schemas) -> None:
    objects = _all_objects(examples)
    errors = [e for obj in objects for e in schemas.errors(obj)]
    assert not errors, "\n".join(errors[:20])


def test_every_custom_resource_kind_is_rendered_by_some_example(examples: dict[str, Validated]) -> None:
    kinds = {(o["apiVersion"], o["kind"]) for o in _all_objects(examples)}
    missing = set(CRDS) - kinds - {("external-secrets.io/v1", "SecretStore")}
    assert not missing


@pytest.mark.parametrize("broken", [
    {"spec": {"replicas": "three"}},
    {"spec": {"strategy": {"canary": {"steps": [{"setWieght": 10}]}}}},
])
def test_the_validators_catch_mistakes(fraud_validated: Validated, schemas: Schemas, broken: dict[str, Any]) -> None:
    v = fraud_validated
    objects = render_objects(v.blueprint, v.environments["prod"], v.graphs["prod"])
    kind = "Deployment" if "replicas" in str(broken) else "Rollout"
    obj = next(o for o in objects if o["kind"] == kind)

    def patch(target: dict[str, Any], change: dict[str, Any]) -> None:
        for key, value in change.items():
            if isinstance(value, dict) and isinstance(target.get(key), dict):
                patch(target[key], value)
            else:
                target[key] = value

    patch(obj, broken)
    assert schemas.errors(obj)


def test_kubernetes_validate_itself_accepts_one_object_of_every_core_kind(fraud_validated: Validated) -> None:
    """The same check through ``kubernetes-validate``'s own API (slow: one object per kind)."""
    import kubernetes_validate

    v = fraud_validated
    first: dict[str, dict[str, Any]] = {}
    for obj in render_objects(v.blueprint, v.environments["prod"], v.graphs["prod"]):
        if (obj["apiVersion"], obj["kind"]) not in CRDS:
            first.setdefault(obj["kind"], obj)
    assert len(first) >= 14
    for obj in first.values():
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    broken = {**first["Deployment"], "spec": {**first["Deployment"]["spec"], "replica": 3}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)
