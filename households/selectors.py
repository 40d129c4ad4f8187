"""Reads of the archives, always scoped to what the user may see (docs/design.md §4.1).

An officer sees the villages of their grids, a branch manager the villages of their branches'
grids, head office and auditors the whole county. Anything outside that scope does not exist
for the user: views turn a miss into 404, never into someone else's data.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page
from django.db.models import (
    Count,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, Reverse

from fuxiang.accounts import roles
from fuxiang.accounts.models import Role
from fuxiang.masking import mask_name
from fuxiang.pagination import COUNT_CAP, BoundedPaginator
from households import listing
from households.listing import UNRATED
from households.models import (
    BusinessEntity,
    Grid,
    Household,
    HouseholdStatus,
    Member,
    Relation,
    Village,
    VillageGroup,
    Visit,
)

#: a search (name, ID digits) counts its matches up to this many ("200+")
SEARCH_COUNT_CAP = 200


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


def visible_village_ids(user: Any) -> list[int] | None:
    """The ids of the villages the user may see (None: the whole county). A list, not a
    subquery: given the ids, PostgreSQL knows how many rows a branch's villages hold (its
    statistics per village) and reads them by village; given a subquery it guessed a
    county-wide share and walked the whole county's index to find a branch's oldest rows."""
    if roles.sees_everything(user):
        return None
    return list(villages_visible_to(user).values_list("pk", flat=True))


def newest_first(user: Any, field: str) -> tuple[Any, ...]:
    """A list's order, newest first, for the user. For the county, by ``field`` (an index on
    (field, id) is walked from its newest end, however deep the page). For a scope (a grid, a
    branch: a few thousand to ~25,000 households) by an expression no index matches, so the
    scope's rows are read through its filter and sorted: walking the county's index instead,
    as PostgreSQL would (it assumes a scope's rows spread evenly through the county's), reads
    the whole county when the scope's rows are older than most."""
    return _newest_first(visible_village_ids(user) is None, field)


def _newest_first(county: bool, field: str) -> tuple[Any, ...]:
    if county:
        return (f"-{field}", "-id")
    return (Coalesce(F(field), F(field)).desc(), "-id")


def _in_visible_villages(user: Any, prefix: str) -> Q | None:
    ids = visible_village_ids(user)
    return None if ids is None else Q(**{f"{prefix}__in": ids})


def households_visible_to(user: Any) -> QuerySet[Household]:
    return _households_in(visible_village_ids(user))


def _households_in(villages: list[int] | None) -> QuerySet[Household]:
    """The households of these villages (None: the county)."""
    households = Household.objects.all()
    return households if villages is None else households.filter(village_id__in=villages)


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
    scope = _in_visible_villages(user, "village")  # ids: a subquery misled the planner
    entities = BusinessEntity.objects.select_related("village", "village__township")
    return entities if scope is None else entities.filter(scope)


def business_entities_editable_by(user: Any) -> QuerySet[BusinessEntity]:
    if not roles.can_edit_archives(user):
        return BusinessEntity.objects.none()
    return business_entities_visible_to(user)


def visits_visible_to(user: Any) -> QuerySet[Visit]:
    """By the visit's copy of its subject's village (``Visit.village``, which follows the
    subject when it moves): a scope's visits are read through ``visit_scope_order`` alone,
    where testing both kinds of subject against the scope scanned every visit."""
    visits = Visit.objects.select_related("officer", "household__village", "business_entity")
    scope = _in_visible_villages(user, "village")
    return visits if scope is None else visits.filter(scope)


# --- how a household is named -----------------------------------------------------------------


def household_name(village_name: str, head_name: str | None, household_id: int) -> str:
    """How pages and the audit log name a household: its village and its head's masked name
    (罗家坪村 罗**户, docs/design.md §4.4); its number only while it has no head (罗家坪村
    12号户)."""
    who = f"{mask_name(head_name)}户" if head_name else f"{household_id}号户"
    return f"{village_name} {who}"


def household_names(household_ids: Any) -> dict[int, str]:
    """``household_name`` of each of these households, keyed by id: two queries whatever the
    number."""
    ids = {pk for pk in household_ids if pk}
    if not ids:
        return {}
    heads = dict(
        Member.objects.filter(household_id__in=ids, relation=Relation.HEAD).values_list(
            "household_id", "name"
        )
    )
    villages = Household.objects.filter(pk__in=ids).values_list("pk", "village__name")
    return {pk: household_name(village, heads.get(pk), pk) for pk, village in villages}


def head_name_subquery(household_field: str = "pk") -> Subquery:
    """The head's name of the household in ``household_field`` of the outer row, to annotate a
    list with (one query for the page)."""
    heads = Member.objects.filter(household=OuterRef(household_field), relation=Relation.HEAD)
    return Subquery(heads.values("name")[:1])


# --- lists and pages --------------------------------------------------------------------------


def _head(field: str) -> Subquery:
    heads = Member.objects.filter(household=OuterRef("pk"), relation=Relation.HEAD)
    return Subquery(heads.values(field)[:1])


def households_filtered(
    *,
    user: Any,
    name: str = "",
    id_suffix: str = "",
    village_id: int | None = None,
    status: str = "",
    grade: str = "",
    line: str = "",
) -> QuerySet[Household]:
    """Households the user may see, filtered by head or member name (contains), the last
    digits of any member's ID, village, status, and — where credit registered its columns
    (``households.listing``) — current grade (or not yet rated) and credit line status, newest
    change first. No annotations, and no joins but a grade filter's (the current ratings,
    whose index gives a grade's households in the list's order): a page takes its ids from here
    (the index on ``updated_at`` answers it alone) and ``household_rows`` reads its rows."""
    villages = visible_village_ids(user)  # once: for a scope, a query
    households = _households_in(villages)
    if name := name.strip():
        # a scope's search reads its members by village (``member_village_names``: ~30,000
        # index entries for a branch), not each of its households' members in turn; the
        # county's walks its list order and tests each household, stopping at the page
        members = Member.objects.filter(name__contains=name)
        if villages is not None:
            members = members.filter(village_id__in=villages)
        households = households.filter(pk__in=members.values("household_id"))
    if id_suffix:
        # by the index on the reversed masked ID: the last digits are a prefix of it, read
        # as a range (a LIKE prefix would need the C collation or a pattern operator class)
        prefix = id_suffix.strip().upper()[::-1]
        after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        households = households.filter(
            pk__in=Member.objects.annotate(reversed_id=Reverse("id_number_masked"))
            .filter(reversed_id__gte=prefix, reversed_id__lt=after)
            .values("household_id")
        )
    if village_id:
        households = households.filter(village_id=village_id)
    if status:
        households = households.filter(status=status)
    # (no provider: the list has no grade or limit columns, and ignores their filters)
    standings = listing.provider()
    if standings is not None and line:
        households = standings.filter(households, line=line)
    if standings is not None and grade:
        households = standings.filter(households, grade=grade)
        if villages is None and grade != UNRATED:
            # the county reads a grade's households from its own index in the list's order,
            # however deep the page
            return households.order_by(*standings.grade_order)
    return households.order_by(*_newest_first(villages is None, "updated_at"))


def household_list(*, user: Any, **filters: Any) -> QuerySet[Household]:
    """``households_filtered`` with the head's name and masked ID and the member count on each
    row (for an export, which reads every row)."""
    member_count = (
        Member.objects.filter(household=OuterRef("pk"))
        .order_by()
        .values("household")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        households_filtered(user=user, **filters)
        .select_related("village", "village__township")
        .annotate(
            head_name=_head("name"),
            head_id_masked=_head("id_number_masked"),
            member_count=Subquery(member_count),
        )
    )


def household_rows(ids: list[int]) -> list[Household]:
    """One page of the list, in the order of ``ids``: each household with its village and
    township, head's name and masked ID, member count and — where registered — its current
    grade and credit line (``household.standing``). Four queries whatever the page."""
    ids = list(ids)
    households = {
        h.pk: h
        for h in Household.objects.filter(pk__in=ids).select_related("village", "village__township")
    }
    heads: dict[int, tuple[str, str]] = {}
    counts: dict[int, int] = {}
    for household_id, relation, person, masked in Member.objects.filter(
        household_id__in=ids
    ).values_list("household_id", "relation", "name", "id_number_masked"):
        counts[household_id] = counts.get(household_id, 0) + 1
        if relation == Relation.HEAD:
            heads[household_id] = (person, masked)
    standings = listing.provider()
    found = standings.standings(ids) if standings is not None else {}
    rows = []
    for pk in ids:
        household = households.get(pk)
        if household is None:
            continue  # deleted between the two reads
        household.head_name, household.head_id_masked = heads.get(pk, ("", ""))  # type: ignore[attr-defined]
        household.member_count = counts.get(pk, 0)  # type: ignore[attr-defined]
        household.standing = found.get(pk, listing.Standing())  # type: ignore[attr-defined]
        rows.append(household)
    return rows


def household_page(*, user: Any, number: Any, per_page: int, **filters: Any) -> Page:
    """One page of the household list: ids from ``households_filtered`` (counted up to
    ``pagination.COUNT_CAP``), rows from ``household_rows``."""
    ids = households_filtered(user=user, **filters).values_list("pk", flat=True)
    # the grade and line filters test each row against another app's tables: not counted; a
    # search by name or ID digits, which tests each household's members, is counted to 200
    counted = not (filters.get("grade") or filters.get("line"))
    searched = filters.get("name") or filters.get("id_suffix")
    return BoundedPaginator(
        ids,
        per_page,
        fill=household_rows,
        counted=counted,
        cap=SEARCH_COUNT_CAP if searched else COUNT_CAP,
    ).get_page(number)


def villages_missing_archives(user: Any) -> list[Village]:
    """The villages the user may see with fewer archives than registered households (户籍户数
    − households not closed: those still to be visited and archived), most missing first;
    each with ``archived`` and ``missing``. The registry of households is a count per village,
    not a list of names, so this says where they are and how many."""
    # count(*), not count(id): the index on (village, status) answers it alone
    archived = dict(
        households_visible_to(user)
        .exclude(status=HouseholdStatus.CLOSED)
        .order_by()
        .values("village_id")
        .annotate(n=Count("*"))
        .values_list("village_id", "n")
    )
    villages = []
    for village in villages_visible_to(user).select_related("grid").order_by("code"):
        village.archived = archived.get(village.pk, 0)  # type: ignore[attr-defined]
        village.missing = max(village.registered_households - village.archived, 0)  # type: ignore[attr-defined]
        if village.missing:  # type: ignore[attr-defined]
            villages.append(village)
    villages.sort(key=lambda v: -v.missing)  # type: ignore[attr-defined]
    return villages


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
