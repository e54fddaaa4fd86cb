"""Organisation policies in Rego, evaluated with ``regopy`` (rego-cpp), conftest conventions.

``load_policies`` reads every ``*.rego`` file of the policy folders (``*_test.rego`` only for
``buttress policy test``), compiles one bundle per package queried (``blueprint``, ``main``) once,
and turns parse errors into located ``BlueprintError``s. ``PolicySet.evaluate`` runs one
package over a batch of inputs with the compiled bundle, caching verdicts by (policy digest,
engine version, package, input digest) so an unchanged input is never evaluated twice; the
policy digest covers the files' exact bytes only, not the path they were named by. Rules named
``deny``/``violation`` (and ``deny_*``, ``violation_*``) yield errors, ``warn``/``warn_*``
warnings, in every shape conftest accepts (``rego_batch.rule_results``). Called by ``app.check``
and ``app.policy_test``; with ``rego_batch`` and ``rego_worker``, the only modules importing the engine.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regopy

from buttress.errors import BlueprintError, Problem
from buttress.model.suggest import closest
from buttress.policy import rego_cache
from buttress.policy.findings import Severity
from buttress.policy.rego_batch import (
    PARALLEL_MIN,
    Failure,
    Outcome,
    Query,
    RuntimeFailure,
    Workers,
    answer,
    can_fork,
    cores,
    evaluate_here,
    input_term,
    rule_severity,
)
from buttress.policy.rego_rewrite import classic_sets, unsafe_heads, unsupported_calls, utc_times
from buttress.policy.rego_scope import Node, Rule, conflicts_possible, member_local, projection, rules_of
from buttress.secrets import redact_text

PACKAGES = ("blueprint", "main")
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
_PLAIN_PACKAGE = re.compile(r"^\s*package\s+[A-Za-z_][\w.]*[ \t]*(?:#[^\n]*)?$", re.MULTILINE)
"""A package line the scope analysis reads (not ``package a["b"]`` or ``package a .b``)."""
_UNKNOWN_FUNCTION = re.compile(r"Function not found: ([A-Za-z_][\w.]*)")
"""rego-cpp's message for a call of a function that is neither a built-in nor defined."""
_RULE_HEAD = re.compile(r"^((?:deny|violation|warn|test)_?\w*)\b", re.MULTILINE)
SCOPE_VERSION = "5"
"""Bumped when ``rego_scope`` changes what it keeps of an input: part of every verdict's cache key."""
SPLIT_KEY, SPLIT_SIZE = "modules", 50
"""A ``package blueprint`` input whose rules read its modules one at a time (``rego_scope.member_local``)
is evaluated in parts of this many modules: rego-cpp takes 2.5x less time over 1,000 modules in
parts of 50 than whole, the parts spread over the workers, and an unchanged part is cached."""
_ERROR_AT = re.compile(r"^-- (?P<file>.+?):(?P<line>\d+):(?P<col>\d+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class RegoFile:
    """One policy file: where it is, how messages name it, its text and package."""

    path: Path
    display: str
    source: str
    package: str
    sha256: str = ""
    """The digest of the file's exact bytes."""

    def position(self, offset: int) -> tuple[int, int]:
        """The 1-based line and column of ``offset`` in the source."""
        return self.source.count("\n", 0, offset) + 1, offset - self.source.rfind("\n", 0, offset)

    def line_of(self, rule: str) -> int:
        """The line where ``rule`` is first defined (1 if not found)."""
        m = re.search(rf"^{re.escape(rule)}\b", self.source, re.MULTILINE)
        return self.source.count("\n", 0, m.start()) + 1 if m else 1


@dataclass(frozen=True)
class Verdict:
    """One message of one rule for one input."""

    rule: str
    severity: Severity
    message: str
    module: str | None = None
    """The module a structured result (``{"msg": ..., "module": ...}``) names."""


@contextmanager
def _capture_fd1() -> Iterator[list[str]]:
    """Redirect file descriptor 1 (where rego-cpp prints parse errors) into the yielded list."""
    sys.stdout.flush()
    saved = os.dup(1)
    captured: list[str] = []
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 1)
        try:
            yield captured
        finally:
            os.dup2(saved, 1)
            os.close(saved)
            tmp.seek(0)
            captured.append(tmp.read().decode(errors="replace"))


def _parse_problems(text: str, files: list[RegoFile]) -> list[Problem]:
    """Located problems from rego-cpp's printed error report."""
    problems = []
    seen = set()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        m = _ERROR_AT.match(line)
        if m and m.group("file"):
            message = lines[i - 1].strip() if i > 0 else "Rego syntax error"
            if (m.group("file"), m.group("line"), message) in seen:
                continue  # rego-cpp may report one mistake at two columns of a line
            seen.add((m.group("file"), m.group("line"), message))
            problems.append(Problem(m.group("file"), int(m.group("line")), int(m.group("col")),
                                    f"Rego: {message}"))
    problems = _innermost_unclosed(problems)
    if not problems:
        first = files[0].display if files else "policies"
        detail = next((ln.strip() for ln in lines if ln.strip() and not ln.startswith(("Errors", "--"))), "")
        problems.append(Problem(first, 1, 1, f"Rego policies do not compile{': ' + detail if detail else ''}"))
    return problems


_UNCLOSED = "Rego: this is unclosed"


def _innermost_unclosed(problems: list[Problem]) -> list[Problem]:
    """Of the brackets rego-cpp reports unclosed in one file, the last opened: an unclosed ``[`` also leaves
    its rule's ``{`` and the file's package group open, and those are no mistakes of their own."""
    last: dict[str, Problem] = {}
    for p in problems:
        if p.message == _UNCLOSED and (p.file not in last or (p.line, p.column) > (last[p.file].line, last[p.file].column)):
            last[p.file] = p
    return [p for p in problems if p.message != _UNCLOSED or last[p.file] is p]


def policy_paths(folder: Path, *, tests: bool) -> list[Path]:
    """The Rego files a ``policies.rego`` entry names: every ``*.rego`` file under a folder (sorted),
    or the one file; with or without ``*_test.rego`` files. Also what ``release create --server`` sends."""
    paths = sorted(p for p in folder.rglob("*.rego") if p.is_file()) if folder.is_dir() else [folder]
    return [p for p in paths if tests or not p.name.endswith("_test.rego")]


def read_policy_files(folders: list[tuple[Path, str]], *, tests: bool) -> list[RegoFile]:
    """Every ``*.rego`` file under the folders (sorted), with or without ``*_test.rego`` files."""
    out = []
    for folder, display in folders:
        for path in policy_paths(folder, tests=tests):
            raw = path.read_bytes()
            source = utc_times(classic_sets(raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")))
            shown = display if path == folder else str(Path(display) / path.relative_to(folder))
            m = _PACKAGE.search(source)
            if m is None:
                raise BlueprintError([Problem(shown, 1, 1, "Rego file has no package declaration")])
            out.append(RegoFile(path, shown, source, m.group(1), hashlib.sha256(raw).hexdigest()))
    return out


def input_key(value: Any, salt: str = "") -> tuple[str, int]:
    """A digest of one input document (canonical JSON) after ``salt``, and the JSON's length."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(salt.encode() + text.encode()).hexdigest(), len(text)



def _verdict_row(row: Any) -> Verdict:
    """A verdict from a saved ``[rule, severity, message, module]`` row; ValueError if malformed."""
    if not isinstance(row, list) or len(row) != 4:
        raise ValueError("not a verdict row")
    rule, severity, message, module = row
    if not (isinstance(rule, str) and severity in ("error", "warning") and isinstance(message, str)
            and (module is None or isinstance(module, str)) and rule_severity(rule) == severity):
        raise ValueError("not a verdict row")
    return Verdict(rule, "error" if severity == "error" else "warning", redact_text(message), module)  # an older cache


@dataclass
class PolicySet:
    """Compiled organisation policies; evaluate a package over many inputs."""

    files: list[RegoFile]
    digest: str
    _bundles: dict[str, Any] = field(default_factory=dict, repr=False)
    _cache: dict[str, list[Verdict]] = field(default_factory=dict, repr=False)
    _used: set[str] = field(default_factory=set, repr=False)
    _scopes: dict[str, tuple[Node, list[Rule] | None]] = field(default_factory=dict, repr=False)
    _by_kind: dict[tuple[str, Any], list[Rule]] = field(default_factory=dict, repr=False)
    _splits: dict[str, bool] = field(default_factory=dict, repr=False)
    _workers: Workers | None = field(default=None, repr=False)
    _pending: dict[str, Callable[[], None]] = field(default_factory=dict, repr=False)
    """Keys submitted for evaluation whose verdicts are not stored yet -> what stores them."""
    evaluations: int = 0
    """Inputs evaluated by the engine (cache misses), for benchmarks and tests."""

    @property
    def packages(self) -> set[str]:
        """Packages declared by the policy files."""
        return {f.package for f in self.files}

    def rules(self) -> dict[str, tuple[RegoFile, int]]:
        """``<package>.<rule>`` -> (file, line) for every deny_/violation_/warn_ rule."""
        out: dict[str, tuple[RegoFile, int]] = {}
        for f in self.files:
            for m in _RULE_HEAD.finditer(f.source):
                if rule_severity(m.group(1)):
                    out.setdefault(f"{f.package}.{m.group(1)}", (f, f.source.count("\n", 0, m.start()) + 1))
        return out

    def _bundle(self, package: str) -> Any:
        if package not in self._bundles:
            interp = _interpreter(self.files)
            with _capture_fd1() as out:
                try:
                    self._bundles[package] = interp.build(f"x = data.{package}", [])
                except regopy.RegoError:
                    self._bundles[package] = None
            if self._bundles[package] is None:
                raise BlueprintError(_parse_problems("".join(out), self.files))
        return self._bundles[package]

    def _sources(self, package: str) -> tuple[list[str], list[str]]:
        """The sources of ``package`` (with its subpackages, which its document holds) and the others."""
        def inside(f: RegoFile) -> bool:
            return f.package == package or f.package.startswith(package + ".")
        return [f.source for f in self.files if inside(f)], [f.source for f in self.files if not inside(f)]

    def scope(self, package: str) -> tuple[Node, list[Rule] | None]:
        """What of an input the policies can read, and the package's deny/violation/warn rule
        definitions with what each needs to apply (None: any may apply to anything; so when a
        subpackage adds to the package's document or a helper may fail with conflicting values);
        see ``rego_scope``."""
        if package not in self._scopes:
            mine = self._sources(package)[0]
            everything = [f.source for f in self.files]
            subpackages = any(f.package.startswith(package + ".") for f in self.files)
            plain = all(_PLAIN_PACKAGE.search(f.source) for f in self.files)
            rules = None if subpackages or not plain or conflicts_possible(everything, rule_severity) \
                else rules_of(mine, rule_severity)
            self._scopes[package] = (projection(everything) if plain else Node(True), rules)
        return self._scopes[package]

    def _query(self, package: str, value: Any) -> Query:
        """The rules to ask the engine for ``value`` (``()`` when none can apply)."""
        rules = self.scope(package)[1]
        if rules is None:
            return None
        kind = value.get("kind") if isinstance(value, dict) else None
        if not isinstance(kind, str):
            kind = None
        candidates = self._by_kind.get((package, kind))
        if candidates is None:
            candidates = self._by_kind[(package, kind)] = [
                r for r in rules if r.bodies is None or any(b.kinds is None or kind in b.kinds for b in r.bodies)]
        names = {r.name for r in candidates if r.admits(value)}
        if not names:
            return ()
        if all(r.partial_set for r in rules if r.name in names):
            return tuple(sorted(names))
        return None

    def _parts(self, package: str, value: Any) -> list[Any]:
        """``value`` split into parts of ``SPLIT_SIZE`` modules (in name order) when the package's rules
        read the modules one at a time; else ``[value]``."""
        members = value.get(SPLIT_KEY) if isinstance(value, dict) else None
        if not isinstance(members, dict) or len(members) <= SPLIT_SIZE:
            return [value]
        if package not in self._splits:
            mine, others = self._sources(package)
            self._splits[package] = self.scope(package)[1] is not None and member_local(
                package, mine, others, rule_severity, SPLIT_KEY)
        if not self._splits[package]:
            return [value]
        names = sorted(members)
        return [{**value, SPLIT_KEY: {n: members[n] for n in names[i:i + SPLIT_SIZE]}}
                for i in range(0, len(names), SPLIT_SIZE)]

    def evaluate(self, package: str, inputs: list[Any]) -> list[list[Verdict]]:
        """The verdicts of every rule of ``package`` for each input, in input order (``submit`` and wait)."""
        opened = self._workers is None
        try:
            return self.submit(package, inputs)()
        finally:
            if opened:
                self.close()

    def submit(self, package: str, inputs: list[Any]) -> Callable[[], list[list[Verdict]]]:
        """Start evaluating ``package`` over ``inputs``; the returned function waits for the verdicts
        of every rule for each input, in input order. Call ``close`` when done submitting.
        Workers take every core, the caller's too: measured on 2 cores, a worker per core finishes
        a 1,000-module check sooner than leaving the caller a core of its own.

        An input no rule can apply to gets none without the engine; the others are cut down to
        what the policies read (``rego_scope``), split into parts when the rules allow it, and
        looked up in the cache (same policy digest, same projected part); the rest go to the engine
        asking only for the rules that can apply — in the background on worker processes when the
        batch is large or workers already run, so the caller can go on rendering and checking.
        """
        if not self._sources(package)[0]:
            return lambda: [[] for _ in inputs]
        keep = self.scope(package)[0]
        salt = f"{self.digest}\0{rego_cache.engine_version()}\0{SCOPE_VERSION}\0{package}\0"
        keys: list[list[str]] = []
        missing: dict[str, tuple[Query, Any]] = {}
        size = 0
        for value in inputs:
            keys.append([])
            for part in self._parts(package, value):
                query = self._query(package, part)
                if query == ():
                    continue
                projected = keep.project(part)
                key, length = input_key(projected, salt)
                keys[-1].append(key)
                self._used.add(key)
                if key not in self._cache and key not in missing and key not in self._pending:
                    missing[key] = (query, projected)
                    size += length
        if missing:
            self._bundle(package)  # compile errors surface here, located
            values = list(missing.values())
            sources = [(f.display, f.source) for f in self.files]
            if self._workers is None and size >= PARALLEL_MIN and can_fork():
                self._workers = Workers(sources, cores())
            if self._workers is not None:
                outcome = self._workers.submit(package, values)
                # a later batch holding one of these inputs (another environment's identical object)
                # waits for this evaluation instead of starting its own
                self._pending.update(dict.fromkeys(missing, functools.cache(
                    lambda: self._store(package, missing, outcome()))))
            else:
                with _capture_fd1():  # the engine's own prints (conflicting keys) must not reach stdout
                    here = evaluate_here(sources, package, values)
                self._store(package, missing, here)

        def verdicts() -> list[list[Verdict]]:
            for parts in keys:  # this batch's, and an earlier batch's that holds one of its parts
                for key in parts:
                    if key in self._pending:
                        self._pending[key]()
                    elif key not in self._cache:
                        raise RuntimeError("the policy set was closed before these verdicts were collected")
            return [self._cache[parts[0]] if len(parts) == 1 else _united(self._cache[k] for k in parts)
                    for parts in keys]
        return verdicts

    def _store(self, package: str, missing: dict[str, tuple[Query, Any]], outcome: Outcome) -> None:
        """Cache an evaluation's verdicts (once: a second call finds them stored)."""
        if all(key in self._cache for key in missing):
            return
        if isinstance(outcome, Failure):
            value = list(missing.values())[outcome.position][1]
            raise BlueprintError([self._runtime_problem(package, value, outcome.message)])
        for key in missing:
            self._pending.pop(key, None)
        self.evaluations += len(missing)
        for key, found in zip(missing, outcome, strict=True):
            # a message may interpolate a secret-looking input value: never shown, never cached
            self._cache[key] = [Verdict(r, "error" if s == "error" else "warning", redact_text(m), mod)
                                for r, s, m, mod in found]

    def close(self) -> None:
        """Stop the worker processes ``submit`` started, if any (evaluations not waited for are dropped)."""
        self._pending.clear()
        if self._workers is not None:
            self._workers.close()
            self._workers = None

    @property
    def cache_changed(self) -> bool:
        """Whether saving the cache would change it: new verdicts, or entries this run did not use."""
        return self.evaluations > 0 or len(self._cache) != len(self._used)

    def export_cache(self, limit: int | None = None) -> dict[str, list[list[str | None]]]:
        """The verdicts of the inputs this run evaluated or looked up (at most ``limit``), to persist.

        Keys are digests of (policy digest, engine version, package, input); entries loaded from
        an earlier run but not used by this one are left out, so the cache does not only grow.
        """
        keys = sorted(k for k in self._used if k in self._cache)[:limit]
        return {k: [[v.rule, v.severity, v.message, v.module] for v in self._cache[k]] for k in keys}

    def import_cache(self, data: Any) -> None:
        """Load verdicts saved by ``export_cache``; malformed entries are ignored."""
        if not isinstance(data, dict):
            return
        for key, rows in data.items():
            if not (isinstance(key, str) and len(key) == 64 and isinstance(rows, list)):
                continue
            try:
                self._cache[key] = [_verdict_row(row) for row in rows]
            except ValueError:
                continue

    def _runtime_problem(self, package: str, value: Any, message: str) -> Problem:
        """Where evaluating ``package`` over ``value`` fails, with the engine's ``message``: the call of an
        unknown function, else the first deny/violation/warn rule that fails on ``value``."""
        mine = [f for f in self.files if f.package == package or f.package.startswith(package + ".")]
        unknown = _UNKNOWN_FUNCTION.match(message)
        if unknown:
            call = re.compile(rf"(?<![\w.]){re.escape(unknown.group(1))}\s*\(")
            for f in mine:
                found = call.search(f.source)
                if found:
                    return Problem(f.display, *f.position(found.start()), f"Rego: unknown function {unknown.group(1)}: neither a "
                                                            "built-in nor a function the policies define")
        interp = _interpreter(self.files)
        interp.set_input_term(input_term(value))
        for name, (f, line) in sorted(self.rules().items()):
            if f.package != package:
                continue
            with _capture_fd1():
                try:
                    answer(interp, query=f"x = data.{name}")
                except RuntimeFailure as exc:
                    rule = name.split(".", 1)[1]
                    why = f": {exc}" if str(exc) else " (e.g. conflicting values of a complete rule, or a failing built-in)"
                    return Problem(f.display, line, 1, f"Rego runtime error in rule {rule}{why}")
        first = mine[0] if mine else self.files[0]
        return Problem(first.display, 1, 1, f"Rego runtime error while evaluating package {package}"
                                            + (f": {message}" if message else ""))


def _united(parts: Iterable[list[Verdict]]) -> list[Verdict]:
    """The verdicts of an input evaluated in parts: each once, sorted (sets, as the engine's are)."""
    return sorted({v for part in parts for v in part}, key=lambda v: (v.rule, v.message, v.module or ""))


def _interpreter(files: list[RegoFile]) -> Any:
    interp = regopy.Interpreter()
    with _capture_fd1() as out:
        try:
            for f in files:
                interp.add_module(f.display, f.source)
            ok = True
        except regopy.RegoError:
            ok = False
    if not ok:
        raise BlueprintError(_parse_problems("".join(out), files))
    return interp


def load_policies(folders: list[tuple[Path, str]], *, tests: bool = False) -> PolicySet | None:
    """Read and compile the policy folders (path, display name); None when they hold no policy."""
    files = read_policy_files(folders, tests=tests)
    if not files:
        return None
    hasher = hashlib.sha256()
    for f in files:
        hasher.update(f.sha256.encode() + b"\0")  # the bytes only: not the path they were named by
    policy = PolicySet(files, hasher.hexdigest())
    _interpreter(files)  # compile now: syntax errors surface before any evaluation
    misspelt = [_misspelt_package(f) for f in files]
    refused = [p for p in misspelt if p is not None] + [p for f in files for p in _unsupported(f) + _unsafe(f)]
    if refused:
        raise BlueprintError(refused)
    return policy


def _unsupported(f: RegoFile) -> list[Problem]:
    """A call of a built-in the engine cannot evaluate (``rego_rewrite.UNSUPPORTED``), located."""
    out = []
    for name, offset in unsupported_calls(f.source):
        out.append(Problem(f.display, *f.position(offset), f"Rego: {name} is not available in the Rego engine buttress runs "
                                                    "(rego-cpp, through regopy): it would be undefined, and this rule "
                                                    "would never fire"))
    return out


def _unsafe(f: RegoFile) -> list[Problem]:
    """A set rule whose variable its body never binds (``rego_rewrite.unsafe_heads``), located."""
    return [Problem(f.display, *f.position(offset), f"Rego: var {var} is unsafe: the rule's body never binds it, so "
                    "the rule could never produce a value (OPA refuses it)") for var, offset in unsafe_heads(f.source)]


def _misspelt_package(f: RegoFile) -> Problem | None:
    """A one-word package named like ``blueprint`` or ``main`` but neither (``blueprnt``): its rules would
    never run, silently. Other packages (helper libraries such as ``lib.k8s``, subpackages, test packages
    such as ``blueprint_test``) are fine."""
    if "." in f.package or f.package in PACKAGES or f.package.endswith("_test"):  # opa's test-package style
        return None
    hint = closest(f.package, PACKAGES)
    if hint is None:
        return None
    m = _PACKAGE.search(f.source)
    where = f.position(m.start(1)) if m else (1, 1)
    return Problem(f.display, *where, f"Rego: package {f.package} is neither blueprint nor main, so its rules never "
                                      f"run; did you mean {hint!r}?")
