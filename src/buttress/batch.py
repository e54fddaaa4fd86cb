"""Process settings for a batch run of buttress (a command, a benchmark): not for the server.

``tune()`` raises the cyclic garbage collector's thresholds (as mypy does): a render or check of a
large blueprint builds millions of small dicts that live until the end, and the default thresholds
walk them again and again — measured, about half of a 1,000-module Kubernetes render
(``docs/performance.md``). Reference counting still frees everything that is not in a cycle.
Called by ``cli.main.run`` for every command but ``serve``, and by the benchmarks.

``exit_now(code)`` ends such a run without tearing the heap down object by object (mypy does this too):
the output is flushed, every file was closed by its ``with``, and worker processes were stopped by
their owners; freeing a large render's millions of objects one at a time would only add ~0.1 s.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys

GC_THRESHOLD = (200_000, 30, 30)


def tune() -> None:
    """Apply the batch settings to this process."""
    gc.set_threshold(*GC_THRESHOLD)


def exit_now(code: int) -> None:
    """Flush stdout and stderr, then end the process with ``code`` at once (no interpreter teardown). A
    reader that has gone by the final flush (``buttress history | head``) changes nothing here."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # closed by the reader, or already closed
            pass
        except OSError as exc:  # the output could not be written (a full disk): the command did not succeed
            with contextlib.suppress(OSError, ValueError):
                sys.stderr.write(f"error: cannot write the output: {exc.strerror or exc}\n")
                sys.stderr.flush()
            code = code or 2
    os._exit(code)
