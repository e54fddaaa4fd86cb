"""Signals worked out once per environment and module, and shared by every observing renderer.

The monitoring, the dashboards and the runbooks each read a module's SLOs and kind alerts; an
environment's are computed on first use and kept for as long as the ``Environment`` object lives
(a weak reference drops them with it). Keyed by the objects' identity: the model is immutable, and
an entry holds its module, so no identity is reused while it is kept. Values are shared: callers
never change them. Called by ``signals.slo.slos_of`` and ``signals.alerts.kind_alerts``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from buttress.model.resolve import Environment, ResolvedModule

T = TypeVar("T")
_TABLES: dict[int, tuple[weakref.ref[Environment], dict[tuple[str, int], tuple[ResolvedModule, Any]]]] = {}


def _drop(key: int) -> Callable[[weakref.ref[Environment]], None]:
    """What forgets an environment's table once the environment is gone."""
    def drop(_ref: weakref.ref[Environment]) -> None:
        _TABLES.pop(key, None)

    return drop


def memoised(name: str, env: Environment, module: ResolvedModule, compute: Callable[[], T]) -> T:
    """``compute()``, the first time ``name`` is asked of this environment and module."""
    entry = _TABLES.get(id(env))
    if entry is None or entry[0]() is not env:
        entry = _TABLES[id(env)] = (weakref.ref(env, _drop(id(env))), {})
    table = entry[1]
    key = (name, id(module))
    kept = table.get(key)
    if kept is not None and kept[0] is module:
        value: T = kept[1]
        return value
    value = compute()
    table[key] = (module, value)
    return value
