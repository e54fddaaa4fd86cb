"""Process settings for a batch run of buttress (a command, a benchmark): not for the server.

``tune()`` raises the cyclic garbage collector's thresholds (as mypy does): a render or check of a
large blueprint builds millions of small dicts that live until the end, and the default thresholds
walk them again and again — measured, about half of a 1,000-module Kubernetes render
(``docs/performance.md``). Reference counting still frees everything that is not in a cycle.
Called by ``cli.main.run`` for every command but ``serve``, and by the benchmarks.
"""

from __future__ import annotations

import gc

GC_THRESHOLD = (200_000, 30, 30)


def tune() -> None:
    """Apply the batch settings to this process."""
    gc.set_threshold(*GC_THRESHOLD)
