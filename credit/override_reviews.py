"""Reviewing manual overrides (人工调整): approve, reject, withdraw — maker-checker, the
subject re-rated when an approval starts or stops applying — and the publish step that sends an
approval a later rating outlived back to review (待复核). The rules are in ``credit.overrides``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from credit import engine
from credit.lines import NoPolicy, override_outlived, policy_for
from credit.models import (
    CreditOverride,
    OverrideStatus,
)
from credit.override_audit import override_audit, snapshot
from credit.override_selectors import CapCheck, cap_check, current_result, subject_caps
from credit.overrides import (
    MAX_NOTE,
    MAX_REVIEW_REASON,
    MIN_NOTE,
    NOT_FOUND,
    RERATE_PURPOSE,
    REVIEWABLE,
)
from credit.policy_selectors import policy_in_force
from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from fuxiang.makerchecker import Touch, checker_require
from households.selectors import business_entities_visible_to, households_visible_to
from rating.models import CurrentRating, RatingRun
from rating.rerating import rating_rerate_queue

# --- approve, reject, withdraw ----------------------------------------------------------------


@transaction.atomic
def override_approve(
    *,
    actor: User | None,
    override: CreditOverride,
    note: str = "",
    audit: AuditContext | None = None,
) -> CreditOverride:
    """A branch manager of the subject's branch (or head office), not the proposer, approves a
    proposed override — or, once more, one a lower rating sent back 待复核 — before its expiry.
    The approval records the subject's grade now and that grade's cap under the policy in
    force (what it judged; a later rating below either sets it 待复核 again). The subject is
    re-rated when this commits, so its new line carries the override."""
    override = _locked(override)
    today = timezone.localdate()
    check = cap_check(override, on=today)
    above_cap = check is not None and check.exceeded_by(override.amount)
    _check_reviewer(actor, override, above_cap=above_cap, check=check)
    if override.status not in REVIEWABLE:
        _require_status(override, OverrideStatus.PROPOSED, "批准")
    if override.valid_until < today:
        raise DomainError("该调整已过有效期，不能批准；请退回，由客户经理重新提议", code="expired")
    if above_cap and not override.evidence.strip():
        raise DomainError("调整后额度超过等级额度上限，须附依据材料才能批准", code="no_evidence")
    approved_under = _approved_under(override, today=today)
    note = _note(note, required=False)
    before = snapshot(override)
    reviewing = override.status == OverrideStatus.NEEDS_REVIEW
    override.status = OverrideStatus.APPROVED
    override.approved_grade, override.approved_cap = approved_under.grade, approved_under.cap
    override.review_reason, override.review_since = "", None
    _reviewed(override, actor, note)
    extra: dict[str, Any] = {"approved_under": _approved_under_json(approved_under)}
    if check is not None:
        extra["above_grade_cap"] = above_cap
    if reviewing:
        extra["review"] = before.get("review_reason", "")
    override_audit(
        AuditAction.CREDIT_OVERRIDE_APPROVE,
        actor,
        override,
        audit,
        before=before,
        after=snapshot(override),
        note=note,
        extra=extra,
    )
    _rerate(override)
    return override


def _approved_under(override: CreditOverride, *, today: date) -> engine.ApprovedUnder:
    """The subject's grade now and that grade's cap under the policy in force today (0 when
    it grants no credit); refused when there is no rating, a knock-out or no policy."""
    result = current_result(household=override.household, entity=override.business_entity)
    if result is None:
        raise DomainError("该对象当前没有评级结果，不能批准人工调整", code="not_rated")
    if result.knocked_out:
        raise DomainError(
            "该对象已被一票否决，人工调整不能改变否决结果，不能批准；请撤回", code="knocked_out"
        )
    version = policy_in_force(today)
    if version is None:
        raise DomainError("今天没有生效的授信政策，不能批准人工调整", code="no_policy")
    cap = subject_caps(version.policy, override).get(result.grade)
    if result.grade in engine.NO_CREDIT_GRADES or cap is None:
        cap = Decimal(0)
    return engine.ApprovedUnder(grade=result.grade, cap=cap)


def _approved_under_json(approved: engine.ApprovedUnder) -> dict[str, str]:
    return {"grade": approved.grade, "cap": str(approved.cap)}


@transaction.atomic
def override_reject(
    *, actor: User | None, override: CreditOverride, note: str, audit: AuditContext | None = None
) -> CreditOverride:
    """A reviewer (as for approval) sends a proposed override back, saying why."""
    override = _locked(override)
    _check_reviewer(actor, override, above_cap=False, check=None)
    _require_status(override, OverrideStatus.PROPOSED, "退回")
    note = _note(note, required=True, what="退回原因")
    before = snapshot(override)
    override.status = OverrideStatus.REJECTED
    _reviewed(override, actor, note)
    override_audit(
        AuditAction.CREDIT_OVERRIDE_REJECT,
        actor,
        override,
        audit,
        before=before,
        after=snapshot(override),
        note=note,
    )
    return override


@transaction.atomic
def override_withdraw(
    *,
    actor: User | None,
    override: CreditOverride,
    note: str = "",
    audit: AuditContext | None = None,
) -> CreditOverride:
    """The proposer withdraws a proposal still awaiting review; a manager of the subject's
    branch (or head office) withdraws an approved or 待复核 override, saying why — an approved
    one's subject is then re-rated when this commits, so its new line no longer carries the
    override (a 待复核 one is on no line already). The reviewer's columns keep the approval;
    the withdrawal is in the audit log."""
    override = _locked(override)
    if override.status == OverrideStatus.PROPOSED:
        if getattr(actor, "pk", None) != override.proposed_by_id:
            if _sees_subject(actor, override) and roles.can_approve_override(actor):
                raise PermissionDenied("待审批的调整只能由提议人撤回；如不同意，请退回")
            raise PermissionDenied("只有提议人可以撤回待审批的调整")
        note = _note(note, required=False)
    elif override.status in (OverrideStatus.APPROVED, OverrideStatus.NEEDS_REVIEW):
        if not roles.can_approve_override(actor):
            raise PermissionDenied(f"{override.get_status_display()}的调整只能由支行行长或总行撤回")
        if not _sees_subject(actor, override):
            raise NotFound(NOT_FOUND)
        note = _note(note, required=True, what="撤回原因")
    else:
        raise DomainError(f"该调整{override.get_status_display()}，不能撤回", code="status")
    before = snapshot(override)
    was_approved = override.status == OverrideStatus.APPROVED
    override.status = OverrideStatus.WITHDRAWN
    override.full_clean()
    override.save(update_fields=["status"])
    override_audit(
        AuditAction.CREDIT_OVERRIDE_WITHDRAW,
        actor,
        override,
        audit,
        before=before,
        after=snapshot(override),
        note=note,
    )
    if was_approved:
        _rerate(override)
    return override


def _locked(override: CreditOverride) -> CreditOverride:
    return CreditOverride.objects.select_for_update().get(pk=override.pk)


def _sees_subject(actor: User | None, override: CreditOverride) -> bool:
    if override.household_id is not None:
        return households_visible_to(actor).filter(pk=override.household_id).exists()
    entity_id = override.business_entity_id
    return (
        entity_id is not None and business_entities_visible_to(actor).filter(pk=entity_id).exists()
    )


def _check_reviewer(
    actor: User | None, override: CreditOverride, *, above_cap: bool, check: CapCheck | None
) -> None:
    """Maker-checker first (its message is the one a proposer trying their own needs), then
    the role, then the branch."""
    checker_require(
        checker_id=getattr(actor, "pk", None),
        touched={Touch.PROPOSED: {override.proposed_by_id}},
        what="人工调整",
    )
    if not roles.can_approve_override(actor):
        if above_cap and check is not None and check.cap is not None:
            raise PermissionDenied(
                f"调整后额度超过{check.grade}级额度上限{engine.yuan(check.cap)}，"
                "须由支行行长或总行审批"
            )
        raise PermissionDenied("只有支行行长或总行可以审批人工调整")
    if not _sees_subject(actor, override):
        raise NotFound(NOT_FOUND)


def _require_status(override: CreditOverride, status: str, verb: str) -> None:
    if override.status != status:
        raise DomainError(f"该调整{override.get_status_display()}，不能{verb}", code="status")


def _note(note: str, *, required: bool, what: str = "意见") -> str:
    note = (note or "").strip()
    if required and len(note) < MIN_NOTE:
        raise DomainError({"note": f"请填写{what}"})
    if len(note) > MAX_NOTE:
        raise DomainError({"note": f"{what}不能超过{MAX_NOTE}个字"})
    return note


def _reviewed(override: CreditOverride, actor: User | None, note: str) -> None:
    override.reviewed_by = actor
    override.reviewed_at = timezone.now()
    override.review_note = note
    override.full_clean()
    override.save(
        update_fields=[
            "status",
            "reviewed_by",
            "reviewed_at",
            "review_note",
            "approved_grade",
            "approved_cap",
            "review_reason",
            "review_since",
        ]
    )


def _rerate(override: CreditOverride) -> None:
    """Re-rate the subject when the transaction commits: a new one-subject run publishes its
    line with (or without) the override, through rating's re-rating queue (which waits for an
    active run) — households and entities alike."""
    rating_rerate_queue(
        household_ids=[override.household_id] if override.household_id is not None else [],
        entity_ids=[override.business_entity_id] if override.business_entity_id else [],
        purpose=RERATE_PURPOSE,
    )


# --- a later rating below the approval ---------------------------------------------------------


def overrides_review_outlived(run: RatingRun) -> int:
    """Publish step (in the publishing transaction, after the current ratings switched): every
    approved override in force on the run's date whose subject the run now rates below what
    the approval judged — knocked out, a worse grade, a lower cap under the run's policy —
    becomes 待复核, with the reason, and is audited. The run's lines already left it out
    (``credit.lines``, the same test). Returns the number of overrides sent to review.

    Few rows whatever the run's size: the approved overrides (hundreds at most), the current
    ratings of their subjects that this run made, one bulk update."""
    try:
        policy = policy_for(run).policy
    except NoPolicy:
        return 0  # the run granted nothing: no line carried an override either
    approved = list(
        CreditOverride.objects.select_for_update().filter(
            status=OverrideStatus.APPROVED, valid_until__gte=run.as_of
        )
    )
    if not approved:
        return 0
    household_ids = [o.household_id for o in approved if o.household_id is not None]
    entity_ids = [o.business_entity_id for o in approved if o.business_entity_id is not None]
    ratings = {
        (c.household_id, c.business_entity_id): c
        for c in CurrentRating.objects.filter(run_id=run.pk).filter(
            Q(household_id__in=household_ids) | Q(business_entity_id__in=entity_ids)
        )
    }
    now = timezone.now()
    outlived: list[tuple[CreditOverride, dict[str, Any]]] = []
    for override in approved:
        rating = ratings.get((override.household_id, override.business_entity_id))
        if rating is None:
            continue  # not rated by this run: its current line is an earlier run's
        why = override_outlived(
            override, grade=rating.grade, knocked_out=rating.knocked_out, policy=policy
        )
        if not why:
            continue
        before = snapshot(override)
        override.status = OverrideStatus.NEEDS_REVIEW
        override.review_reason = (
            f"评级任务#{run.pk}（基准日{run.as_of:%Y-%m-%d}）：{why}，调整暂停适用"[
                :MAX_REVIEW_REASON
            ]
        )
        override.review_since = now
        outlived.append((override, before))
    CreditOverride.objects.bulk_update(
        [o for o, _ in outlived], ["status", "review_reason", "review_since"]
    )
    for override, before in outlived:
        override_audit(
            AuditAction.CREDIT_OVERRIDE_REVIEW,
            None,
            override,
            None,
            before=before,
            after=snapshot(override),
            note=override.review_reason,
            extra={"run": run.pk},
        )
    return len(outlived)
