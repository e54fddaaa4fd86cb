"""Runbooks: every alert's runbook_url and every link between runbooks resolves to a file and anchor,
and each runbook carries what on-call needs."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

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
