"""Celery tasks of the dashboards: thin, one service call each."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def refresh_figures() -> int:
    """Every few minutes (beat), and soon after a publish or a loan event: recompute the
    summaries. Returns the number of households staged."""
    from dashboards import figures

    return figures.figures_refresh().households
