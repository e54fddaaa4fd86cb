"""Value types of the blueprint language, each parsed from its text with a clear error.

Quantities (``250m``, ``2Gi``), durations (``150ms``, ``28d``), percentages (``99.95%``), rates
(``2500rps``), semantic versions and npm-style ranges, cron expressions, DNS-1123 names and
secret references. The spec models use them as field types; renderers, controls and capacity
planning read their parsed values. Every type keeps the user's text as ``str(value)``.

Host names (``HostName``), networks (``Cidr``) and ``env`` values (``PlainValue``) stay plain
``str``/scalars, because renderers write them into manifests as they are; they are only checked.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_core import core_schema


class _Text:
    """A value parsed from text; subclasses set ``pattern_hint`` and implement ``parse``."""

    pattern_hint: ClassVar[str] = ""
    json_pattern: ClassVar[str | None] = None
    accepts_numbers: ClassVar[bool] = False
    text: str

    @classmethod
    def parse(cls, text: str) -> Self:
        raise NotImplementedError

    @classmethod
    def validate(cls, value: Any) -> Self:
        if isinstance(value, cls):
            return value
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError(f"expected {cls.pattern_hint}")
        if not isinstance(value, str):
            if not cls.accepts_numbers:
                raise ValueError(f"expected {cls.pattern_hint}; quote it if it is meant as text")
            value = number_text(value)
        return _parse_cached(cls, value.strip())  # type: ignore[arg-type, return-value]

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.validate, serialization=core_schema.plain_serializer_function_ser_schema(str)
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler) -> dict[str, Any]:
        out: dict[str, Any] = {"type": ["string", "number"] if cls.accepts_numbers else "string",
                               "description": cls.pattern_hint}
        if cls.json_pattern:
            out["pattern"] = cls.json_pattern
        return out

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.text!r})"


def number_text(value: int | float) -> str:
    """A YAML number as text: a whole float as its integer (``5e8`` -> ``500000000``), else ``%g``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        return str(int(value))
    return format(value, "g") if isinstance(value, float) else str(value)


@lru_cache(maxsize=8192)
def _parse_cached(cls: type[_Text], text: str) -> _Text:
    """Values repeat across modules and environments; parsed values are immutable, so share them."""
    return cls.parse(text)


_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1), "k": Decimal(10**3),
            "M": Decimal(10**6), "G": Decimal(10**9), "T": Decimal(10**12), "P": Decimal(10**15), "E": Decimal(10**18)}
_QUANTITY = re.compile(r"([+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|([eE][+-]?[0-9]+))?")
"""Kubernetes' quantity grammar: a number, then a binary or decimal SI suffix or a decimal exponent."""
_QUANTITY_MAX = Decimal(2**63 - 1)
"""The largest quantity Kubernetes holds (an int64 of base units)."""


@dataclass(frozen=True, repr=False)
class Quantity(_Text):
    """A Kubernetes resource quantity; ``amount`` is in base units (cores, bytes)."""

    text: str
    amount: Decimal
    pattern_hint: ClassVar[str] = "a Kubernetes quantity such as 250m, 1.5, 512Mi or 2Gi"
    json_pattern: ClassVar[str | None] = (r"^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)"
                                          r"(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$")
    accepts_numbers: ClassVar[bool] = True

    @classmethod
    def parse(cls, text: str) -> Quantity:
        m = _QUANTITY.fullmatch(text)
        if not m:
            raise ValueError(f"{text!r} is not {cls.pattern_hint}")
        number, suffix, exponent = m.group(1), m.group(2) or "", m.group(3)
        power = int(exponent[1:]) if exponent else 0
        scale = Decimal(10) ** power if exponent else Decimal(_BINARY[suffix]) if suffix in _BINARY else _DECIMAL[suffix]
        amount = Decimal(number) * scale if abs(power) <= 18 else _QUANTITY_MAX + 1  # no huge powers computed
        if amount > _QUANTITY_MAX:
            raise ValueError(f"{text!r} is out of range: Kubernetes quantities reach about 9.2E (2^63 - 1)")
        return cls(text, amount)


_DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION_MAX = 36500 * 86400.0
"""The longest duration accepted (100 years): retentions of years fit, and arithmetic stays finite."""
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)")


@dataclass(frozen=True, repr=False)
class Duration(_Text):
    """A duration such as ``150ms``, ``10m``, ``24h``, ``28d`` or ``1h30m``."""

    text: str
    seconds: float
    pattern_hint: ClassVar[str] = "a duration such as 150ms, 30s, 10m, 24h or 28d"
    json_pattern: ClassVar[str | None] = r"^([0-9]+(\.[0-9]+)?(ms|s|m|h|d|w))+$"

    @classmethod
    def parse(cls, text: str) -> Duration:
        pos, total = 0, 0.0
        for m in _DURATION_PART.finditer(text):
            if m.start() != pos:
                break
            total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
            pos = m.end()
        if pos != len(text) or not text:
            raise ValueError(f"{text!r} is not {cls.pattern_hint}")
        if total > _DURATION_MAX:
            raise ValueError(f"{text!r} is out of range: a duration is at most 100 years (36500d)")
        return cls(text, total)

    @property
    def prometheus(self) -> str:
        """The duration in Prometheus syntax (whole units, e.g. ``28d``, ``90s``)."""
        ms = round(self.seconds * 1000)
        for unit, size in (("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
            if ms % size == 0:
                return f"{ms // size}{unit}"
        return f"{ms}ms"


@dataclass(frozen=True, repr=False)
class Percent(_Text):
    """A percentage such as ``70%`` or ``99.95%``; ``value`` is in percent (0-100)."""

    text: str
    value: float
    pattern_hint: ClassVar[str] = "a percentage such as 70% or 99.95%"
    json_pattern: ClassVar[str | None] = r"^[0-9]+(\.[0-9]+)?%?$"
    accepts_numbers: ClassVar[bool] = True

    @classmethod
    def parse(cls, text: str) -> Percent:
        body = text[:-1] if text.endswith("%") else text
        try:
            value = float(body)
        except ValueError:
            raise ValueError(f"{text!r} is not {cls.pattern_hint}") from None
        if not 0 < value <= 100:
            raise ValueError(f"{text!r} must be more than 0% and at most 100%")
        if body == text and value <= 1:  # 0.9995 is a ratio written where a percentage belongs
            raise ValueError(f"{text!r} would read as {text}%; write the percentage with its sign, "
                             f"e.g. {format(value * 100, '.10g')}%")
        return cls(text if text.endswith("%") else f"{text}%", value)

    @property
    def ratio(self) -> float:
        """The percentage as a fraction of one."""
        return self.value / 100


_RATE_UNITS = {"rps": 1.0, "rpm": 1 / 60, "rph": 1 / 3600}
_RATE_MAX = 1e9
"""The highest rate accepted, in requests per second (capacity arithmetic stays finite)."""
_RATE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(rps|rpm|rph)")


@dataclass(frozen=True, repr=False)
class Rate(_Text):
    """A request rate such as ``2500rps`` or ``90000rpm``; ``per_second`` is requests/s."""

    text: str
    per_second: float
    pattern_hint: ClassVar[str] = "a rate such as 2500rps or 90000rpm"
    json_pattern: ClassVar[str | None] = r"^(?!0+(\.0+)?\s*r)[0-9]+(\.[0-9]+)?\s*(rps|rpm|rph)$"

    @classmethod
    def parse(cls, text: str) -> Rate:
        m = _RATE.fullmatch(text)
        if not m:
            raise ValueError(f"{text!r} is not {cls.pattern_hint}")
        if float(m.group(1)) <= 0:
            raise ValueError(f"{text!r} is no rate: give one of more than 0, such as 2500rps")
        per_second = float(m.group(1)) * _RATE_UNITS[m.group(2)]
        if per_second > _RATE_MAX:
            raise ValueError(f"{text!r} is out of range: a rate is at most 1e9rps")
        return cls(text, per_second)


_SEMVER = re.compile(
    r"v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)


@dataclass(frozen=True, repr=False)
class SemVer(_Text):
    """A semantic version ``MAJOR.MINOR.PATCH[-pre][+build]``."""

    text: str
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    pattern_hint: ClassVar[str] = "a semantic version such as 1.6.0"
    json_pattern: ClassVar[str | None] = r"^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"

    @classmethod
    def parse(cls, text: str) -> SemVer:
        m = _SEMVER.fullmatch(text)
        if not m:
            raise ValueError(f"{text!r} is not {cls.pattern_hint} (MAJOR.MINOR.PATCH)")
        pre = tuple(m.group(4).split(".")) if m.group(4) else ()
        return cls(text, int(m.group(1)), int(m.group(2)), int(m.group(3)), pre)

    def key(self) -> tuple[Any, ...]:
        """Sort key following semver precedence (a prerelease sorts before its release)."""
        pre: tuple[Any, ...] = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if pre else 1, pre)


_PART = r"(?:[0-9]+|[xX*])"
_COMPARATOR = re.compile(rf"(\^|~>?|>=|<=|>|<|=)?\s*v?({_PART}(?:\.{_PART})?(?:\.{_PART})?(?:-[0-9A-Za-z.-]+)?)")
_BUILD = re.compile(r"\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*")
_Bound = tuple[tuple[int, int, int, int, tuple[Any, ...]], bool]  # (version key, inclusive)


def _partial(text: str) -> tuple[list[int | None], tuple[str, ...]]:
    core, _, pre = text.partition("-")
    parts: list[int | None] = [None if p in ("x", "X", "*") else int(p) for p in core.split(".")]
    for i, p in enumerate(parts):
        if p is None:
            parts[i + 1:] = []
            parts = parts[:i]
            break
    return parts, tuple(pre.split(".")) if pre else ()


def _vkey(major: int, minor: int, patch: int, pre: tuple[str, ...] = ()) -> tuple[Any, ...]:
    return SemVer("", major, minor, patch, pre).key()


def _comparator_bounds(op: str, version: str) -> list[tuple[str, tuple[Any, ...]]]:
    """One npm comparator as a list of (operator, version key) constraints."""
    parts, pre = _partial(version)
    n = len(parts)
    full = [*(p or 0 for p in parts), 0, 0, 0][:3]
    lo = _vkey(full[0], full[1], full[2], pre)
    if op in ("", "="):
        if n == 3:
            return [("=", lo)]
        if n == 0:
            return []
        return [(">=", lo), ("<", _vkey(*_bump(full, n - 1)))]
    if op == "^":
        if n == 0:
            return []
        idx = next((i for i, p in enumerate(full[:n]) if p != 0), n - 1)
        return [(">=", lo), ("<", _vkey(*_bump(full, min(idx, n - 1))))]
    if op in ("~", "~>"):
        if n == 0:
            return []
        return [(">=", lo), ("<", _vkey(*_bump(full, 0 if n == 1 else 1)))]
    if n < 3 and op in (">", "<="):
        up = _vkey(*_bump(full, n - 1)) if n else None
        return [(">=" if op == ">" else "<", up)] if up else ([] if op == "<=" else [("<", _vkey(0, 0, 0))])
    return [(op, lo)]


def _bump(full: list[int], idx: int) -> tuple[int, int, int]:
    out = [*full]
    out[idx] += 1
    for j in range(idx + 1, 3):
        out[j] = 0
    return (out[0], out[1], out[2])


_OPS = {"=": lambda a, b: a == b, ">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b, "<": lambda a, b: a < b}


@dataclass(frozen=True, repr=False)
class SemverRange(_Text):
    """An npm-style range: ``^1.4``, ``~2.3.0``, ``>=1.2 <2``, ``1.x``, ``1.2 - 1.4``, ``a || b``."""

    text: str
    alternatives: tuple[tuple[tuple[str, tuple[Any, ...]], ...], ...]
    pattern_hint: ClassVar[str] = "a semver range such as ^1.4, ~2.3.0 or >=1.2 <2"

    @classmethod
    def parse(cls, text: str) -> SemverRange:
        alternatives = []
        for alt in text.split("||"):
            alt = _BUILD.sub("", alt.strip())  # build metadata has no precedence (semver 2.0.0, item 10)
            hyphen = re.fullmatch(r"(\S+)\s+-\s+(\S+)", alt)
            if hyphen:
                first, last = (_COMPARATOR.fullmatch(part) for part in hyphen.groups())
                if first is None or last is None or first.group(1) or last.group(1):
                    raise ValueError(f"{text!r} is not {cls.pattern_hint}")
                low = _comparator_bounds(">=", first.group(2))
                high = _comparator_bounds("<=", last.group(2))
                alternatives.append(tuple(low + high))
                continue
            constraints: list[tuple[str, tuple[Any, ...]]] = []
            alt = re.sub(r"(\^|~>?|>=|<=|>|<|=)\s+", r"\1", alt)
            for token in alt.split():
                m = _COMPARATOR.fullmatch(token)
                if not m:
                    raise ValueError(f"{text!r} is not {cls.pattern_hint}")
                constraints += _comparator_bounds(m.group(1) or "", m.group(2))
            if not alt and text.strip():
                raise ValueError(f"{text!r} is not {cls.pattern_hint}")
            alternatives.append(tuple(constraints))
        return cls(text, tuple(alternatives))

    @property
    def unbounded(self) -> bool:
        """Whether the range admits every version (``*``, ``x``, or an alternative without bounds)."""
        return any(not constraints for constraints in self.alternatives)

    def satisfied_by(self, version: SemVer) -> bool:
        """Whether ``version`` lies in the range (prereleases only where a bound names one)."""
        key = version.key()
        for constraints in self.alternatives:
            if all(_OPS[op](key, bound) for op, bound in constraints):
                if version.prerelease and not any(
                    b[:3] == key[:3] and b[3] == 0 for _, b in constraints
                ):
                    continue
                return True
        return False


_CronField = tuple[str, int, int, dict[str, int]]
_CRON_FIELDS: tuple[_CronField, ...] = (("minute", 0, 59, {}), ("hour", 0, 23, {}), ("day of month", 1, 31, {}),
                ("month", 1, 12, {m: i + 1 for i, m in enumerate(
                    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}),
                ("day of week", 0, 7, {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}))
_CRON_MACROS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}


@dataclass(frozen=True, repr=False)
class Cron(_Text):
    """A five-field cron expression (``0 3 * * *``) or a macro such as ``@daily``."""

    text: str
    pattern_hint: ClassVar[str] = "a cron expression such as '0 3 * * *' or @daily"

    @classmethod
    def parse(cls, text: str) -> Cron:
        if text in _CRON_MACROS:
            return cls(text)
        fields = text.split()
        if len(fields) != 5:
            raise ValueError(f"{text!r} is not {cls.pattern_hint}: expected 5 fields, found {len(fields)}")
        for value, (name, low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
            for item in value.split(","):
                _check_cron_item(item, name, low, high, names)
        _check_some_day(text, fields)
        return cls(text)


_LONGEST_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
"""The most days each month has (February in a leap year)."""


def _cron_values(value: str, low: int, high: int, names: dict[str, int]) -> set[int]:
    """The numbers a checked cron field matches."""
    out: set[int] = set()
    for item in value.split(","):
        base, _, step = item.partition("/")
        if base == "*":
            first, last = low, high
        else:
            bounds = [names.get(b.lower()) if not b.isdigit() else int(b) for b in base.split("-", 1)]
            first = bounds[0] or 0
            last = (bounds[-1] or 0) if len(bounds) == 2 or not step else high
        out.update(range(first, last + 1, int(step) if step else 1))
    return out


def _check_some_day(text: str, fields: list[str]) -> None:
    """A schedule whose days of the month no month it names has (``0 3 30 2 *``) never runs. With a day of
    the week given too, cron runs on either, so only a day of the month alone can be unreachable."""
    days, months, weekdays = fields[2], fields[3], fields[4]
    if days == "*" or weekdays != "*":
        return
    _, low, high, names = _CRON_FIELDS[2]
    dom = _cron_values(days, low, high, names)
    _, low, high, names = _CRON_FIELDS[3]
    month_numbers = _cron_values(months, low, high, names)
    if not any(day <= _LONGEST_MONTH[month - 1] for day in dom for month in month_numbers):
        named = sorted(dom)
        which = ", ".join(map(str, named)) if len(named) <= 3 else f"{named[0]}-{named[-1]}"
        raise ValueError(f"{text!r} never runs: no month it names has a day {which}")


def _check_cron_item(item: str, name: str, low: int, high: int, names: dict[str, int]) -> None:
    base, _, step = item.partition("/")
    if step and (not step.isdigit() or int(step) == 0):
        raise ValueError(f"cron {name} step {step!r} must be a positive number")
    if base == "*":
        return
    numbers = []
    for bound in base.split("-", 1):
        number = names.get(bound.lower()) if not bound.isdigit() else int(bound)
        if number is None or not low <= number <= high:
            raise ValueError(f"cron {name} {bound!r} is out of range {low}-{high}")
        numbers.append(number)
    if len(numbers) == 2 and numbers[0] > numbers[1]:
        raise ValueError(f"cron {name} range {base!r} runs backwards: write the lower bound first")


_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")


@dataclass(frozen=True, repr=False)
class DnsLabel(_Text):
    """A DNS-1123 label: lower-case letters, digits and '-', at most 63 characters."""

    text: str
    pattern_hint: ClassVar[str] = "a DNS-1123 label (lower-case letters, digits and '-', at most 63)"
    json_pattern: ClassVar[str | None] = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"

    @classmethod
    def parse(cls, text: str) -> DnsLabel:
        if len(text) > 63 or not _DNS_LABEL.fullmatch(text):
            raise ValueError(f"{text!r} is not {cls.pattern_hint}")
        return cls(text)


def is_dns_label(text: str) -> bool:
    """Whether ``text`` is a valid DNS-1123 label."""
    return len(text) <= 63 and bool(_DNS_LABEL.fullmatch(text))


_HOST = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_HOST_NAME = re.compile(rf"(\*\.)?{_HOST}")
HOST_HINT = "a DNS-1123 subdomain such as score.example.com (lower-case letters, digits, '-' and '.'; '*.' may lead)"


def check_host(text: str) -> str:
    """``text`` if it is a host name an Ingress accepts: a DNS-1123 subdomain, optionally ``*.``-prefixed."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        raise ValueError(f"{text!r} is an IP address; an Ingress host is a DNS name such as score.example.com")
    if len(text) > 253 or not _HOST_NAME.fullmatch(text) or any(len(label) > 63 for label in text.split(".")):
        lowered = text.lower()
        hint = f"; did you mean {lowered!r}?" if lowered != text and _HOST_NAME.fullmatch(lowered) else ""
        raise ValueError(f"{text!r} is not {HOST_HINT}{hint}")
    return text


HostName = Annotated[str, AfterValidator(check_host),
                     WithJsonSchema({"type": "string", "description": HOST_HINT, "pattern": rf"^(\*\.)?{_HOST}$"})]
"""A public host name, kept as the user wrote it."""

_LABEL_NAME = r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)"
_LABEL_KEY = re.compile(rf"({_HOST}/)?{_LABEL_NAME}")
_LABEL_VALUE = re.compile(rf"{_LABEL_NAME}?")
LABEL_KEY_HINT = "a Kubernetes label key such as cost-centre or example.com/team (letters, digits, '-', '_', '.'; at most 63)"
LABEL_VALUE_HINT = "a Kubernetes label value (letters, digits, '-', '_', '.', starting and ending alphanumeric; at most 63)"


def check_label_key(text: str) -> str:
    """``text`` if Kubernetes accepts it as a label key: a name of at most 63 characters, an optional DNS prefix."""
    prefix, _, name = text.rpartition("/")
    if not _LABEL_KEY.fullmatch(text) or len(prefix) > 253 or len(name) > 63:
        raise ValueError(f"{text!r} is not {LABEL_KEY_HINT}")
    return text


def check_label_value(text: str) -> str:
    """``text`` if Kubernetes accepts it as a label value (which every rendered object carries)."""
    if len(text) > 63 or not _LABEL_VALUE.fullmatch(text):
        raise ValueError(f"{text!r} is not {LABEL_VALUE_HINT}")
    return text


LabelKey = Annotated[str, AfterValidator(check_label_key), WithJsonSchema({"type": "string", "description": LABEL_KEY_HINT})]
LabelValue = Annotated[str, AfterValidator(check_label_value),
                       WithJsonSchema({"type": "string", "description": LABEL_VALUE_HINT})]

def check_no_template(text: str) -> str:
    """``text`` if it holds no ``{{`` or ``}}``: it is written into alert labels and annotations, which
    Prometheus expands as Go templates."""
    if "{{" in text or "}}" in text:
        raise ValueError(f"{text!r} holds '{{{{' or '}}}}', which Prometheus would expand as a template in its alerts")
    return text


Untemplated = Annotated[str, AfterValidator(check_no_template)]
"""Text that alerts carry (owner, on-call, where runbooks are published)."""

_ENV_NAME = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*")
ENV_NAME_HINT = "an environment variable name such as DB_PASSWORD (letters, digits, '_', '-', '.'; not starting with a digit)"


def check_env_name(text: str) -> str:
    """``text`` if Kubernetes accepts it as a container's environment variable name."""
    if not _ENV_NAME.fullmatch(text):
        raise ValueError(f"{text!r} is not {ENV_NAME_HINT}")
    return text


EnvName = Annotated[str, AfterValidator(check_env_name),
                    WithJsonSchema({"type": "string", "description": ENV_NAME_HINT, "pattern": f"^{_ENV_NAME.pattern}$"})]
"""The name of an environment variable the module's container gets (``env``, ``secrets``)."""

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
METRIC_NAME_HINT = ("a Prometheus metric name such as http_requests_total (letters, digits, '_' and ':'; "
                    "not starting with a digit)")


_PROMQL_WORDS = frozenset({"atan2", "on", "ignoring", "group_left", "group_right", "bool", "inf", "nan"})
"""Names PromQL reads, in any case, as an operator's keyword or a number where a selector's metric name
stands (``promtool check rules`` refuses ``sum(rate(on{...}[5m]))``; ``by``, ``and``, ``offset`` pass)."""


def check_metric_name(text: str) -> str:
    """``text`` if Prometheus accepts it as a metric name, and PromQL reads it as one."""
    if not _METRIC_NAME.fullmatch(text):
        raise ValueError(f"{text!r} is not {METRIC_NAME_HINT}")
    if text.lower() in _PROMQL_WORDS:
        raise ValueError(f"{text!r} is a PromQL keyword or number, not a metric name PromQL can select")
    return text


MetricName = Annotated[str, AfterValidator(check_metric_name),
                       WithJsonSchema({"type": "string", "description": METRIC_NAME_HINT,
                                       "pattern": f"^{_METRIC_NAME.pattern}$"})]
"""A Prometheus metric name (the SLI metrics of ``metrics:``)."""

CIDR_HINT = "a network in CIDR notation such as 10.20.0.0/16 or 2001:db8::/32"
_PREFIX = re.compile(r"[0-9]{1,3}")


def check_cidr(text: str) -> str:
    """``text`` if it is a network ``address/prefix`` with no host bits set (as NetworkPolicy ipBlocks need)."""
    address, slash, prefix = text.partition("/")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"{text!r} is not {CIDR_HINT}") from None
    if not slash:
        raise ValueError(f"{text!r} has no prefix length: write {address}/{ip.max_prefixlen} for this one address")
    if not _PREFIX.fullmatch(prefix) or int(prefix) > ip.max_prefixlen:
        raise ValueError(f"{text!r} is not {CIDR_HINT}: the prefix length of an IPv{ip.version} network "
                         f"is a number from 0 to {ip.max_prefixlen}")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"{text!r} is not {CIDR_HINT}") from None
    if network.network_address != ip:
        raise ValueError(f"{text!r} has host bits set: the network is {network}")
    return text


Cidr = Annotated[str, AfterValidator(check_cidr), WithJsonSchema({"type": "string", "description": CIDR_HINT})]
"""An IPv4 or IPv6 network, kept as the user wrote it."""

def _one_error(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    try:
        return handler(value)
    except ValidationError:
        if value is None:
            raise ValueError('expected a string, a number or a boolean, not null; write "" for an empty value') from None
        kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else type(value).__name__
        raise ValueError(f"expected a string, a number or a boolean, not {kind}; quote it to pass it as text") from None


PlainValue = Annotated[str | int | float | bool, WrapValidator(_one_error)]
"""An ``env`` value: one message when it is none of its types, not one per type."""


SECRET_SCHEMES = ("vault", "aws-sm", "gcp-sm", "k8s")
_SECRET_REF = re.compile(r"(vault|aws-sm|gcp-sm|k8s)://([^#\s]+)#([^#\s]+)")


@dataclass(frozen=True, repr=False)
class SecretRef(_Text):
    """A reference to a secret held elsewhere: ``vault://path#key`` (never a value)."""

    text: str
    scheme: str
    path: str
    key: str
    pattern_hint: ClassVar[str] = "a secret reference: vault://path#key, aws-sm://name#key, gcp-sm://name#key or k8s://secret#key"
    json_pattern: ClassVar[str | None] = r"^(vault|aws-sm|gcp-sm|k8s)://[^#\s]+#[^#\s]+$"

    @classmethod
    def parse(cls, text: str) -> SecretRef:
        m = _SECRET_REF.fullmatch(text)
        if not m:
            # Never echo what was written: it may be the secret itself.
            raise ValueError(f"expected {cls.pattern_hint}; the value written here is not a reference")
        return cls(text, m.group(1), m.group(2), m.group(3))


_IMAGE = re.compile(
    r"(?P<repo>[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}))?"
)


@dataclass(frozen=True, repr=False)
class ImageRef(_Text):
    """An OCI image reference ``registry/repo[:tag][@sha256:digest]``."""

    text: str
    repository: str
    tag: str | None
    digest: str | None
    pattern_hint: ClassVar[str] = "an OCI image reference such as registry.example.com/team/app@sha256:<64 hex>"

    @classmethod
    def parse(cls, text: str) -> ImageRef:
        m = _IMAGE.fullmatch(text)
        if not m:
            raise ValueError(f"{text!r} is not {cls.pattern_hint}")
        return cls(text, m.group("repo"), m.group("tag"), m.group("digest"))

    @property
    def pinned(self) -> bool:
        """Whether the image is pinned by a full ``sha256`` digest."""
        return bool(self.digest and re.fullmatch(r"sha256:[0-9a-f]{64}", self.digest))


_ENDPOINT = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>\[[0-9a-fA-F:]+\]|[^:/\s]+):(?P<port>[0-9]{1,5})/?")


@dataclass(frozen=True, repr=False)
class Endpoint(_Text):
    """An external system's address ``scheme://host:port``."""

    text: str
    scheme: str
    host: str
    port: int
    pattern_hint: ClassVar[str] = "an endpoint scheme://host:port such as postgres://db.example.com:5432"
    json_pattern: ClassVar[str | None] = r"^[a-z][a-z0-9+.-]*://(\[[0-9a-fA-F:]+\]|[^:/\s]+):[0-9]{1,5}/?$"

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        m = _ENDPOINT.fullmatch(text)
        if not m or not 0 < int(m.group("port")) < 65536:
            raise ValueError(f"{text!r} is not {cls.pattern_hint}")
        return cls(text, m.group("scheme"), m.group("host"), int(m.group("port")))


