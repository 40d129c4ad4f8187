"""What the left apps tell the lookup, through their hooks (connected in ``ready()``):

- ``households.signals.archives_changed`` → an edited archive answers its correction requests;
- ``rating.hooks.register`` → a published rating answers the rating requests it covers;
- ``households.signals.watchlist_matches_changed`` → lines may have been suspended.

Each also marks the cached result pages stale (``lookup_selectors.pages_changed``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from households.signals import archives_changed, watchlist_matches_changed
from qrlookup import officer_requests
from qrlookup.lookup_selectors import pages_changed, pages_changed_now_and_on_commit
from rating import hooks

logger = logging.getLogger(__name__)


def requests_follow_archive_changes(
    sender: Any, *, household_ids: Sequence[int], reason: str = "", **kwargs: Any
) -> None:

    officer_requests.requests_close_for_archive_change(household_ids=household_ids, reason=reason)
    pages_changed()


def requests_follow_publish(run: Any) -> None:

    if run.simulation:
        return
    officer_requests.requests_close_for_publish(run_id=run.pk, run_created_at=run.created_at)
    pages_changed_now_and_on_commit()


def pages_follow_watchlists(sender: Any, **kwargs: Any) -> None:
    """Watch-list matches suspend lines (credit) inside their transaction: the pages are stale
    once it commits."""

    pages_changed_now_and_on_commit()


def connect() -> None:

    archives_changed.connect(
        requests_follow_archive_changes, dispatch_uid="qrlookup.requests_follow_archive_changes"
    )
    watchlist_matches_changed.connect(
        pages_follow_watchlists, dispatch_uid="qrlookup.pages_follow_watchlists"
    )
    hooks.register(requests_follow_publish)
