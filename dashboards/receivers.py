"""What the apps on the left tell the dashboards, through their hooks (connected in
``DashboardsConfig.ready()``), each of which queues a refresh of the summaries (debounced,
after the commit):

- ``rating.hooks.register`` — a published rating run: grades and credit lines changed;
- ``credit.signals.lines_changed`` — lines suspended, restored, revoked or expired;
- ``loans.signals.ledger_changed`` — an application, a contract, a drawdown, a repayment.
"""

from __future__ import annotations

from typing import Any

from credit.signals import lines_changed
from dashboards.figures import figures_refresh_soon
from loans.signals import ledger_changed
from rating import hooks


def refresh_after_publish(run: Any) -> None:
    """A publish step: never raises into the publish (the refresh is only queued)."""
    if getattr(run, "simulation", False):
        return

    figures_refresh_soon()


def refresh_after_change(sender: Any, **kwargs: Any) -> None:
    """Lines or the loan ledger changed (sent after their commit)."""

    figures_refresh_soon()


def connect() -> None:

    hooks.register(refresh_after_publish)
    lines_changed.connect(refresh_after_change, dispatch_uid="dashboards.refresh_after_lines")
    ledger_changed.connect(refresh_after_change, dispatch_uid="dashboards.refresh_after_ledger")
