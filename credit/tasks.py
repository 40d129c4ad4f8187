"""Celery tasks of credit: thin wrappers around ``credit.holds``."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def expire_lines() -> int:
    """Nightly (CELERY_BEAT_SCHEDULE): active lines past their end date expire."""
    from credit import holds

    return holds.lines_expire()


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def lapse_overrides() -> int:
    """Nightly (CELERY_BEAT_SCHEDULE): re-rate households whose override has ended."""
    from credit import holds

    return holds.overrides_lapse()
