"""Writes on credit lines: suspend, restore, revoke (a manager's decision, audited), the nightly
expiry, and the suspension a negative watch-list match causes in its own transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from credit.models import CreditLine, LineStatus
from credit.selectors import current_lines
from fuxiang.accounts import roles
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError
from households.models import WatchlistEntityMatch, WatchlistKind, WatchlistMatch
from households.selectors import households_visible_to

# Lists whose match stops lending at once (the next rating knocks the household out anyway);
# 低保/脱贫 lists give preferential pricing instead and suspend nothing.
SUSPENDING_LISTS = frozenset({"dishonest_debtor", "criminal_record", "drug_gambling"})
WATCHLIST_REASON_PREFIX = "名单命中"
WATCHLIST_REASON = WATCHLIST_REASON_PREFIX + "（{kind}），授信已自动冻结"
WATCHLIST_LABELS = {k.value: str(k.label) for k in WatchlistKind}


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


def lines_follow_watchlists(*, at: datetime) -> dict[str, int]:
    """Watch-list matches were made or cleared at ``at``, in the caller's transaction: suspend
    at once the current lines of the households (and entities) a negative list now matches,
    and restore the lines such a match had suspended once no negative match is left. Set-based:
    four UPDATEs whatever the number of matches. A manager's own suspension is never lifted
    here (its reason is theirs)."""
    lines = current_lines()
    negative = {"kind__in": sorted(SUSPENDING_LISTS)}
    counts = {"suspended": 0, "restored": 0}
    for match_model, subject in (
        (WatchlistMatch, "household_id"),
        (WatchlistEntityMatch, "business_entity_id"),
    ):
        listed = match_model.objects.filter(matched_at=at, cleared_at__isnull=True, **negative)
        for kind in SUSPENDING_LISTS:
            counts["suspended"] += lines.filter(
                status=LineStatus.ACTIVE,
                **{f"{subject}__in": listed.filter(kind=kind).values(subject)},
            ).update(
                status=LineStatus.SUSPENDED,
                status_reason=WATCHLIST_REASON.format(kind=WATCHLIST_LABELS.get(kind, kind)),
                status_changed_at=timezone.now(),
            )
        still_listed = match_model.objects.filter(cleared_at__isnull=True, **negative)
        cleared = match_model.objects.filter(cleared_at=at, **negative)
        counts["restored"] += (
            lines.filter(
                status=LineStatus.SUSPENDED,
                status_reason__startswith=WATCHLIST_REASON_PREFIX,
                **{f"{subject}__in": cleared.values(subject)},
            )
            .exclude(**{f"{subject}__in": still_listed.values(subject)})
            .update(status=LineStatus.ACTIVE, status_reason="", status_changed_at=timezone.now())
        )
    if counts["suspended"] or counts["restored"]:
        audit_record(
            action=AuditAction.CREDIT_LINE_SUSPEND,
            target_label="名单比对联动授信",
            details={**counts, "automatic": True},
        )
    return counts


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
