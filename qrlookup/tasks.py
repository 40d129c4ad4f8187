"""Celery tasks of the QR lookup: thin, ids in, one service call each."""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def send_verification_sms(challenge_id: str) -> str:
    """Send the code of one verification challenge (if it is to be sent at all)."""
    from qrlookup import verification

    return verification.challenge_sms_send(challenge_id=challenge_id)


@shared_task(acks_late=True)
def build_poster_batch(batch_id: int) -> None:
    """Write the ZIP of a township's posters (``PosterBatch``), with progress."""
    from qrlookup import posters

    posters.poster_batch_run(batch_id=batch_id)


@shared_task
def flush_events() -> int:
    """Every minute: buffered scan and lookup events into their tables."""
    from qrlookup import events

    return events.events_flush()


@shared_task
def flag_overdue_requests() -> int:
    """Nightly: flag requests past their deadline for the branch managers."""
    from qrlookup import officer_requests

    return officer_requests.requests_flag_overdue()


@shared_task
def roll_up_yesterday() -> int:
    """Nightly: yesterday's scan and lookup figures into the daily summary."""
    from datetime import timedelta

    from django.utils import timezone

    from qrlookup import stats

    return stats.lookup_stats_roll_up(day=timezone.localdate() - timedelta(days=1))


@shared_task
def purge_verification_data() -> int:
    """Nightly: delete verification challenges and outbox messages past their retention."""
    from qrlookup import maintenance

    return maintenance.verification_data_purge()
