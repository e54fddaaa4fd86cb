"""Evaluate one Rego package over a batch of inputs, across worker processes when it pays.

rego-cpp evaluates about one rendered object per millisecond per core, most of it converting the
input, so a large batch is split over forked worker processes (one per core, each compiling its
own bundle from the sources). Results come back as plain tuples ``(rule, severity, message,
module)``. Called by ``policy.rego.PolicySet.evaluate``; imports the engine.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
from typing import Any

import regopy

Sources = list[tuple[str, str]]
VerdictTuple = tuple[str, str, str, str | None]
PARALLEL_MIN = 400
"""Below this many inputs one process is faster than starting workers."""

_worker: dict[str, Any] = {}
"""Per-process engine state of a worker (set by ``_init``; empty in the parent)."""


_FAILURE = re.compile(r"^(deny|violation)(_[a-zA-Z0-9]+)*$")
_WARNING = re.compile(r"^warn(_[a-zA-Z0-9]+)*$")


def rule_severity(rule: str) -> str | None:
    """``error`` for deny/violation rules, ``warning`` for warn rules, None for anything else.

    The names conftest recognises: ``deny``, ``violation``, ``warn``, each optionally followed by
    ``_suffix`` parts (``deny_root``); a helper such as ``denylist`` is no rule.
    """
    if _FAILURE.match(rule):
        return "error"
    if _WARNING.match(rule):
        return "warning"
    return None


def binding(output: Any) -> Any:
    """The value bound to ``x`` by a ``x = <query>`` query; None when undefined.

    Read from the output's JSON text: ``Output.binding`` aborts the process on an undefined result.
    """
    text = str(output)
    if text == "undefined":
        return None
    results = json.loads(text)
    first = results[0] if isinstance(results, list) else results
    return first.get("bindings", {}).get("x")


def _set_element(key: str) -> Any:
    """One element of a set that rego-cpp returned as an object key (non-strings are serialised)."""
    if key.startswith("{"):
        try:
            value = json.loads(key)
        except ValueError:
            return key
        return value if isinstance(value, dict) and "msg" in value else key
    return key


def rule_results(rule: str, value: Any) -> list[Any]:
    """The results one rule's value holds, in every shape a conftest policy produces.

    - a set from ``deny contains msg if ...`` (Rego v1): a JSON array of messages or objects;
    - a set from ``deny[msg] { ... }`` (classic syntax): rego-cpp returns it as an object keyed by
      element, every value ``true`` (object elements serialised as text), ``{}`` when empty;
    - a complete rule: a message string, or an object with ``msg``;
    - a boolean rule (``deny_x if ...``): ``true`` yields the rule's name as message, else nothing.
    """
    if value is True:
        return [rule]
    if value is None or value is False or value == {}:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and all(v is True for v in value.values()):
        return [_set_element(key) for key in value]
    return [value]


def _text(value: Any) -> str:
    """A message as text: strings unchanged, anything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def verdict_tuples(value: Any) -> list[VerdictTuple]:
    """Messages of the deny/violation/warn rules in a package's value, sorted by rule."""
    out: list[VerdictTuple] = []
    for rule, result in sorted(value.items()) if isinstance(value, dict) else ():
        severity = rule_severity(rule)
        if severity is None:
            continue
        for item in rule_results(rule, result):
            if isinstance(item, dict) and "msg" in item:
                module = item.get("module")
                out.append((rule, severity, _text(item["msg"]), module if isinstance(module, str) else None))
            else:
                out.append((rule, severity, _text(item), None))
    return out


class Engine:
    """A compiled bundle for one package and a runtime interpreter to query it."""

    def __init__(self, sources: Sources, package: str) -> None:
        compiler = regopy.Interpreter()
        for display, source in sources:
            compiler.add_module(display, source)
        self.bundle = compiler.build(f"x = data.{package}", [])
        self.runtime = regopy.Interpreter()

    def run(self, inputs: list[Any], offset: int = 0) -> list[list[VerdictTuple]] | int:
        """Verdicts per input, or the index (plus ``offset``) of the first input that fails."""
        out = []
        for i, value in enumerate(inputs):
            self.runtime.set_input(regopy.Input(value))
            output = self.runtime.query_bundle(self.bundle)
            if not output.ok():
                return offset + i
            out.append(verdict_tuples(binding(output)))
        return out


def _init(sources: Sources, package: str) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the engine's own prints must not reach the parent's stdout
    _worker["engine"] = Engine(sources, package)


def _run_chunk(args: tuple[list[Any], int]) -> list[list[VerdictTuple]] | int:
    engine: Engine = _worker["engine"]
    return engine.run(*args)


def evaluate_batch(sources: Sources, package: str, inputs: list[Any]) -> list[list[VerdictTuple]] | int:
    """Verdicts for every input in order, or the index of an input whose evaluation fails."""
    workers = min(os.cpu_count() or 1, 8)
    if len(inputs) < PARALLEL_MIN or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return Engine(sources, package).run(inputs)
    size = -(-len(inputs) // workers)
    chunks = [(inputs[i:i + size], i) for i in range(0, len(inputs), size)]
    with multiprocessing.get_context("fork").Pool(workers, _init, (sources, package)) as pool:
        parts = pool.map(_run_chunk, chunks)
    out: list[list[VerdictTuple]] = []
    for part in parts:
        if isinstance(part, int):
            return part
        out += part
    return out
