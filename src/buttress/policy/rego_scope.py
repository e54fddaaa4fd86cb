"""What of an input a Rego policy set can see, and which rules can fire for it — read from the source.

rego-cpp costs a fixed ~0.1 ms per query, ~20 us per rule evaluated, and time in proportion to the
input's size, so ``PolicySet.evaluate`` asks the engine less, without changing any verdict:

- **Projection.** Every reference to ``input`` is followed through the sources (all packages, since a
  helper anywhere may read it), including variables iterating over part of it (``some c in
  input.spec.containers``, ``m := input.modules[name]``: every member is kept, as far as the variable
  is read), and the input is cut down to the paths referenced; wherever ``input`` or such a
  variable is used other than through a literal path (passed to a function, compared whole,
  unified with ``=``, ``with input``, ``import input``), the whole subtree, or the whole input, is
  kept. A reference can only read what is kept, so every rule sees the same values.
- **Applicability.** A ``deny``/``violation``/``warn`` rule body whose top-level literal compares
  ``input.kind`` with constants (``input.kind == "Service"``, ``input.kind in {...}`` or a constant set
  of the package that the rule does not shadow), or starts with a reference to an ``input`` path
  (``input.spec.type == ...``, ``some c in input.spec.template.spec.containers``), cannot succeed for
  an input of another kind or without that path: in Rego an expression over an undefined reference
  is undefined. An input no rule body can apply to has no verdict and is not evaluated; for the
  others only the rules that can apply are queried, when they are all partial set rules (always
  defined). Anything not understood — ``else``, ``default``, bodies without braces, ref heads —
  counts as "may apply"; subpackages (which add to the package's document) and helpers that may
  fail with conflicting values (a complete rule or function defined twice: the error must surface
  for every input) turn applicability off.
- **Splitting** (``member_local``): a blueprint input whose rules read its modules one at a time is
  evaluated in parts, and the results united.

Errors: a helper that may yield conflicting values (defined twice, or its value one of several
solutions) turns skipping off, so that conflict errors surface as the engine reports them. A
built-in failing at run time surfaces for every input that is evaluated; for an input no rule
can apply to the engine is not run, so such a failure, which could not change a verdict, is not
reported for it. Sources the tokenizer cannot read with confidence — a line break where rego-cpp
may continue the expression, two statements on one line, ``input`` rebound — are "not understood".

Conservative by construction: what is not recognised keeps more of the input or more rules;
``tests/policy/test_policy_rego_scope*.py`` compare every verdict with the engine's over whole
inputs, including the cases an adversarial review found against an earlier version. Called by
``policy.rego`` only; pure text analysis, no engine.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

_TOKEN = re.compile(r"""
    (?P<space>[ \t\r]+) | (?P<comment>\#[^\n]*) | (?P<newline>\n)
  | (?P<string>"(?:\\.|[^"\\\n])*") | (?P<raw>`[^`]*`)
  | (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>:=|==|!=|<=|>=|[{}\[\]().,;|=<>+\-*/%&:])
""", re.VERBOSE)
STAR = "*"
"""A path segment standing for every key or index (``[_]``, ``[var]``)."""
_COMPARE = frozenset(["==", "!=", "<", ">", "<=", ">=", "=", "in"])
_OPEN, _CLOSE = frozenset("{[("), frozenset("}])")
_KEYWORDS = frozenset(["some", "every", "not", "with", "as", "in", "if", "contains", "else", "default",
                       "package", "import", "true", "false", "null"])


class _Opaque(Exception):
    """The sources use a construct this analysis does not follow."""


@dataclass(frozen=True)
class Token:
    """One lexical token: its class (``name``, ``string``, ``op``, ...), text and depth of nesting."""

    kind: str
    text: str
    depth: int


_CONTINUES_AFTER = frozenset([":=", "==", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "%", "&", "|", ",",
                              ".", ":", ";", "not", "in", "with", "as", "some", "every", "contains", "if", "else",
                              "default"])
_CONTINUES_BEFORE = frozenset([":=", "==", "!=", "<=", ">=", "=", "<", ">", "+", "-", "*", "/", "%", "&", "|", ",",
                               ".", ":", "with", "as", "in", "else"])
_BODY_AFTER = frozenset(["if", "else", "]", ")", "}"])


def tokens(source: str) -> list[Token]:
    """The tokens of a Rego source, comments and spaces dropped, line breaks kept (they end literals).

    Raises ``_Opaque`` where a line break directly inside a rule body (or between statements) may
    not end an expression — the line ends with an operator or keyword, or the next starts with one
    (rego-cpp carries the expression over) — and where ``input`` is bound or shadowed."""
    out: list[Token] = []
    depth, pos = 0, 0
    bodies: list[bool] = []  # per open bracket: whether it is a rule (or every) body
    breaks: list[int] = []  # indices of line breaks that would end a literal
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        if m is None:
            raise _Opaque
        pos = m.end()
        kind = m.lastgroup or ""
        if kind in ("space", "comment"):
            continue
        text = m.group()
        if kind == "op" and text in _CLOSE:
            depth -= 1
            if bodies:
                bodies.pop()
        if kind == "newline" and (not bodies or bodies[-1]):
            breaks.append(len(out))
        out.append(Token("string" if kind == "raw" else kind, text, depth))
        if kind == "op" and text in _OPEN:
            before = out[-2] if len(out) > 1 else None
            bodies.append(text == "{" and before is not None and (
                before.text in _BODY_AFTER or (before.kind == "name" and before.text not in _KEYWORDS)))
            depth += 1
    for i in breaks:
        prev = next((t for t in reversed(out[:i]) if t.kind != "newline"), None)
        following = next((t for t in out[i + 1:] if t.kind != "newline"), None)
        if (prev is not None and prev.text in _CONTINUES_AFTER and prev.kind != "string") or (
                following is not None and following.text in _CONTINUES_BEFORE and following.kind != "string"):
            raise _Opaque
    for i, tok in enumerate(out):
        if tok.text == "input" and tok.kind == "name" and i + 1 < len(out) and out[i + 1].text in (":=", "=", "]", ","):
            raise _Opaque  # ``input := ...``, ``deny[input]``, ``[input, x] := ...``: input rebound
    return out


def _literal_key(tok: Token) -> str | None:
    """The key a ``"string"`` token names (raw strings included)."""
    if tok.kind != "string":
        return None
    text = tok.text
    if text.startswith("`"):
        return text[1:-1]
    value = json.loads(text)
    return value if isinstance(value, str) else None


def _chain(toks: list[Token], i: int) -> tuple[list[str], int]:
    """The path of the reference starting at ``toks[i]`` (a root name) and the index after it.

    ``.name`` and ``["key"]`` give named segments; any other bracketed term gives ``STAR``.
    """
    path: list[str] = []
    j = i + 1
    while j < len(toks):
        tok = toks[j]
        if tok.text == "." and j + 1 < len(toks) and toks[j + 1].kind == "name":
            path.append(toks[j + 1].text)
            j += 2
        elif tok.text == "[" and tok.kind == "op":
            end = _closing(toks, j)
            inner = toks[j + 1:end]
            key = _literal_key(inner[0]) if len(inner) == 1 else None
            path.append(key if key is not None else STAR)
            j = end + 1
        else:
            break
    return path, j


def _closing(toks: list[Token], i: int) -> int:
    """The index of the bracket closing the one at ``toks[i]``."""
    depth = toks[i].depth
    for j in range(i + 1, len(toks)):
        if toks[j].kind == "op" and toks[j].text in _CLOSE and toks[j].depth == depth:
            return j
    raise _Opaque


def _is_root(toks: list[Token], i: int) -> bool:
    """Whether the name at ``i`` starts a reference (is not a field after a dot)."""
    return i == 0 or toks[i - 1].text != "."


# Projection --------------------------------------------------------------------------------------


@dataclass
class Node:
    """A tree of input paths to keep: ``whole`` keeps everything below, else only the children."""

    whole: bool = False
    children: dict[str, Node] = field(default_factory=dict)

    def add(self, path: Iterable[str], whole: bool) -> None:
        """Keep ``path`` (and, if ``whole``, everything below it)."""
        node = self
        for seg in path:
            if node.whole:
                return
            node = node.children.setdefault(seg, Node())
        node.whole = node.whole or whole

    def merged(self, other: Node | None) -> Node:
        """A node keeping what either keeps."""
        if other is None or other is self:
            return self
        if self.whole or other.whole:
            return Node(True)
        keys = dict.fromkeys([*self.children, *other.children])
        return Node(False, {k: self.children[k].merged(other.children.get(k)) if k in self.children
                            else other.children[k] for k in keys})

    def project(self, value: Any) -> Any:
        """``value`` cut down to the kept paths."""
        if self.whole or not isinstance(value, (dict, list)):
            return value
        star = self.children.get(STAR)
        if isinstance(value, list):
            node = star or Node()
            for seg, child in self.children.items():
                if seg != STAR:
                    node = node.merged(child)
            return [node.project(v) for v in value]
        if star is None:
            return {k: c.project(value[k]) for k, c in self.children.items() if k in value}
        return {k: star.merged(self.children.get(k)).project(v) for k, v in value.items()}


def _declared(toks: list[Token], i: int) -> bool:
    """Whether the name at ``i`` is declared by a ``some``/``every`` list (``some k, v in ...``)."""
    j = i - 1
    while j >= 0 and (toks[j].text == "," or (toks[j].kind == "name" and toks[j].text not in _KEYWORDS)):
        j -= 1
    return j >= 0 and toks[j].text in ("some", "every") and j < i


_ENDS = frozenset(["\n", ";", "}", "{"])
"""What may follow the collection of a binding (``{`` opens an ``every`` body)."""


def _binding_at(toks: list[Token], i: int) -> tuple[str, int] | None:
    """When ``toks[i]`` starts the collection of a binding — ``some [k,] v in REF`` / ``every [k,] v in
    REF`` or ``v := REF[...]`` inside a rule body, ending the literal — the bound variable and the
    index after REF; else None. (``v = REF[...]`` may compare a ``v`` bound elsewhere: not a binding.)"""
    if toks[i].kind != "name" or i < 2:
        return None
    path, end = _chain(toks, i)
    if end < len(toks) and toks[end].text not in _ENDS:
        return None
    before = toks[i - 1].text
    if before == "in" and toks[i - 2].kind == "name" and _declared(toks, i - 2):
        return toks[i - 2].text, end
    if (before == ":=" and path and path[-1] == STAR and toks[i - 2].kind == "name"
            and toks[i - 2].depth > 0 and _is_root(toks, i - 2)
            and (i < 3 or toks[i - 3].text in ("\n", ";", "{"))):
        return toks[i - 2].text, end
    return None


def _aliases(streams: list[list[Token]]) -> dict[str, list[list[str]]]:
    """Variables bound to members of ``input`` -> the paths they stand for (``STAR`` for the member).

    A binding (``_binding_at``) over an ``input`` reference or one through another such variable.
    Names are not scoped per rule: a name bound this way anywhere stands for all its paths
    everywhere, which only keeps more.
    """
    bindings: list[tuple[str, str, list[str]]] = []  # (variable, root, path + STAR)
    for toks in streams:
        for i in range(len(toks)):
            found = _binding_at(toks, i)
            if found is not None:
                path, _ = _chain(toks, i)
                bindings.append((found[0], toks[i].text, path + ([] if toks[i - 1].text == ":=" else [STAR])))
    aliases: dict[str, list[list[str]]] = {}
    for _ in range(16):
        changed = False
        for var, root, path in bindings:
            bases = [[]] if root == "input" else aliases.get(root, [])
            for base in bases:
                full = base + path
                if full not in aliases.setdefault(var, []):
                    aliases[var].append(full)
                    changed = True
        if not changed:
            return {v: p for v, p in aliases.items() if p}
    raise _Opaque


def projection(sources: list[str]) -> Node:
    """The paths of ``input`` the sources can read (a ``whole`` root when not understood)."""
    try:
        streams = [tokens(s) for s in sources]
        aliases = _aliases(streams)
        keep = Node()
        for toks in streams:
            for i, tok in enumerate(toks):
                if tok.kind != "name" or not _is_root(toks, i):
                    continue
                if tok.text in ("import", "with") and i + 1 < len(toks) and toks[i + 1].text == "input":
                    raise _Opaque
                roots = [[]] if tok.text == "input" else aliases.get(tok.text)
                if roots is None:
                    continue
                path, end = _chain(toks, i)
                after = toks[end].text if end < len(toks) else "\n"
                if not path and tok.text != "input" and (
                        (after in ("in", ",") and _declared(toks, i))
                        or (after == ":=" and end + 1 < len(toks) and _binding_at(toks, end + 1))):
                    continue  # the variable's own declaration or binding reads nothing
                binding = _binding_at(toks, i)
                # a collection iterated by ``some``/``every`` keeps every member (its keys are read)
                member = [STAR] if binding is not None and toks[i - 1].text == "in" else []
                for root in roots:
                    keep.add(root + path + member, whole=binding is None)
        return keep
    except _Opaque:
        return Node(True)


# Applicability -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Body:
    """What one rule body needs of its input: a kind among ``kinds`` (None: any) and these paths defined."""

    kinds: frozenset[str] | None
    paths: tuple[tuple[str, ...], ...]

    def admits(self, value: Any) -> bool:
        """Whether the body can succeed for ``value``."""
        if not isinstance(value, dict):
            return self.kinds is None and not self.paths
        kind = value.get("kind")
        if self.kinds is not None and (not isinstance(kind, str) or kind not in self.kinds):
            return False
        return all(_defined(value, path) for path in self.paths)


def _defined(value: Any, path: tuple[str, ...]) -> bool:
    for seg in path:
        if not isinstance(value, dict) or seg not in value:
            return False
        value = value[seg]
    return True


@dataclass(frozen=True)
class Rule:
    """One definition of a deny/violation/warn rule: its name, whether its value is a set (always
    defined, so it can be queried by name), and its bodies (None: may apply to anything)."""

    name: str
    partial_set: bool
    bodies: tuple[Body, ...] | None

    def admits(self, value: Any) -> bool:
        """Whether the rule may yield a result for ``value``."""
        return self.bodies is None or any(b.admits(value) for b in self.bodies)


def _statements(toks: list[Token]) -> list[list[Token]]:
    """Top-level statements: runs of tokens starting at a depth-0 token that begins a line (line
    breaks inside brackets kept, for splitting bodies into literals); a line starting with ``}``,
    ``else`` or ``{`` (another body of the same rule) continues the statement."""
    out: list[list[Token]] = []
    line_start = True
    previous: Token | None = None
    for tok in toks:
        if tok.depth == 0 and (tok.text == ";" or (
                previous is not None and previous.text == "}" and previous.depth == 0
                and tok.kind == "name" and tok.text not in ("else", "if"))):
            raise _Opaque  # two statements on one line
        previous = tok
        if tok.kind == "newline":
            if out and tok.depth > 0:
                out[-1].append(tok)
            line_start = True
            continue
        if tok.depth == 0 and line_start and tok.text not in ("else", "}", "{"):
            out.append([])
        if out:
            out[-1].append(tok)
        line_start = False
    return out


def _strings(items: list[Token]) -> frozenset[str] | None:
    """The strings of ``"a", "b", ...`` (line breaks ignored), or None when it holds anything else."""
    items = [t for t in items if t.kind != "newline"]
    values = [_literal_key(t) for t in items[::2]]
    if any(v is None for v in values) or any(t.text != "," for t in items[1::2]):
        return None
    return frozenset(v for v in values if v is not None)


def _constant_sets(statements: list[list[Token]]) -> dict[str, frozenset[str]]:
    """Names defined once, as ``NAME := {"a", "b"}`` or ``NAME = ["a", "b"]``, -> their strings."""
    out: dict[str, frozenset[str] | None] = {}
    for st in statements:
        if st[0].kind != "name" or st[0].text in _KEYWORDS:
            continue
        name, value = st[0].text, None
        if len(st) >= 4 and st[1].text in (":=", "=") and st[2].text in ("{", "[") and _closing(st, 2) == len(st) - 1:
            value = _strings(st[3:-1])
        out[name] = value if name not in out else None
    return {k: v for k, v in out.items() if v is not None}


def _body(literals: list[list[Token]], constants: dict[str, frozenset[str]]) -> Body:
    kinds: frozenset[str] | None = None
    paths: list[tuple[str, ...]] = []
    for lit in literals:
        if not lit or any(t.text == "with" for t in lit) or lit[0].text in ("not", "every", "default"):
            continue
        start = 0
        if lit[0].text == "some":
            idx = next((k for k, t in enumerate(lit) if t.text == "in" and t.depth == lit[0].depth), None)
            if idx is None:
                continue
            start = idx + 1
        if start >= len(lit) or lit[start].text != "input":
            continue
        path, end = _chain(lit, start)
        named = tuple(_named_prefix(path))
        if start and end != len(lit):
            continue  # ``some v in input.x <more>``: not a plain collection
        if named:
            paths.append(named)
        if start == 0 and path == ["kind"] and end < len(lit) and lit[end].text in ("==", "=", "in"):
            rest = lit[end + 1:]
            found = _constants_of(rest, constants) if lit[end].text == "in" else (
                frozenset([k]) if len(rest) == 1 and (k := _literal_key(rest[0])) is not None else None)
            if found is not None:
                kinds = found if kinds is None else kinds & found
    return Body(kinds, tuple(paths))


def _named_prefix(path: list[str]) -> list[str]:
    out = []
    for seg in path:
        if seg == STAR:
            break
        out.append(seg)
    return out


def _constants_of(rest: list[Token], constants: dict[str, frozenset[str]]) -> frozenset[str] | None:
    if len(rest) == 1 and rest[0].kind == "name":
        return constants.get(rest[0].text)
    if len(rest) >= 2 and rest[0].text in ("{", "[") and _closing(rest, 0) == len(rest) - 1:
        return _strings(rest[1:-1])
    return None


def _rule(st: list[Token], constants: dict[str, frozenset[str]]) -> Rule:
    names = Counter(t.text for t in st if t.kind == "name")
    constants = {k: v for k, v in constants.items() if names[k] <= 1}  # else bound in the rule: shadowed
    name = st[0].text
    ref_head = len(st) > 1 and st[1].text == "."
    top = st[0].depth
    partial_set = (len(st) > 1 and st[1].text == "contains") or (
        len(st) > 1 and st[1].text == "[" and _closing(st, 1) + 1 < len(st)
        and st[_closing(st, 1) + 1].text in ("{", "if"))
    if ref_head or any(t.text in ("else", "default") and t.depth == top for t in st):
        return Rule(name, False, None)
    bodies: list[Body] = []
    i = 1
    while i < len(st):
        tok = st[i]
        if tok.text == "{" and tok.depth == top and (st[i - 1].text in ("if", "]", ")", "}") or (
                st[i - 1].kind == "name" and st[i - 1].text not in _KEYWORDS)):
            end = _closing(st, i)
            literals: list[list[Token]] = [[]]
            for t in st[i + 1:end]:
                if t.depth == top + 1 and t.text in ("\n", ";"):
                    literals.append([])
                else:
                    literals[-1].append(t)
            bodies.append(_body(literals, constants))
            i = end + 1
        elif tok.text == "if" and tok.depth == top and (i + 1 >= len(st) or st[i + 1].text != "{"):
            return Rule(name, partial_set, None)  # ``if <expression>`` without braces
        else:
            i += 1
    return Rule(name, partial_set, tuple(bodies) if bodies else None)


def _imported(statements: list[list[Token]]) -> set[str]:
    """Names an ``import`` binds (``import data.lib.kinds`` -> ``kinds``; ``... as k`` -> ``k``);
    ``_Opaque`` for an import ending otherwise (``import data.lib["kinds"]``)."""
    imports = [st for st in statements if st[0].text == "import"]
    if any(st[-1].kind != "name" for st in imports):
        raise _Opaque
    return {st[-1].text for st in imports}


def _single_valued(st: list[Token]) -> bool:
    """Whether a rule or function statement yields at most one value for an input (so it cannot fail
    with conflicting values): a partial set; a rule or function whose value is ``true`` (no ``:=``
    or ``=`` in the head) or a literal; or, without a body, a value that iterates nothing."""
    if _rule(st, {}).partial_set:
        return True
    top = st[0].depth
    head_end = next((i for i, t in enumerate(st) if t.depth == top and (
        t.text == "if" or (t.text == "{" and i > 0 and st[i - 1].text in ("]", ")"))
        or (t.text == "{" and i > 0 and st[i - 1].kind == "name" and st[i - 1].text not in _KEYWORDS))), len(st))
    head = st[:head_end]
    eq = next((i for i, t in enumerate(head) if t.depth == top and t.text in (":=", "=")), None)
    if eq is None:
        return True
    value = head[eq + 1:]
    if head_end < len(st):  # a body: the value may be any of its solutions
        return len(value) == 1 and (value[0].kind in ("string", "number") or value[0].text in ("true", "false", "null"))
    for j, t in enumerate(value):
        if t.text == "[" and j > 0 and (value[j - 1].kind == "name" or value[j - 1].text in ("]", ")")):
            inner = value[j + 1:_closing(value, j)]
            if not (len(inner) == 1 and inner[0].kind in ("string", "number")):
                return False  # ``input.vals[_]``: one value per member
    return True


def conflicts_possible(sources: list[str], is_rule: Any) -> bool:
    """Whether a helper may fail with conflicting values: a complete rule, function or partial object
    other than a deny/violation/warn rule that may yield several values, or is defined more than
    once. Then every input is evaluated with the whole package, so that the error surfaces."""
    try:
        complete: Counter[str] = Counter()
        for source in sources:
            for st in _statements(tokens(source)):
                if st[0].kind != "name" or st[0].text in _KEYWORDS or is_rule(st[0].text):
                    continue
                if not _single_valued(st):
                    return True
                if not _rule(st, {}).partial_set:  # a complete rule or function: two definitions may conflict
                    complete[st[0].text] += 1
        return any(n > 1 for n in complete.values())
    except _Opaque:
        return True


def rules_of(sources: list[str], is_rule: Any) -> list[Rule] | None:
    """Every definition of a rule ``is_rule(name)`` accepts in the sources (one package's files);
    None when a source cannot be read by this analysis (then every rule may apply to everything)."""
    try:
        per_file = [_statements(tokens(source)) for source in sources]
        constants = _constant_sets([st for statements in per_file for st in statements])
        out: list[Rule] = []
        for statements in per_file:
            imported = _imported(statements)
            visible = {k: v for k, v in constants.items() if k not in imported}
            for st in statements:
                if st[0].text == "default" and len(st) > 1 and is_rule(st[1].text):
                    out.append(Rule(st[1].text, False, None))  # defined for every input
                elif st[0].kind == "name" and st[0].text not in _KEYWORDS and is_rule(st[0].text):
                    out.append(_rule(st, visible))
        return out
    except _Opaque:
        return None


# Splitting ---------------------------------------------------------------------------------------


def _binder(toks: list[Token], i: int) -> str | None:
    """How the reference at ``i`` is bound when it is a binding's collection: ``some``, ``every``,
    ``:=`` or ``=``; else None."""
    if _binding_at(toks, i) is None:
        return None
    before = toks[i - 1].text
    if before != "in":
        return before
    j = i - 2
    while toks[j].text not in ("some", "every"):
        j -= 1
    return toks[j].text


def _member_refs(toks: list[Token], key: str) -> list[tuple[int, list[str]]]:
    """Every ``input`` reference under ``input[key]``, a wildcard ``input[_]`` or ``input`` itself: (index, path)."""
    out = []
    for i, tok in enumerate(toks):
        if tok.text == "input" and _is_root(toks, i):
            path, _ = _chain(toks, i)
            if path[:1] in ([key], [STAR], []):
                out.append((i, path))
    return out


def _reads_rules(toks: list[Token], package: str, rules: set[str]) -> bool:
    """Whether the tokens name one of ``rules`` other than as a statement's head, or reach into the
    package's documents through ``data`` (``data.<package>``, ``data[...]``, ``data`` whole)."""
    first = package.split(".", maxsplit=1)[0]
    for i, tok in enumerate(toks):
        if tok.kind != "name":
            continue
        if tok.text in rules and not (i == 0 or (toks[i - 1].kind == "newline" and tok.depth == 0)):
            return True
        if tok.text == "data" and _is_root(toks, i):
            after = toks[i + 1] if i + 1 < len(toks) else None
            if after is None or after.text != "." or (i + 2 < len(toks) and toks[i + 2].text == first):
                return True
    return False


def member_local(package: str, package_sources: list[str], other_sources: list[str], is_rule: Any,
                 key: str) -> bool:
    """Whether the package's rules read ``input[key]`` (a mapping) one member at a time, so that
    evaluating the input split into parts of that mapping, and uniting the results, gives the
    results of the whole: every deny/violation/warn rule is a partial set (results unite); only
    they read ``input[key]`` (no helper rule, function or other package) and no rule reads another
    (a count of another rule's results would count one part); and each does so once, as a
    top-level ``some k, v in input.<key>`` or ``v := input.<key>[k]`` of its body — no ``every``,
    no comprehension, no second member to compare with, no count of members.
    """
    try:
        if projection([*package_sources, *other_sources]).whole:
            return False
        if conflicts_possible([*package_sources, *other_sources], is_rule):
            return False
        streams = [tokens(source) for source in package_sources]
        rules = {st[0].text for toks in streams for st in _statements(toks)
                 if st[0].kind == "name" and st[0].text not in _KEYWORDS and is_rule(st[0].text)}
        for source in other_sources:
            toks = tokens(source)
            if _member_refs(toks, key) or _reads_rules(toks, package, rules):
                return False
        for toks in streams:
            if _reads_rules(toks, package, rules):
                return False
            for st in _statements(toks):
                if st[0].text == "default" and len(st) > 1 and is_rule(st[1].text):
                    return False  # a complete rule, defined for every part
                refs = _member_refs(st, key)
                severity = st[0].kind == "name" and st[0].text not in _KEYWORDS and is_rule(st[0].text)
                if severity and not _rule(st, {}).partial_set:
                    return False
                if not refs:
                    continue
                if not severity or len(refs) > 1:
                    return False
                [(i, path)] = refs
                binder = _binder(st, i)
                top = st[i].depth == 1
                if not (top and ((binder == "some" and path == [key]) or (binder == ":=" and path == [key, STAR]))):
                    return False
        return True
    except _Opaque:
        return False
