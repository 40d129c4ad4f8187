"""What waits for a manager, for the menu on every page (branch managers and head office):
overrides to approve or review again, villagers' requests past their deadline, loans past due.

Dashboards may read every app (it is the last layer), so the three counts meet here; each is
one indexed count in the user's scope (credit, qrlookup and loans own their scopes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from credit.override_selectors import overrides_waiting_count
from fuxiang.accounts import roles
from loans.ledger_selectors import overdue_loans_count
from qrlookup.officer_request_selectors import overdue_count


@dataclass(frozen=True)
class MenuCounts:
    overrides: int = 0  # 待审批 and 待复核 overrides
    overdue_requests: int = 0  # villagers' requests past their 7-day deadline
    overdue_loans: int = 0  # loans 逾期

    @property
    def overdue(self) -> int:
        return self.overdue_requests + self.overdue_loans


def menu_counts(user: Any) -> MenuCounts:
    """The counts for a manager; nothing for a role that approves nothing."""
    if not roles.can_approve_override(user):
        return MenuCounts()
    return MenuCounts(
        overrides=overrides_waiting_count(user),
        overdue_requests=overdue_count(user),
        overdue_loans=overdue_loans_count(user),
    )
