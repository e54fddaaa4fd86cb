"""'Did you mean' hints for misspelt keys and names, used by every located error."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word`` when one is close enough (or equal but for case), else None."""
    options = sorted(set(choices))
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return close[0]
    lowered = {c.lower(): c for c in options}
    return lowered.get(word.lower())


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` ; did you mean 'max'?`` when a choice is close to ``word``, else an empty string."""
    match = closest(word, choices)
    return f"; did you mean {match!r}?" if match else ""
