"""The rules of stalled items: what has waited too long."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from dashboards.engine.figures import percent


def unrated_cutoff(now: datetime, days: int) -> datetime:
    """An archive made before this moment and still without a rating is stalled (建档超过
    ``days`` 天未评级)."""
    if days < 0:
        raise ValueError("days must not be negative")
    return now - timedelta(days=days)


def answered_on_time(closed_at: datetime | None, due_at: datetime) -> bool:
    """A request is answered on time when it was closed at or before its deadline."""
    return closed_at is not None and closed_at <= due_at


def on_time_rate(on_time: int, due: int) -> Decimal | None:
    """Requests answered on time as a percentage of those whose deadline has passed."""
    return percent(on_time, due)
