"""Evaluate a Rego package over a batch of inputs: here, or in the background on worker processes.

rego-cpp costs a fixed ~0.1 ms per query plus ~2 us per character of input, so large batches go to
forked worker processes (``Workers``: one per core, each compiling the bundles it needs from the
sources), which run while the caller renders and runs the built-in controls. Each input comes
with a ``Query``: the rules to ask for, or the whole package. Results come back as plain tuples
``(rule, severity, message, module)``. Called by ``policy.rego.PolicySet``; imports the engine.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import regopy
from regopy.rego_shared import rego_bundle_query, rego_free_output, rego_output_ok, rego_output_string, rego_query

Sources = list[tuple[str, str]]
VerdictTuple = tuple[str, str, str, str | None]
PARALLEL_MIN = 250_000
"""Below this many characters of (projected) input JSON one process is faster than starting workers
(rego-cpp spends about 2 us per character and 0.1 ms per query)."""

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


def _bound(text: str) -> Any:
    """The value bound to ``x`` in an engine answer's JSON text; None when undefined."""
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
    """Messages of the deny/violation/warn rules in a package's value, each once, sorted by rule and message."""
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
    return sorted(set(out), key=lambda t: (t[0], t[2], t[3] or ""))


def input_term(value: Any) -> str:
    """``value`` as the JSON text the engine reads as ``input``. (``regopy.Input`` built from Python objects
    gives a term that ``json.marshal`` and ``walk`` cannot read when it holds an array: the rule is then
    silently undefined.)"""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class Failure(NamedTuple):
    """An input whose evaluation failed: its index in the batch, and the engine's message."""

    position: int
    message: str


Outcome = list[list[VerdictTuple]] | Failure
"""Verdicts for every input in order, or the ``Failure`` of an input whose evaluation fails."""

Query = tuple[str, ...] | None
"""The rules to ask for: their names (all partial sets, so always defined), or None for the whole package."""


class Engine:
    """Compiled bundles for one package (one per query, built on first use) and a runtime interpreter."""

    def __init__(self, sources: Sources, package: str) -> None:
        self.sources, self.package = sources, package
        self.bundles: dict[Query, Any] = {}
        self.runtime = regopy.Interpreter()

    def bundle(self, query: Query) -> Any:
        """The bundle answering ``query``: ``x`` bound to the package, or to an object of the named rules."""
        if query not in self.bundles:
            compiler = regopy.Interpreter()
            for display, source in self.sources:
                compiler.add_module(display, source)
            text = f"data.{self.package}" if query is None else (
                "{" + ", ".join(f'"{r}": data.{self.package}.{r}' for r in query) + "}")
            self.bundles[query] = compiler.build(f"x = {text}", [])
        return self.bundles[query]

    def run(self, inputs: list[tuple[Query, Any]], offset: int = 0) -> Outcome:
        """Verdicts per input, or the ``Failure`` of the first input that fails (its index plus ``offset``)."""
        out = []
        for i, (query, value) in enumerate(inputs):
            self.runtime.set_input_term(input_term(value))
            try:
                result = answer(self.runtime, self.bundle(query))
            except RuntimeFailure as exc:
                return Failure(offset + i, str(exc))
            out.append(verdict_tuples(result))
        return out


class RuntimeFailure(Exception):
    """The engine failed evaluating a query (a built-in erred, a function is unknown, a complete rule conflicts)."""


_ERROR_MESSAGE = re.compile(r"\(errormsg (\d+):")
_NO_MESSAGE = ("the engine stopped without a message, e.g. at a function or complete rule giving two different "
               "values for the same input")
"""What a failed evaluation says when rego-cpp leaves no readable error (reading a failed output crashes it)."""


def _error_message(text: str) -> str:
    """The message of rego-cpp's error tree (``(error (errormsg 29:Function not found: f) ...)``); empty if none."""
    found = _ERROR_MESSAGE.search(text)
    if found is None:
        return ""  # e.g. conflicting values of a complete rule: the engine says no more than ``<error>``
    start = found.end()
    return text[start:start + int(found.group(1))]


def answer(interpreter: Any, bundle: Any | None = None, query: str | None = None) -> Any:
    """The value bound to ``x`` by ``bundle`` (or by the text ``query``, ``x = ...``) over the interpreter's
    input; None when undefined. ``RuntimeFailure`` with the engine's message when evaluation fails. Reads
    the engine's answer itself: regopy's ``Output`` raises a JSON error on an error tree (an unknown
    function, a failing built-in) instead of reporting it."""
    try:
        impl = rego_bundle_query(interpreter._impl, bundle._impl) if bundle is not None \
            else rego_query(interpreter._impl, query or "")
    except regopy.RegoError as exc:
        raise RuntimeFailure(str(exc)) from None
    try:
        # a failed output has no text to read (reading it crashes the engine): only an error tree has one
        text = rego_output_string(impl) if rego_output_ok(impl) else "(error)"
    finally:
        rego_free_output(impl)
    if text.startswith("(error"):
        raise RuntimeFailure(_error_message(text) or _NO_MESSAGE)
    return _bound(text)


def _init(sources: Sources) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the engine's own prints must not reach the parent's stdout
    _worker["sources"] = sources
    _worker["engines"] = {}


def _run_chunk(args: tuple[str, list[tuple[Query, Any]], int]) -> Outcome:
    package, inputs, offset = args
    engines: dict[str, Engine] = _worker["engines"]
    if package not in engines:
        engines[package] = Engine(_worker["sources"], package)
    return engines[package].run(inputs, offset)




def can_fork() -> bool:
    """Whether batches can go to worker processes here: two or more cores and ``fork``."""
    return cores() >= 2 and "fork" in multiprocessing.get_all_start_methods()


def evaluate_here(sources: Sources, package: str, inputs: list[tuple[Query, Any]]) -> Outcome:
    """Evaluate in this process (small batches: starting workers would cost more)."""
    return Engine(sources, package).run(inputs)


def cores() -> int:
    """The cores this process may use (at most 8 workers are started)."""
    return min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8)


class Workers:
    """``size`` forked worker processes evaluating batches in the background while the caller goes
    on; each compiles a package's bundles on first use. ``close`` ends them."""

    CHUNK = 100
    """Inputs per task at most, so that batches submitted one after another share the workers."""

    def __init__(self, sources: Sources, size: int) -> None:
        self.size = size
        self.pool = multiprocessing.get_context("fork").Pool(self.size, _init, (sources,))

    def submit(self, package: str, inputs: list[tuple[Query, Any]]) -> Callable[[], Outcome]:
        """Start evaluating ``inputs``; the returned function waits for the ``Outcome``. A batch of a
        few inputs (the blueprint package: one large input per environment) goes one per task."""
        size = 1 if len(inputs) <= 4 * self.size else max(1, min(self.CHUNK, -(-len(inputs) // self.size)))
        chunks = [(package, inputs[i:i + size], i) for i in range(0, len(inputs), size)]
        pending = self.pool.map_async(_run_chunk, chunks)

        def outcome() -> Outcome:
            out: list[list[VerdictTuple]] = []
            for part in pending.get():
                if isinstance(part, Failure):
                    return part
                out += part
            return out
        return outcome

    def close(self) -> None:
        """Stop the workers (any evaluation still running is abandoned)."""
        self.pool.terminate()
        self.pool.join()
