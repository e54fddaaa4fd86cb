"""Runbooks: every alert's runbook_url and every link between runbooks resolves to a file and anchor,
and each runbook carries what on-call needs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from tests.conftest import edit

from buttress.app.validate import validate
from buttress.render.runbooks import render_runbooks

_ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(path: Path) -> set[str]:
    return set(_ANCHOR.findall(path.read_text()))


def _resolves(base: Path, link: str) -> bool:
    file, _, anchor = link.partition("#")
    target = (base / file) if file else base
    return target.is_file() and (not anchor or anchor in _anchors(target))


def test_every_runbook_url_resolves(rendered: dict[str, Path]) -> None:
    checked = 0
    for folder in rendered.values():
        for group in yaml.safe_load((folder / "monitoring" / "rules.yaml").read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    url = rule["annotations"]["runbook_url"]
                    assert _resolves(folder, url), url
                    checked += 1
    assert checked > 30
    assert not _resolves(next(iter(rendered.values())), "runbooks/scorer.md#no-such-alert")


def test_published_runbook_urls_are_absolute_and_resolve_in_the_output(cli: Any, fraud: Path, tmp_path: Path) -> None:
    """With runbooks.url, Alertmanager, Slack and PagerDuty get a link they can open."""
    base = "https://git.example.com/risk/fraud-deploy/blob/main"
    text = (fraud / "blueprint.yaml").read_text()
    (fraud / "blueprint.yaml").write_text(text.replace("\nmodules:\n", f"\nrunbooks: {{url: {base}/}}\n\nmodules:\n", 1))
    assert cli("render", fraud, "--out", tmp_path / "out").exit == 0
    checked = 0
    for env in ("dev", "staging", "prod"):
        folder = tmp_path / "out" / env
        for group in yaml.safe_load((folder / "monitoring" / "rules.yaml").read_text())["groups"]:
            for rule in (r for r in group["rules"] if "alert" in r):
                url = rule["annotations"]["runbook_url"]
                assert url.startswith(f"{base}/{env}/runbooks/"), url
                assert _resolves(folder, url.removeprefix(f"{base}/{env}/")), url
                checked += 1
    assert checked > 30


def test_a_runbooks_url_must_be_a_web_address(cli: Any, fraud: Path) -> None:
    text = (fraud / "blueprint.yaml").read_text()
    (fraud / "blueprint.yaml").write_text(text.replace("\nmodules:\n", "\nrunbooks: {url: git.example.com/x}\n\nmodules:\n", 1))
    run = cli("validate", fraud)
    line = text[:text.index("\nmodules:\n")].count("\n") + 2
    assert run.exit == 2 and f"blueprint.yaml:{line}:" in run.stderr and "is not an http(s) URL" in run.stderr


def test_links_between_runbooks_resolve(rendered: dict[str, Path]) -> None:
    for folder in rendered.values():
        for runbook in (folder / "runbooks").glob("*.md"):
            for link in _LINK.findall(runbook.read_text()):
                assert _resolves(runbook.parent, link) if "#" in link else (runbook.parent / link).is_file(), link


def test_runbook_has_operating_sections(rendered: dict[str, Path]) -> None:
    text = (rendered["prod"] / "runbooks" / "case-store.md").read_text()
    assert {"purpose", "dependencies", "slos", "alerts", "scaling", "rollback", "backup", "approvals"} <= _anchors(
        rendered["prod"] / "runbooks" / "case-store.md")
    assert "buttress rollback --env prod" in text
    assert "RPO): 1h" in text and "RTO): 4h" in text
    assert "velero restore create --from-schedule fraud-prod-case-store" in text
    assert "| prod | mandatory | staging | 2 (release-manager, security) | 24h |" in text
    assert "`scorer.score-api` (^2)" in text
    scorer = (rendered["prod"] / "runbooks" / "scorer.md").read_text()
    assert "- `case-store` through `score-api`" in scorer
    assert "kubectl -n fraud-prod scale rollout/scorer" in scorer
    assert "First three checks:" in scorer


_COMMAND = re.compile(r"^(buttress [^\n`]+)$|`(buttress [^`]+)`", re.MULTILINE)


def _parses(line: str) -> None:
    """Parse a ``buttress`` command line with the real CLI (options, required values), without running it."""
    from buttress.cli.main import build

    args = shlex.split(line)[1:]
    group: Any = typer.main.get_command(build([args[0]]))
    command = group.get_command(group.make_context("buttress", ["--help"], resilient_parsing=True), args[0])
    assert command is not None, line
    command.make_context(args[0], args[1:])


def test_buttress_commands_in_runbooks_parse(rendered: dict[str, Path]) -> None:
    seen = set()
    for folder in rendered.values():
        for runbook in (folder / "runbooks").glob("*.md"):
            for block, inline in _COMMAND.findall(runbook.read_text()):
                seen.add((block or inline).replace("PATH", "blueprint.yaml").replace("DIR", "out"))
    assert any(c.startswith("buttress rollback --env prod --as") for c in seen)
    assert any("--to RELEASE" in c for c in seen)
    for line in sorted(seen):
        _parses(line)
    with pytest.raises(typer.exceptions.TyperException):
        _parses("buttress rollback --environment prod")


def test_a_grpc_service_s_runbook_says_what_fails_it_and_table_cells_stay_cells(fraud: Path) -> None:
    """Found by a probe: a gRPC counter's SLO read "succeed (no 5xx)", and an owner holding '|' split the table."""
    edit(fraud / "blueprint.yaml", "    extends: model-server\n",
         "    extends: model-server\n    owner: 'risk|ml'\n    metrics: {requests: grpc_server_handled_total}\n")
    v = validate(fraud)
    text = render_runbooks(v.blueprint, v.environments["prod"], v.graphs["prod"])["runbooks/scorer.md"].decode()
    assert "of requests succeed (no server-fault status) over 28d." in text and "no 5xx" not in text
    assert "| Owner | risk\\|ml |" in text
