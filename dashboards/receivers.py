"""What the apps on the left tell the dashboards, through their hooks (connected in
``DashboardsConfig.ready()``), each of which queues a refresh of the summaries (debounced,
after the commit):

- ``rating.hooks.register`` — a published rating run: grades and credit lines changed;
- ``credit.signals.lines_changed`` — lines suspended, restored, revoked or expired;
- ``loans.signals.ledger_changed`` — an application, a contract, a drawdown, a repayment.

And the managers' menu forgets its kept counts (``menu_selectors.menu_changed``, after the
commit) when an override or a villager's request is saved or deleted, after a ledger change
(a repayment may end an overdue) and after a publish (which may send overrides back for review
and close requests). The nightly overdue job is left to the counts' minute.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from credit.models import CreditOverride
from credit.signals import lines_changed
from dashboards.figures import figures_refresh_soon
from dashboards.menu_selectors import menu_changed
from loans.signals import ledger_changed
from qrlookup.models import OfficerRequest
from rating import hooks


def refresh_after_publish(run: Any) -> None:
    """A publish step: never raises into the publish (the refresh is only queued)."""
    if getattr(run, "simulation", False):
        return

    figures_refresh_soon()


def refresh_after_change(sender: Any, **kwargs: Any) -> None:
    """Lines or the loan ledger changed (sent after their commit)."""

    figures_refresh_soon()


def menu_after_change(sender: Any = None, **kwargs: Any) -> None:
    """A row the managers' menu counts changed: forget the kept counts once the change is
    committed (``ledger_changed`` is sent after its commit: then at once)."""
    transaction.on_commit(menu_changed)


def menu_after_publish(run: Any) -> None:
    transaction.on_commit(menu_changed)


def connect() -> None:
    for model in (CreditOverride, OfficerRequest):
        uid = f"dashboards.menu_after_{model._meta.model_name}"
        post_save.connect(menu_after_change, sender=model, dispatch_uid=f"{uid}_save")
        post_delete.connect(menu_after_change, sender=model, dispatch_uid=f"{uid}_delete")
    hooks.register(menu_after_publish)
    ledger_changed.connect(menu_after_change, dispatch_uid="dashboards.menu_after_ledger")

    hooks.register(refresh_after_publish)
    lines_changed.connect(refresh_after_change, dispatch_uid="dashboards.refresh_after_lines")
    ledger_changed.connect(refresh_after_change, dispatch_uid="dashboards.refresh_after_ledger")
