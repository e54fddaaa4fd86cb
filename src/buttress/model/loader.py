"""Safe YAML loading with a source map: the only place buttress reads YAML from users.

Called by ``model.parse`` for blueprints and pattern files. Uses libyaml to compose nodes
(keeping every position), then builds plain data itself so that it can refuse what a
blueprint must never contain: duplicate keys, custom tags, unbounded alias expansion
("billion laughs"), deep nesting, oversized or non-UTF-8 files, empty files and multiple
documents. Plain scalars are resolved by the YAML 1.2 core schema (``on`` and ``2027-05-15``
stay strings). Every refusal is a ``BlueprintError`` naming file, line and column.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from buttress.errors import BlueprintError
from buttress.model.source import Document, KeyPath, format_keypath

MAX_BYTES = 32 * 1024 * 1024
MAX_DEPTH = 64
MIN_ALIAS_BUDGET = 10_000

_PLAIN = "tag:buttress:plain"
_STD = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}

_TAG_TYPES: dict[str, type | tuple[type, ...]] = {"int": int, "float": (int, float), "bool": bool, "null": type(None)}
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")


class _Loader(yaml.CSafeLoader):
    """libyaml composer whose plain scalars are left for the YAML 1.2 core resolution below."""

    nodes = 0

    def resolve(self, kind: type, value: Any, implicit: Any) -> str:
        self.nodes += 1
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _STD + "str"
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]


_MAYBE_NOT_STR = frozenset("0123456789+-.~nNtTfF")


def resolve_plain(text: str) -> Any:
    """A plain scalar's value under the YAML 1.2 core schema."""
    if text and text[0] not in _MAYBE_NOT_STR:
        return text
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _INF.fullmatch(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.fullmatch(text):
        return math.nan
    return text


def load_file(path: Path, display: str | None = None) -> Document:
    """Read and load one YAML file; ``display`` is the name used in error messages."""
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise BlueprintError.single(name, 1, 1, f"file is {size} bytes, over the {MAX_BYTES}-byte limit")
        raw = path.read_bytes()
    except OSError as exc:
        raise BlueprintError.single(name, 1, 1, f"cannot read file: {exc.strerror or exc}") from None
    return load_bytes(raw, name)


def load_bytes(raw: bytes, name: str) -> Document:
    """Load one YAML document from bytes into a ``Document``."""
    if len(raw) > MAX_BYTES:
        raise BlueprintError.single(name, 1, 1, f"file is {len(raw)} bytes, over the {MAX_BYTES}-byte limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BlueprintError.single(name, line, column, "file is not valid UTF-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if "single document" in str(exc.problem or "") or "single document" in str(exc.context or ""):
            problem = "expected a single YAML document, found more than one"
        raise BlueprintError.single(name, line, column, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise BlueprintError.single(name, 1, 1, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise BlueprintError.single(name, 1, 1, f"nesting deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()
    if node is None:
        raise BlueprintError.single(name, 1, 1, "file is empty: expected a YAML mapping")
    builder = _Builder(name, loader.nodes)
    data = builder.build(node, (), 0)
    return Document(name, data, builder.key_marks, builder.value_marks)


class _Builder:
    """Turns composed nodes into plain data, recording positions and enforcing the bounds."""

    def __init__(self, name: str, distinct: int) -> None:
        self.name = name
        self.budget = max(MIN_ALIAS_BUDGET, 4 * distinct)
        self.built = 0
        self.seen: set[int] = set()
        self.active: set[int] = set()
        self.key_marks: dict[KeyPath, tuple[int, int]] = {}
        self.value_marks: dict[KeyPath, tuple[int, int]] = {}

    def _fail(self, node: yaml.Node, message: str, path: KeyPath = ()) -> BlueprintError:
        return BlueprintError.single(self.name, node.start_mark.line + 1, node.start_mark.column + 1, message,
                                     format_keypath(path))

    def build(self, node: yaml.Node, path: KeyPath, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self._fail(node, f"nesting deeper than {MAX_DEPTH} levels")
        self.built += 1
        if self.built > self.budget:
            raise self._fail(node, f"alias expansion exceeds {self.budget} nodes: refusing to expand (a YAML bomb?)")
        if id(node) in self.active:
            raise self._fail(node, "recursive alias: a node cannot contain itself")
        self.seen.add(id(node))
        self.value_marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if node.tag not in _ALLOWED_TAGS and node.tag != _PLAIN:
            raise self._fail(node, f"tag {node.tag} is not allowed: blueprints use plain YAML values only", path)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
            return self._mapping(node, path, depth)
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, path: KeyPath) -> Any:
        tag, text = node.tag, node.value
        if tag == _PLAIN:
            return resolve_plain(text)
        if tag == _STD + "str":
            return text
        value = resolve_plain(text)
        expected = _TAG_TYPES.get(tag[len(_STD):])
        if expected is None or not isinstance(value, expected) or (tag.endswith("int") and isinstance(value, bool)):
            raise self._fail(node, f"value {text!r} does not match its tag {tag}", path)
        return float(value) if tag.endswith("float") and isinstance(value, int) else value

    def _mapping(self, node: yaml.Node, path: KeyPath, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._fail(key_node, "mapping keys must be plain strings", path)
            if key_node.tag not in (_PLAIN, _STD + "str"):
                raise self._fail(key_node, f"tag {key_node.tag} is not allowed on a key", path)
            key = key_node.value
            if key == "<<" and key_node.tag == _PLAIN:
                raise self._fail(key_node, "merge keys (<<) are not supported: write the values out", path)
            if key in out:
                first = self.key_marks[(*path, key)]
                raise self._fail(key_node, f"duplicate key {key!r} (first at line {first[0]})", (*path, key))
            child = (*path, key)
            self.key_marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            out[key] = self.build(value_node, child, depth + 1)
        return out
