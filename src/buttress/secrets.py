"""Secret detection: known token patterns and high-entropy strings.

``looks_secret(text)`` returns *why* a value looks like a secret (``"a GitHub token"``), never the
value, so that no caller can echo it; ``redact(message)`` replaces quoted secret-looking values in a
diagnostic, ``redact_text`` those in free text, ``redact_value`` those in plain data shown to a user.
Pure, below every layer: called by the ``secret-inline`` control (``policy.catalog.supply_chain``), by
``errors.Problem`` (so that no problem message — on the command line, through the server or the Python
API — ever carries a secret), by the Rego verdicts and waivers every report shows, and by ``app.diff``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from typing import Any

_QUOTED = re.compile(r"'([^']{8,})'|\"([^\"]{8,})\"")
"""A value quoted in a diagnostic, in single or double quotes (``repr`` of a string holding ``'``)."""

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx))
    for name, rx in (
        ("a GitHub token", r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,})"),
        ("an AWS access key id", r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
        ("a Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
        ("a Slack token", r"\bxox[abposr]-[0-9A-Za-z-]{10,}"),
        ("a Stripe key", r"\b[rs]k_(live|test)_[0-9A-Za-z]{16,}"),
        ("an OpenAI-style API key", r"\bsk-[A-Za-z0-9_-]{20,}"),
        ("a private key", r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
        ("a JSON web token", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
        ("a URL with a password", r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@"),
        # NAME=value where the name ends in a word naming a secret (REGISTRY_PASSWORD=...); not ``secrets: ...``
        # or ``tokenizer: ...`` (other words), nor a reference such as ``vault://...``
        # (after a space, as prose writes "token: refreshed hourly", only a value that is not a plain word)
        ("a password assignment", r"(?i)\b(?:\w*[_-])?(password|passwd|pwd|secret|token|api[_-]?key|credentials?)"
                                  r"\s*[=:](?:(?![\w+.-]*://)\S{6,}|\s+(?![\w+.-]*://)(?-i:(?![a-z]+\b))\S{6,})"),
    )
)

_SECRET_NAME = re.compile(r"(?i)(password|passwd|secret(?:[_-]?key)?|token|api[_-]?key|private[_-]?key|credential)s?"
                          r"(?![a-z])")
"""A word naming a secret, ending a word of the name (``DB_PASSWORD``, ``apiToken``; not ``TOKENIZER``)."""
_ABOUT_A_SECRET = frozenset({"file", "path", "dir", "mount", "location", "header", "name", "ref", "field", "param",
                             "env", "var", "endpoint", "host", "issuer", "audience", "ttl", "length", "expiry",
                             "type", "algorithm", "rotation", "provider"})
"""Last words of a name that is *about* a secret rather than holding one (``DB_PASSWORD_FILE``,
``API_KEY_HEADER``, ``TOKEN_TTL``): its value is judged by its own look only."""
_NAME_WORD = re.compile(r"[A-Za-z0-9]+")
_REFERENCE = re.compile(r"\$\([A-Za-z_][A-Za-z0-9_]*\)")
"""A value that only names a variable as Kubernetes expands it in env and args (``$(API_TOKEN)``): no secret
itself. ``$NAME`` and ``${NAME}`` are not expanded there, so they may be a secret's first characters."""
_CANDIDATE = re.compile(r"[A-Za-z0-9+/_=.-]{20,}")
ENTROPY_BITS = 4.0
"""Shannon entropy (bits per character) above which a long mixed string looks random; hex tops out near 4.0."""


def entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


_SEPARATORS = re.compile(r"[/._=+-]")
_LONGEST_RUN = 16
"""Random tokens (base64 or hex keys) hold a run of at least this many characters between separators; paths,
Java options and versioned names (``-Dfile.encoding=UTF-8``, ``risk-models/FraudModel/v12``) do not."""


def _random_looking(token: str) -> bool:
    classes = sum(bool(re.search(rx, token)) for rx in (r"[a-z]", r"[A-Z]", r"[0-9]"))
    return (classes == 3 and entropy(token) > ENTROPY_BITS
            and max(len(run) for run in _SEPARATORS.split(token)) >= _LONGEST_RUN)


@lru_cache(maxsize=65536)
def looks_secret(text: str, *, name: str | None = None, entropy_check: bool = True) -> str | None:
    """Why ``text`` looks like a secret, or None. ``name`` (e.g. an env var name) raises suspicion."""
    for reason, pattern in _PATTERNS:
        if pattern.search(text):
            return reason
    if entropy_check:
        for token in _CANDIDATE.findall(text):
            if _random_looking(token):
                return "a high-entropy string"
    if (name is not None and _names_a_secret(name) and len(text) >= 8 and " " not in text and "://" not in text
            and not _REFERENCE.fullmatch(text)):
        return f"a value for {name}, which names a secret"
    return None


def _names_a_secret(name: str) -> bool:
    """Whether ``name`` (an env var, a command-line flag) names a secret value, not something about one."""
    words = _NAME_WORD.findall(name)
    return bool(_SECRET_NAME.search(name)) and not (len(words) > 1 and words[-1].lower() in _ABOUT_A_SECRET)


def redact(message: str) -> str:
    """Replace every quoted value in ``message`` that looks like a secret: diagnostics never echo one."""
    def quoted(m: re.Match[str]) -> str:
        value, quote = (m.group(1), "'") if m.group(1) is not None else (m.group(2), '"')
        return f"{quote}{REDACTED}{quote}" if looks_secret(value) else m.group(0)
    return _QUOTED.sub(quoted, message)


REDACTED = "<redacted>"


_RANDOM_WORD = re.compile(r"[A-Za-z0-9+=]{24,}")
"""A long run without separators: free text's names (``Job/backfill-0e9ec367``, ``rbac.authorization.k8s.io``)
have separators; random tokens have none."""


def redact_text(text: str) -> str:
    """``text`` (free text: a Rego message, a waiver's reason, a key path) with every part that looks like a
    secret replaced by ``<redacted>``: a known token format, a value assigned to a name that names a secret,
    a long random-looking run of letters and digits. URLs, ticket links, object names and paths stay."""
    for _, pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return _RANDOM_WORD.sub(lambda m: REDACTED if _random_looking(m.group(0)) else m.group(0), text)


def redact_value(value: Any, name: str | None = None) -> Any:
    """``value`` (plain data, e.g. a rendered object's field) with every string that looks like a
    secret replaced by ``<redacted>``; an env entry's ``name`` raises suspicion of its ``value``.
    For output that shows rendered values (``buttress diff``)."""
    if isinstance(value, str):
        return REDACTED if looks_secret(value, name=name) else value
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, dict):
        label = value.get("name") if isinstance(value.get("name"), str) else None
        return {key: redact_value(item, label if key == "value" else None) for key, item in value.items()}
    return value
