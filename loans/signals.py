"""Signals that apps to the right of ``loans`` listen to (they connect from their own
``AppConfig.ready()``; loans never imports them).

``ledger_changed`` — the loan ledger of some borrowers moved: an application submitted
(``application_submit``), a contract signed (``contract_sign``), a drawdown paid
(``drawdown_create``), a repayment recorded (``repayment_record``). Sent with ``household_ids``
and ``entity_ids`` (sorted lists) and ``reason`` (apply, sign, draw, repay) once the change is
committed: nothing for a rolled-back change. Receivers must be quick (queue work); their errors
are logged, never raised at the writer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

ledger_changed = Signal()


def ledger_changed_on_commit(
    *, household_ids: Iterable[int | None] = (), entity_ids: Iterable[int | None] = (), reason: str
) -> None:
    """Send ``ledger_changed`` when the current transaction commits."""
    households = sorted({int(pk) for pk in household_ids if pk is not None})
    entities = sorted({int(pk) for pk in entity_ids if pk is not None})
    if not (households or entities):
        return

    def send() -> None:
        for receiver, result in ledger_changed.send_robust(
            sender=None, household_ids=households, entity_ids=entities, reason=reason
        ):
            if isinstance(result, Exception):
                logger.error("ledger_changed receiver %r failed: %r", receiver, result)

    transaction.on_commit(send)
