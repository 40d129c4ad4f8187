"""Signals that apps to the right of ``credit`` listen to (they connect from their own
``AppConfig.ready()``; credit never imports them).

``lines_changed`` — the status of some subjects' current credit lines changed outside a rating
publish: a manager suspended, restored or revoked one (``line_set_status``), a watch-list match
suspended or lifted them (``lines_follow_watchlists``), or the nightly expiry ended them
(``lines_expire``). Sent with ``household_ids`` and ``entity_ids`` (sorted lists; both empty and
``everything=True`` when the change was too wide to list, as the nightly expiry) and ``reason``,
once the change is committed: nothing for a rolled-back change. A new line from a rating run is
announced by rating's publish hooks (``rating.hooks.register``), not here. Receivers must be
quick (queue work); their errors are logged, never raised at the writer.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

lines_changed = Signal()


def lines_changed_on_commit(
    *,
    household_ids: Iterable[int] = (),
    entity_ids: Iterable[int] = (),
    everything: bool = False,
    reason: str,
) -> None:
    """Send ``lines_changed`` when the current transaction commits."""
    households = sorted({int(pk) for pk in household_ids if pk is not None})
    entities = sorted({int(pk) for pk in entity_ids if pk is not None})
    if not (households or entities or everything):
        return

    def send() -> None:
        lines_changed.send_robust(
            sender=None,
            household_ids=households,
            entity_ids=entities,
            everything=everything,
            reason=reason,
        )

    transaction.on_commit(send)
