"""When an approved override still applies (人工调整的适用条件).

A manager approves an override for a subject rated at some grade, whose cap under the policy
then in force was some amount: that grade and cap are what the approval judged, and they are
stored with it. A later rating that knocks the subject out, rates it below that grade, or puts
it under a lower cap (a lower grade, or a new policy) takes the ground from under the approval:
the override stops applying — the line is the engine's again — and goes back to a manager
(待复核). The same or a better grade, and the same or a higher cap, keep it.

The credit lines' SQL path (``credit.lines``) compiles the same test; the tests require both
to agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from credit.engine.formatting import yuan
from credit.engine.policy import GRADES

ZERO = Decimal(0)


def grade_rank(grade: str) -> int:
    """0 for the best grade; a grade the policy does not know ranks below every known one."""
    return GRADES.index(grade) if grade in GRADES else len(GRADES)


@dataclass(frozen=True)
class ApprovedUnder:
    """The subject's grade and that grade's cap when its override was approved (0: the grade
    granted no credit)."""

    grade: str
    cap: Decimal


def override_outlived(
    approved: ApprovedUnder, *, grade: str, knocked_out: bool, cap: Decimal | None
) -> str:
    """Why an approved override no longer applies to a subject now rated ``grade`` (its cap
    under the run's policy ``cap``; ``None``: no credit) — a Chinese sentence for staff — or
    ``""`` when it still applies."""
    if knocked_out:
        return "评级被一票否决"
    reasons = []
    if grade_rank(grade) > grade_rank(approved.grade):
        reasons.append(f"评级由{approved.grade}级降为{grade}级")
    now = cap if cap is not None else ZERO
    if now < approved.cap:
        reasons.append(f"等级额度上限由{yuan(approved.cap)}降为{yuan(now)}")
    return "，".join(reasons)
