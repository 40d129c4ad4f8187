"""Celery tasks of the archives: thin wrappers around services; arguments are ids."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def rotate_data_keys() -> int:
    """Re-encrypt all personal identifiers with the active data key (safe to run again)."""
    from households import services

    return services.personal_data_rotate_keys()


@shared_task(acks_late=True)
def run_import_job(job_id: int) -> None:
    """Import one uploaded archive file (``ImportJob``); safe to run again after a crash."""
    from households import imports

    imports.import_job_run(job_id=job_id)


@shared_task(acks_late=True, autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def recheck_watchlists() -> dict[str, int]:
    """Nightly (CELERY_BEAT_SCHEDULE): bring watch-list matches up to date for today; running
    it twice changes nothing the second time."""
    from households import watchlist_matching

    return watchlist_matching.watchlists_recheck(as_of=timezone.localdate())


@shared_task
def purge_archive_files() -> int:
    """Nightly: delete import error reports and export files past their retention."""
    from households import imports

    return imports.archive_files_purge()


@shared_task(acks_late=True)
def run_export_job(job_id: int) -> None:
    """Write one requested archive export (``ExportJob``)."""
    from households.imports import export

    export.export_job_run(job_id=job_id)
