"""Regression cases for ``policy.rego_scope``: policies and inputs where an earlier version of the
analysis changed a verdict or hid an error (found by two adversarial reviews), and constructs
they tried that held. Each must give exactly what the
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


WORKLOADS = {"lib.rego": 'package lib\n\nimport rego.v1\n\nworkload := {"B"}\n',
             "k.rego": 'package main\n\nimport rego.v1\n\nworkload := {"A"}\n'}
"""A library's kind set and a same-named constant of package main (imports must pick the right one)."""

NESTED = [{'kind': 'Pod', 'a': [{'items': [{'env': {'SECRET': {'v': 1}}}]}],
           'spec': {'containers': {'c1': {'env': {'K': {'x': 1}}}}}}]

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
    # a second review, against the fixed analysis
    ('complete_once_multi', 'main', {'p.rego': """package main

import rego.v1

h := v if {
\tsome v in input.vals
}

deny contains "never" if {
\tinput.kind == "Never"
}
"""},
     [{'kind': 'Pod', 'vals': [1, 2]}]),
    ('partial_obj_conflict', 'main', {'p.rego': """package main

import rego.v1

h[k] := v if {
\tsome v in input.vals
\tk := "a"
}

deny contains "never" if {
\tinput.kind == "Never"
}
"""},
     [{'kind': 'Pod', 'vals': [1, 2]}]),
    ('div_zero_helper', 'main', {'p.rego': """package main

import rego.v1

h := 1 / input.zero

deny contains "never" if {
\tinput.kind == "Never"
}
"""},
     [{'kind': 'Pod', 'zero': 0}]),
    ('div_zero_before_guard', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tx := 1 / input.zero
\tinput.kind == "Never"
}
"""},
     [{'kind': 'Pod', 'zero': 0}]),
    ('to_number_helper', 'main', {'p.rego': """package main

import rego.v1

h := to_number(input.s)

deny contains "never" if {
\tinput.kind == "Never"
}
"""},
     [{'kind': 'Pod', 's': 'abc'}]),
    ('fn_multi_out', 'main', {'p.rego': """package main

import rego.v1

f(x) := v if {
\tsome v in x
}

h := f(input.vals)

deny contains "never" if {
\tinput.kind == "Never"
}
"""},
     [{'kind': 'Pod', 'vals': [1, 2]}]),
    ('cont_const', 'main', {'p.rego': """package main

import rego.v1

workload := {"A"}
\t| {"B"}

deny contains "x" if {
\tinput.kind in workload
}
"""},
     [{'kind': 'B'}]),
    ('cont_alias', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tv := input.x[_]
\t\t== {}
\tv
}
"""},
     [{'kind': 'B', 'x': [{'a': 1}]}]),
    ('pkg_bracket_sub', 'main', {'p.rego': """package main

import rego.v1

deny contains "never" if {
\tinput.kind == "Never"
}
""", 's.rego': """package main["deny_sub"]

import rego.v1

reason := "sub"
"""},
     [{'kind': 'Pod'}]),
    ('cont_in_union', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput.kind in {"A"}
\t\t| {"B"}
}
"""},
     [{'kind': 'B'}]),
    ('cont_eq_plus', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput.kind == "A"
\t\t+ 0
}
"""},
     [{'kind': 'B'}]),
    ('admitted_complete_multi', 'main', {'p.rego': """package main

import rego.v1

h := v if {
\tsome v in input.vals
}

deny contains "pod" if {
\tinput.kind == "Pod"
}
"""},
     [{'kind': 'Pod', 'vals': [1, 2]}]),
    ('not_newline', 'main', {'p.rego': """package main

import rego.v1

deny contains "not A" if {
\tnot
\t\tinput.kind == "A"
}
"""},
     [{'kind': 'B'}]),
    ('assign_newline', 'main', {'p.rego': """package main

import rego.v1

deny contains msg if {
\tis_a :=
\t\tinput.kind == "A"
\tmsg := sprintf("%v", [is_a])
}
"""},
     [{'kind': 'B'}]),
    ('eq_newline_false', 'main', {'p.rego': """package main

import rego.v1

deny contains "not A" if {
\tfalse ==
\t\tinput.kind == "A"
}
"""},
     [{'kind': 'B'}]),
    ('or_union_newline', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput.kind in {"A"} |
\t\t{"B"}
}
"""},
     [{'kind': 'B'}]),
    ('guard_after_conflict_fn', 'main', {'p.rego': """package main

import rego.v1

f(x) := v if {
\tsome v in x
}

deny_b contains "b" if {
\ty := f(input.vals)
\tinput.kind == "B"
}

deny contains "a" if {
\tinput.kind == "A"
}
"""},
     [{'kind': 'A', 'vals': [1, 2]}]),
    ('unify_newline', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\t[a, b] =
\t\t[input.kind == "A", 1]
\tnot a
}
"""},
     [{'kind': 'B'}]),
    ('shadow_input_orig', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tsome input in [{"kind": "Service"}]
\tinput.kind == "Service"
}
"""},
     [{'kind': 'Pod'}]),
    ('shadow_input_assign', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput := {"kind": "Service"}
\tinput.kind == "Service"
}
"""},
     [{'kind': 'Pod'}]),
    ('shadow_input_head', 'main', {'p.rego': """package main

deny[input] {
\tinput := {"kind": "Service"}
\tinput.kind == "Service"
}
"""},
     [{'kind': 'Pod'}]),
    ('same_line_rule', 'main', {'p.rego': """package main

import rego.v1

deny contains "a" if {
\tinput.kind == "A"
} warn contains "w" if { true }
"""},
     [{'kind': 'B'}]),
    ('same_line_rule2', 'main', {'p.rego': """package main

import rego.v1

deny contains "a" if {
\ttrue
} warn contains "w" if { true }
"""},
     [{'kind': 'B'}]),
    ('semicolon_rule', 'main', {'p.rego': """package main

import rego.v1

x := 1; deny contains "b" if { true }
"""},
     [{'kind': 'B'}]),
    ('some_input_kv', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tsome _, input in {"a": {"kind": "Service"}}
\tinput.kind == "Service"
}
"""},
     [{'kind': 'Pod'}]),
    ('if_set_literal', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {input.kind == "A"} == {false}
"""},
     [{'kind': 'B'}]),
    ('semicolon_conflict', 'main', {'p.rego': """package main

import rego.v1

h := 1 if input.a; h := 2 if input.b

deny contains "never" if {
\tinput.kind == "Never"
}
"""},
     [{'kind': 'Pod', 'a': True, 'b': True}]),
    ('pkg_space_sub', 'main', {'p.rego': """package main

import rego.v1

deny contains "never" if {
\tinput.kind == "Never"
}
""", 's.rego': """package main .deny_sub

import rego.v1

reason := "sub"
"""},
     [{'kind': 'Pod'}]),
    ('pkg_data_bracket', 'main', {'p.rego': """package main

import rego.v1

deny contains "never" if {
\tinput.kind == "Never"
}
""", 's.rego': """package data.main.deny_sub

import rego.v1

reason := "sub"
"""},
     [{'kind': 'Pod'}]),
    ('pkg_raw_bracket', 'main', {'p.rego': """package main

import rego.v1

deny contains "never" if {
\tinput.kind == "Never"
}
""", 's.rego': """package main[`deny_sub`]

import rego.v1

reason := "sub"
"""},
     [{'kind': 'Pod'}]),
    ('head_split_lines', 'main', {'p.rego': """package main

import rego.v1

deny contains "a" if {
\tinput.kind == "A"
}

warn
\tcontains "w" if { true }
"""},
     [{'kind': 'B'}]),
    ('shadow_input_arr', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\t[input] := [{"kind": "Service"}]
\tinput.kind == "Service"
}
"""},
     [{'kind': 'Pod'}]),
    ('shadow_input_compr', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput.kind == "Service"
\tinput := 1
}
"""},
     [{'kind': 'Pod'}]),
    ('with_next_line', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput.kind == "A"
\t\twith input.kind as "A"
}
"""},
     [{'kind': 'B'}]),
    ('with_next_line_const', 'main', {'p.rego': """package main

import rego.v1

kinds := {"A"}

deny contains "x" if {
\tinput.kind in kinds
\t\twith kinds as {"B"}
}
"""},
     [{'kind': 'B'}]),
    ('with_next_line_data', 'main', {'p.rego': """package main

import rego.v1

kinds := {"A"}

deny contains "x" if {
\tinput.kind in kinds
\t\twith data.main.kinds as {"B"}
}
"""},
     [{'kind': 'B'}]),
    ('two_rules_one_empty', 'main', {'p.rego': """package main

import rego.v1

deny contains "a" if {
\tinput.kind == "A"
}

warn contains "w" if {
\tinput.kind == "A"
\tinput.x
}
"""},
     [{'kind': 'A', 'x': False}]),
    ('assign_cont_index', 'main', {'p.rego': """package main

import rego.v1

deny contains msg if {
\tv := input.x[_]
\t\t[0]
\tmsg := v.name
}
"""},
     [{'kind': 'B', 'x': [[{'name': 'n'}]]}]),
    ('assign_cont_dot', 'main', {'p.rego': """package main

import rego.v1

deny contains msg if {
\tv := input.x[_]
\t\t.inner
\tmsg := v.name
}
"""},
     [{'kind': 'B', 'x': [{'inner': {'name': 'n'}}]}]),
    ('some_cont_dot', 'main', {'p.rego': """package main

import rego.v1

deny contains msg if {
\tsome v in input.x
\t\t.inner
\tmsg := v.name
}
"""},
     [{'kind': 'B', 'x': {'inner': [{'name': 'n'}]}}]),
    ('some_cont_pipe', 'main', {'p.rego': """package main

import rego.v1

deny contains msg if {
\tsome v in input.x
\t\t| {"q"}
\tmsg := v
}
"""},
     [{'kind': 'B', 'x': ['a']}]),
    ('some_cont_dot_obj', 'main', {'p.rego': """package main

import rego.v1

deny contains msg if {
\tsome v in input.x
\t\t.inner
\tmsg := v.name
}
"""},
     [{'kind': 'B', 'x': {'inner': {'k': {'name': 'n'}}}}]),
    ('cont_dot_kind', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput.spec
\t\t.kind == "A"
}
"""},
     [{'kind': 'B', 'spec': {'kind': 'A'}}]),
    ('cont_dot_kind2', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput.kind == input
\t\t.spec.kind
}
"""},
     [{'kind': 'B', 'spec': {'kind': 'B'}}]),
    ('import_bracket', 'main', {'p.rego': """package main

import rego.v1

import data.lib["workload"]

deny contains "x" if {
\tinput.kind in workload
}
""", **WORKLOADS},
     [{'kind': 'B'}]),
    ('import_plain_other_file', 'main', {'p.rego': """package main

import rego.v1

import data.lib.workload

deny contains "x" if {
\tinput.kind in workload
}
""", **WORKLOADS},
     [{'kind': 'B'}]),
    ('import_bracket2', 'main', {'p.rego': """package main

import rego.v1

import data.lib["workload"]

deny contains "x" if {
\tinput.kind in workload
}
""", 'lib.rego': """package lib

import rego.v1

workload contains "B"
""", 'k.rego': """package main

import rego.v1

workload := {"A"}
"""},
     [{'kind': 'B'}]),
    ('nest3', 'main', {'p.rego': """package main

import rego.v1

deny contains k if {
\tsome c in input.a
\td := c.items[_]
\tsome k, v in d.env
}
"""},
     NESTED),
    ('nest_kv_bare', 'main', {'p.rego': """package main

import rego.v1

deny contains k if {
\tsome c in input.a
\tsome k, v in c
}
"""},
     NESTED),
    ('nest_every_alias', 'main', {'p.rego': """package main

import rego.v1

deny contains "all empty" if {
\tsome c in input.a
\tevery i in c.items { count(i.env) == 0 }
}
"""},
     NESTED),
    ('nest_obj_count', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tc := input.spec.containers[_]
\tsome k, v in c.env
\tcount(v) == 1
}
"""},
     NESTED),
    ('alias_key_use', 'main', {'p.rego': """package main

import rego.v1

deny contains k if {
\tsome k, c in input.spec.containers
\tsome e, _ in c.env
\tinput.spec.containers[k].env[e].x == 1
}
"""},
     NESTED),
    ('alias_reassign_key', 'main', {'p.rego': """package main

import rego.v1

deny contains msg if {
\tsome i, c in input.a
\tj := i
\tmsg := json.marshal(input.a[j])
}
"""},
     NESTED),
    ('alias_via_every_kv', 'main', {'p.rego': """package main

import rego.v1

deny contains "ok" if {
\tevery _, c in input.spec.containers { some _, e in c.env; e.x == 1 }
}
"""},
     NESTED),
    ('alias_compr_obj', 'main', {'p.rego': """package main

import rego.v1

deny contains msg if {
\tm := {k: c | some k, c in input.spec.containers}
\tmsg := json.marshal(m)
}
"""},
     NESTED),
    ('alias_compr_obj2', 'main', {'p.rego': """package main

import rego.v1

deny contains msg if {
\tm := {k: c.env | some k, c in input.spec.containers}
\tmsg := json.marshal(m)
}
"""},
     NESTED),
    ('alias_compr_set_field', 'main', {'p.rego': """package main

import rego.v1

deny contains msg if {
\tm := {c.env.K | some c in input.spec.containers}
\tmsg := json.marshal(m)
}
"""},
     NESTED),
    ('alias_in_membership', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tsome c in input.a
\tsome i in c.items
\ti in input.a[_].items
}
"""},
     NESTED),
    ('unused_dict_binding', 'main', {'p.rego': """package main

import rego.v1

deny contains k if {
\tv := input.spec.containers[k]
}
"""},
     NESTED),
    ('unused_dict_binding_len', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tv := input.spec.containers[_]
\tv.env
\tcount(input.spec.containers.c1) == 1
}
"""},
     NESTED),
    ('unicode_key', 'main', {'p.rego': """package main

import rego.v1

# a "quote' and `tick
deny contains "x" if {
\tinput.metadata.labels["caf\\u00e9.io/ü"] == "é"
}
"""},
     [{'kind': 'A', 'metadata': {'labels': {'café.io/ü': 'é', 'z': 1}}}]),
    ('raw_key', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput.metadata[`a\\b`] == 1
}
"""},
     [{'kind': 'A', 'metadata': {'a\\b': 1}}]),
    ('kind_num', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput.kind == 1
}
"""},
     [{'kind': 1}]),
    ('not_kind', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tnot input.kind == "A"
}
"""},
     [{'kind': 'B'}, {}]),
    ('kind_ne', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput.kind != "A"
}
"""},
     [{'kind': 'B'}, {}]),
    ('not_path_absent', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tinput.kind == "A"
\tnot input.spec.x
}
"""},
     [{'kind': 'A', 'spec': {'y': 1}}]),
    ('fn_param_shadow', 'main', {'p.rego': """package main

import rego.v1

workload := {"A"}

f(workload) := true if { workload == 1 }

deny contains "x" if {
\tinput.kind in workload
}
"""},
     [{'kind': 'B'}, {'kind': 'A'}]),
    ('comment_hash_in_string', 'main', {'p.rego': """package main

import rego.v1

deny contains "# not comment" if {
\tinput.kind == "A#B"
}
"""},
     [{'kind': 'A#B'}]),
    ('kind_in_array_const', 'main', {'p.rego': """package main

import rego.v1

k = ["A", "B"]

deny contains "x" if {
\tinput.kind in k
}
"""},
     [{'kind': 'B'}]),
    ('every_kind', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\tevery k in ["A"] { input.kind == k }
}
"""},
     [{'kind': 'B'}]),
    ('kind_eq_rev', 'main', {'p.rego': """package main

import rego.v1

deny contains "x" if {
\t"A" == input.kind
}
"""},
     [{'kind': 'A'}]),
]


@pytest.mark.parametrize(("package", "files", "inputs"), [p[1:] for p in PROBES], ids=[p[0] for p in PROBES])
def test_scoped_evaluation_equals_the_engine(package: str, files: dict[str, str], inputs: list[Any],
                                             tmp_path: Path) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    policies = load_policies([(tmp_path, "p")])
    assert policies is not None
    truth = rego_batch.Engine([(f.display, f.source) for f in policies.files], package).run([(None, v) for v in inputs])
    if isinstance(truth, rego_batch.Failure):
        with pytest.raises(BlueprintError):
            policies.evaluate(package, inputs)
        return
    got = policies.evaluate(package, inputs)
    assert [[(v.rule, v.severity, v.message, v.module) for v in vs] for vs in got] == truth
