"""Celery tasks of the archives: thin wrappers around services; arguments are ids."""

from __future__ import annotations

from celery import shared_task

from households import services


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def rotate_data_keys() -> int:
    """Re-encrypt all personal identifiers with the active data key (safe to run again)."""
    return services.personal_data_rotate_keys()


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> None:
    """Import one uploaded archive file (``ImportJob``); safe to run again after a crash."""
    from households import imports

    imports.import_job_run(job_id=job_id)
