"""The foundation commands as a user meets them: schema, graph, init, help."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
from tests.conftest import EXAMPLES, FRAUD, Run

from buttress.model.loader import load_file

EXAMPLE_DIRS = sorted(p for p in EXAMPLES.iterdir() if (p / "blueprint.yaml").exists())


def test_schema_accepts_every_example_and_rejects_a_typo(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("schema")
    assert run.exit == 0
    schema = json.loads(run.stdout)
    validator = jsonschema.Draft202012Validator(schema)
    validator.check_schema(schema)
    for folder in EXAMPLE_DIRS:
        errors = list(validator.iter_errors(load_file(folder / "blueprint.yaml").data))
        assert not errors, (folder, errors[:3])
    doc = load_file(FRAUD / "blueprint.yaml").data
    doc["modules"]["scorer"]["scaling"]["replicas"]["maxx"] = 4
    assert any("maxx" in e.message for e in validator.iter_errors(doc))
    partial = load_file(FRAUD / "blueprint.yaml").data  # overrides and defaults are partial modules
    partial["environments"]["staging"]["overrides"] = {"scorer": {"provides": {"score-api": {"port": 9090}}}}
    partial["defaults"]["provides"] = {"http": {"exposure": "internal"}}
    assert not list(validator.iter_errors(partial))
    partial["environments"]["staging"]["overrides"]["scorer"]["provides"]["score-api"]["prot"] = 1
    assert any("prot" in e.message for e in validator.iter_errors(partial)), "still no unknown key"
    partial["modules"]["scorer"]["provides"]["score-api"].pop("protocol")
    assert any(list(e.absolute_path)[:3] == ["modules", "scorer", "provides"] for e in validator.iter_errors(partial)), \
        "a module's interface needs its protocol"
    out = tmp_path / "s" / "pattern.json"
    assert cli("schema", "--kind", "pattern", "--out", out).exit == 0
    pattern_schema = json.loads(out.read_text())
    jsonschema.validate(load_file(FRAUD / "patterns" / "model-server.yaml").data, pattern_schema)


def test_schema_describes_fields_for_completion(cli: Callable[..., Run]) -> None:
    schema = json.loads(cli("schema").stdout)
    module = schema["$defs"]["ModuleSpec"]["properties"]
    assert {"provides", "consumes", "scaling", "slo", "secrets", "access"} <= set(module)
    assert schema["$defs"]["Interface"]["properties"]["host"]["description"]


@pytest.mark.parametrize("fmt", ["mermaid", "dot", "json"])
def test_graph_formats(cli: Callable[..., Run], fmt: str) -> None:
    run = cli("graph", FRAUD, "--env", "prod", "--format", fmt)
    assert run.exit == 0
    if fmt == "json":
        data = json.loads(run.stdout)
        assert {"from": "scorer", "to": "features", "interface": "feature-api", "range": "^1.4",
                "compatible": True} in data["edges"]
        assert "transactions-db" in data["externals"]
    elif fmt == "dot":
        assert run.stdout.startswith('digraph "prod"') and '"scorer" -> "features" [label="feature-api ^1.4"]' in run.stdout
    else:
        assert run.stdout.startswith("flowchart LR") and "scorer -->|\"feature-api ^1.4\"| features" in run.stdout


def test_a_module_named_like_a_mermaid_keyword_gets_an_id_of_its_own(cli: Callable[..., Run], fraud: Path) -> None:
    """``end`` is a valid module name and closes a subgraph in Mermaid: its node id must differ."""
    text = (fraud / "blueprint.yaml").read_text()
    (fraud / "blueprint.yaml").write_text(re.sub(r"\bcase-store\b", "end", text))
    run = cli("graph", fraud, "--env", "prod", "--format", "mermaid")
    assert run.exit == 0
    assert '  end_["end<br/><small>service</small>"]' in run.stdout
    assert not re.search(r"(^|\s)end(\s|\[|$)", run.stdout.replace('["end<br/>', ""), re.M)


def test_graph_unknown_environment(cli: Callable[..., Run]) -> None:
    run = cli("graph", FRAUD, "--env", "qa")
    assert run.exit == 2 and "environment 'qa' is not in the blueprint" in run.stderr


def test_init_scaffolds_a_valid_blueprint(cli: Callable[..., Run], tmp_path: Path) -> None:
    target = tmp_path / "churn-model"
    run = cli("init", target)
    assert run.exit == 0 and (target / "blueprint.yaml").exists()
    assert "# " in (target / "blueprint.yaml").read_text()
    assert "name: churn-model" in (target / "blueprint.yaml").read_text()
    assert cli("validate", target).exit == 0
    again = cli("init", target)
    assert again.exit == 2 and "not empty" in again.stderr


def test_init_refuses_a_bad_name(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("init", tmp_path / "x", "--name", "Bad_Name")
    assert run.exit == 2 and "DNS-1123" in run.stderr


def test_init_takes_the_longest_name_whose_namespaces_fit(cli: Callable[..., Run], tmp_path: Path) -> None:
    assert cli("init", tmp_path / "ok", "--name", "a" * 58).exit == 0
    assert cli("validate", tmp_path / "ok").exit == 0
    run = cli("init", tmp_path / "long", "--name", "a" * 59)
    assert run.exit == 2 and "at most 58" in run.stderr and not (tmp_path / "long").exists()


@pytest.mark.parametrize("command", ["validate", "schema", "graph", "init"])
def test_help_shows_an_example(cli: Callable[..., Run], command: str) -> None:
    run = cli(command, "--help")
    assert run.exit == 0 and "Example" in run.stdout and f"buttress {command}" in run.stdout


def test_no_arguments_shows_usage(cli: Callable[..., Run]) -> None:
    run = cli()
    assert run.exit in (0, 2) and "validate" in run.stdout + run.stderr


def test_bad_option_is_exit_2(cli: Callable[..., Run]) -> None:
    assert cli("validate", FRAUD, "--format", "xml").exit == 2


def test_validate_imports_only_what_it_needs() -> None:
    """The command line imports only the command it runs: validate stays quick to start."""
    heavy = ("sqlalchemy", "fastapi", "matplotlib", "regopy", "numpy")
    code = ("import sys; from buttress.cli.main import main; "
            f"code = main(['validate', {str(FRAUD)!r}]); "
            f"print(code, sorted(m for m in {heavy!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.splitlines()[-1] == "0 []", proc.stdout + proc.stderr


def test_every_registered_command_has_help(cli: Callable[..., Run]) -> None:
    from buttress.cli.main import COMMANDS

    listed = cli("--help").stdout
    for name in COMMANDS:
        assert name in listed
        assert cli(name, "--help").exit == 0, name


@pytest.mark.parametrize("args", [
    ["init", "{file}", "--name", "x"], ["init", "{file}/sub"], ["schema", "--out", "{file}/schema.json"],
    ["schema", "--out", "{dir}"], ["keys", "init", "-C", "{file}", "--as", "alice"],
])
def test_a_path_the_system_refuses_is_a_usage_error(cli: Callable[..., Run], tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "folder").mkdir()
    run = cli(*(a.replace("{file}", str(tmp_path / "notes.txt")).replace("{dir}", str(tmp_path / "folder"))
                for a in args))
    assert run.exit == 2 and run.stderr.startswith("error: cannot use ") and "Traceback" not in run.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine" and not any((tmp_path / "folder").iterdir())


def test_output_the_system_cannot_write_is_an_error_not_a_traceback() -> None:
    """stdout on a full disk names no path: still one line and exit 2 (``/dev/full`` fails every write)."""
    with Path("/dev/full").open("w") as full:
        run = subprocess.run([sys.executable, "-m", "buttress", "controls", "--format", "json"], stdout=full,
                             stderr=subprocess.PIPE, text=True)
    assert run.returncode == 2 and "No space left on device" in run.stderr and "Traceback" not in run.stderr
