"""Reads of manual overrides (人工调整), scoped to the user like the archives they adjust: an
override exists for a user only if its household or entity does (``households.selectors``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from credit import engine
from credit.models import (
    CreditLine,
    CreditOverride,
    OverrideKind,
    OverrideStatus,
)
from credit.policy_selectors import policy_in_force
from credit.selectors import entity_current_line, household_current_line
from fuxiang.accounts import roles
from fuxiang.audit.models import AuditEvent
from households.models import BusinessEntity, Household, Member, Relation
from households.selectors import (
    business_entities_visible_to,
    head_name_subquery,
    household_names,
    households_visible_to,
)
from rating.models import CurrentRating, RatingResult


def overrides_visible_to(user: Any) -> QuerySet[CreditOverride]:
    if roles.sees_everything(user):
        overrides = CreditOverride.objects.all()
    else:
        overrides = CreditOverride.objects.filter(
            Q(household__in=households_visible_to(user).values("pk"))
            | Q(business_entity__in=business_entities_visible_to(user).values("pk"))
        )
    # the head's name rides along, so a list names each household (罗家坪村 罗**户) in one query
    return overrides.select_related(
        "household__village__township",
        "business_entity__village__township",
        "proposed_by",
        "reviewed_by",
    ).annotate(head_name=head_name_subquery("household_id"))


def overrides_pending_for(user: Any) -> QuerySet[CreditOverride]:
    """Proposals awaiting review in the user's scope, oldest first (the queue's order)."""
    return (
        overrides_visible_to(user)
        .filter(status=OverrideStatus.PROPOSED)
        .order_by("proposed_at", "id")
    )


def overrides_to_review_for(user: Any) -> QuerySet[CreditOverride]:
    """Overrides a later rating sent back for review (待复核) in the user's scope, longest
    waiting first: a manager approves each again or withdraws it."""
    return (
        overrides_visible_to(user)
        .filter(status=OverrideStatus.NEEDS_REVIEW)
        .order_by("review_since", "id")
    )


def overrides_waiting_count(village_ids: list[int] | None) -> int:
    """How many overrides wait for a reviewer whose scope is these villages (``None``: the
    county) — 待审批 and 待复核 — for the menu's badge. Few overrides wait at any time, so
    their subjects are read first and only those are looked up in the scope (by primary key),
    never the scope's every household (a branch has ~10,000)."""
    waiting = list(
        CreditOverride.objects.filter(
            status__in=(OverrideStatus.PROPOSED, OverrideStatus.NEEDS_REVIEW)
        ).values_list("household_id", "business_entity_id")
    )
    if village_ids is None or not waiting:
        return len(waiting)
    households = [h for h, _ in waiting if h is not None]
    entities = [e for _, e in waiting if e is not None]
    count = 0
    if households:
        count += Household.objects.filter(pk__in=households, village_id__in=village_ids).count()
    if entities:
        count += BusinessEntity.objects.filter(pk__in=entities, village_id__in=village_ids).count()
    return count


def overrides_in_review_of(
    *, household_ids: Iterable[int] = (), entity_ids: Iterable[int] = ()
) -> dict[tuple[str, int], CreditOverride]:
    """The 待复核 override of each of these subjects that has one, keyed ``("household", id)``
    or ``("entity", id)`` — one query, for a page of lines or one subject's card."""
    household_ids, entity_ids = list(household_ids), list(entity_ids)
    if not household_ids and not entity_ids:
        return {}
    found = CreditOverride.objects.filter(status=OverrideStatus.NEEDS_REVIEW).filter(
        Q(household_id__in=household_ids) | Q(business_entity_id__in=entity_ids)
    )
    in_review: dict[tuple[str, int], CreditOverride] = {}
    for override in found:
        if override.household_id is not None:
            in_review["household", override.household_id] = override
        elif override.business_entity_id is not None:
            in_review["entity", override.business_entity_id] = override
    return in_review


def overrides_in_force_for(user: Any) -> QuerySet[CreditOverride]:
    """Approved overrides in the user's scope (expired ones too: they say so), soonest to
    expire first."""
    return (
        overrides_visible_to(user)
        .filter(status=OverrideStatus.APPROVED)
        .order_by("valid_until", "id")
    )


def overrides_proposed_by(user: Any) -> QuerySet[CreditOverride]:
    """An officer's own proposals, newest first, whatever became of them."""
    return overrides_visible_to(user).filter(proposed_by=user).order_by("-proposed_at", "-id")


def overrides_of_subject(override: CreditOverride) -> QuerySet[CreditOverride]:
    """Every override of the same household or entity, newest first."""
    if override.household_id is not None:
        subject = Q(household_id=override.household_id)
    else:
        subject = Q(business_entity_id=override.business_entity_id)
    return (
        CreditOverride.objects.filter(subject)
        .select_related("proposed_by", "reviewed_by")
        .order_by("-proposed_at", "-id")
    )


def override_history(override: CreditOverride) -> QuerySet[AuditEvent]:
    """What happened to the override, from the audit log, in order."""
    return AuditEvent.objects.filter(
        target_type=CreditOverride._meta.label_lower, target_id=str(override.pk)
    ).order_by("occurred_at", "id")


def household_head(household_id: int) -> Member | None:
    """The head of the household, for a masked summary of the subject."""
    return Member.objects.filter(household_id=household_id, relation=Relation.HEAD).first()


# --- a subject's current rating and line, a limit against its cap ----------------------------


def current_result(
    *, household: Household | None = None, entity: BusinessEntity | None = None
) -> RatingResult | None:
    """The subject's current (published) rating result."""
    subject = Q(household=household) if household is not None else Q(business_entity=entity)
    current = CurrentRating.objects.select_related("result").filter(subject).first()
    return current.result if current is not None else None


def current_line(
    *, household: Household | None = None, entity: BusinessEntity | None = None
) -> CreditLine | None:
    """The subject's current credit line (``None``: rated without a limit, or not rated)."""
    if household is not None:
        return household_current_line(household.pk)
    return entity_current_line(entity.pk) if entity is not None else None


@dataclass(frozen=True)
class CapCheck:
    """A limit override measured against the cap of the subject's grade."""

    grade: str
    cap: Decimal | None  # None: the grade grants no credit under the policy

    def exceeded_by(self, amount: Decimal | None) -> bool:
        return amount is not None and self.cap is not None and amount > self.cap


def cap_check(override: CreditOverride, *, on: date) -> CapCheck | None:
    """For a limit override: the subject's current grade and its cap under the policy in force
    ``on`` that day; ``None`` for grade overrides or when there is no rating or no policy."""
    if override.kind != OverrideKind.LIMIT:
        return None
    version = policy_in_force(on)
    result = current_result(household=override.household, entity=override.business_entity)
    if version is None or result is None:
        return None
    return CapCheck(
        grade=result.grade, cap=subject_caps(version.policy, override).get(result.grade)
    )


def subject_caps(policy: engine.CreditPolicy, override: CreditOverride) -> Mapping[str, Decimal]:
    """The grade caps of the override's subject: a household's, or an entity's own."""
    kind = engine.HOUSEHOLD if override.business_entity_id is None else engine.ENTITY
    basis = engine.limit_basis(policy, kind)
    return basis.caps if basis is not None else {}


def subject_label(override: CreditOverride) -> str:
    """The subject as pages, the audit log and messages name it, masked (§4.4): a household by
    its village and its head's masked name (罗家坪村 罗**户), a business by its name."""
    if override.household_id is not None:
        return household_names([override.household_id]).get(override.household_id, "")
    return str(override.business_entity)
