"""Pure calculations of the dashboards (no Django, no database, no clock): the figures of a
scope and their shares, the stages of the funnel, the bank's units (万户, 亿元), weekly series
and the rules of stalled items. Callers pass dates and times in."""

from __future__ import annotations

from dashboards.engine.figures import (
    AMOUNT_FIELDS,
    COUNT_FIELDS,
    FUNNEL,
    STAGES,
    Figures,
    Stage,
    percent,
    stage,
)
from dashboards.engine.series import month_bounds, week_start, weeks_between
from dashboards.engine.stalled import on_time_rate, unrated_cutoff
from dashboards.engine.units import bank_amount, bank_count, exact_amount, exact_count

__all__ = [
    "AMOUNT_FIELDS",
    "COUNT_FIELDS",
    "FUNNEL",
    "STAGES",
    "Figures",
    "Stage",
    "bank_amount",
    "bank_count",
    "exact_amount",
    "exact_count",
    "month_bounds",
    "on_time_rate",
    "percent",
    "stage",
    "unrated_cutoff",
    "week_start",
    "weeks_between",
]
