"""Turns pydantic validation errors into located ``Problem``s with readable messages.

Called by ``model.parse`` and ``model.resolve``. Pydantic reports a location as a tuple of keys;
this walks it against the document's data and the spec model to name the file position, the
key path, and — for unknown keys — the closest allowed key.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from buttress.errors import Problem
from buttress.model.source import KeyPath, Mark, format_keypath
from buttress.model.suggest import closest, did_you_mean
from buttress.model.units import number_text

Locator = Callable[[KeyPath, bool], Mark]


def data_path(data: Any, loc: tuple[str | int, ...]) -> KeyPath:
    """The prefix of a pydantic ``loc`` that names real keys in ``data``."""
    out: list[str | int] = []
    node = data
    for part in loc:
        in_map = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_map or in_list:
            node = node[part]
        else:
            break
        out.append(part)
    return tuple(out)


def _unwrap(annotation: Any) -> Any:
    """The model class or container an annotation holds, without ``None``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else annotation
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation


def model_at(root: type[BaseModel], path: KeyPath) -> type[BaseModel] | None:
    """The spec model that validates the mapping at ``path``, if any."""
    current: Any = root
    for part in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def allowed_keys(model: type[BaseModel]) -> list[str]:
    """The keys a model accepts, as users write them."""
    return [f.alias or n for n, f in model.model_fields.items()]


def problems_from(
    exc: ValidationError, data: Any, root: type[BaseModel], locate: Locator, prefix: KeyPath = ()
) -> list[Problem]:
    """One located ``Problem`` per pydantic error."""
    problems = []
    errors = exc.errors(include_url=False, include_input=False)
    misspelt = _misspelt_keys(errors, data, root)
    for err in errors:
        if err["type"] == "missing" and (tuple(err["loc"][:-1]), str(err["loc"][-1])) in misspelt:
            continue  # the unknown-key error already says "did you mean" this key
        loc = tuple(err["loc"])
        path = data_path(data, loc)
        kind = err["type"]
        message = err["msg"].removeprefix("Value error, ")
        key_error = loc[-1:] == ("[key]",)  # a mapping's key refused (a label's, an env variable's): point at the key
        if kind == "extra_forbidden":
            key = str(path[-1]) if path else str(loc[-1])
            model = model_at(root, path[:-1])
            hint = did_you_mean(key, allowed_keys(model)) if model else ""
            message = f"unknown key {key!r}{hint}"
            key_error = True
        elif kind == "missing":
            message = f"missing required key {str(loc[-1])!r}"
        elif (readable := _readable(kind, err.get("ctx") or {}, _value_at(data, path) if path == loc else _ABSENT)):
            message = readable
        elif kind == "literal_error":
            given = _value_at(data, path)
            choices = re.findall(r"'([^']*)'", err["msg"])
            if isinstance(given, str):
                message = f"{given!r} is not allowed: expected one of {', '.join(choices)}{did_you_mean(given, choices)}"
            else:
                message = f"expected one of {', '.join(choices)}"
        mark = locate((*prefix, *path), key_error)
        problems.append(Problem(mark.file, mark.line, mark.column, message, format_keypath((*prefix, *path))))
    return problems


_ABSENT = object()
"""The value pydantic judged is not in the document as written (a default, a derived value)."""


def _given(value: Any) -> str:
    """What a YAML value is, in the words of the language (for "expected X, got Y")."""
    if value is _ABSENT:
        return ""
    if value is None:
        return ", got an empty value"
    names = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "a mapping"}
    return f", got {names.get(type(value), 'a value')}"


_EXPECTED = {"dict_type": "a mapping (key: value)", "model_type": "a mapping (key: value)",
             "model_attributes_type": "a mapping (key: value)", "list_type": "a list", "string_type": "text",
             "int_type": "a whole number", "int_parsing": "a whole number", "int_from_float": "a whole number",
             "float_type": "a number", "float_parsing": "a number", "bool_type": "true or false",
             "bool_parsing": "true or false"}
"""Pydantic's type errors, by what the value should have been."""
_BOUNDS = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than"),
           "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}
_EMPTY = {"string_too_short": "characters", "too_short": "items"}


def _readable(kind: str, ctx: dict[str, Any], given: Any) -> str | None:
    """Pydantic's error ``kind`` as a message in the blueprint language's words (no Python class names), or
    None for a kind left as pydantic words it."""
    if kind in _EXPECTED:
        quote = "; quote it" if kind == "string_type" and type(given) in (int, float) else ""
        return f"expected {_EXPECTED[kind]}{_given(given)}{quote}"
    if kind in _BOUNDS:
        bound, words = _BOUNDS[kind]
        return f"must be {words} {number_text(ctx.get(bound, 0))}"
    if kind in _EMPTY:
        size = ctx.get("min_length")
        return "must not be empty" if size == 1 else f"must hold at least {size} {_EMPTY[kind]}"
    if kind == "finite_number":
        return "must be a finite number"
    return None


def _misspelt_keys(errors: Any, data: Any, root: type[BaseModel]) -> set[tuple[KeyPath, str]]:
    """(parent path, allowed key) for each unknown key that is a near miss of an allowed one."""
    out = set()
    for err in errors:
        if err["type"] != "extra_forbidden":
            continue
        path = data_path(data, tuple(err["loc"]))
        model = model_at(root, path[:-1])
        if model and path:
            match = closest(str(path[-1]), allowed_keys(model))
            if match:
                out.add((path[:-1], match))
    return out


def _value_at(data: Any, path: KeyPath) -> Any:
    for part in path:
        data = data[part]
    return data
