"""Reads of manual overrides (人工调整), scoped to the user like the archives they adjust: an
override exists for a user only if its household or entity does (``households.selectors``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet

from credit.models import CreditOverride, OverrideStatus
from fuxiang.accounts import roles
from fuxiang.audit.models import AuditEvent
from households.models import Member, Relation
from households.selectors import business_entities_visible_to, households_visible_to


def overrides_visible_to(user: Any) -> QuerySet[CreditOverride]:
    if roles.sees_everything(user):
        overrides = CreditOverride.objects.all()
    else:
        overrides = CreditOverride.objects.filter(
            Q(household__in=households_visible_to(user).values("pk"))
            | Q(business_entity__in=business_entities_visible_to(user).values("pk"))
        )
    return overrides.select_related(
        "household__village__township",
        "business_entity__village__township",
        "proposed_by",
        "reviewed_by",
    )


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
