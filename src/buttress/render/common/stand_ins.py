"""Text written once with stand-in values, then filled in per module: the fast path of the
observing renderers, whose output for the many modules of one shape (the same SLOs, metrics,
kind and bounds: what a pattern or a team's convention sets) differs only where the module's
name, team or on-call appear.

``template(write, fields)`` writes the text twice, with two sets of stand-ins, and turns each
into a ``Template``: the fixed pieces between the places the stand-ins' values took, filled in
by one join. A text whose two versions differ other than by the stand-ins (a stand-in's letters
also in some fixed text) gives no template. Only ``plain`` values fill a template: a lowercase letter, then lowercase letters,
digits and dashes, and not a word YAML reads otherwise (``no``, ``null``, ``inf``) — which YAML
writes bare, and JSON and PromQL strings hold unescaped, exactly as the stand-ins. Called by
``render.monitoring.shapes``, ``render.dashboards`` and ``render.runbooks``, through ``Templates``
(which builds a shape's templates only once the shape repeats); a test compares each with the text
it replaces.
"""

from __future__ import annotations

import re
from collections.abc import Callable

StandIn = tuple[str, str, str, str]
"""Stand-ins for a module's name, team, on-call, and a text about it (its dependencies)."""
STAND_INS: tuple[StandIn, StandIn] = (("zqmoduleqz", "zqteamqz", "zqoncallqz", "zqtextqz"),
                                      ("xk-stand-in-module-2", "xk-team-2", "xk-on-call-2", "xk-text-about-it-2"))
"""Two sets of stand-ins: plain words no blueprint value is likely to hold, of other lengths and
first letters in each set (so that text depending on a value's length or order is never templated)."""
_PLAIN = re.compile(r"[a-z][a-z0-9-]*")
_WORDS = frozenset({"yes", "no", "true", "false", "on", "off", "null", "inf", "infinity", "nan"})
"""Plain-looking words that YAML writers quote (booleans, nulls, floats)."""


def plain(value: str) -> bool:
    """Whether ``value`` is written exactly as a stand-in is, in every place a template holds it."""
    return _PLAIN.fullmatch(value) is not None and value not in _WORDS


class Template:
    """A text with fields: its fixed pieces, and which value goes between each two."""

    __slots__ = ("fields", "layout")

    def __init__(self, text: str, values: tuple[str, ...]) -> None:
        self.layout: list[str]
        """The fixed pieces at even places, an empty string at each field's (odd) place between two."""
        self.fields: tuple[int, ...]
        """Which of the values fills each field's place, in order."""
        self.layout, self.fields = _places(text, values)

    @classmethod
    def joined(cls, texts: list[Template | str]) -> Template:
        """One template of ``texts`` (templates of the same values, and fixed text) one after another."""
        joined = cls("", ())
        layout, fields = joined.layout, list(joined.fields)
        for text in texts:
            if isinstance(text, str):
                layout[-1] += text
                continue
            layout[-1] += text.layout[0]
            layout += text.layout[1:]
            fields += text.fields
        joined.fields = tuple(fields)
        return joined

    def fill(self, values: tuple[str, ...]) -> str:
        """The text with ``values`` in the fields' places (one join: no parsing of the text)."""
        return "".join(self.parts(values))

    def parts(self, values: tuple[str, ...]) -> list[str]:
        """The text's pieces with ``values`` in the fields' places, for a caller joining many texts at once."""
        parts = self.layout.copy()
        parts[1::2] = [values[i] for i in self.fields]
        return parts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Template) and (self.layout, self.fields) == (other.layout, other.fields)

    def __hash__(self) -> int:
        return hash((tuple(self.layout), self.fields))


def _places(text: str, values: tuple[str, ...]) -> tuple[list[str], tuple[int, ...]]:
    """The fixed pieces of ``text`` around every occurrence of ``values`` (pieces at even places,
    empty strings at odd ones), and which value each occurrence is."""
    if not values:
        return [text], ()
    pattern = re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))
    index = {v: i for i, v in enumerate(values)}
    layout, fields, start = [], [], 0
    for match in pattern.finditer(text):
        layout += [text[start:match.start()], ""]
        fields.append(index[match.group()])
        start = match.end()
    layout.append(text[start:])
    return layout, tuple(fields)


def template(write: Callable[[StandIn], tuple[str, ...]],
             fields: Callable[[StandIn], tuple[str, ...]]) -> tuple[Template, ...] | None:
    """The templates of the texts ``write`` gives for a set of stand-ins, the values ``fields``
    derives from the set as their fields; None where the two sets disagree."""
    versions = [tuple(Template(text, fields(stand_in)) for text in write(stand_in)) for stand_in in STAND_INS]
    return versions[0] if versions[0] == versions[1] else None


class Templates:
    """The templates of one renderer's shapes, each built the second time its shape is met: a shape
    met once is written directly (building a template costs two writings), so a blueprint of no
    repeated shapes is written no slower than without templates."""

    def __init__(self) -> None:
        self.built: dict[object, tuple[Template, ...] | None] = {}
        """A shape -> its templates (None: the stand-ins disagreed)."""
        self.met: set[object] = set()
        """Shapes met once so far."""

    def get(self, shape: object, build: Callable[[], tuple[Template, ...] | None]) -> tuple[Template, ...] | None:
        """The templates of ``shape``, or None where its text is to be written directly."""
        if shape in self.built:
            return self.built[shape]
        if shape not in self.met:
            self.met.add(shape)
            return None
        made = self.built[shape] = build()
        return made
