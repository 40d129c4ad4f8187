"""What waits for a manager, for the menu on every page (branch managers and head office):
overrides to approve or review again, villagers' requests past their deadline, loans past due.

Dashboards may read every app (it is the last layer), so the three counts meet here; each is
one indexed count in the user's scope (credit, qrlookup and loans own their reads). They are
kept for ``MENU_CACHE_SECONDS`` per user, so a page costs one cache read, and dropped when an
override, a request or a loan changes (``menu_changed``, connected in ``receivers``): a badge
is right on the next page after anyone acts; only time passing (a deadline) waits for the
minute."""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import Any

from django.core.cache import cache

from credit.override_selectors import overrides_waiting_count
from fuxiang.accounts import roles
from households.selectors import visible_village_ids
from loans.ledger_selectors import overdue_loans_count
from qrlookup.officer_request_selectors import overdue_count

MENU_CACHE_SECONDS = 60
GENERATION_KEY = "dashboards:menu:generation"


@dataclass(frozen=True)
class MenuCounts:
    overrides: int = 0  # 待审批 and 待复核 overrides
    overdue_requests: int = 0  # villagers' requests past their 7-day deadline
    overdue_loans: int = 0  # loans 逾期

    @property
    def overdue(self) -> int:
        return self.overdue_requests + self.overdue_loans


def menu_counts(user: Any) -> MenuCounts:
    """The counts for a manager (from the cache when nothing changed since); nothing for a
    role that approves nothing."""
    if not roles.can_approve_override(user):
        return MenuCounts()
    key = f"dashboards:menu:{user.pk}"
    found = cache.get_many([key, GENERATION_KEY])
    generation = found.get(GENERATION_KEY, 0)
    kept = found.get(key)
    if kept is not None and kept[0] == generation:
        return MenuCounts(*kept[1])
    counts = menu_counts_now(user)
    cache.set(key, (generation, astuple(counts)), MENU_CACHE_SECONDS)
    return counts


def menu_counts_now(user: Any) -> MenuCounts:
    """The three counts, read now."""
    village_ids = visible_village_ids(user)  # the scope, read once
    return MenuCounts(
        overrides=overrides_waiting_count(village_ids),
        overdue_requests=overdue_count(user),
        overdue_loans=overdue_loans_count(village_ids),
    )


def menu_changed() -> None:
    """Something the menu counts changed: every manager's kept counts are stale."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there yet (or evicted): any new value differs from 0
        cache.set(GENERATION_KEY, 1, None)
