"""What the left apps tell the lookup, through their hooks (connected in ``ready()``):

- ``households.signals.archives_changed`` → an edited archive answers its correction requests;
- ``rating.publish.register`` → a published rating answers the rating requests it covers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

logger = logging.getLogger(__name__)


def requests_follow_archive_changes(
    sender: Any, *, household_ids: Sequence[int], reason: str = "", **kwargs: Any
) -> None:
    from qrlookup import officer_requests

    officer_requests.requests_close_for_archive_change(household_ids=household_ids, reason=reason)


def requests_follow_publish(run: Any) -> None:
    from qrlookup import officer_requests

    if run.simulation:
        return
    officer_requests.requests_close_for_publish(run_id=run.pk, run_created_at=run.created_at)


def connect() -> None:
    from households.signals import archives_changed
    from rating import publish

    archives_changed.connect(
        requests_follow_archive_changes, dispatch_uid="qrlookup.requests_follow_archive_changes"
    )
    publish.register(requests_follow_publish)
