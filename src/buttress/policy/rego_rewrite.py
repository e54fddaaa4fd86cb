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


_CLASSIC_SET = re.compile(r"^(?P<name>[A-Za-z_]\w*)\[(?P<key>[^\n]+)\](?P<gap>[ \t]*)\{", re.MULTILINE)
"""A rule head ``name[key] {`` at the start of a line: a partial set in OPA (an object rule has ``= value``,
a v1 one ``if``)."""


def classic_sets(source: str) -> str:
    """``source`` with each classic partial-set head written with ``contains`` and ``if``."""
    return _CLASSIC_SET.sub(lambda m: f"{m['name']} contains {m['key']} if{m['gap']}{{", source)


def rewrite_input(source: str) -> str:
    """``source`` with ``input`` references pointed at ``data.buttress_test_input``."""
    return _TOKENS.sub(lambda m: INPUT_DOCUMENT if m.group("input") else m.group(0), source)
