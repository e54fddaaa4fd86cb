"""Source rewrites that let Rego written for OPA run on rego-cpp with OPA's meaning.

``classic_sets``: rego-cpp reads a classic partial-set head without ``contains`` (``images[img] { ... }``,
``deny[msg] { ... }``, the style of most conftest libraries) as a partial object whose values are
``true``, so a helper set iterated with ``images[_]`` yields ``true`` instead of its members, and a
file mixing the two styles conflicts. Such heads are written as ``images contains img if { ... }``, what
they mean in OPA (line numbers kept). Applied to every policy file ``policy.rego`` reads.

``utc_times``: rego-cpp's ``time.parse_rfc3339_ns`` is undefined for a time ending in ``Z`` (it parses
``+00:00``), so its argument goes through ``regex.replace(..., "[Zz]$", "+00:00")``, the same instant.

``unsupported_calls``: built-ins rego-cpp evaluates to undefined whatever their arguments (the
``net.cidr_*`` family) or that a hermetic check must not call (``http.send``, DNS lookups): a rule
using one would never fire, silently, so ``policy.rego`` refuses them, located.

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


_RFC3339 = re.compile(r"(?<![\w.])time\.parse_rfc3339_ns[ \t]*\(")


def utc_times(source: str) -> str:
    """``source`` with each ``time.parse_rfc3339_ns(arg)`` reading ``Z`` as ``+00:00``."""
    masked = _masked(source)
    out, done = [], 0
    for m in _RFC3339.finditer(masked):
        end = _closing(masked, m.end() - 1)
        if end is None or m.start() < done:
            continue
        out += [source[done:m.end()], "regex.replace(", source[m.end():end], ', "[Zz]$", "+00:00")']
        done = end
    return "".join(out) + source[done:]


UNSUPPORTED = ("net.cidr_contains", "net.cidr_contains_matches", "net.cidr_expand", "net.cidr_intersects",
               "net.cidr_is_valid", "net.cidr_merge", "net.lookup_ip_addr", "http.send")
_UNSUPPORTED_CALL = re.compile(r"(?<![\w.])(" + "|".join(re.escape(n) for n in UNSUPPORTED) + r")[ \t]*\(")


def unsupported_calls(source: str) -> list[tuple[str, int]]:
    """Each call of an ``UNSUPPORTED`` built-in outside strings and comments: (name, offset)."""
    return [(m.group(1), m.start()) for m in _UNSUPPORTED_CALL.finditer(_masked(source))]


def rewrite_input(source: str) -> str:
    """``source`` with ``input`` references pointed at ``data.buttress_test_input``."""
    return _TOKENS.sub(lambda m: INPUT_DOCUMENT if m.group("input") else m.group(0), source)


_SET_HEAD = re.compile(r"(?m)^[ \t]*[A-Za-z_]\w*[ \t]+contains[ \t]+(?P<var>[A-Za-z_]\w*)[ \t]+if\b[ \t]*")
_LITERALS = frozenset({"true", "false", "null"})


def unsafe_heads(source: str) -> list[tuple[str, int]]:
    """Each partial-set head whose variable its body never mentions (``deny contains msg if { input.x }``):
    (variable, offset). OPA refuses such a rule ("var msg is unsafe"); rego-cpp leaves it undefined, so the
    rule would silently never fire. Classic heads are in this form once ``classic_sets`` has run."""
    masked = _masked(source)
    out = []
    for m in _SET_HEAD.finditer(masked):
        var = m["var"]
        if var in _LITERALS:
            continue
        if masked[m.end():m.end() + 1] == "{":
            end = _closing(masked, m.end())
            body = masked[m.end():end] if end is not None else None
        else:  # a one-line body: to the end of the line
            line_end = masked.find("\n", m.end())
            body = masked[m.end():line_end if line_end >= 0 else len(masked)]
        if body is not None and re.search(rf"(?<![\w.]){re.escape(var)}\b", body) is None:
            out.append((var, m.start("var")))
    return out
