"""Re-rating households and business entities when their archives change, and when a villager
asks.

``households`` announces committed changes with ``households.signals.archives_changed`` (each
household or entity once per transaction; an import once for all its subjects).
``RatingConfig.ready()`` connects ``archives_changed_receiver``, which only queues: one
``rerate_households`` task per batch of up to ``RERATE_BATCH`` households (and entities). The
task rates its batch as ONE subjects run, published at once (``runs.rating_households_rerate``);
while another run is active it retries later (``tasks.rerate_households``).

Settings: ``RATING_AUTO_RERATE`` (default on) turns the automatic re-rating off; villagers'
requests are still honoured. ``RATING_RERATE_RETRY_SECONDS`` (default 60) is how long a
re-rating waits for an active run before trying again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, time
from itertools import zip_longest
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError
from households.models import Household, HouseholdStatus
from rating.tasks import rerate_households as rerate_households_task

# One run per batch: a whole import file (at most about 10,000 households) is one run, and the
# id lists stay well below the databases' parameter limits (SQLite 32,766; PostgreSQL 65,535).
RERATE_BATCH = 10_000
PURPOSE_ARCHIVE_CHANGED = "档案变更重新评级"
PURPOSE_REQUESTED = "村民申请重新评级"
REQUEST_CHANNELS = {"villager": "村民扫码申请"}
ASKED_TODAY = "今天已申请过重新评级，请明天再试"


def rating_rerate_queue(
    *, household_ids: Iterable[int], purpose: str, entity_ids: Iterable[int] = ()
) -> int:
    """Queue the re-rating of these households and business entities when the current
    transaction commits (at once outside one): one task per batch of ``RERATE_BATCH`` of each.
    Returns the number of tasks. A failure to queue is logged, never raised at the caller,
    whose change is already committed."""
    ids, entities = sorted(set(household_ids)), sorted(set(entity_ids))
    batches: list[tuple[list[int], list[int]]] = list(
        zip_longest(
            [ids[i : i + RERATE_BATCH] for i in range(0, len(ids), RERATE_BATCH)],
            [entities[i : i + RERATE_BATCH] for i in range(0, len(entities), RERATE_BATCH)],
            fillvalue=[],
        )
    )
    for households, entity_batch in batches:
        transaction.on_commit(_queuer(households, purpose, entity_batch), robust=True)
    return len(batches)


def _queuer(household_ids: list[int], purpose: str, entity_ids: list[int]) -> Callable[[], None]:
    def queue_rerating() -> None:

        if entity_ids:
            rerate_households_task.delay(household_ids, purpose, entity_ids)
        else:  # the task's arguments as before entities were re-rated (queued tasks still run)
            rerate_households_task.delay(household_ids, purpose)

    return queue_rerating


def archives_changed_receiver(
    sender: Any,
    *,
    household_ids: Sequence[int],
    reason: str = "",
    entity_ids: Sequence[int] = (),
    **kwargs: Any,
) -> None:
    """Receiver of ``households.signals.archives_changed``: queue the re-rating of the
    households and entities (nothing more: it runs after the writer's commit), unless
    ``RATING_AUTO_RERATE`` is off."""
    if settings.RATING_AUTO_RERATE:
        rating_rerate_queue(
            household_ids=household_ids, entity_ids=entity_ids, purpose=PURPOSE_ARCHIVE_CHANGED
        )


@transaction.atomic
def rating_rerate_request(
    *,
    household: Household,
    requested_by_channel: str = "villager",
    audit: AuditContext | None = None,
) -> None:
    """A villager asks for their household to be re-rated (the QR lookup page, after it has
    verified who is asking): audited, and the re-rating queued when this commits. At most once
    per household per calendar day (Asia/Shanghai): the audit log is the record of requests,
    so the limit survives restarts and holds across processes; the household's row is locked
    while checking, so two simultaneous requests cannot both pass. Refused: a closed household,
    one without rating consent, a second request the same day (code ``rate_limited``)."""
    if requested_by_channel not in REQUEST_CHANNELS:
        raise DomainError(f"申请渠道“{requested_by_channel}”无效")
    household = Household.objects.select_for_update().get(pk=household.pk)
    if household.status == HouseholdStatus.CLOSED:
        raise DomainError("该户已销户，不再评级", code="closed")
    if not household.rating_consent:
        raise DomainError("该户未同意评级授信（个人信息授权），不能评级", code="no_consent")
    if _asked_today(household):
        raise DomainError(ASKED_TODAY, code="rate_limited")
    audit_record(
        action=AuditAction.RATING_RERATE_REQUEST,
        target=household,
        target_label=str(household),
        audit=audit,
        details={"channel": requested_by_channel},
    )
    rating_rerate_queue(household_ids=[household.pk], purpose=PURPOSE_REQUESTED)


def _asked_today(household: Household) -> bool:
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    return AuditEvent.objects.filter(
        action=AuditAction.RATING_RERATE_REQUEST,
        target_type=household._meta.label_lower,
        target_id=str(household.pk),
        occurred_at__gte=midnight,
    ).exists()
