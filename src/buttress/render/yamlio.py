"""Deterministic YAML serialisation of rendered objects, fast.

Objects are written with ``yaml-rs`` (a Rust emitter, ~20x PyYAML's C dumper on rendered
manifests; see docs/performance.md), keeping key order as built. ``yaml-rs`` writes YAML 1.2:
a few strings that YAML 1.1 readers (PyYAML, Kubernetes' go-yaml) would read as numbers or
dates — digits with underscores, ``2026-01-01`` — it leaves unquoted, and it writes keys holding
line breaks and block scalars holding tabs in forms parsers refuse. Every object is checked for
such strings first and, where one occurs, that document is written with PyYAML's C dumper instead
(rare in manifests: labels, names and quantities never take these forms). Documents holding
multi-line strings (PromQL expressions, runbook text) also go to PyYAML, which writes them as
readable literal blocks. Either way the document reads back through PyYAML equal to
the object. Called by ``buttress.app.render`` and the benchmarks.

``dump_documents`` writes the same text for large documents of repeated parts — the monitoring's
rules file, the PrometheusRule holding the same rule groups, the promtool tests expecting the
rules' label sets, where ``render.monitoring`` emits its objects — with a Python emitter of
yaml-rs's layout (``Emitter``) that writes a part several documents hold once; checked against
yaml-rs on generated documents (tests/render/test_render_bundle.py). ``Emitter.form`` gives the
form of one string to writers of YAML text (``render.monitoring.text``).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import Any

import yaml
import yaml_rs

from buttress.errors import BlueprintError, Problem

# A string that YAML 1.1 resolves to an int, float or timestamp although YAML 1.2 reads it as a
# string when written plain: numerals with underscores, dates.
_NUMERAL = r"[-+]?[0-9.][0-9a-fA-FxXoObB._:+-]*_[0-9a-fA-FxXoObB._:+-]*|[-+]?_[0-9a-fA-F._:+-]*"
_DATE = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt \t][^\n]*)?"
_YAML11_ONLY = re.compile(rf"{_NUMERAL}|{_DATE}")
_FIRST = frozenset("0123456789+-._")
"""Every string ``_YAML11_ONLY`` matches starts with one of these (a cheap test first)."""


def _risky(value: str) -> bool:
    """Whether yaml-rs may write ``value`` in a form YAML 1.1 readers misread or parsers refuse: a
    line break or tab (block scalars, keys), or a YAML 1.1-only numeral or date."""
    return "\n" in value or "\t" in value or "\r" in value or (
        value[:1] in _FIRST and _YAML11_ONLY.fullmatch(value) is not None)


_JSON_BREAK = re.compile(r"\\[nrt]")
"""A line break or tab inside a JSON string literal (``\\n``, ``\\r``, ``\\t``); a literal
backslash before n, r or t also matches, which only sends the document to PyYAML."""
_JSON_YAML11_ONLY = re.compile(rf'"(?:{_NUMERAL}|[0-9]{{4}}-[0-9]{{1,2}}-[0-9]{{1,2}}(?:[Tt ][^"]*)?)"')
"""A JSON string literal (key or value) that is exactly a YAML 1.1-only numeral or date."""


def _for_yaml_rs(obj: Any) -> bool:
    """Whether no key or value of ``obj`` is ``_risky``. Scans the object's JSON text (written by
    the C encoder) rather than walking it in Python: ~10x faster on rule files of thousands of
    strings. A match that is not really a string (an escaped quote) errs towards PyYAML."""
    text = json.dumps(obj, ensure_ascii=False, check_circular=False)
    return _JSON_BREAK.search(text) is None and _JSON_YAML11_ONLY.search(text) is None


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's C dumper writing multi-line strings (PromQL, runbook text) as literal blocks, and a
    value shared by several places in full at each (no ``&id001`` anchors or ``*id001`` aliases)."""

    def ignore_aliases(self, data: Any) -> bool:
        """Never an alias: each manifest reads the same in every tool, with nothing to dereference."""
        return True


def _str(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def _pyyaml(obj: Any) -> str:
    text: str = yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                          explicit_start=True, width=1 << 16)
    return text


# A Python emitter writing exactly what yaml-rs writes, for large documents of repeated parts.

_RESERVED = frozenset(["yes", "Yes", "YES", "no", "No", "NO", "True", "TRUE", "true", "False", "FALSE", "false",
                       "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL", "~"])
"""Words yaml-rs double-quotes (YAML 1.1 booleans and nulls)."""
_QUOTED = re.compile(r"""\A(?:$| |[&*?|<>=!%@.-]|0x)|[:{}\[\],#`"'\\]| \Z""")
"""Printable ASCII that yaml-rs double-quotes: empty, edged by a space, an indicator first, a flow or
quoting character anywhere (with ``_RESERVED`` and ``_FLOAT``: its rule, checked against it on every
string of up to two characters and random mixes of the characters that matter)."""
_FLOAT = re.compile(r"[+-]?(?:(?i:inf|infinity|nan)|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
"""What Rust's ``f64::from_str`` accepts (and so every ``i64``): yaml-rs quotes these."""
_NUMERIC = frozenset("+0123456789iInN")
"""The first characters of the strings ``_FLOAT`` matches that ``_QUOTED`` does not catch already."""


_ENCODE = json.encoder.encode_basestring


def escaped(value: str) -> str:
    """``value`` as inside a double-quoted string, where yaml-rs would quote it: printable ASCII only,
    whose only escapes are ``\\"`` and ``\\\\`` (as in JSON); ``Fallback`` for anything else. For
    writers of YAML text assembling one quoted string from parts (``render.monitoring.text``)."""
    if not (value.isascii() and value.isprintable()):
        raise Fallback
    return str(_ENCODE(value))[1:-1]


def _double_quoted(value: str) -> str | None:
    """ASCII in double quotes as yaml-rs and JSON write it (only ``"`` and ``\\`` escaped), or
    None when it holds a control character (escaped differently, or not at all: DEL)."""
    quoted = str(_ENCODE(value))
    if len(quoted) != len(value) + 2 + value.count('"') + value.count("\\") or "\x7f" in value:
        return None
    return quoted


class Fallback(Exception):
    """The document holds something only the general path writes faithfully (raised by ``Emitter``;
    the text writers of ``render.monitoring.text`` raise it too, and their callers then emit objects)."""


class Emitter:
    """Block YAML in yaml-rs's layout (two-space indents, sequences indented under their key,
    scalars in its forms) for trees of ``dict``, ``list`` and JSON scalars, written in Python.

    Slower than yaml-rs on documents of distinct parts, faster on the large, uniform ones of the
    monitoring: each distinct string's form is worked out once, each container's text is built by
    one join, and a ``dict`` or ``list`` object met again (the label set every rule of an SLO
    shares, the rule groups both the rules file and the PrometheusRule hold) is not walked again:
    its text is reused, re-indented where it must be. A string ``_risky`` for yaml-rs, or a type
    other than the JSON ones, raises ``Fallback``.
    """

    def __init__(self) -> None:
        self.forms: dict[str, str] = {}
        """A string -> its form (plain or quoted)."""
        self.heads: dict[str, str] = {}
        """A key -> ``key:``."""
        self.texts: dict[int, str] = {}
        """``id`` of a container written -> its text."""
        self.indents: dict[int, int] = {}
        """``id`` of a container written -> the indent it was written at (kept apart from ``texts``: no
        tuple per container)."""
        self.kept: list[Any] = []
        """The documents written, kept alive so that no ``id`` above is reused by a new object."""

    def document(self, obj: Any) -> str:
        """One document, starting with ``---`` and ending with a line break."""
        self.kept.append(obj)
        body = self.block(obj, 0) if type(obj) in (dict, list) and obj else self.inline(obj)
        return f"---\n{body}\n"

    def form(self, value: str) -> str:
        """A string's form as yaml-rs writes it, worked out once per distinct string; ``Fallback``
        where only the general path writes it faithfully. For writers of YAML text (``render.monitoring.text``)."""
        return self.forms.get(value) or self.text(value)

    def text(self, value: str) -> str:
        """A string's form: plain, double-quoted, or (not printable ASCII) what yaml-rs makes of it."""
        if type(value) is not str:
            raise Fallback
        form = None
        if value.isascii():
            if value[:1] in _FIRST and _YAML11_ONLY.fullmatch(value) is not None:
                raise Fallback
            if _QUOTED.search(value) is not None:
                # printable ASCII: JSON escapes only '"' and '\\', as yaml-rs does (the common case, checked no further)
                form = _ENCODE(value) if value.isprintable() else _double_quoted(value)
            elif value.isprintable():
                numeric = value[:1] in _NUMERIC and _FLOAT.fullmatch(value) is not None
                form = f'"{value}"' if numeric or value in _RESERVED else value
        if form is None:
            if _risky(value):
                raise Fallback
            form = yaml_rs.dumps(value)[4:]
            if "\n" in form:
                raise Fallback
        self.forms[value] = form
        return form

    def head(self, key: str) -> str:
        """``key:`` for a mapping key (only strings: another key raises ``Fallback``)."""
        head = self.heads[key] = self.text(key) + ":"
        return head

    def inline(self, value: Any) -> str:
        """A scalar or an empty container, as written after its key's colon or dash and a space."""
        kind = type(value)
        if kind is str:
            return self.forms.get(value) or self.text(value)
        if kind is bool:
            return "true" if value else "false"
        if value is None:
            return "~"
        if kind is int:
            return str(value)
        if kind is float:
            return str(yaml_rs.dumps(value))[4:]
        if kind is dict and not value:
            return "{}"
        if kind is list and not value:
            return "[]"
        raise Fallback

    def block(self, obj: dict[Any, Any] | list[Any], indent: int) -> str:
        """The lines of a non-empty container at ``indent``, the first without its indent (where
        the caller writes a dash or the indent)."""
        key = id(obj)
        text = self.texts.get(key)
        if text is not None:
            was = self.indents[key]
            # every line after the first starts with at least ``was`` spaces
            return text if was == indent else text.replace(_break(was), _break(indent))
        text = self.texts[key] = self.mapping(obj, indent) if isinstance(obj, dict) else self.sequence(obj, indent)
        self.indents[key] = indent
        return text

    def mapping(self, obj: dict[Any, Any], indent: int) -> str:
        """``block`` of a mapping."""
        forms, heads, texts, indents, inner = self.forms, self.heads, self.texts, self.indents, indent + 2
        below = _break(inner)
        parts = []
        for key, value in obj.items():
            head = heads.get(key) or self.head(key)
            kind = type(value)
            if kind is str:
                parts.append(f"{head} {forms.get(value) or self.text(value)}")
            elif (kind is dict or kind is list) and value:
                text = texts.get(id(value))
                if text is None or indents[id(value)] != inner:
                    text = self.block(value, inner)
                parts.append(head + below + text)
            else:
                parts.append(f"{head} {self.inline(value)}")
        return _break(indent).join(parts)

    def sequence(self, obj: list[Any], indent: int) -> str:
        """``block`` of a sequence: its items after dashes."""
        forms, texts, indents, inner = self.forms, self.texts, self.indents, indent + 2
        parts = []
        for value in obj:
            kind = type(value)
            if kind is str:
                parts.append("- " + (forms.get(value) or self.text(value)))
            elif (kind is dict or kind is list) and value:
                text = texts.get(id(value))
                if text is None or indents[id(value)] != inner:
                    text = self.block(value, inner)
                parts.append("- " + text)
            else:
                parts.append("- " + self.inline(value))
        return _break(indent).join(parts)


@functools.lru_cache(maxsize=64)
def _break(indent: int) -> str:
    """A line break and the indent of the next line."""
    return "\n" + " " * indent


def dump(obj: Any) -> str:
    """One YAML document (starting with ``---``) for ``obj``, keys in insertion order."""
    if not _for_yaml_rs(obj):  # e.g. a multi-line string: PyYAML writes it as a readable block
        return _pyyaml(obj)
    text: str = yaml_rs.dumps(obj)
    return text if text.endswith("\n") else text + "\n"


def dump_documents(objects: list[Any]) -> list[str]:
    """Each of ``objects`` as its own document, the same text as ``dump`` writes, for large
    documents of repeated parts (the monitoring's rules): one ``Emitter`` writes them all, so a
    ``dict`` or ``list`` several of them hold (the same object) is written once. A document it
    cannot write faithfully goes to ``dump``."""
    emitter = Emitter()
    out = []
    for obj in objects:
        try:
            out.append(emitter.document(obj))
        except Fallback:
            out.append(dump(obj))
    return out


def dump_bytes(obj: Any) -> bytes:
    """``dump`` encoded as UTF-8."""
    return dump(obj).encode()


def dump_all(objects: Iterable[Any]) -> str:
    """A multi-document stream of ``objects``."""
    return "".join(dump(o) for o in objects)


def load_located(text: str | bytes, display: str) -> list[Any]:
    """``load_all`` of a file the user may have edited (an earlier render, manifests on disk): a YAML
    mistake is a ``BlueprintError`` at its line and column in ``display``."""
    try:
        return load_all(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        raise BlueprintError([Problem(display, *where, f"not valid YAML: {exc.problem or exc.context}")]) from None
    except yaml.YAMLError as exc:
        raise BlueprintError([Problem(display, 1, 1, f"not valid YAML: {exc}")]) from None


def load_all(text: str | bytes) -> list[Any]:
    """Read a stream back (safe, C loader): used by ``diff`` and tests."""
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [doc for doc in yaml.load_all(text, Loader=loader) if doc is not None]
