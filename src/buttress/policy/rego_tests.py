"""``buttress policy test DIR``: run the ``test_*`` rules of the folder's Rego files as ``opa test`` does.

A test passes when its rule evaluates to true; a ``todo_*`` rule is a test skipped. Policies are compiled in-process first so that
syntax errors come back located (exit 2); the tests then run in a child process
(``policy.rego_worker``), and again one by one if the engine crashed, so a crash marks only its
test as an error. ``input`` is rewritten to a data document first (see ``policy.rego_rewrite``).
Called by ``buttress policy test``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from buttress.errors import BlueprintError, Problem
from buttress.policy.rego import RegoFile, load_policies
from buttress.policy.rego_rewrite import rewrite_input

_TEST_HEAD = re.compile(r"^((?:test|todo)_\w+)\b", re.MULTILINE)


@dataclass(frozen=True)
class TestResult:
    """The outcome of one ``test_*`` rule."""

    name: str
    """``data.<package>.<rule>``"""
    file: str
    line: int
    status: str
    """``pass``, ``fail``, ``error`` or ``skip`` (a ``todo_*`` rule)."""
    detail: str = ""


def discover(files: list[RegoFile]) -> list[tuple[RegoFile, str, int]]:
    """Every ``test_*`` and ``todo_*`` rule of the files (``opa test`` reads every file, not only
    ``*_test.rego``): (file, rule, line), each once."""
    seen: set[tuple[str, str]] = set()
    out = []
    for f in files:
        for m in _TEST_HEAD.finditer(f.source):
            key = (f.package, m.group(1))
            if key not in seen:
                seen.add(key)
                out.append((f, m.group(1), f.source.count("\n", 0, m.start()) + 1))
    return out


def _run_child(files: list[RegoFile], queries: list[str]) -> list[dict[str, Any]] | None:
    request = {"files": [{"display": f.display, "source": rewrite_input(f.source)} for f in files],
               "queries": queries}
    proc = subprocess.run([sys.executable, "-m", "buttress.policy.rego_worker"], input=json.dumps(request),
                          capture_output=True, text=True, timeout=300, check=False)
    if proc.returncode != 0:
        return None
    results: list[dict[str, Any]] = json.loads(proc.stdout)
    return results


def run_tests(folder: Path, display: str) -> list[TestResult]:
    """Run every test under ``folder``; ``BlueprintError`` if the policies do not compile."""
    if not folder.is_dir():
        raise BlueprintError([Problem(display, 1, 1, "not a folder of Rego policies")])
    policies = load_policies([(folder, display)], tests=True)
    if policies is None:
        return []
    found = discover(policies.files)
    skipped = [TestResult(f"data.{f.package}.{rule}", f.display, line, "skip") for f, rule, line in found
               if rule.startswith("todo_")]
    tests = [t for t in found if t[1].startswith("test_")]
    queries = [f"data.{f.package}.{rule}" for f, rule, _ in tests]
    results = _run_child(policies.files, queries) if queries else []
    if results is None:  # the engine crashed: isolate the test that crashes it
        results = [(_run_child(policies.files, [q]) or [{"crashed": True}])[0] for q in queries]
    out = []
    for (f, _, line), query, result in zip(tests, queries, results, strict=True):
        if result.get("crashed"):
            out.append(TestResult(query, f.display, line, "error", "the Rego engine crashed evaluating this test"))
        elif not result["ok"]:
            why = result.get("error")
            out.append(TestResult(query, f.display, line, "error", f"runtime error: {why}" if why else "runtime error"))
        else:
            passed = result["value"] is True
            out.append(TestResult(query, f.display, line, "pass" if passed else "fail",
                                  "" if passed else f"evaluated to {json.dumps(result['value'])}"))
    return sorted(out + skipped, key=lambda r: (r.file, r.line))


def timed(folder: Path, display: str) -> tuple[list[TestResult], float]:
    """``run_tests`` and its wall time in seconds."""
    started = time.monotonic()
    results = run_tests(folder, display)
    return results, time.monotonic() - started
