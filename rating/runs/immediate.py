"""Re-rating households at once: a one-subject (or few-subject) run rated and published in
the caller's transaction."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone

from fuxiang.accounts.models import User
from fuxiang.errors import DomainError
from households.models import (
    BusinessEntity,
    Household,
    HouseholdStatus,
)
from households.selectors import households_visible_to
from rating.models import (
    CurrentRating,
    RatingChunk,
    RatingRun,
    RunScope,
    Scorecard,
)
from rating.runs.chunks import rating_chunk_run
from rating.runs.publishing import rating_run_publish
from rating.runs.start import run_create

# --- one household ----------------------------------------------------------------------------


@transaction.atomic
def rating_household_rerate(
    *,
    household: Household,
    actor: User | None = None,
    as_of: date | None = None,
    today: date | None = None,
) -> RatingRun:
    """Re-rate one household now (staff asked): a one-subject run, rated and published in this
    transaction, as of today unless ``as_of`` says otherwise (bounded as any real run's;
    ``today`` is the clock). ``actor=None`` is the system; staff may re-rate households they
    can see. Refused while another run is active."""
    if actor is not None and not households_visible_to(actor).filter(pk=household.pk).exists():
        raise DomainError("未找到该农户，或您无权访问", code="not_found")
    household = Household.objects.get(pk=household.pk)
    if household.status == HouseholdStatus.CLOSED:
        raise DomainError("该户已销户，不再评级")
    if not household.rating_consent:
        raise DomainError("该户未同意评级授信（个人信息授权），不能评级", code="no_consent")
    # Staff re-rate through this service only (officers cannot start runs): the scope check
    # above is the permission.
    return _rate_subjects_now(actor=actor, household_ids=[household.pk], as_of=as_of, today=today)


@transaction.atomic
def rating_households_rerate(
    *,
    household_ids: Sequence[int],
    purpose: str = "",
    as_of: date | None = None,
    entity_ids: Sequence[int] = (),
    today: date | None = None,
) -> RatingRun | None:
    """The system re-rates these households and business entities (their archives changed, or
    a villager asked) as ONE subjects run, rated and published in this transaction. Households
    closed or without consent are not rated and lose their current rating, if they had one.
    Returns ``None`` when there is nothing to do: none of them can be rated and none holds a
    rating. Refused (``DomainError`` code ``busy``) while another run is active: the caller
    tries again later."""
    households = Household.objects.filter(pk__in=sorted(set(household_ids)))
    entities = list(
        BusinessEntity.objects.filter(pk__in=sorted(set(entity_ids))).values_list("pk", flat=True)
    )
    ratable = households.exclude(status=HouseholdStatus.CLOSED).filter(rating_consent=True)
    if not (
        entities
        or ratable.exists()
        or CurrentRating.objects.filter(household__in=households).exists()
    ):
        return None
    return _rate_subjects_now(
        actor=None,
        household_ids=list(households.values_list("pk", flat=True)),
        entity_ids=entities,
        as_of=as_of,
        purpose=purpose,
        withdrawals_only_ok=True,
        today=today,
    )


def _rate_subjects_now(
    *,
    actor: User | None,
    household_ids: Sequence[int],
    as_of: date | None,
    entity_ids: Sequence[int] = (),
    purpose: str = "",
    withdrawals_only_ok: bool = False,
    cards: dict[str, Scorecard] | None = None,
    simulation: bool = False,
    today: date | None = None,
) -> RatingRun:
    today = today or timezone.localdate()
    run = run_create(
        actor=actor,
        scope=RunScope.SUBJECTS,
        as_of=as_of or today,
        scope_ids=(),
        subject_ids=household_ids,
        entity_ids=entity_ids,
        dispatch=False,
        check_permission=False,
        purpose=purpose,
        withdrawals_only_ok=withdrawals_only_ok,
        today=today,
    )
    for chunk_id in RatingChunk.objects.filter(run=run).values_list("pk", flat=True):
        rating_chunk_run(chunk_id=chunk_id, queue_publish=False)
    return rating_run_publish(run_id=run.pk)
