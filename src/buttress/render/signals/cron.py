"""The longest gap between two runs of a cron schedule, for the missed-run alert and runbooks.

Expands the five fields (names, ranges, steps, ``@daily``-style macros) and walks eight calendar
years, so month lengths, leap days and the day-of-month/day-of-week OR rule are honoured.
Pure; called by ``signals.alerts``.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools

_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
           "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_MONTHS = {m: i + 1 for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun",
                                           "jul", "aug", "sep", "oct", "nov", "dec"])}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_FIELDS: tuple[tuple[int, int, dict[str, int]], ...] = ((0, 59, {}), (0, 23, {}), (1, 31, {}), (1, 12, _MONTHS), (0, 7, _DAYS))
_START = dt.date(2024, 1, 1)
_DAYS_WALKED = 8 * 366 + 60
"""Eight years and two months from 2024: three leap days, so ``29 2`` schedules have a gap."""


def _number(text: str, names: dict[str, int]) -> int:
    return int(text) if text.isdigit() else names[text.lower()]


def _expand(field: str, low: int, high: int, names: dict[str, int]) -> tuple[set[int], bool]:
    """The values a field allows, and whether it is unrestricted (``*``)."""
    values: set[int] = set()
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            first, last = _number(a, names), _number(b, names)
        else:
            first = _number(base, names)
            last = high if step_text else first
        values.update(range(first, last + 1, step))
    return values, field == "*"


@functools.lru_cache(maxsize=1024)
def max_gap_seconds(schedule: str) -> int:
    """The longest time between two consecutive runs of ``schedule``, in seconds."""
    fields = _MACROS.get(schedule, schedule).split()
    (minutes, _), (hours, _), (doms, dom_any), (months, _), (dows, dow_any) = (
        _expand(f, low, high, names) for f, (low, high, names) in zip(fields, _FIELDS, strict=True))
    dows = {d % 7 for d in dows}
    times = sorted(h * 60 + m for h in hours for m in minutes)
    inner = max((b - a for a, b in itertools.pairwise(times)), default=0)
    if dom_any and dow_any and len(months) == 12:  # every day: the gap wraps around midnight
        return max(inner, 1440 - times[-1] + times[0]) * 60
    gap, previous_day = inner, None
    for offset in range(_DAYS_WALKED):
        day = _START + dt.timedelta(days=offset)
        dom_ok, dow_ok = day.day in doms, (day.isoweekday() % 7) in dows
        runs = (dom_ok and dow_ok) if (dom_any or dow_any) else (dom_ok or dow_ok)
        if not runs or day.month not in months:
            continue
        if previous_day is not None:
            gap = max(gap, offset * 1440 + times[0] - (previous_day * 1440 + times[-1]))
        previous_day = offset
    return (gap or _DAYS_WALKED * 1440) * 60
