"""Reads of the watch lists: a household's or entity's active matches (scoped to the user),
counts per list, entries and uploads for the list page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from households import selectors
from households.models import (
    BusinessEntity,
    Household,
    WatchlistEntityMatch,
    WatchlistEntry,
    WatchlistKind,
    WatchlistMatch,
    WatchlistUpload,
)
from households.watchlist_matching import active_on

# --- reads ------------------------------------------------------------------------------------


def watchlist_matches_for_household(*, user: Any, household: Household) -> list[WatchlistMatch]:
    """The household's active matches if the user may see the household (officers and
    managers: their grids/branch; head office and auditors: all), else an empty list."""
    if not selectors.households_visible_to(user).filter(pk=household.pk).exists():
        return []
    return list(
        WatchlistMatch.objects.filter(household=household, cleared_at__isnull=True)
        .select_related("entry", "member")
        .order_by("kind", "-matched_at", "-id")
    )


def watchlist_matches_for_entity(*, user: Any, entity: BusinessEntity) -> list[Any]:
    """The entity's active matches (its own code, or its legal representative/operator) if the
    user may see the entity, else an empty list."""
    if not selectors.business_entities_visible_to(user).filter(pk=entity.pk).exists():
        return []
    return list(
        WatchlistEntityMatch.objects.filter(business_entity=entity, cleared_at__isnull=True)
        .select_related("entry")
        .order_by("kind", "-matched_at", "-id")
    )


def watchlist_active_match_counts() -> list[dict[str, Any]]:
    """Per list kind: active matches, people and households matched (every kind listed)."""
    rows: dict[str, dict[str, Any]] = {
        row["kind"]: dict(row)
        for row in WatchlistMatch.objects.filter(cleared_at__isnull=True)
        .order_by()
        .values("kind")
        .annotate(
            matches=Count("pk"),
            members=Count("member", distinct=True),
            households=Count("household", distinct=True),
        )
    }
    empty = {"matches": 0, "members": 0, "households": 0}
    return [
        {**empty, **rows.get(code, {}), "kind": code, "label": str(label)}
        for code, label in WatchlistKind.choices
    ]


def watchlist_entries(
    *, as_of: date, kind: str = "", state: str = "", upload_id: int | None = None
) -> QuerySet[WatchlistEntry]:
    """Entries for the list page; ``state`` is "active", "lifted" or "" (all)."""
    entries = WatchlistEntry.objects.select_related("upload").annotate(
        active_matches=Count("matches", filter=Q(matches__cleared_at__isnull=True), distinct=True)
        + Count("entity_matches", filter=Q(entity_matches__cleared_at__isnull=True), distinct=True)
    )
    if kind:
        entries = entries.filter(kind=kind)
    if state == "active":
        entries = entries.filter(active_on(as_of))
    elif state == "lifted":
        entries = entries.filter(lifted_on__lte=as_of)
    if upload_id:
        entries = entries.filter(upload_id=upload_id)
    return entries.order_by("-listed_on", "-id")


def watchlist_uploads() -> QuerySet[WatchlistUpload]:
    return WatchlistUpload.objects.select_related("uploaded_by").order_by("-uploaded_at", "-id")
