"""Writes on credit lines: suspend, restore, revoke (a manager's decision, audited), the
suspension a negative watch-list match causes in its own transaction, the nightly expiry, and
the publish step that keeps holds on the lines a run publishes.

A suspension or revocation is a ``CreditHold`` on the subject, not only a line status: the
lines every later rating writes take their status from it (``credit.lines``), and
``holds_apply`` re-applies it in the publishing transaction, so a hold made while a run was in
flight is not lost when that run publishes.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from credit.models import CreditHold, CreditLine, HoldSource, LineStatus
from credit.selectors import current_lines, lines_visible_to
from credit.signals import lines_changed_on_commit
from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, PermissionDenied
from households.models import WatchlistEntityMatch, WatchlistKind, WatchlistMatch
from rating.rerating import rating_rerate_queue

# Lists whose match stops lending at once (the next rating knocks the household out anyway);
# 低保/脱贫 lists give preferential pricing instead and suspend nothing.
SUSPENDING_LISTS = frozenset({"dishonest_debtor", "criminal_record", "drug_gambling"})
WATCHLIST_REASON = "名单命中（{kind}），授信已自动冻结"
WATCHLIST_LABELS = {k.value: str(k.label) for k in WatchlistKind}
_SUBJECTS = (
    (WatchlistMatch, "household_id"),
    (WatchlistEntityMatch, "business_entity_id"),
)


def _subject(line: CreditLine) -> dict[str, int | None]:
    return {"household_id": line.household_id, "business_entity_id": line.business_entity_id}


def _listed(line: CreditLine) -> bool:
    """An uncleared negative watch-list match on the line's subject."""
    if line.household_id is not None:
        matches: QuerySet[Any] = WatchlistMatch.objects.filter(household_id=line.household_id)
    else:
        matches = WatchlistEntityMatch.objects.filter(business_entity_id=line.business_entity_id)
    return matches.filter(cleared_at__isnull=True, kind__in=SUSPENDING_LISTS).exists()


def _live_status(line: CreditLine, today: date) -> str:
    """What a lifted line becomes: active, or expired if its term ended meanwhile."""
    return LineStatus.ACTIVE if line.valid_to >= today else LineStatus.EXPIRED


@transaction.atomic
def line_set_status(
    *,
    actor: User | None,
    line: CreditLine,
    status: str,
    reason: str,
    audit: AuditContext | None = None,
) -> CreditLine:
    """A manager suspends, restores or revokes a subject's current line, with a reason."""
    if not roles.can_suspend_line(actor):
        raise PermissionDenied("只有支行行长或总行可以冻结、解冻或撤销授信额度")
    if not lines_visible_to(actor).filter(pk=line.pk).exists():
        raise DomainError("未找到该授信额度，或您无权访问", code="not_found")
    line = CreditLine.objects.select_for_update().get(pk=line.pk)
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
    now, before = timezone.now(), line.status
    holds = CreditHold.objects.filter(**_subject(line))
    if status == LineStatus.ACTIVE:
        if _listed(line):
            raise DomainError("该主体仍在失信、犯罪或涉毒涉赌名单中，名单移出前不能解冻")
        holds.delete()
        status = _live_status(line, timezone.localdate())
    else:
        holds.delete()
        CreditHold.objects.create(
            **_subject(line),
            status=status,
            source=HoldSource.MANUAL,
            reason=reason,
            held_by=actor,
            held_at=now,
        )
    line.status, line.status_changed_at = status, now
    line.status_reason = "" if status == LineStatus.ACTIVE else reason
    line.save(update_fields=["status", "status_reason", "status_changed_at"])
    lines_changed_on_commit(
        household_ids=[line.household_id] if line.household_id else [],
        entity_ids=[line.business_entity_id] if line.business_entity_id else [],
        reason=f"line_{status}",
    )
    action = {
        LineStatus.SUSPENDED: AuditAction.CREDIT_LINE_SUSPEND,
        LineStatus.REVOKED: AuditAction.CREDIT_LINE_REVOKE,
    }.get(LineStatus(status), AuditAction.CREDIT_LINE_RESTORE)
    audit_record(
        action=action,
        actor=actor,
        target=line,
        target_label=f"授信额度#{line.pk}",
        audit=audit,
        details={"from": before, "to": status, "reason": reason},
    )
    return line


def lines_follow_watchlists(*, at: datetime) -> dict[str, int]:
    """Watch-list matches were made or cleared at ``at``, in the caller's transaction: hold
    the subjects a negative list now matches and suspend their current lines at once; lift
    the holds such a match made once no negative match is left (a manager's own hold stays).
    Set-based: a fixed number of statements whatever the number of matches."""
    lines = current_lines()
    counts = {"suspended": 0, "restored": 0}
    held: dict[str, list[int]] = {}
    lifted: dict[str, list[int]] = {}
    for match_model, subject in _SUBJECTS:
        negative = match_model.objects.filter(kind__in=SUSPENDING_LISTS)
        new = negative.filter(matched_at=at, cleared_at__isnull=True)
        listed = dict(new.values_list(subject, "kind").order_by(subject, "kind"))
        already = set(
            CreditHold.objects.filter(**{f"{subject}__in": listed}).values_list(subject, flat=True)
        )
        CreditHold.objects.bulk_create(
            [
                CreditHold(
                    **{subject: subject_id},
                    status=LineStatus.SUSPENDED,
                    source=HoldSource.WATCHLIST,
                    reason=WATCHLIST_REASON.format(kind=WATCHLIST_LABELS.get(kind, kind)),
                    held_at=at,
                )
                for subject_id, kind in listed.items()
                if subject_id not in already
            ]
        )
        held[subject] = sorted(listed)
        for kind in SUSPENDING_LISTS:
            counts["suspended"] += lines.filter(
                status=LineStatus.ACTIVE,
                **{f"{subject}__in": new.filter(kind=kind).values(subject)},
            ).update(
                status=LineStatus.SUSPENDED,
                status_reason=WATCHLIST_REASON.format(kind=WATCHLIST_LABELS.get(kind, kind)),
                status_changed_at=at,
            )
        still_listed = negative.filter(cleared_at__isnull=True).values(subject)
        cleared = negative.filter(cleared_at=at).values(subject)
        ending = CreditHold.objects.filter(
            source=HoldSource.WATCHLIST, **{f"{subject}__in": cleared}
        ).exclude(**{f"{subject}__in": still_listed})
        lifted[subject] = sorted(ending.values_list(subject, flat=True))
        ending.delete()
        lifting = lines.filter(status=LineStatus.SUSPENDED, **{f"{subject}__in": lifted[subject]})
        today = timezone.localdate()
        counts["restored"] += lifting.filter(valid_to__gte=today).update(
            status=LineStatus.ACTIVE, status_reason="", status_changed_at=at
        )
        lifting.filter(valid_to__lt=today).update(
            status=LineStatus.EXPIRED, status_reason="授信期限届满", status_changed_at=at
        )
    lines_changed_on_commit(
        household_ids=[*held.get("household_id", []), *lifted.get("household_id", [])],
        entity_ids=[*held.get("business_entity_id", []), *lifted.get("business_entity_id", [])],
        reason="watchlist",
    )
    for action, subjects, count in (
        (AuditAction.CREDIT_LINE_SUSPEND, held, counts["suspended"]),
        (AuditAction.CREDIT_LINE_RESTORE, lifted, counts["restored"]),
    ):
        if any(subjects.values()):
            audit_record(
                action=action,
                target_label="名单比对联动授信",
                details={
                    "automatic": True,
                    "households": subjects["household_id"],
                    "entities": subjects["business_entity_id"],
                    "lines": count,
                },
            )
    return counts


def holds_apply(run: Any) -> None:
    """Publish step: the lines the run is publishing take the holds as they are *now* — a
    hold made or lifted while the run was rating is not lost. Set-based. The lines to restore
    are found through a partial index of the run's few suspended or revoked lines
    (``credit_line_run_held``), not among its 160,000: the publish is serial."""
    today = timezone.localdate()
    lines = CreditLine.objects.filter(run_id=run.pk)
    for subject in ("household_id", "business_entity_id"):
        holds = CreditHold.objects.filter(**{f"{subject}__isnull": False})
        hold = holds.filter(**{subject: OuterRef(subject)})
        lines.filter(**{f"{subject}__in": holds.values(subject)}).update(
            status=Subquery(hold.values("status")[:1]),
            status_reason=Subquery(hold.values("reason")[:1]),
            status_changed_at=Subquery(hold.values("held_at")[:1]),
        )
        lines.filter(
            ~Q(**{f"{subject}__in": holds.values(subject)}),
            **{f"{subject}__isnull": False},
            status__in=(LineStatus.SUSPENDED, LineStatus.REVOKED),
            valid_to__gte=today,
        ).update(status=LineStatus.ACTIVE, status_reason="", status_changed_at=timezone.now())


def lines_expire(*, today: date | None = None) -> int:
    """Nightly: current lines past their end date expire (safe to run twice)."""
    today = today or timezone.localdate()
    expired = (
        current_lines()
        .filter(status=LineStatus.ACTIVE, valid_to__lt=today)
        .update(
            status=LineStatus.EXPIRED,
            status_reason="授信期限届满",
            status_changed_at=timezone.now(),
        )
    )
    if expired:
        lines_changed_on_commit(everything=True, reason="lines_expire")
        audit_record(
            action=AuditAction.CREDIT_LINES_EXPIRE,
            details={"expired": expired, "on": today.isoformat()},
        )
    return expired


def overrides_lapse(*, today: date | None = None) -> int:
    """Nightly: households whose current line still carries an approved override that ended
    before ``today`` are re-rated (after commit), so the machine's line returns without waiting
    for the next county run. Returns the number of households queued. (An entity's lapsed
    override goes at its next run.)"""

    today = today or timezone.localdate()
    household_ids = list(
        current_lines()
        .filter(
            household_id__isnull=False,
            override__status="approved",
            override__valid_until__lt=today,
        )
        .values_list("household_id", flat=True)
    )
    if household_ids:
        rating_rerate_queue(household_ids=household_ids, purpose="人工调整到期")
    return len(household_ids)
