"""Reads of villagers' requests: the inbox of an officer (their grids), of a manager (their
branch, overdue first) and of head office (the county)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from households.selectors import grids_visible_to
from qrlookup.models import OfficerRequest, RequestStatus


def requests_visible_to(user: Any) -> QuerySet[OfficerRequest]:
    return OfficerRequest.objects.filter(grid__in=grids_visible_to(user).values("pk"))


def inbox(user: Any, *, status: str = "open", overdue_only: bool = False) -> Any:
    requests = requests_visible_to(user).select_related(
        "household__village", "village", "grid", "closed_by"
    )
    if status in RequestStatus.values:
        requests = requests.filter(status=status)
    if overdue_only:
        requests = requests.filter(status=RequestStatus.OPEN, due_at__lt=timezone.now())
    order = ("due_at", "id") if status == RequestStatus.OPEN else ("-closed_at", "-id")
    return requests.order_by(*order)


def inbox_counts(user: Any) -> dict[str, int]:
    """Open and overdue requests the user sees (the badge)."""
    open_requests = requests_visible_to(user).filter(status=RequestStatus.OPEN)
    return {
        "open": open_requests.count(),
        "overdue": open_requests.filter(due_at__lt=timezone.now()).count(),
    }


def overdue_count(user: Any) -> int:
    """Open requests past their deadline in the user's scope (the managers' menu): the partial
    index on open requests by (grid, due_at) answers it."""
    return (
        requests_visible_to(user)
        .filter(status=RequestStatus.OPEN, due_at__lt=timezone.now())
        .count()
    )
