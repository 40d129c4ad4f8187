"""Weeks and months: the buckets of the trends and of the monthly report."""

from __future__ import annotations

import calendar
from datetime import date, timedelta


def week_start(day: date) -> date:
    """The Monday of ``day``'s week (ISO weeks, as the bank's weekly reports count them)."""
    return day - timedelta(days=day.weekday())


def weeks_between(start: date, end: date) -> list[date]:
    """The Mondays of every week from ``start``'s to ``end``'s, both included; empty when
    ``end`` is before ``start``."""
    if end < start:
        return []
    first, last = week_start(start), week_start(end)
    return [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """First and last day of a month."""
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)
