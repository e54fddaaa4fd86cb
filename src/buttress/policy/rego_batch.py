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
from typing import Any

import regopy

Sources = list[tuple[str, str]]
VerdictTuple = tuple[str, str, str, str | None]
PARALLEL_MIN = 400
"""Below this many inputs one process is faster than starting workers."""

_worker: dict[str, Any] = {}
"""Per-process engine state of a worker (set by ``_init``; empty in the parent)."""


def rule_severity(rule: str) -> str | None:
    """``error`` for deny_/violation_ rules, ``warning`` for warn_ rules, None for anything else."""
    if rule.startswith(("deny", "violation")):
        return "error"
    if rule.startswith("warn"):
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


def verdict_tuples(value: Any) -> list[VerdictTuple]:
    """Messages of the deny_/violation_/warn_ rules in a package's value, sorted by rule."""
    out: list[VerdictTuple] = []
    for rule, result in sorted(value.items()) if isinstance(value, dict) else ():
        severity = rule_severity(rule)
        if severity is None:
            continue
        items = result if isinstance(result, list) else [result] if result not in (None, False, True) else []
        for item in items:
            if isinstance(item, dict):
                module = item.get("module")
                out.append((rule, severity, str(item.get("msg", item)), module if isinstance(module, str) else None))
            else:
                out.append((rule, severity, str(item), None))
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
