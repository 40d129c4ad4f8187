"""Writes on credit lines: suspend, restore, revoke (a manager's decision, audited), the nightly
expiry, and the suspension a negative watch-list match causes in its own transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from credit.models import CreditLine, LineStatus
from credit.selectors import current_lines
from fuxiang.accounts import roles
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError
from households.selectors import households_visible_to

# Lists whose match stops lending at once (the next rating knocks the household out anyway);
# 低保/脱贫 lists give preferential pricing instead and suspend nothing.
SUSPENDING_LISTS = frozenset({"dishonest_debtor", "criminal_record", "drug_gambling"})
WATCHLIST_REASON = "名单命中（{kind}），授信已自动冻结"


def _visible_line(actor: Any, line: CreditLine) -> CreditLine:
    subject_visible = (
        line.household_id is None
        or households_visible_to(actor).filter(pk=line.household_id).exists()
    )
    if not subject_visible:
        raise DomainError("未找到该授信额度，或您无权访问", code="not_found")
    return line


@transaction.atomic
def line_set_status(
    *, actor: Any, line: CreditLine, status: str, reason: str, request: Any = None
) -> CreditLine:
    """A manager suspends, restores or revokes a current line, with a reason."""
    if not roles.can_suspend_line(actor):
        raise DomainError("只有支行行长或总行可以冻结、解冻或撤销授信额度", code="forbidden")
    line = CreditLine.objects.select_for_update().get(pk=line.pk)
    _visible_line(actor, line)
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise DomainError({"reason": "请填写原因"})
    allowed = {
        LineStatus.SUSPENDED: {LineStatus.ACTIVE},
        LineStatus.ACTIVE: {LineStatus.SUSPENDED},
        LineStatus.REVOKED: {LineStatus.ACTIVE, LineStatus.SUSPENDED},
    }
    if status not in allowed or line.status not in allowed[LineStatus(status)]:
        raise DomainError(
            f"额度当前为“{line.get_status_display()}”，不能改为“{LineStatus(status).label}”"
        )
    if not current_lines().filter(pk=line.pk).exists():
        raise DomainError("这不是该户当前的授信额度（已被新的评级结果取代）")
    before = line.status
    line.status, line.status_reason, line.status_changed_at = status, reason, timezone.now()
    line.save(update_fields=["status", "status_reason", "status_changed_at"])
    action = {
        LineStatus.SUSPENDED: AuditAction.CREDIT_LINE_SUSPEND,
        LineStatus.ACTIVE: AuditAction.CREDIT_LINE_RESTORE,
        LineStatus.REVOKED: AuditAction.CREDIT_LINE_REVOKE,
    }[LineStatus(status)]
    audit_record(
        action=action,
        actor=actor,
        target=line,
        target_label=f"授信额度#{line.pk}",
        request=request,
        details={"from": before, "to": status, "reason": reason},
    )
    return line


def lines_suspend_for_match(*, household_id: int, kind: str) -> int:
    """A negative list matched a member of the household: suspend its current line now, in
    the caller's (the match's) transaction. Returns the number of lines suspended."""
    if kind not in SUSPENDING_LISTS:
        return 0
    suspended = (
        current_lines()
        .filter(household_id=household_id, status=LineStatus.ACTIVE)
        .update(
            status=LineStatus.SUSPENDED,
            status_reason=WATCHLIST_REASON.format(kind=kind),
            status_changed_at=timezone.now(),
        )
    )
    if suspended:
        audit_record(
            action=AuditAction.CREDIT_LINE_SUSPEND,
            target_label=f"农户#{household_id}",
            details={"household": household_id, "list": kind, "automatic": True},
        )
    return suspended


def lines_restore_after_lift(*, household_id: int, still_listed: bool) -> int:
    """The match that suspended the line was lifted: restore it unless another negative match
    is still active. Only automatic suspensions are lifted this way (a manager's stays)."""
    if still_listed:
        return 0
    restored = (
        current_lines()
        .filter(
            household_id=household_id,
            status=LineStatus.SUSPENDED,
            status_reason__startswith="名单命中",
        )
        .update(status=LineStatus.ACTIVE, status_reason="", status_changed_at=timezone.now())
    )
    if restored:
        audit_record(
            action=AuditAction.CREDIT_LINE_RESTORE,
            target_label=f"农户#{household_id}",
            details={"household": household_id, "automatic": True},
        )
    return restored


def lines_expire(*, today: date | None = None) -> int:
    """Nightly: active lines past their end date expire (safe to run twice)."""
    today = today or timezone.localdate()
    expired = CreditLine.objects.filter(status=LineStatus.ACTIVE, valid_to__lt=today).update(
        status=LineStatus.EXPIRED,
        status_reason="授信期限届满",
        status_changed_at=timezone.now(),
    )
    if expired:
        audit_record(
            action=AuditAction.CREDIT_LINES_EXPIRE,
            details={"expired": expired, "on": today.isoformat()},
        )
    return expired
