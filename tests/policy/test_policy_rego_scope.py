"""The Rego scope analysis (``policy.rego_scope``): projecting inputs and skipping rules never changes
a verdict. Each policy is evaluated twice over the same inputs — through ``PolicySet.evaluate``
(projected inputs, only the rules that can apply) and by the engine over the whole input and the
whole package — and the verdicts must be equal; the analysis must also actually cut work."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from tests.policy.test_policy_rego_conftest import (
    CLASSIC_BLUEPRINT,
    CLASSIC_MAIN,
    KUBERNETES_HELPERS,
    SHAPES,
    SHAPES_V1,
    V1_MAIN,
)

from buttress.app.validate import validate
from buttress.policy import rego_batch
from buttress.policy.rego import load_policies
from buttress.policy.rego_scope import STAR, Node, projection, rules_of
from buttress.render.kubernetes import render_objects

BENCH = Path(__file__).parents[2] / "benchmarks" / "policies"

TRICKY = """package main

import rego.v1

workload := {"Deployment", "StatefulSet"}

# a variable bound by unification, then compared whole through another binding
deny_same_container contains msg if {
\tsome c in input.spec.template.spec.containers
\tc = input.spec.template.spec.initContainers[_]
\tmsg := "same container"
}

# membership of a whole value, not a binding
deny_label_value contains msg if {
\tinput.kind in workload
\tv := "fraud"
\tv in input.metadata.labels
\tmsg := sprintf("%s has a label valued fraud", [input.metadata.name])
}

# a nested iteration: ports of containers
warn_port contains msg if {
\tinput.kind in workload
\tsome c in input.spec.template.spec.containers
\tsome p in c.ports
\tp.containerPort < 1024
\tmsg := sprintf("%s listens on %d", [c.name, p.containerPort])
}

# a helper in another package reads input; a function gets a whole subtree
deny_helper contains msg if {
\tdata.lib.big
\tcount_keys(input.spec) > 0
\tmsg := sprintf("%s is big", [input.metadata.name])
}

count_keys(x) := count(object.keys(x))

# every
warn_every contains msg if {
\tinput.kind == "Service"
\tevery p in input.spec.ports { p.port > 1000 }
\tmsg := "high ports only"
}

# a default that is true for every input
default warn_always := "always"
"""

LIB = """package lib

big if count(input.metadata.labels) > 3
"""


def _load(tmp_path: Path, sources: dict[str, str]) -> Any:
    folder = tmp_path / "policies"
    folder.mkdir()
    for name, text in sources.items():
        (folder / name).write_text(text)
    policies = load_policies([(folder, "p")])
    assert policies is not None
    return policies


def _engine_verdicts(policies: Any, package: str, inputs: list[Any]) -> list[list[tuple[str, str, str, str | None]]]:
    engine = rego_batch.Engine([(f.display, f.source) for f in policies.files], package)
    out = engine.run([(None, v) for v in inputs])
    assert not isinstance(out, rego_batch.Failure)
    return out


def _objects(fraud: Path) -> list[Any]:
    validated = validate(fraud)
    objects = []
    for name, env in validated.environments.items():
        objects += render_objects(validated.blueprint, env, validated.graphs[name])
    # variants that make the rules fire: a privileged latest image, a LoadBalancer, a low port, ...
    variants = []
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet", "Rollout"):
            changed = copy.deepcopy(obj)
            pod = changed["spec"]["template"]["spec"]
            pod["containers"][0]["image"] = "registry.example/x:latest"
            pod["containers"][0]["securityContext"] = {"privileged": True}
            pod["containers"][0]["ports"] = [{"containerPort": 80}]
            pod["initContainers"] = [copy.deepcopy(pod["containers"][0])]
            pod["hostNetwork"] = True
            changed["metadata"]["labels"] = {"a": "fraud", "b": "1", "c": "2", "d": "3"}
            variants.append(changed)
        if obj["kind"] == "Service":
            changed = copy.deepcopy(obj)
            changed["spec"]["type"] = "LoadBalancer"
            variants.append(changed)
    return objects + variants + [{"kind": "Ingress", "metadata": {"name": "i"}, "spec": {}}, {"fire": True}, {}]


@pytest.mark.parametrize("sources", [
    {"main.rego": (BENCH / "main.rego").read_text()},
    {"kubernetes.rego": KUBERNETES_HELPERS, "k8s.rego": CLASSIC_MAIN},
    {"kubernetes.rego": KUBERNETES_HELPERS, "k8s.rego": V1_MAIN},
    {"shapes.rego": SHAPES, "shapes_v1.rego": SHAPES_V1},
    {"tricky.rego": TRICKY, "lib.rego": LIB},
], ids=["benchmark", "conftest-classic", "conftest-v1", "shapes", "tricky"])
def test_projected_and_filtered_verdicts_equal_the_engine_on_whole_inputs(
        sources: dict[str, str], fraud: Path, tmp_path: Path) -> None:
    policies = _load(tmp_path, sources)
    inputs = _objects(fraud)
    expected = _engine_verdicts(policies, "main", inputs)
    got = policies.evaluate("main", inputs)
    assert [[(v.rule, v.severity, v.message, v.module) for v in vs] for vs in got] == expected
    assert any(expected), "the inputs make some rule fire"


def test_blueprint_package_verdicts_are_unchanged(fraud: Path, tmp_path: Path) -> None:
    from buttress.app.check import blueprint_input
    (tmp_path / "blueprint.rego").write_text((BENCH / "blueprint.rego").read_text())
    policies = load_policies([(tmp_path / "blueprint.rego", "p")])
    assert policies is not None
    validated = validate(fraud)
    inputs = [blueprint_input(validated.blueprint, env) for env in validated.environments.values()]
    firing = copy.deepcopy(inputs[-1])
    firing["environment"].update(name="prod", region="us-east-1")
    for module in firing["modules"].values():
        module.pop("description", None)
        module.setdefault("resources", {}).update(gpu=1, memory="64Gi")
        module["scaling"] = {"replicas": {"min": 1}}
    inputs.append(firing)
    expected = _engine_verdicts(policies, "blueprint", inputs)
    got = policies.evaluate("blueprint", inputs)
    assert [[(v.rule, v.severity, v.message, v.module) for v in vs] for vs in got] == expected
    assert any(expected)
    kept = policies.scope("blueprint")[0].project(inputs[0])
    assert set(kept) == {"environment", "modules"}  # blueprint, externals: never read
    assert all(set(m) <= {"kind", "data", "scaling", "description", "resources", "labels"}
               for m in kept["modules"].values())


def test_the_benchmark_policy_skips_kinds_and_reads_few_paths(fraud: Path, tmp_path: Path) -> None:
    (tmp_path / "main.rego").write_text((BENCH / "main.rego").read_text())
    policies = load_policies([(tmp_path / "main.rego", "p")])
    assert policies is not None
    validated = validate(fraud, ["prod"])
    objects = render_objects(validated.blueprint, validated.environments["prod"], validated.graphs["prod"])
    policies.evaluate("main", objects)
    workloads = {"Deployment", "StatefulSet", "Rollout", "Job", "Service", "Ingress"}
    assert policies.evaluations == len({o["metadata"]["name"] + o["kind"] for o in objects if o["kind"] in workloads})
    service = next(o for o in objects if o["kind"] == "Service")
    assert policies.scope("main")[0].project(service) == {
        "kind": "Service", "spec": {"type": "ClusterIP"},
        "metadata": {"name": service["metadata"]["name"], "labels": {"app.kubernetes.io/part-of": "fraud-detection"}}}


@pytest.mark.parametrize("source", [
    "package main\nimport input.spec as s\ndeny[m] { s.x; m := \"x\" }\n",
    "package main\ndeny[m] { data.lib.f with input as {}; m := \"x\" }\n",
    "package main\ndeny[m] { x := input; x.a; m := \"x\" }\n",
    "package main\ndeny[m] { walk(input, [p, v]); m := \"x\" }\n",
])
def test_whole_input_is_kept_when_input_is_not_read_by_paths(source: str) -> None:
    assert projection([source]).whole or projection([source]).project({"a": 1, "b": {"c": 2}}) == {"a": 1, "b": {"c": 2}}


def test_iteration_keeps_members_only_as_far_as_they_are_read() -> None:
    keep = projection(["package blueprint\ndeny[m] {\n  some name, mod in input.modules\n  mod.kind == \"job\"\n"
                       "  m := name\n}\n"])
    value = {"modules": {"a": {"kind": "job", "big": [1] * 10}, "b": {"x": 1}}, "other": 1}
    assert keep.project(value) == {"modules": {"a": {"kind": "job"}, "b": {}}}
    assert keep.children["modules"].children[STAR].children["kind"].whole


def test_a_bare_variable_keeps_its_whole_member() -> None:
    keep = projection(["package main\ndeny[c] {\n  some c in input.spec.containers\n}\n"])
    value = {"spec": {"containers": [{"name": "a", "image": "b"}], "other": 1}}
    assert keep.project(value) == {"spec": {"containers": [{"name": "a", "image": "b"}]}}


def test_rules_without_a_recognised_guard_apply_to_everything() -> None:
    rules = rules_of([SHAPES_V1], rego_batch.rule_severity)
    assert rules is not None
    by_name = {r.name: r for r in rules}
    assert by_name["violation_objects"].bodies is None  # ``if <expression>``: not analysed
    assert by_name["deny_complete"].admits({}) and not by_name["deny_complete"].partial_set
    assert by_name["deny_contains"].admits({"fire": False}) and not by_name["deny_contains"].admits({})
    assert rules_of(["package main\ndeny[m] { \"unterminated }\n"], rego_batch.rule_severity) is None


def test_node_merge_and_lists() -> None:
    node = Node()
    node.add(["a", STAR, "b"], whole=True)
    node.add(["a", "0", "c"], whole=True)
    assert node.project({"a": [{"b": 1, "c": 2, "d": 3}]}) == {"a": [{"b": 1, "c": 2}]}


def _generated(tmp_path: Path, n: int) -> Any:
    from benchmarks.generate import generate
    return validate(generate(n, tmp_path / "generated"))


@pytest.mark.parametrize("sources", [
    {"blueprint.rego": (BENCH / "blueprint.rego").read_text()},
    {"fraud.rego": (Path(__file__).parents[2] / "examples" / "fraud-detection" / "policies" / "fraud.rego").read_text()},
    {"classic.rego": CLASSIC_BLUEPRINT},
], ids=["benchmark", "example", "classic"])
def test_blueprint_inputs_split_by_module_give_the_same_verdicts(sources: dict[str, str], tmp_path: Path) -> None:
    from buttress.app.check import blueprint_input
    policies = _load(tmp_path, sources)
    validated = _generated(tmp_path, 130)
    inputs = [blueprint_input(validated.blueprint, env) for env in validated.environments.values()]
    for value in inputs:  # make every rule fire somewhere
        for i, module in enumerate(value["modules"].values()):
            if i % 7 == 0:
                module.pop("description", None)
                module.setdefault("resources", {}).update(gpu=1, memory="64Gi")
                module.setdefault("data", {})["classification"] = "restricted"
    assert len(policies._parts("blueprint", inputs[0])) == 3  # 130 modules: parts of 50, 50, 30
    expected = [sorted(vs, key=lambda t: (t[0], t[2], t[3] or "")) for vs in _engine_verdicts(policies, "blueprint", inputs)]
    got = policies.evaluate("blueprint", inputs)
    assert [[(v.rule, v.severity, v.message, v.module) for v in vs] for vs in got] == expected
    assert sum(map(len, expected)) > 20


@pytest.mark.parametrize(("body", "local"), [
    ("some name, m in input.modules\n  not m.description\n  msg := name", True),
    ("m := input.modules[name]\n  m.kind == \"job\"\n  msg := name", True),
    ("input.environment.name == \"prod\"\n  msg := \"env only\"", True),
    ("count(input.modules) > 3\n  msg := \"many\"", False),
    ("every name, m in input.modules { m.description }\n  msg := \"all described\"", False),
    ("names := {n | some n, m in input.modules; m.kind == \"job\"}\n  count(names) > 1\n  msg := \"jobs\"", False),
    ("some a, m in input.modules\n  some b, n in input.modules\n  m.owner == n.owner\n  a != b\n  msg := a", False),
    ("input.modules.features.kind == \"job\"\n  msg := \"x\"", False),
    ("some name, m in input.modules\n  helper\n  msg := name", False),
])
def test_splitting_needs_rules_that_read_one_module_at_a_time(body: str, local: bool) -> None:
    from buttress.policy.rego_scope import member_local
    helper = "helper if { some m in input.modules; m.kind == \"job\" }\n" if "helper" in body else ""
    source = f"package blueprint\n\nimport rego.v1\n\n{helper}deny_x contains msg if {{\n  {body}\n}}\n"
    assert member_local("blueprint", [source], [], rego_batch.rule_severity, "modules") is local
    assert not member_local("blueprint", [source.replace("deny_x contains msg if", "deny_x := msg if")], [],
                            rego_batch.rule_severity, "modules") or "modules" not in body
