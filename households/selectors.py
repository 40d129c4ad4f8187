"""Reads of the archives, always scoped to what the user may see (DESIGN.md §4.1).

An officer sees the villages of their grids, a branch manager the villages of their branches'
grids, head office and auditors the whole county. Anything outside that scope does not exist
for the user: views turn a miss into 404, never into someone else's data.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from fuxiang.accounts import roles
from fuxiang.accounts.models import Role
from households.models import (
    BusinessEntity,
    Grid,
    Household,
    Member,
    Relation,
    Village,
    VillageGroup,
    Visit,
)


def _village_scope(user: Any) -> Q | None:
    """A filter on ``Village`` for the user; None means everything, Q(pk__in=[]) nothing."""
    if roles.sees_everything(user):
        return None
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    if user.role == Role.BRANCH_MANAGER:
        return Q(grid__branch__managers=user)
    if user.role == Role.OFFICER:
        return Q(grid__officers=user)
    return Q(pk__in=[])


def villages_visible_to(user: Any) -> QuerySet[Village]:
    scope = _village_scope(user)
    villages = Village.objects.select_related("township", "grid")
    return villages if scope is None else villages.filter(scope).distinct()


def villages_editable_by(user: Any) -> QuerySet[Village]:
    """Villages in which the user may create or change archives."""
    if not roles.can_edit_archives(user):
        return Village.objects.none()
    return villages_visible_to(user)


def grids_visible_to(user: Any) -> QuerySet[Grid]:
    grids = Grid.objects.select_related("branch")
    if roles.sees_everything(user):
        return grids
    if getattr(user, "role", None) == Role.BRANCH_MANAGER:
        return grids.filter(branch__managers=user).distinct()
    if getattr(user, "role", None) == Role.OFFICER:
        return grids.filter(officers=user).distinct()
    return grids.none()


def _in_visible_villages(user: Any, prefix: str) -> Q | None:
    if roles.sees_everything(user):
        return None
    return Q(**{f"{prefix}__in": villages_visible_to(user).values("pk")})


def households_visible_to(user: Any) -> QuerySet[Household]:
    scope = _in_visible_villages(user, "village")
    households = Household.objects.all()
    return households if scope is None else households.filter(scope)


def households_editable_by(user: Any) -> QuerySet[Household]:
    if not roles.can_edit_archives(user):
        return Household.objects.none()
    return households_visible_to(user)


def members_visible_to(user: Any) -> QuerySet[Member]:
    return Member.objects.filter(household__in=households_visible_to(user).values("pk"))


def members_editable_by(user: Any) -> QuerySet[Member]:
    return Member.objects.filter(household__in=households_editable_by(user).values("pk"))


def village_groups_editable_by(user: Any) -> QuerySet[VillageGroup]:
    return VillageGroup.objects.filter(village__in=villages_editable_by(user).values("pk"))


def business_entities_visible_to(user: Any) -> QuerySet[BusinessEntity]:
    scope = _in_visible_villages(user, "village")
    entities = BusinessEntity.objects.select_related("village", "village__township")
    return entities if scope is None else entities.filter(scope)


def business_entities_editable_by(user: Any) -> QuerySet[BusinessEntity]:
    if not roles.can_edit_archives(user):
        return BusinessEntity.objects.none()
    return business_entities_visible_to(user)


def visits_visible_to(user: Any) -> QuerySet[Visit]:
    return Visit.objects.filter(
        Q(household__in=households_visible_to(user).values("pk"))
        | Q(business_entity__in=business_entities_visible_to(user).values("pk"))
    ).select_related("officer", "household__village", "business_entity")


# --- lists and pages --------------------------------------------------------------------------


def _head(field: str) -> Subquery:
    heads = Member.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD)
    return Subquery(heads.values(field)[:1])


def household_list(
    *,
    user: Any,
    name: str = "",
    id_suffix: str = "",
    village_id: int | None = None,
    status: str = "",
) -> QuerySet[Household]:
    """Households the user may see, with the head's name and masked ID for the list, filtered
    by head name (contains), the last digits of any member's ID, village and status."""
    households = households_visible_to(user).select_related("village", "village__township")
    if name:
        households = households.filter(
            pk__in=Member.objects.filter(name__contains=name.strip()).values("household_id")
        )
    if id_suffix:
        households = households.filter(
            pk__in=Member.objects.filter(
                id_number_masked__endswith=id_suffix.strip().upper()
            ).values("household_id")
        )
    if village_id:
        households = households.filter(village_id=village_id)
    if status:
        households = households.filter(status=status)
    member_count = (
        Member.objects.filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return households.annotate(
        head_name=_head("name"),
        head_id_masked=_head("id_number_masked"),
        member_count=Subquery(member_count),
    ).order_by("-updated_at", "-id")


def household_detail(*, user: Any, household_id: int) -> Household:
    """One household with members, entities and visits; ``Household.DoesNotExist`` outside
    the user's scope."""
    return (
        households_visible_to(user)
        .select_related("village__township", "village__grid__branch", "village_group")
        .prefetch_related(
            Prefetch("members", queryset=Member.objects.order_by("id")),
            # an entity may belong to households in several grids: show only visible ones
            Prefetch("business_entities", queryset=business_entities_visible_to(user)),
            Prefetch(
                "visits",
                queryset=Visit.objects.select_related("officer").order_by("-visited_at"),
            ),
        )
        .get(pk=household_id)
    )
