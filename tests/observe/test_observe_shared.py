"""The pieces the fast observing renderers share: texts filled in from stand-ins
(``common.stand_ins``), signals worked out once per environment (``signals.memo``), and JSON with
an already written part spliced in (``common.jsonlines.compact_with``)."""

from __future__ import annotations

import gc
import json

import pytest
from tests.observe.conftest import EXAMPLE

from buttress.app.validate import Validated, validate
from buttress.render.common.jsonlines import compact, compact_with
from buttress.render.common.stand_ins import STAND_INS, StandIn, Template, template
from buttress.render.signals import memo
from buttress.render.signals.alerts import kind_alerts
from buttress.render.signals.slo import slos_of


def test_a_template_puts_each_value_where_its_stand_in_was() -> None:
    t = Template('job="zq" module: zq team zqt, {zq}', ("zq", "zqt"))
    assert t.fill(("scorer", "risk")) == 'job="scorer" module: scorer team risk, {scorer}'
    assert "".join(t.parts(("a", "b"))) == t.fill(("a", "b"))
    assert t.fields == (0, 0, 1, 0)  # the longer stand-in "zqt" is not read as "zq" and a "t"
    assert Template("no stand-in here", ("zq",)).fill(("x",)) == "no stand-in here"


def test_templates_joined_fill_as_their_texts_one_after_another() -> None:
    a, b = Template("[zq|zt]", ("zq", "zt")), Template("zt-zq", ("zq", "zt"))
    joined = Template.joined(["head ", a, " mid ", b, " end"])
    values = ("scorer", "risk")
    assert joined.fill(values) == "head " + a.fill(values) + " mid " + b.fill(values) + " end"
    assert Template.joined(["only text"]).fill(values) == "only text"


def test_no_template_when_a_stand_in_also_occurs_in_the_fixed_text() -> None:
    def write(stand_in: StandIn) -> tuple[str]:
        return (f"{stand_in[0]} and zqmoduleqz",)  # the first set's module stand-in, fixed

    assert template(write, lambda s: s[:1]) is None
    made = template(lambda s: (f"{s[0]} of {s[1]}",), lambda s: s[:2])
    assert made is not None and made[0].fill(("scorer", "risk-ml")) == "scorer of risk-ml"
    assert all(len(set(s)) == len(s) for s in STAND_INS) and not set(STAND_INS[0]) & set(STAND_INS[1])


@pytest.fixture
def fresh() -> Validated:
    return validate(EXAMPLE)


def test_signals_are_worked_out_once_per_environment_and_module(fresh: Validated) -> None:
    env, graph = fresh.environments["prod"], fresh.graphs["prod"]
    scorer, store = env.modules["scorer"], env.modules["case-store"]
    assert slos_of(env, scorer) is slos_of(env, scorer)
    assert kind_alerts(fresh.blueprint, env, graph, store) is kind_alerts(fresh.blueprint, env, graph, store)
    assert [a.name for a in kind_alerts(fresh.blueprint, env, graph, store)] == ["BackupStale", "BackupNeverCompleted"]
    # another environment holding the very same module object gets its own (its namespace differs)
    staging = fresh.environments["staging"]
    assert staging.modules["scorer"] is scorer  # resolved once, shared by the environments
    assert slos_of(staging, staging.modules["scorer"])[0].labels["namespace"] == str(staging.spec.namespace)
    assert slos_of(env, scorer)[0].labels["namespace"] == str(env.spec.namespace)


def test_a_value_is_worked_out_again_for_other_sources(fresh: Validated) -> None:
    env = fresh.environments["prod"]
    module, graph = env.modules["scorer"], fresh.graphs["prod"]
    other = validate(EXAMPLE).graphs["prod"]  # an equal graph, but another object: the memo cannot tell it is equal
    assert memo.memoised("probe", env, (module, graph), lambda: 1) == 1
    assert memo.memoised("probe", env, (module, graph), lambda: 2) == 1
    assert memo.memoised("probe", env, (module, other), lambda: 3) == 3


def test_an_environments_signals_go_with_it() -> None:
    v = validate(EXAMPLE)
    env = v.environments["dev"]
    slos_of(env, env.modules["scorer"])
    key = id(env)
    assert key in memo._TABLES
    del v, env
    gc.collect()
    assert key not in memo._TABLES


def test_a_part_written_once_is_spliced_where_the_encoder_would_write_it() -> None:
    shared = [{"module": "scorer", "rendered": ["a.yaml", "b.yaml"]}, {"module": None, "rendered": []}]
    control = {"id": "x", "evidence": shared, "evidenceKinds": ["Deployment"], "note": '\x00hole\x00 "quoted"'}
    assert compact_with(control, "evidence", compact(shared)) == compact(control)
    assert json.loads(compact_with(control, "evidence", compact(shared))) == control
    holed = {**control, "note": "\x00hole\x00"}  # the hole's own text (a NUL can be written in YAML): written whole
    assert compact_with(holed, "evidence", compact(shared)) == compact(holed)
