"""The Jinja2 environment the text renderers use (the compliance evidence, the docs site; runbooks are
written by ``render.runbooks.markdown``, a thousand at a time):
templates from the renderer's own ``templates/`` folder, strict about undefined names, block tags
that leave no stray lines. Markdown renderers write text as is (``render`` is blocked by a secret
before it writes them); HTML ones escape it and redact secret-looking text (the docs site)."""

from __future__ import annotations

from typing import Any

import jinja2
import markupsafe

from buttress.secrets import redact_text


def _published(value: Any) -> Any:
    """A value the docs site shows, with secret-looking parts of its text redacted: the site is published
    as it is, and ``buttress docs`` runs no check that would stop it (markup built by the renderer, the
    graph's SVG, is its own)."""
    return redact_text(value) if isinstance(value, str) and not isinstance(value, markupsafe.Markup) else value


def templates(package: str, *, html: bool = False) -> jinja2.Environment:
    """The environment for the templates of ``package`` (e.g. ``buttress.render.runbooks``); an HTML one
    (the docs site) redacts secret-looking text in every value it writes."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        finalize=_published if html else None,
    )
