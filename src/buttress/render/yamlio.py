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
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import yaml
import yaml_rs

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


def dump(obj: Any) -> str:
    """One YAML document (starting with ``---``) for ``obj``, keys in insertion order."""
    if not _for_yaml_rs(obj):  # e.g. a multi-line string: PyYAML writes it as a readable block
        return _pyyaml(obj)
    text: str = yaml_rs.dumps(obj)
    return text if text.endswith("\n") else text + "\n"


def dump_bytes(obj: Any) -> bytes:
    """``dump`` encoded as UTF-8."""
    return dump(obj).encode()


def dump_all(objects: Iterable[Any]) -> str:
    """A multi-document stream of ``objects``."""
    return "".join(dump(o) for o in objects)


def load_all(text: str | bytes) -> list[Any]:
    """Read a stream back (safe, C loader): used by ``diff`` and tests."""
    loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [doc for doc in yaml.load_all(text, Loader=loader) if doc is not None]
