"""Signals worked out once per environment and module, and shared by every observing renderer.

The monitoring, the dashboards and the runbooks each read a module's SLOs and kind alerts; an
environment's are computed on first use and kept for as long as the ``Environment`` object lives
(a weak reference drops them with it). Keyed by the identity of the objects a value is worked out
from (the module; for alerts also the blueprint and graph): the model is immutable, and an entry
holds them, so no identity is reused while it is kept. Values are shared: callers
never change them. Called by ``signals.slo.slos_of`` and ``signals.alerts.kind_alerts``.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from buttress.model.resolve import Environment

T = TypeVar("T")
_Kept = tuple[tuple[object, ...], Any]
"""The objects an entry was worked out from (kept alive, so no identity is reused) and its value."""
_TABLES: dict[int, tuple[weakref.ref[Environment], dict[tuple[object, ...], _Kept]]] = {}


def _drop(key: int) -> Callable[[weakref.ref[Environment]], None]:
    """What forgets an environment's table once the environment is gone."""
    def drop(_ref: weakref.ref[Environment]) -> None:
        _TABLES.pop(key, None)

    return drop


def memoised(name: str, env: Environment, sources: tuple[object, ...], compute: Callable[[], T]) -> T:
    """``compute()``, the first time ``name`` is asked of this environment and these ``sources`` (the
    module, and whatever else the value is worked out from: the blueprint, the graph)."""
    entry = _TABLES.get(id(env))
    if entry is None or entry[0]() is not env:
        entry = _TABLES[id(env)] = (weakref.ref(env, _drop(id(env))), {})
    table = entry[1]
    key = (name, *map(id, sources))
    kept = table.get(key)
    if kept is not None and all(map(operator.is_, kept[0], sources)):
        value: T = kept[1]
        return value
    value = compute()
    table[key] = (sources, value)
    return value
