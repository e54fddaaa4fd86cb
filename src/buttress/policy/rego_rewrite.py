"""A source rewrite that lets Rego unit tests run on rego-cpp: ``input`` becomes a data document.

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


def rewrite_input(source: str) -> str:
    """``source`` with ``input`` references pointed at ``data.buttress_test_input``."""
    return _TOKENS.sub(lambda m: INPUT_DOCUMENT if m.group("input") else m.group(0), source)
