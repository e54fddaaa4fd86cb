"""The monitoring written as text (``monitoring.text``, templated by SLO shape in
``monitoring.shapes``) is byte for byte what emitting its objects writes (``emitted_files``), and
the dashboards and runbooks' alert sections filled in from templates are what writing each
module alone gives: on every example, on a generated blueprint of many modules of few shapes, and
on blueprints whose names and values take the less common paths (values that fill no template,
values only the general emitter writes, published runbooks)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from benchmarks.generate import generate
from tests.conftest import EXAMPLES

from buttress.app.validate import Validated, validate
from buttress.render.common.jsonlines import json_lines
from buttress.render.common.stand_ins import STAND_INS, plain
from buttress.render.dashboards import render_dashboards
from buttress.render.dashboards.module import module_dashboard
from buttress.render.monitoring import emitted_files, render_monitoring, text_files
from buttress.render.monitoring.shapes import Shapes
from buttress.render.monitoring.text import Writer
from buttress.render.runbooks import Sections
from buttress.render.runbooks.markdown import alert
from buttress.render.signals.alerts import alerts_of
from buttress.render.signals.slo import slos_of
from buttress.render.yamlio import Emitter, Fallback


def _emitted(v: Validated, env: str) -> dict[str, bytes]:
    e, graph = v.environments[env], v.graphs[env]
    signals = [(m, slos, alerts_of(v.blueprint, e, graph, m, slos)) for m, slos in
               ((m, slos_of(e, m)) for m in e.modules.values())]
    return emitted_files(v.blueprint, e, graph, signals)


def _variant(fraud: Path, *swaps: tuple[str, str]) -> Validated:
    """The fraud-detection copy with each regular expression's matches replaced."""
    path = fraud / "blueprint.yaml"
    text = path.read_text()
    for old, new in swaps:
        assert re.search(old, text, flags=re.M), old
        text = re.sub(old, new, text, flags=re.M)
    path.write_text(text)
    return validate(fraud)


def _written_alone(v: Validated, env_name: str) -> Sections:
    """Assert that the environment's monitoring, dashboards and runbooks' alert sections are what
    writing each module alone gives; the sections, for what they templated."""
    env, graph = v.environments[env_name], v.graphs[env_name]
    assert render_monitoring(v.blueprint, env, graph) == _emitted(v, env_name), env_name
    dashboards = render_dashboards(v.blueprint, env, graph)
    sections = Sections(v.blueprint, env, graph)
    for module in env.modules.values():
        written = json_lines(module_dashboard(v.blueprint, env, graph, module), split=lambda key: key == "panels")
        assert dashboards[f"dashboards/{module.name}.json"] == written, f"{env_name}/{module.name}"
        slos = slos_of(env, module)
        alone = "".join(alert(a) for a in alerts_of(v.blueprint, env, graph, module, slos))
        assert sections.text(module, slos) == alone, f"{env_name}/{module.name}"
    return sections


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "blueprint.yaml").is_file()))
def test_every_example_is_written_as_each_module_alone(example: str) -> None:
    v = validate(EXAMPLES / example)
    for env in v.environments:
        _written_alone(v, env)
        text_files(v.blueprint, v.environments[env], v.graphs[env])  # the text writer, not the fallback


VARIANTS = {
    "none": (),
    # not plain: written directly, not from a template
    "spaced owner": ((r"^owner: risk-ml$", "owner: Risk ML Team"),),
    "quoted on-call": ((r"^oncall: risk-ml-primary$", "oncall: 'risk:ml'"),),
    "module named like a float": ((r"\bscorer\b", "nan"),),
    "module starting with a digit": ((r"\bcase-store\b", "2026-store"),),
    "owner that is a YAML word": ((r"^owner: risk-ml$", "owner: 'no'"),),
    # plain, but published runbook links
    "published runbooks": ((r"^oncall: risk-ml-primary$", "oncall: risk-ml-primary\nrunbooks:\n  url: https://git.example.com/ops/tree/main"),),
    "non-ASCII runbook link": ((r"^oncall: risk-ml-primary$", "oncall: risk-ml-primary\nrunbooks:\n  url: https://wiki.example.com/bücher"),),
    "non-ASCII owner": ((r"^owner: risk-ml$", "owner: équipe-ml"),),
    # only the general emitter writes it (a YAML 1.1 date goes to PyYAML): the objects are emitted
    "owner that reads as a date": ((r"^owner: risk-ml$", "owner: '2026-01-01 risk-ml'"),),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_unusual_values_are_written_as_each_module_alone(fraud: Path, name: str) -> None:
    v = _variant(fraud, *VARIANTS[name])
    for env in v.environments:
        _written_alone(v, env)
        if name == "owner that reads as a date":
            with pytest.raises(Fallback):
                text_files(v.blueprint, v.environments[env], v.graphs[env])


def test_a_generated_blueprint_of_many_modules_of_few_shapes_is_written_as_each_module_alone(tmp_path: Path) -> None:
    """The realistic case the templates are for: 120 modules of a pattern, most of one shape."""
    v = validate(generate(120, tmp_path))
    for env in v.environments:
        sections = _written_alone(v, env)
        assert sum(t is not None for t in sections.templates.built.values()) >= 2


def test_modules_of_one_shape_share_a_template_and_others_are_written_directly(fraud: Path) -> None:
    v = _variant(fraud, (r"\bscorer\b", "nan"))
    env = v.environments["prod"]
    shapes = Shapes(Writer(Emitter()), v.blueprint, env, v.graphs["prod"])
    for module in env.modules.values():
        for slo in slos_of(env, module):
            shapes.parts(slo, module, "risk-ml", "risk-ml-primary")
    templated = [t for t in shapes.templates.built.values() if t is not None]
    assert templated and all(0 in part.fields for t in templated for part in t)
    assert not any(stand_in in piece for t in templated for part in t for piece in part.layout
                   for s in STAND_INS for stand_in in s)
    # "nan" is no plain value: its SLOs took no template (every shape was templated by another module)
    slos = {m: len(slos_of(env, mod)) for m, mod in env.modules.items()}
    assert slos["nan"] > 0 and len(shapes.templates.built) < sum(n for m, n in slos.items() if m != "nan") + slos["nan"]


@pytest.mark.parametrize(("value", "expected"), [
    ("scorer", True), ("case-store", True), ("m00001", True), ("no", False), ("null", False), ("inf", False),
    ("1scorer", False), ("Scorer", False), ("risk ml", False), ("", False), ("a:b", False),
])
def test_plain_values_are_those_written_as_a_stand_in_is(value: str, expected: bool) -> None:
    assert plain(value) is expected
