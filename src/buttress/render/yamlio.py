"""Deterministic YAML serialisation of rendered objects, fast.

Objects are written with ``yaml-rs`` (a Rust emitter, ~20x PyYAML's C dumper on rendered
manifests; see docs/performance.md), keeping key order as built. ``yaml-rs`` writes YAML 1.2:
a few strings that YAML 1.1 readers (PyYAML, Kubernetes' go-yaml) would read as numbers or
dates — digits with underscores, ``2026-01-01`` — it leaves unquoted, and it writes keys holding
line breaks and block scalars holding tabs in forms parsers refuse. Every emitted document is
scanned for these and, where one occurs, that document is written with PyYAML's C dumper instead
(rare in manifests: labels, names and quantities never take these forms). Documents holding
multi-line strings (PromQL expressions, runbook text) also go to PyYAML, which writes them as
readable literal blocks. Either way the document reads back through PyYAML equal to
the object. Called by ``buttress.app.render`` and the benchmarks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml
import yaml_rs

# A plain (unquoted) key or value that YAML 1.1 resolves to an int, float or timestamp although
# YAML 1.2 reads it as a string: numerals with underscores, dates.
_NUMERAL = r"[-+]?[0-9.][0-9a-fA-FxXoObB._:+-]*_[0-9a-fA-FxXoObB._:+-]*|[-+]?_[0-9a-fA-F._:+-]*"
_DATE = r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt \t][^\n]*)?"
# ... or any block scalar (yaml-rs writes keys holding line breaks as block scalars, which parsers
# refuse, and tabs inside them), or a tab.
_BLOCK = r"(?:^ *|: |- )[|>][0-9]?[-+]?[0-9]?$"
_RISKY = re.compile(rf"(?:^ *|: |- )(?:{_NUMERAL}|{_DATE})(?::(?: |$)|$)|{_BLOCK}|\t", re.MULTILINE)


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's C dumper writing multi-line strings (PromQL, runbook text) as literal blocks."""


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
    text: str = yaml_rs.dumps(obj)
    if "\\n" in text or _RISKY.search(text):  # a multi-line string: PyYAML writes it as a readable block
        return _pyyaml(obj)
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
