"""Source rewrites that let Rego written for OPA run on rego-cpp with OPA's meaning.

``classic_sets``: rego-cpp reads a classic partial-set head without ``contains`` (``images[img] { ... }``,
``deny[msg] { ... }``, the style of most conftest libraries) as a partial object whose values are
``true``, so a helper set iterated with ``images[_]`` yields ``true`` instead of its members, and a
file mixing the two styles conflicts. Such heads are written as ``images contains img if { ... }``, what
they mean in OPA (line numbers kept). Applied to every policy file ``policy.rego`` reads.

``rewrite_input``: ``input`` becomes a data document, for unit tests.

regopy 1.5.2 crashes the process when a rule that calls a built-in (``sprintf``, ``concat``, ...)
is evaluated under ``with input as ...`` — the form nearly every conftest unit test uses — while
``with data.<path> as ...`` works. For ``buttress policy test`` only, every ``input`` reference
outside strings and comments is renamed to ``data.buttress_test_input`` (line and column numbers
of everything else are kept), which has the same meaning in tests. Called by ``policy.rego_tests``.
"""

from __future__ import annotations

import re

INPUT_DOCUMENT = "data.buttress_test_input"
_TOKENS = re.compile(r'(?P<string>"(?:\\.|[^"\\\n])*")|(?P<raw>`[^`]*`)|(?P<comment>#[^\n]*)'
                     r"|(?P<input>(?<![\w.])input\b)")


_HEAD_START = re.compile(r"^[ \t]*(?P<name>[A-Za-z_]\w*)\[", re.MULTILINE)
_OPEN, _CLOSE = "[({", "])}"


def _masked(source: str) -> str:
    """``source`` with strings, raw strings and comments blanked (same length, line breaks kept)."""
    def blank(m: re.Match[str]) -> str:
        return m.group(0) if m.group("input") else re.sub(r"[^\n]", " ", m.group(0))
    return _TOKENS.sub(blank, source)


def _closing(text: str, start: int) -> int | None:
    """The index of the bracket closing the one at ``start`` in masked ``text``, or None."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] in _OPEN:
            depth += 1
        elif text[i] in _CLOSE:
            depth -= 1
            if depth == 0:
                return i
    return None


def classic_sets(source: str) -> str:
    """``source`` with each classic partial-set head (``name[key] {``, the key on one line or several, the
    head at the start of a line) written with ``contains`` and ``if``. An object rule (``name[k] = v {``),
    a v1 head (``if``) and anything inside strings or comments are left as they are."""
    masked = _masked(source)
    out, done = [], 0
    for m in _HEAD_START.finditer(masked):
        if m.start() < done:
            continue
        bracket = m.end() - 1
        end = _closing(masked, bracket)
        if end is None:
            continue
        after = end + 1
        while after < len(masked) and masked[after] in " \t":
            after += 1
        if after >= len(masked) or masked[after] != "{":
            continue  # = value, := value, if, contains: not a classic set head
        out += [source[done:m.start("name")], f"{m['name']} contains {source[bracket + 1:end]} if",
                source[end + 1:after]]
        done = after
    return "".join(out) + source[done:]


def rewrite_input(source: str) -> str:
    """``source`` with ``input`` references pointed at ``data.buttress_test_input``."""
    return _TOKENS.sub(lambda m: INPUT_DOCUMENT if m.group("input") else m.group(0), source)
