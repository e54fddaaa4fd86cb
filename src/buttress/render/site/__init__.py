"""The static documentation site of a blueprint (``buttress docs``): HTML pages from Jinja2
templates, one local stylesheet, the dependency graph as inline SVG; nothing loaded from the network.

``site_files(site)`` takes the site's content as plain data (built by ``buttress.app.docs``) and
returns ``{relative path: bytes}``. Pure and deterministic; called by ``app.docs``.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from markupsafe import Markup

from buttress.render.common.templates import templates
from buttress.render.site.svg import graph_svg

PAGES: tuple[tuple[str, str], ...] = (
    ("index.html", "Overview"),
    ("modules.html", "Modules"),
    ("graph.html", "Dependencies"),
    ("slos.html", "SLOs"),
    ("environments.html", "Environments"),
    ("controls.html", "Controls and waivers"),
)
"""Every page, in navigation order: file name and title."""
STYLESHEET = "style.css"

_TEMPLATES = templates("buttress.render.site", html=True)


def site_files(site: dict[str, Any]) -> dict[str, bytes]:
    """Every page and the stylesheet."""
    graphs = [{"environment": g["environment"], "same_as": g.get("same_as"),
               "svg": Markup(graph_svg(g)) if not g.get("same_as") else None, "data": g} for g in site["graphs"]]
    files = {}
    for page, title in PAGES:
        html = _TEMPLATES.get_template(page.replace(".html", ".html.j2")).render(
            site=site, graphs=graphs, pages=PAGES, page=page, title=title, stylesheet=STYLESHEET)
        files[page] = html.encode()
    files[STYLESHEET] = resources.files("buttress.render.site").joinpath("templates", STYLESHEET).read_bytes()
    return files
