"""Regression cases for ``policy.rego_scope``: policies and inputs where an earlier version of the
analysis changed a verdict (found by an adversarial review). Each must give exactly what the
engine gives over the whole input and the whole package — or fail the same way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from buttress.errors import BlueprintError
from buttress.policy import rego_batch
from buttress.policy.rego import load_policies


def _modules(n: int, jobs_below: int | None = None) -> dict[str, Any]:
    return {f"m{i:03d}": {"kind": "job" if (i % 2 if jobs_below is None else i < jobs_below) else "service"}
            for i in range(n)}


PROBES: list[tuple[str, str, dict[str, str], list[Any]]] = [
    ('some_k_v_unread', 'main', {'p.rego': """package main

import rego.v1

deny contains msg if {
\tsome k, v in input.metadata.labels
\tstartswith(k, "bad")
\tmsg := k
}
"""},
     [{"kind": "Pod", "metadata": {"labels": {"bad-x": "1"}}}]),
    ('some_x_unread_obj', 'main', {'p.rego': """package main

import rego.v1

deny contains "has labels" if {
\tsome x in input.metadata.labels
}
"""},
     [{"kind": "Pod", "metadata": {"labels": {"a": "1"}}}]),
    ('every_k_v', 'main', {'p.rego': """package main

import rego.v1

deny contains "no forbidden label" if {
\tinput.kind == "Pod"
\tevery k, v in input.metadata.labels { k != "forbidden" }
}
"""},
     [{"kind": "Pod", "metadata": {"labels": {"forbidden": "1"}}}]),
    ('nested_some_unread', 'main', {'p.rego': """package main

import rego.v1

deny contains "nested" if {
\tsome c in input.spec.containers
\tsome e in c.env
}
"""},
     [{"kind": "Pod", "spec": {"containers": [{"env": {"A": "1"}}]}}]),
    ('unify_compare', 'main', {'p.rego': """package main

import rego.v1

deny contains "match" if {
\tsome want in [{"name": "app"}]
\twant = input.spec.containers[_]
}
"""},
     [{"kind": "Pod", "spec": {"containers": [{"name": "app"}]}}]),
    ('split_input_iter', 'blueprint', {'b.rego': """package blueprint

import rego.v1

deny contains "too many modules" if {
\tsome k, v in input
\tk == "modules"
\tcount(v) > 60
}
"""},
     [{"environment": {"name": "e"}, "modules": _modules(100)}]),
    ('split_rule_ref', 'blueprint', {'b.rego': """package blueprint

import rego.v1

deny_job contains name if {
\tsome name, m in input.modules
\tm.kind == "job"
}

deny_many contains "many jobs" if {
\tcount(deny_job) > 30
}

warn_nojob contains "no job" if {
\tcount(deny_job) == 0
}
"""},
     [{"environment": {"name": "e"}, "modules": _modules(100)}]),
    ('subpackage', 'main', {'p.rego': """package main

import rego.v1

deny contains "never" if {
\tinput.kind == "Never"
}
""", 'sub.rego': """package main.deny_sub

import rego.v1

reason := "sub"
"""},
     [{"kind": "Pod"}]),
    ('shadow_const', 'main', {'p.rego': """package main

import rego.v1

workload := {"Deployment"}

deny contains "svc" if {
\tsome workload in [{"Service"}]
\tinput.kind in workload
}
"""},
     [{"kind": "Service"}]),
    ('shadow_const_assign', 'main', {'p.rego': """package main

import rego.v1

workload := {"Deployment"}

deny contains "svc" if {
\tworkload := {"Service"}
\tinput.kind in workload
}
"""},
     [{"kind": "Service"}]),
    ('classic_multibody_newline', 'main', {'p.rego': """package main

deny[msg] {
\tinput.kind == "A"
\tmsg := "a"
}
{
\tinput.kind == "B"
\tmsg := "b"
}
"""},
     [{"kind": "B"}]),
    ('classic_multibody_sameline', 'main', {'p.rego': """package main

deny[msg] {
\tinput.kind == "A"
\tmsg := "a"
} {
\tinput.kind == "B"
\tmsg := "b"
}
"""},
     [{"kind": "B"}]),
    ('refhead_bracket_const', 'main', {'p.rego': """package main

import rego.v1

deny contains "always" if {
\tinput.kind == "A"
}

deny_x["k"] if {
\tinput.spec.x == 1
}
"""},
     [{"kind": "A", "spec": {"x": 2}}, {"kind": "A", "spec": {"x": 1}}, {"kind": "A"}]),
    ('refhead_bracket_var', 'main', {'p.rego': """package main

import rego.v1

deny contains "always" if {
\tinput.kind == "A"
}

deny_x[k] if {
\tsome k in input.spec.names
\tk == "zzz"
}
"""},
     [{"kind": "A", "spec": {"names": ["a"]}}]),
    ('helper_conflict_error', 'main', {'p.rego': """package main

import rego.v1

h := 1 if input.a
h := 2 if input.b

deny contains "never" if {
\tinput.kind == "Never"
}
"""},
     [{"kind": "Pod", "a": True, "b": True}]),
    ('package_data_main', 'main', {'p.rego': """package data.main

import rego.v1

deny contains "x" if { true }
"""},
     [{"kind": "Pod"}]),
    ('line_continuation', 'main', {'p.rego': """package main

import rego.v1

deny contains "not A" if {
\tinput.kind == "A"
\t\t== false
}
"""},
     [{"kind": "B"}]),
    ('split_helper_rule_ref', 'blueprint', {'b.rego': """package blueprint

import rego.v1

deny_job contains name if {
\tsome name, m in input.modules
\tm.kind == "job"
}

jobs := count(deny_job)

warn_nojob contains "no job" if {
\tjobs == 0
}
"""},
     [{"environment": {"name": "e"}, "modules": _modules(100, jobs_below=10)}]),
    ('split_other_pkg_ref', 'blueprint', {'b.rego': """package blueprint

import rego.v1

deny_job contains name if {
\tsome name, m in input.modules
\tm.kind == "job"
}

warn_nojob contains "no job" if {
\tdata.lib.jobs == 0
}
""", 'lib.rego': """package lib

import rego.v1

jobs := count(data.blueprint.deny_job)
"""},
     [{"environment": {"name": "e"}, "modules": _modules(100, jobs_below=10)}]),
    ('shadow_input', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tsome input in [{"kind": "Service"}]
\tinput.kind == "Service"
}
"""},
     [{"kind": "Pod"}]),
    ('complete_multibody_newline', 'main', {'p.rego': """package main

deny_kind {
\tinput.kind == "A"
}
{
\tinput.kind == "B"
}
"""},
     [{"kind": "B"}]),
    ('complete_multibody_sameline', 'main', {'p.rego': """package main

deny_kind {
\tinput.kind == "A"
} {
\tinput.kind == "B"
}
"""},
     [{"kind": "B"}]),
    ('const_key_multibody', 'main', {'p.rego': """package main

deny["bad kind"] {
\tinput.kind == "A"
}
{
\tinput.kind == "B"
}
"""},
     [{"kind": "B"}]),
    ('nested_iter_alias_obj', 'main', {'p.rego': """package main

import rego.v1

deny contains "has env" if {
\tc := input.spec.containers[_]
\tsome k, v in c.env
\tk == "SECRET"
}
"""},
     [{"kind": "Pod", "spec": {"containers": [{"env": {"SECRET": "x"}}]}}]),
    ('modules_key_only', 'blueprint', {'b.rego': """package blueprint

import rego.v1

deny contains msg if {
\tsome name, _ in input.modules
\tstartswith(name, "legacy-")
\tmsg := sprintf("%s is legacy", [name])
}
"""},
     [{"environment": {}, "modules": {"legacy-a": {"kind": "job"}}}]),
    ('unify_fn_domain', 'main', {'p.rego': """package main

import rego.v1

deny contains "allowed pair" if {
\tsome pair in json.unmarshal(`[{"k":"a"}]`)
\tpair = input.items[_]
}
"""},
     [{"kind": "Pod", "items": [{"k": "a"}]}]),
    ('subpackage_only', 'main', {'sub.rego': """package main.deny_sub

import rego.v1

reason := "sub"
"""},
     [{"kind": "Pod"}]),
    ('helper_conflict_admitted', 'main', {'p.rego': """package main

import rego.v1

h := 1 if input.a
h := 2 if input.b

deny contains "pod" if {
\tinput.kind == "Pod"
}
"""},
     [{"kind": "Pod", "a": True, "b": True}]),
    ('every_unify', 'main', {'p.rego': """package main

import rego.v1

deny contains "listed" if {
\tevery want in [{"name": "app"}] {
\t\twant = input.spec.containers[_]
\t}
}
"""},
     [{"kind": "Pod", "spec": {"containers": [{"name": "app"}]}}]),
    ('some_v_only_key_modules_every', 'main', {'p.rego': """package main

import rego.v1

warn contains "only allowed annotations" if {
\tinput.kind == "Pod"
\tevery k, _ in input.metadata.annotations { startswith(k, "ok/") }
}
"""},
     [{"kind": "Pod", "metadata": {"annotations": {"bad": "1"}}}]),
]


@pytest.mark.parametrize(("package", "files", "inputs"), [p[1:] for p in PROBES], ids=[p[0] for p in PROBES])
def test_scoped_evaluation_equals_the_engine(package: str, files: dict[str, str], inputs: list[Any],
                                             tmp_path: Path) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    policies = load_policies([(tmp_path, "p")])
    assert policies is not None
    truth = rego_batch.Engine([(f.display, f.source) for f in policies.files], package).run([(None, v) for v in inputs])
    if isinstance(truth, int):
        with pytest.raises(BlueprintError):
            policies.evaluate(package, inputs)
        return
    got = policies.evaluate(package, inputs)
    assert [[(v.rule, v.severity, v.message, v.module) for v in vs] for vs in got] == truth
