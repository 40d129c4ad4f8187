"""Signals that apps to the right of ``households`` listen to (docs/design.md §2: households never
imports them; they connect receivers from their own ``AppConfig.ready()``).

``archives_changed`` — the rating inputs of some households or business entities changed
(archive created or edited, members added or edited, consent given or withdrawn, closed,
imported, owner links changed, a watch-list match made or cleared). Sent with
``household_ids`` and ``entity_ids`` (sorted lists, either may be empty) and ``reason`` (short
codes such as ``"household_update"``, comma-separated when several changes are sent together),
only once the change is committed: nothing is sent for a rolled-back change. Receivers must be
quick (queue work, don't do it) and their errors are logged, never raised at the writer, whose
change is already saved.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

from households.models import Household

archives_changed = Signal()

# ``watchlist_matches_changed`` — watch-list matches were made or cleared. Unlike
# ``archives_changed`` it is sent INSIDE the transaction that wrote them, with ``at``: the
# ``matched_at`` of the new matches and the ``cleared_at`` of the cleared ones. A receiver's
# writes (credit suspends the lines of the households just listed) commit or roll back with
# the matches; a receiver that raises rolls the change back.
watchlist_matches_changed = Signal()


class _Changes:
    """The households and entities changed in one transaction, sent once when it commits."""

    def __init__(self) -> None:
        self.household_ids: set[int] = set()
        self.entity_ids: set[int] = set()
        self.reasons: list[str] = []
        # a test's captureOnCommitCallbacks runs callbacks without removing them: once sent,
        # later changes need a callback of their own
        self.sent = False

    def add(self, household_ids: Iterable[int], entity_ids: Iterable[int], reason: str) -> None:
        self.household_ids.update(household_ids)
        self.entity_ids.update(entity_ids)
        if reason not in self.reasons:
            self.reasons.append(reason)

    def __call__(self) -> None:
        self.sent = True
        if self.household_ids or self.entity_ids:
            archives_changed.send_robust(
                sender=Household,
                household_ids=sorted(self.household_ids),
                entity_ids=sorted(self.entity_ids),
                reason=",".join(self.reasons),
            )


def archives_changed_on_commit(
    household_ids: Iterable[int], *, reason: str, entity_ids: Iterable[int] = ()
) -> None:
    """Send ``archives_changed`` for these households (and business entities) when the current
    transaction commits (at once outside a transaction). Changes made in one transaction are
    sent together, each subject once, so five edits of a household in one request lead to one
    re-rating.

    The pending changes are the callback already registered with ``on_commit``: if the savepoint
    that registered it rolls back, Django drops it and the next change registers a new one. (A
    household added to it from a savepoint that then rolls back is re-rated needlessly, never
    missed.)"""
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # run_on_commit: Django's list of (savepoint ids, callback, robust) waiting for the commit
        for _savepoints, callback, _robust in reversed(connection.run_on_commit):
            if isinstance(callback, _Changes) and not callback.sent:
                callback.add(household_ids, entity_ids, reason)
                return
    changes = _Changes()
    changes.add(household_ids, entity_ids, reason)
    transaction.on_commit(changes)
