"""The machine's speed right now, as a number to print beside a benchmark's: this project's machines vary
by ±25% from one minute to the next (docs/performance.md), so a figure means more next to this one.

``reference_seconds()`` times a fixed pure-Python loop (20 million additions) in this process: about
0.7 s on a quiet machine of the project's kind. Called by the benchmarks that report against a target.
"""

from __future__ import annotations

import time


def reference_seconds() -> float:
    """Seconds a fixed pure-Python loop takes here now."""
    start = time.perf_counter()
    total = 0
    for i in range(20_000_000):
        total += i
    assert total == 199_999_990_000_000
    return time.perf_counter() - start
