"""Jinja2 filters the web pages use: times, durations, short digests and status classes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2


def when(value: Any) -> str:
    """``2026-12-01 09:00 UTC`` from an ISO 8601 time (or a datetime)."""
    if not value:
        return "—"
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def duration(seconds: Any) -> str:
    """``1d 2h``, ``3h 05m``, ``4m`` from seconds."""
    total = int(float(seconds or 0))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m" if minutes else f"{total}s"


def short(digest: Any, length: int = 12) -> str:
    """The first characters of a digest."""
    return str(digest or "")[:length]


def install_filters(env: jinja2.Environment) -> None:
    """Register the filters."""
    env.filters["when"] = when
    env.filters["duration"] = duration
    env.filters["short"] = short
