"""A child process that evaluates Rego queries, so that an engine crash cannot take buttress down.

rego-cpp (through ``regopy``) can abort the process on some constructs in tests. The test runner
(``policy.rego_tests``) sends ``{"files": [{"display", "source"}], "queries": [...]}`` on stdin
and reads ``[{"ok": bool, "value": ...}]`` from stdout. Not for direct use.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import regopy

from buttress.policy.rego_batch import RuntimeFailure, answer


def evaluate(files: list[dict[str, str]], queries: list[str]) -> list[dict[str, Any]]:
    """Each query's outcome against the given modules."""
    interp = regopy.Interpreter()
    for f in files:
        interp.add_module(f["display"], f["source"])
    out: list[dict[str, Any]] = []
    for query in queries:
        try:
            out.append({"ok": True, "value": answer(interp, query=f"x = {query}")})
        except RuntimeFailure as exc:
            out.append({"ok": False, "value": None, "error": str(exc)})
    return out


def main() -> None:
    """Read one request from stdin, write the results to stdout."""
    request = json.load(sys.stdin)
    real_stdout = os.dup(1)
    os.dup2(2, 1)  # the engine prints diagnostics on fd 1; keep the result channel clean
    results = evaluate(request["files"], request["queries"])
    os.write(real_stdout, json.dumps(results).encode())


if __name__ == "__main__":
    main()
