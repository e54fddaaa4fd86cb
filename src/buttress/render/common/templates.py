"""The Jinja2 environment every text renderer uses (runbooks, compliance evidence, the docs site):
templates from the renderer's own ``templates/`` folder, strict about undefined names, block tags
that leave no stray lines. Markdown renderers write text as is; HTML ones escape it."""

from __future__ import annotations

import jinja2


def templates(package: str, *, html: bool = False) -> jinja2.Environment:
    """The environment for the templates of ``package`` (e.g. ``buttress.render.runbooks``)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
