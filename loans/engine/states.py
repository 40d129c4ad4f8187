"""The state machines of applications, contracts, loans and instalments — pure data.

Each machine is a table of allowed moves; services move a row only through ``transition``,
and the database keeps the same tables (on PostgreSQL a trigger — migration
``loans.0002`` holds a frozen copy of these tables — refuses any other change of ``status``;
check constraints keep each state's fields consistent).
"""

from __future__ import annotations

from collections.abc import Mapping

APPLICATION = "application"
CONTRACT = "contract"
LOAN = "loan"
INSTALMENT = "instalment"

# state → the states it may move to
MACHINES: Mapping[str, Mapping[str, frozenset[str]]] = {
    APPLICATION: {
        # 秒办: an online product is decided at once (approved or declined); 房抵贷 goes to
        # the officer's queue first
        "submitted": frozenset({"approved", "declined", "under_review"}),
        "under_review": frozenset({"approved", "declined", "withdrawn"}),
        "approved": frozenset({"signed", "expired", "withdrawn"}),
        "declined": frozenset(),
        "signed": frozenset(),
        "expired": frozenset(),
        "withdrawn": frozenset(),
    },
    CONTRACT: {
        "signed": frozenset({"active", "terminated"}),  # first drawdown / matured unused
        "active": frozenset({"closed"}),  # repaid and nothing more to draw
        "closed": frozenset(),
        "terminated": frozenset(),
    },
    LOAN: {
        "active": frozenset({"overdue", "closed"}),
        "overdue": frozenset({"active", "bad", "closed"}),
        "bad": frozenset({"closed"}),
        "closed": frozenset(),
    },
    INSTALMENT: {
        "pending": frozenset({"paid", "overdue"}),
        "overdue": frozenset({"paid"}),
        "paid": frozenset(),
    },
}

LABELS: Mapping[str, Mapping[str, str]] = {
    APPLICATION: {
        "submitted": "已提交",
        "under_review": "待审核",
        "approved": "已批准",
        "declined": "未通过",
        "signed": "已签约",
        "expired": "已过期",
        "withdrawn": "已撤回",
    },
    CONTRACT: {"signed": "已签约", "active": "使用中", "closed": "已结清", "terminated": "已终止"},
    LOAN: {"active": "正常", "overdue": "逾期", "bad": "不良", "closed": "已结清"},
    INSTALMENT: {"pending": "未到期", "overdue": "逾期", "paid": "已还清"},
}

OPEN_APPLICATION_STATES = frozenset({"submitted", "under_review", "approved"})
LIVE_CONTRACT_STATES = frozenset({"signed", "active"})
OPEN_LOAN_STATES = frozenset({"active", "overdue", "bad"})
BAD_AFTER_DAYS = 90  # days past due after which a loan is 不良


class TransitionError(ValueError):
    def __init__(self, machine: str, current: str, target: str) -> None:
        self.machine, self.current, self.target = machine, current, target
        labels = LABELS[machine]
        super().__init__(
            f"状态为“{labels.get(current, current)}”，不能改为“{labels.get(target, target)}”"
        )


def can_move(machine: str, current: str, target: str) -> bool:
    return target in MACHINES[machine].get(current, frozenset())


def transition(machine: str, current: str, target: str) -> str:
    """``target`` if the machine allows ``current → target``; else ``TransitionError``."""
    if not can_move(machine, current, target):
        raise TransitionError(machine, current, target)
    return target


def loan_state_for(days_past_due: int, *, current: str) -> str:
    """Where an open loan belongs given its days past due: 正常, 逾期, or 不良 from
    ``BAD_AFTER_DAYS`` on (a bad loan stays bad until it is closed)."""
    if current == "bad":
        return "bad"
    if days_past_due >= BAD_AFTER_DAYS:
        return "bad"
    return "overdue" if days_past_due > 0 else "active"
