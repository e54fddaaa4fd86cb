"""``buttress docs``: a static site that needs no network, written atomically and deterministically,
with a layered dependency graph; checked in a real headless Chromium (no console errors, every
internal link and anchor resolves, the stylesheet applies) with a screenshot.

``BUTTRESS_UPDATE_SCREENSHOTS=1`` also saves the graph page to ``docs/screenshots/docs-site.png`` (README).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from tests.conftest import FRAUD, REPO, Run, edit

from buttress.app.docs import site
from buttress.app.validate import validate
from buttress.render.site import PAGES, STYLESHEET
from buttress.render.site.svg import graph_svg

AT = "2026-12-01"
_URL_ATTR = re.compile(r'\b(?:href|src)="([^"]*)"')


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's site, written by the command."""
    from buttress.cli.main import main

    out = tmp_path_factory.mktemp("docs") / "site"
    assert main(["docs", str(FRAUD), "--out", str(out), "--at", AT]) == 0
    return out


def test_site_has_every_page_and_no_network_assets(built: Path) -> None:
    assert sorted(p.name for p in built.iterdir()) == sorted([*(p for p, _ in PAGES), STYLESHEET])
    for page, _ in PAGES:
        html = (built / page).read_text()
        assert "<script" not in html
        for url in _URL_ATTR.findall(html):
            assert not urlsplit(url).scheme and not url.startswith("//"), (page, url)
        assert f'<link rel="stylesheet" href="{STYLESHEET}">' in html


def test_site_content(built: Path) -> None:
    modules = (built / "modules.html").read_text()
    assert '<h2 id="module-scorer">scorer' in modules
    assert "<code>score-api</code></td><td>2.3.1</td><td>http</td><td>8080</td>" in modules
    assert "dev: 1–2 · staging: 3–40 · prod: 3–40" in modules
    assert '<a href="#interface-features-feature-api">features.feature-api</a> <code>^1.4</code>' in modules
    envs = (built / "environments.html").read_text()
    assert "2 (release-manager, security)" in envs and "mon, tue, wed, thu 08:00-16:00 (Europe/Berlin)" in envs
    slos = (built / "slos.html").read_text()
    assert "<td>99.95%</td><td>28d</td><td>0.05%</td><td>13.44× over 1h and 5m, 5.6× over 6h and 30m</td>" in slos
    controls = (built / "controls.html").read_text()
    assert "security@example.com" in controls and "RISK-1042" in controls and ">valid<" in controls
    assert '<tr id="control-image-digest">' in controls and "rego:blueprint.deny_restricted_replicas" in controls
    assert "policies/fraud.rego:7" in controls
    graph = (built / "graph.html").read_text()
    assert graph.count("<svg") == 1 and "Same graph as <a href=\"#graph-dev\">dev</a>" in graph


def test_expired_waiver_is_shown_as_waiving_nothing(cli: Callable[..., Run], tmp_path: Path) -> None:
    assert cli("docs", FRAUD, "--out", tmp_path / "s", "--at", "2027-06-01").exit == 0
    controls = (tmp_path / "s" / "controls.html").read_text()
    assert "waives nothing" in controls and "expired on 2027-05-15" in controls


def test_docs_is_deterministic_and_replaces_the_folder(cli: Callable[..., Run], built: Path, tmp_path: Path) -> None:
    out = tmp_path / "site"
    out.mkdir()
    (out / "stale.html").write_text("old")
    result = cli("docs", FRAUD, "--out", out, "--at", AT, "--format", "json")
    assert result.exit == 0 and '"index.html"' in result.stdout
    assert not (out / "stale.html").exists()
    for page in built.iterdir():
        assert (out / page.name).read_bytes() == page.read_bytes(), page.name


def test_bad_blueprint_is_a_located_error(cli: Callable[..., Run], fraud: Path, tmp_path: Path) -> None:
    edit(fraud / "blueprint.yaml", "    kind: worker\n", "    kind: wroker\n")
    result = cli("docs", fraud, "--out", tmp_path / "site")
    assert result.exit == 2
    assert re.search(r"blueprint\.yaml:\d+:\d+: error: .*\(at modules\.label-ingest\.kind\)", result.stderr)
    assert "Traceback" not in result.stderr and not (tmp_path / "site").exists()


@pytest.mark.parametrize("target", ["blueprint", "foreign", "file"])
def test_docs_never_replaces_a_folder_it_did_not_write(cli: Callable[..., Run], fraud: Path, tmp_path: Path,
                                                       target: str) -> None:
    out = {"blueprint": fraud, "foreign": tmp_path / "notes", "file": tmp_path / "notes.txt"}[target]
    if target == "foreign":
        out.mkdir()
        (out / "todo.md").write_text("mine")
    elif target == "file":
        out.write_text("mine")
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    result = cli("docs", fraud, "--out", out)
    assert result.exit == 2 and result.stderr.startswith(f"error: --out {out} ")
    assert "Traceback" not in result.stderr
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before


def test_the_site_shows_no_secret(cli: Callable[..., Run], fraud: Path, tmp_path: Path) -> None:
    token = "ghp_Zx81kQp0aLr7mN3vB5cT9yW2uE4iO6sD1fG"
    text = (fraud / "blueprint.yaml").read_text()
    (fraud / "blueprint.yaml").write_text(text.replace("\ndescription: ", f"\ndescription: token {token} ", 1))
    assert cli("docs", fraud, "--out", tmp_path / "site").exit == 0
    pages = "".join(p.read_text() for p in (tmp_path / "site").iterdir())
    assert token not in pages and "token &lt;redacted&gt;" in pages


def test_every_slo_link_has_its_target(cli: Callable[..., Run], fraud: Path, tmp_path: Path) -> None:
    """A window alone (from defaults) declares no objective, and a cron job's slo measures nothing: no link."""
    edit(fraud / "blueprint.yaml", "defaults:\n  data:\n", "defaults:\n  slo: {window: 30d}\n  data:\n")
    edit(fraud / "blueprint.yaml", '    schedule: "0 3 * * *"\n', '    schedule: "0 3 * * *"\n    slo: {availability: 99%}\n')
    assert cli("docs", fraud, "--out", tmp_path / "site").exit == 0
    links = set(re.findall(r'href="slos\.html#([^"]+)"', (tmp_path / "site" / "modules.html").read_text()))
    targets = set(re.findall(r'id="(slo-[^"]+)"', (tmp_path / "site" / "slos.html").read_text()))
    assert links == targets == {"slo-features", "slo-scorer", "slo-case-store"}


def _nodes(svg: str) -> dict[str, float]:
    return {name: float(x) for x, name in re.findall(r'<rect x="([\d.]+)"[^>]*/><text [^>]*class="name">([^<]+)<', svg)}


def test_graph_is_layered_consumers_left_of_providers() -> None:
    v = validate(FRAUD)
    data = site(v, dt.date(2026, 12, 1))["graphs"][0]
    svg = graph_svg(data)
    x = _nodes(svg)
    assert set(x) == {"features", "scorer", "label-ingest", "retrain", "case-store", "transactions-db",
                      "model-registry", "events"}
    for e in data["edges"]:
        assert x[e["from"]] < x[e["to"]], e
    assert 'class="edge broken"' not in svg
    assert svg == graph_svg(data)


def test_graph_marks_a_cycle() -> None:
    data = {"environment": "x", "externals": [], "cycles": [["a", "b", "a"]],
            "modules": [{"name": n, "kind": "service"} for n in ("a", "b", "c")],
            "edges": [{"from": "a", "to": "b", "interface": "api", "range": None, "compatible": True},
                      {"from": "b", "to": "a", "interface": "api", "range": "^2", "compatible": False},
                      {"from": "c", "to": "a", "interface": "api", "range": None, "compatible": True}]}
    svg = graph_svg(data)
    x = _nodes(svg)
    assert x["c"] < x["a"] < x["b"]
    assert svg.count('class="edge broken"') == 1
    assert "b consumes a api ^2 (incompatible)" in svg


# --- a real browser -------------------------------------------------------------------------------------------

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
_LINKS_JS = """
const out = [];
for (const el of document.querySelectorAll('a[href], link[href]')) {
  out.push(new URL(el.getAttribute('href'), document.baseURI).href);
}
return out;
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium through chromedriver, keeping the browser console log."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("chromium is not installed: run scripts/bootstrap.sh --system (Debian packages chromium, "
                    "chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,1000", "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(15)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.timeout(60)
def test_pages_load_in_chromium_without_errors_and_links_resolve(browser: Any, built: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    ids: dict[Path, set[str]] = {}
    links: dict[str, set[str]] = {}
    for page, title in PAGES:
        browser.get((built / page).as_uri())
        assert browser.title == f"{title} · fraud-detection"
        problems = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert problems == [], page
        header = browser.execute_script("return getComputedStyle(document.querySelector('header')).backgroundColor")
        assert header == "rgb(29, 35, 48)", "the local stylesheet did not apply"
        ids[(built / page).resolve()] = set(browser.execute_script(
            "return [...document.querySelectorAll('[id]')].map(e => e.id)"))
        links[page] = set(browser.execute_script(_LINKS_JS))
        if page == "graph.html":
            assert browser.execute_script("return document.querySelectorAll('svg.graph .node').length") == 8
            browser.save_screenshot(str(tmp_path / "docs-graph.png"))
    checked = 0
    for page, targets in links.items():
        for url in targets:
            parts = urlsplit(url)
            assert parts.scheme == "file", (page, url)
            target = Path(unquote(parts.path)).resolve()
            assert target.is_file(), (page, url)
            if parts.fragment and target.suffix == ".html":
                assert unquote(parts.fragment) in ids[target], (page, url)
            checked += 1
    assert checked > 50
    browser.get((built / "index.html").as_uri())
    shot = tmp_path / "docs-site.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    if os.environ.get("BUTTRESS_UPDATE_SCREENSHOTS") == "1":
        browser.get((built / "graph.html").as_uri())
        target = REPO / "docs" / "screenshots" / "docs-site.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(tmp_path / "graph.png"))
        shutil.copyfile(tmp_path / "graph.png", target)
    assert time.monotonic() - started < 30


def test_a_broken_anchor_is_caught(browser: Any, built: Path, tmp_path: Path) -> None:
    """The link check can fail: a page pointing at a missing module anchor is found."""
    broken = tmp_path / "site"
    shutil.copytree(built, broken)
    page = broken / "slos.html"
    page.write_text(page.read_text().replace('href="modules.html#module-scorer"', 'href="modules.html#module-nope"', 1))
    browser.get(page.as_uri())
    targets = browser.execute_script(_LINKS_JS)
    browser.get((broken / "modules.html").as_uri())
    known = set(browser.execute_script("return [...document.querySelectorAll('[id]')].map(e => e.id)"))
    missing = [u for u in targets if "modules.html#" in u and urlsplit(u).fragment not in known]
    assert missing and missing[0].endswith("#module-nope")
