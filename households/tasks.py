"""Celery tasks of the archives: thin wrappers around services."""

from __future__ import annotations

from celery import shared_task

from households import services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def rotate_data_keys() -> int:
    """Re-encrypt all personal identifiers with the active data key (safe to run again)."""
    return services.personal_data_rotate_keys()
