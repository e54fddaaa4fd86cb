"""Conftest-style policies run unchanged: classic ``deny[msg]``, ``violation[{"msg": ...}]`` and
``warn[msg]`` partial sets, Rego v1 ``contains`` rules, boolean rules and empty sets, over the
rendered objects (``package main``) and the resolved environment (``package blueprint``)."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import edit

from buttress.app.check import check
from buttress.app.validate import validate
from buttress.errors import BlueprintError
from buttress.policy import rego_batch
from buttress.policy.findings import Finding
from buttress.policy.rego import load_policies
from buttress.policy.rego_rewrite import classic_sets
from buttress.render.kubernetes import render_objects

AT = dt.date(2026, 12, 1)

KUBERNETES_HELPERS = """package kubernetes

is_deployment {
\tinput.kind = "Deployment"
}

is_service {
\tinput.kind = "Service"
}

is_workload {
\tinput.kind = ["Deployment", "StatefulSet", "DaemonSet"][_]
}
"""

CLASSIC_MAIN = """package main

import data.kubernetes

name = input.metadata.name

denylist = ["LoadBalancer", "NodePort"]

deny[msg] {
\tkubernetes.is_workload
\tnot input.spec.template.spec.securityContext.runAsNonRoot
\tmsg = sprintf("%s %s must not run as root", [input.kind, name])
}

deny[msg] {
\tkubernetes.is_deployment
\tnot input.spec.selector.matchLabels.app
\tmsg = sprintf("Deployment %s must select its pods by an app label", [name])
}

violation[{"msg": msg, "details": {"type": input.spec.type}}] {
\tkubernetes.is_service
\tinput.spec.type == denylist[_]
\tmsg = sprintf("Service %s must not be exposed as %s", [name, input.spec.type])
}

warn[msg] {
\tinput.kind == "Ingress"
\tmsg = sprintf("Ingress %s is reachable from outside the cluster", [name])
}

deny_unowned_namespace {
\tinput.kind == "Namespace"
\tnot input.metadata.labels.team
}
"""

V1_MAIN = """package main

import rego.v1

import data.kubernetes

name := input.metadata.name

denylist := ["LoadBalancer", "NodePort"]

deny contains msg if {
\tkubernetes.is_workload
\tnot input.spec.template.spec.securityContext.runAsNonRoot
\tmsg := sprintf("%s %s must not run as root", [input.kind, name])
}

deny contains msg if {
\tkubernetes.is_deployment
\tnot input.spec.selector.matchLabels.app
\tmsg := sprintf("Deployment %s must select its pods by an app label", [name])
}

violation contains {"msg": msg, "details": {"type": input.spec.type}} if {
\tkubernetes.is_service
\tinput.spec.type in denylist
\tmsg := sprintf("Service %s must not be exposed as %s", [name, input.spec.type])
}

warn contains msg if {
\tinput.kind == "Ingress"
\tmsg := sprintf("Ingress %s is reachable from outside the cluster", [name])
}

deny_unowned_namespace if {
\tinput.kind == "Namespace"
\tnot input.metadata.labels.team
}
"""

CLASSIC_BLUEPRINT = """package blueprint

deny[msg] {
\tinput.environment.name == "prod"
\tm := input.modules[name]
\tm.kind == "service"
\tm.data.classification == "restricted"
\tm.scaling.replicas.min < 3
\tmsg := sprintf("module %s handles restricted data and needs at least 3 replicas in prod", [name])
}

violation[{"msg": msg, "module": name}] {
\tm := input.modules[name]
\tm.resources.gpu > 0
\tnot m.labels["cost-centre"]
\tmsg := sprintf("GPU job %s needs a cost-centre label", [name])
}

warn[msg] {
\tinput.environment.enforcement == "advisory"
\tmsg := "this environment is advisory"
}
"""

EXPECTED_MAIN = {
    ("rego:main.deny", "error", "Deployment/features",
     "Deployment/features: Deployment features must select its pods by an app label"),
    ("rego:main.deny", "error", "Deployment/label-ingest",
     "Deployment/label-ingest: Deployment label-ingest must select its pods by an app label"),
    ("rego:main.warn", "warning", "Ingress/scorer-score-api",
     "Ingress/scorer-score-api: Ingress scorer-score-api is reachable from outside the cluster"),
    ("rego:main.deny_unowned_namespace", "error", "Namespace/fraud-prod",
     "Namespace/fraud-prod: deny_unowned_namespace"),
}


def _rego(findings: list[Finding], package: str) -> list[Finding]:
    return [f for f in findings if f.control.startswith(f"rego:{package}.")]


def _with_policies(fraud: Path, main: str | None = None, blueprint: str | None = None) -> None:
    """Replace the example's policies by conftest-style files."""
    folder = fraud / "policies"
    if blueprint is not None:
        (folder / "fraud.rego").write_text(blueprint)
    if main is not None:
        (folder / "kubernetes.rego").write_text(KUBERNETES_HELPERS)
        (folder / "k8s.rego").write_text(main)


@pytest.mark.parametrize("policy", [CLASSIC_MAIN, V1_MAIN], ids=["classic", "rego-v1"])
def test_conftest_main_policy_fires_only_where_it_should(fraud: Path, policy: str) -> None:
    _with_policies(fraud, main=policy)
    validated = validate(fraud, ["prod"])
    objects = render_objects(validated.blueprint, validated.environments["prod"], validated.graphs["prod"])
    report = check(validated, ["prod"], AT)
    found = _rego(report.findings, "main")
    assert {(f.control, f.severity, str(f.object), f.message) for f in found} == EXPECTED_MAIN
    assert len(found) == len(EXPECTED_MAIN)  # one finding per message, none per rule and object
    assert len({str(f.object) for f in found}) == 4 and len(objects) >= 40  # every other object: nothing
    assert not any("{}" in f.message for f in report.findings)
    assert {f.module for f in found} == {"features", "label-ingest", "scorer", None}
    assert report.blocked


@pytest.mark.parametrize("policy", [CLASSIC_MAIN, V1_MAIN], ids=["classic", "rego-v1"])
def test_conftest_rules_fire_on_a_non_compliant_object(tmp_path: Path, fraud: Path, policy: str) -> None:
    (tmp_path / "kubernetes.rego").write_text(KUBERNETES_HELPERS)
    (tmp_path / "k8s.rego").write_text(policy)
    policies = load_policies([(tmp_path, "p")])
    assert policies is not None
    validated = validate(fraud, ["prod"])
    objects = render_objects(validated.blueprint, validated.environments["prod"], validated.graphs["prod"])
    root = copy.deepcopy(next(o for o in objects if o["kind"] == "StatefulSet"))
    del root["spec"]["template"]["spec"]["securityContext"]
    exposed: dict[str, Any] = copy.deepcopy(next(o for o in objects if o["kind"] == "Service"))
    exposed["spec"]["type"] = "LoadBalancer"
    [root_verdicts, exposed_verdicts] = policies.evaluate("main", [root, exposed])
    assert [(v.rule, v.severity, v.message) for v in root_verdicts] == [
        ("deny", "error", "StatefulSet case-store must not run as root")]
    name = exposed["metadata"]["name"]
    assert [(v.rule, v.severity, v.message) for v in exposed_verdicts] == [
        ("violation", "error", f"Service {name} must not be exposed as LoadBalancer")]


def test_conftest_blueprint_policy_fires_with_its_messages(fraud: Path) -> None:
    _with_policies(fraud, blueprint=CLASSIC_BLUEPRINT)
    assert _rego(check(validate(fraud, ["prod"]), ["prod"], AT).findings, "blueprint") == []  # compliant
    bp = fraud / "blueprint.yaml"
    edit(bp, "replicas: {min: 3, max: 12}", "replicas: {min: 2, max: 12}")
    edit(bp, "labels: {cost-centre: risk-ml-training}", "labels: {team: risk}")
    report = check(validate(fraud, ["prod"]), ["prod"], AT)
    found = {(f.control, f.severity, f.module, f.message) for f in _rego(report.findings, "blueprint")}
    assert found == {
        ("rego:blueprint.deny", "error", "features",
         "module features handles restricted data and needs at least 3 replicas in prod"),
        ("rego:blueprint.violation", "error", "retrain", "GPU job retrain needs a cost-centre label")}
    assert report.blocked


SHAPES = """package main

deny_classic[msg] { input.fire; msg := "classic" }
deny_objects[{"msg": "object", "details": {"n": 1}}] { input.fire }
deny_empty[msg] { false; msg := "never" }
deny_flag { input.fire }
deny_off { false }
warn_number[n] { input.fire; n := 5 }
denylist = ["a"]
warning_helper = ["not a rule"]
"""

SHAPES_V1 = """package main

import rego.v1

deny_contains contains msg if { input.fire; msg := "v1" }
violation_objects contains {"msg": "v1 object", "module": "features"} if input.fire
warn_empty contains msg if { false; msg := "never" }
deny_complete := "complete" if input.fire
deny_false := false
"""


def test_every_rule_shape_yields_its_messages(tmp_path: Path) -> None:
    (tmp_path / "shapes.rego").write_text(SHAPES)
    (tmp_path / "shapes_v1.rego").write_text(SHAPES_V1)
    policies = load_policies([(tmp_path, "p")])
    assert policies is not None
    fired, quiet = policies.evaluate("main", [{"fire": True}, {"fire": False}])
    assert [(v.rule, v.severity, v.message, v.module) for v in fired] == [
        ("deny_classic", "error", "classic", None),
        ("deny_complete", "error", "complete", None),
        ("deny_contains", "error", "v1", None),
        ("deny_flag", "error", "deny_flag", None),
        ("deny_objects", "error", "object", None),
        ("violation_objects", "error", "v1 object", "features"),
        ("warn_number", "warning", "5", None)]
    assert quiet == []
    assert set(policies.rules()) == {f"main.{r}" for r in (
        "deny_classic", "deny_objects", "deny_empty", "deny_flag", "deny_off", "warn_number", "deny_contains",
        "violation_objects", "warn_empty", "deny_complete", "deny_false")}


@pytest.mark.parametrize(("rule", "severity"), [
    ("deny", "error"), ("deny_root", "error"), ("violation", "error"), ("violation_a_b", "error"),
    ("warn", "warning"), ("warn_x", "warning"), ("denylist", None), ("warning", None), ("deny_", None),
    ("test_deny", None)])
def test_rule_names_follow_conftest(rule: str, severity: str | None) -> None:
    assert rego_batch.rule_severity(rule) == severity


@pytest.mark.parametrize(("value", "results"), [
    ({}, []), ([], []), (None, []), (False, []), (True, ["deny_x"]),
    ({"a": True, "b": True}, ["a", "b"]),
    ({'{"details":{}, "msg":"m"}': True}, [{"details": {}, "msg": "m"}]),
    ({"{not json": True}, ["{not json"]),
    ({"msg": "complete"}, [{"msg": "complete"}]),
    ("text", ["text"]), (["a", {"msg": "b"}], ["a", {"msg": "b"}])])
def test_rule_results_reads_each_shape_rego_cpp_returns(value: Any, results: list[Any]) -> None:
    assert rego_batch.rule_results("deny_x", value) == results


HELPER_SETS = """package main

images[img] {
\timg := input.spec.template.spec.containers[_].image
}

containers[c] {
\tc := input.spec.template.spec.containers[_]
}

deny[msg] {
\timg := images[_]
\tnot startswith(img, "trusted.io/")
\tmsg := sprintf("untrusted image %s", [img])
}

violation[{"msg": msg}] {
\tc := containers[_]
\tnot c.resources.limits.cpu
\tmsg := sprintf("%s has no cpu limit", [c.name])
}
"""

MIXED_V1 = """package main

import rego.v1

deny contains msg if {
\tinput.kind == "Deployment"
\tnot input.metadata.labels.team
\tmsg := "no team label"
}
"""


def test_classic_helper_sets_are_sets_and_mix_with_v1_files(tmp_path: Path) -> None:
    """``images[img] { ... }`` is a partial set in OPA: iterating it yields images, not ``true``."""
    (tmp_path / "classic.rego").write_text(HELPER_SETS)
    (tmp_path / "v1.rego").write_text(MIXED_V1)
    policies = load_policies([(tmp_path, "p")])
    assert policies is not None
    deployment = {"kind": "Deployment", "metadata": {"name": "x", "labels": {}}, "spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": "evil.io/app:1", "resources": {}}]}}}}
    [verdicts] = policies.evaluate("main", [deployment])
    assert sorted((v.rule, v.message) for v in verdicts) == [
        ("deny", "no team label"), ("deny", "untrusted image evil.io/app:1"), ("violation", "app has no cpu limit")]


@pytest.mark.parametrize(("source", "rewritten"), [
    ("pairs[k] = [k, v] {\n\tv := input.x[k]\n}\n", None),  # an object rule whose value ends in ]
    ("f(x) = y {\n\ty := x\n}\n", None),
    ("labels[k] := v if {\n\tv := input.l[k]\n}\n", None),
    ("# deny[msg] {\n", None),
    ("deny[msg] {\n\tmsg := `see:\nhint[x] {\n}`\n}\n", "deny contains msg if {\n\tmsg := `see:\nhint[x] {\n}`\n}\n"),
    ("  services[name] {\n\tinput.m[name]\n}\n", "  services contains name if {\n\tinput.m[name]\n}\n"),
    ('deny[{\n\t"msg": msg,\n}] {\n\tmsg := "x"\n}\n', 'deny contains {\n\t"msg": msg,\n} if {\n\tmsg := "x"\n}\n'),
    ('deny[msg] { x := input.a[0]; msg := "a" }\n', 'deny contains msg if { x := input.a[0]; msg := "a" }\n'),
])
def test_only_classic_set_heads_are_rewritten(source: str, rewritten: str | None) -> None:
    """Object rules, functions, v1 heads, comments and string contents stay; indented and multi-line set heads
    are sets too."""
    assert classic_sets(source) == (rewritten or source)
    assert classic_sets(source).count("\n") == source.count("\n")  # line numbers kept


def test_an_rfc3339_time_in_utc_parses_as_in_opa(tmp_path: Path) -> None:
    """rego-cpp's time.parse_rfc3339_ns is undefined for "...Z": the rule would never fire without the rewrite."""
    (tmp_path / "t.rego").write_text('package main\n\nimport rego.v1\n\nwarn contains msg if {\n'
                                     '\tt := time.parse_rfc3339_ns(input.metadata.annotations.expires)\n'
                                     '\tt < time.parse_rfc3339_ns("2027-01-01T00:00:00+00:00")\n'
                                     '\tmsg := "expires in 2026"\n}\n')
    policies = load_policies([(tmp_path, "p")])
    assert policies is not None
    objects = [{"kind": "Deployment", "metadata": {"name": n, "annotations": {"expires": at}}}
               for n, at in (("z", "2026-12-01T00:00:00Z"), ("offset", "2026-12-01T01:00:00+01:00"),
                             ("later", "2027-06-01T00:00:00Z"))]
    assert [[v.message for v in found] for found in policies.evaluate("main", objects)] == [
        ["expires in 2026"], ["expires in 2026"], []]


def test_a_builtin_the_engine_cannot_evaluate_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "n.rego").write_text('package blueprint\n\nimport rego.v1\n\n'
                                     'deny_egress contains msg if {\n\tsome c in input.environment.cidrs\n'
                                     '\tnet.cidr_contains("0.0.0.0/0", c)\n\tmsg := "open egress"\n}\n')
    with pytest.raises(BlueprintError) as info:
        load_policies([(tmp_path, "p")])
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.column) == ("p/n.rego", 7, 2)
    assert "net.cidr_contains is not available in the Rego engine" in problem.message
