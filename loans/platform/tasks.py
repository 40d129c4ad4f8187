"""Celery tasks of the platform link (registered through ``loans.tasks``)."""

from __future__ import annotations

from typing import Any

from celery import shared_task


@shared_task(acks_late=True)
def push_delivery(*, delivery_id: int, manual: bool = False) -> str:
    """One attempt of a push; a failure queues the next one after the backoff (base, 2×,
    4× …) until the platform's ``max_attempts``, then the delivery waits dead-lettered for a
    manual re-send. A stray or duplicate run of a delivered push sends nothing."""
    from loans.models import Delivery
    from loans.platform.deliveries import delivery_push_attempt

    wait = delivery_push_attempt(delivery_id, manual=manual)
    if wait is not None:
        push_delivery.apply_async(kwargs={"delivery_id": delivery_id}, countdown=wait)
    return str(Delivery.objects.values_list("status", flat=True).get(pk=delivery_id))


@shared_task(acks_late=True)
def push_whitelists() -> list[int]:
    """After the nightly whitelist refresh: push each platform with a webhook the delta of
    each of its products since what it last received."""
    from loans.models import Platform
    from loans.platform.deliveries import delivery_push_create

    made: list[Any] = []
    for platform in Platform.objects.filter(active=True).exclude(webhook_url=""):
        for product in platform.products.all():
            delivery = delivery_push_create(platform=platform, product=product)
            if delivery is not None:
                made.append(delivery.pk)
    return made


@shared_task(acks_late=True)
def reconcile_platforms() -> list[int]:
    """Daily (CELERY_BEAT_SCHEDULE): each platform's balances against the ledger."""
    from loans.platform.reconciliation import reconcile_all

    return [run.pk for run in reconcile_all()]


@shared_task(acks_late=True)
def import_platform_inbox() -> list[int]:
    """Nightly: the event files platforms dropped in ``MEDIA_ROOT/platform/<code>/inbox/``
    (each with its ``<name>.sha256``), imported and moved to ``done/``."""
    from loans.platform.inbound_files import inbox_import

    return inbox_import()
