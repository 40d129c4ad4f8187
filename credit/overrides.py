"""Manual overrides (人工调整) of a subject's grade or limit, maker-checker (DESIGN §4.6).

An officer who serves a household or entity proposes a different grade or limit, with a reason,
evidence and an expiry; a branch manager of the subject's branch (or head office) approves or
rejects it — never the proposer. An approved override applies to every rating run whose as-of
date is on or before ``valid_until`` (``credit.lines``): a grade override replaces the grade used
for the cap and the spread, a limit override the amount; knock-outs always win. Approving or
withdrawing one re-rates the subject at once, so its new line is published without waiting for
the next batch run. Every step is audited with the subject, and the override before and after.

Rules, each refused with a Chinese ``DomainError`` (per field where it is a form's field):

- Only officers propose, for subjects in their grids (others do not exist: ``NotFound``); the
  subject must hold a current rating that is not knocked out; one open (proposed or approved)
  override per subject — an approved one past its expiry is closed by the next proposal.
- Reason of at least ``MIN_REASON`` characters; grade one of AAA/AA/A/B; amount positive, a
  multiple of the policy's rounding unit and at most its online maximum; ``valid_until`` after
  today and at most ``MAX_VALIDITY_MONTHS`` ahead.
- A limit above the cap of the subject's grade under the policy in force must carry evidence,
  and only a branch manager or head office may approve it (officers never approve anything).
- Approve and reject: branch managers of the subject's branch and head office, never the
  proposer; only while proposed, and approve only before expiry. Rejecting needs a note.
- Withdraw: the proposer while proposed; a manager (with a note) while approved or 待复核.
- An approval records the subject's grade and that grade's cap under the policy in force
  (``approved_grade``, ``approved_cap``). A run that rates the subject lower — knocked out, a
  worse grade, or a lower cap — leaves the override out of its lines (``credit.lines``), and
  its publish sets the override 待复核 (``overrides_review_outlived``), audited, for the
  subject's managers: they approve it again (under the grade and cap of now) or withdraw it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from credit import engine
from credit.lines import NoPolicy, add_months, override_outlived, policy_for
from credit.models import (
    CreditLine,
    CreditOverride,
    OverrideKind,
    OverrideStatus,
)
from credit.policy_selectors import policy_in_force
from credit.selectors import entity_current_line, household_current_line
from fuxiang.accounts import roles
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound
from fuxiang.makerchecker import Touch, checker_require
from households.models import BusinessEntity, Household, HouseholdStatus
from households.selectors import business_entities_visible_to, households_visible_to
from rating.models import CurrentRating, RatingResult, RatingRun
from rating.rerating import rating_rerate_queue

logger = logging.getLogger(__name__)

MIN_REASON = 4
MAX_REASON = 300  # CreditOverride.reason
MIN_NOTE = 2
MAX_NOTE = 200
MAX_VALIDITY_MONTHS = 12
RERATE_PURPOSE = "人工调整生效重新评级"
OPEN = (OverrideStatus.PROPOSED, OverrideStatus.APPROVED, OverrideStatus.NEEDS_REVIEW)
REVIEWABLE = (OverrideStatus.PROPOSED, OverrideStatus.NEEDS_REVIEW)  # what 批准 may act on
MAX_REVIEW_REASON = 200  # CreditOverride.review_reason
NOT_FOUND = "未找到该农户或经营主体，或您无权访问"


# --- reads the rules need ---------------------------------------------------------------------


def current_result(
    *, household: Household | None = None, entity: BusinessEntity | None = None
) -> RatingResult | None:
    """The subject's current (published) rating result."""
    subject = Q(household=household) if household is not None else Q(business_entity=entity)
    current = CurrentRating.objects.select_related("result").filter(subject).first()
    return current.result if current is not None else None


def current_line(
    *, household: Household | None = None, entity: BusinessEntity | None = None
) -> CreditLine | None:
    """The subject's current credit line (``None``: rated without a limit, or not rated)."""
    if household is not None:
        return household_current_line(household.pk)
    return entity_current_line(entity.pk) if entity is not None else None


@dataclass(frozen=True)
class CapCheck:
    """A limit override measured against the cap of the subject's grade."""

    grade: str
    cap: Decimal | None  # None: the grade grants no credit under the policy

    def exceeded_by(self, amount: Decimal | None) -> bool:
        return amount is not None and self.cap is not None and amount > self.cap


def cap_check(override: CreditOverride, *, on: date) -> CapCheck | None:
    """For a limit override: the subject's current grade and its cap under the policy in force
    ``on`` that day; ``None`` for grade overrides or when there is no rating or no policy."""
    if override.kind != OverrideKind.LIMIT:
        return None
    version = policy_in_force(on)
    result = current_result(household=override.household, entity=override.business_entity)
    if version is None or result is None:
        return None
    return CapCheck(grade=result.grade, cap=_caps(version.policy, override).get(result.grade))


def _caps(policy: engine.CreditPolicy, override: CreditOverride) -> Mapping[str, Decimal]:
    """The grade caps of the override's subject: a household's, or an entity's own."""
    kind = engine.HOUSEHOLD if override.business_entity_id is None else engine.ENTITY
    basis = engine.limit_basis(policy, kind)
    return basis.caps if basis is not None else {}


def subject_label(override: CreditOverride) -> str:
    """The subject as the audit log and messages name it: no personal data (§4.4)."""
    if override.household_id is not None:
        return str(override.household)
    return str(override.business_entity)


# --- propose ----------------------------------------------------------------------------------


@transaction.atomic
def override_propose(
    *,
    actor: Any,
    household: Household | None = None,
    entity: BusinessEntity | None = None,
    kind: str,
    grade: str = "",
    amount: Decimal | None = None,
    reason: str,
    evidence: str = "",
    valid_until: date | None,
    request: HttpRequest | None = None,
) -> CreditOverride:
    """An officer proposes a different grade (``kind="grade"``) or limit (``kind="limit"``)
    for one household or entity they serve. Returns the proposed override; see the module for
    the rules."""
    if not roles.can_propose_override(actor):
        raise DomainError("只有客户经理可以提议人工调整", code="permission_denied")
    if (household is None) == (entity is None):
        raise DomainError("请选择一户农户或一个经营主体")
    household, entity = _subject_locked(actor, household, entity)
    if household is not None and household.status == HouseholdStatus.CLOSED:
        raise DomainError("该户已销户，不能调整授信")
    if entity is not None and engine.shares_household_line(
        entity.kind, has_owner_household=entity.owner_households.exists()
    ):
        raise DomainError(
            "该主体与所属农户共用授信额度，没有单独的授信；如需调整，请对所属农户提议人工调整",
            code="shared_line",
        )
    today = timezone.localdate()
    version = policy_in_force(today)
    if version is None:
        raise DomainError("今天没有生效的授信政策，不能提议人工调整", code="no_policy")
    policy = version.policy
    reason, evidence = (reason or "").strip(), (evidence or "").strip()
    grade = (grade or "").strip().upper()
    amount = _as_amount(amount)
    valid_until = _check_fields(
        kind=kind,
        grade=grade,
        amount=amount,
        reason=reason,
        valid_until=valid_until,
        today=today,
        policy=policy,
    )
    result = current_result(household=household, entity=entity)
    if result is None:
        raise DomainError("该对象还没有评级结果，评级发布后才能提议人工调整", code="not_rated")
    if result.knocked_out:
        raise DomainError(
            "该对象被一票否决，人工调整不能改变否决结果；如否决有误，请更正档案后重新评级",
            code="knocked_out",
        )
    if kind == OverrideKind.GRADE:
        amount = None
        if grade == result.grade:
            raise DomainError({"grade": f"调整后等级与当前评级（{result.grade}级）相同"})
    else:
        grade = ""
        basis = engine.limit_basis(policy, engine.HOUSEHOLD if entity is None else engine.ENTITY)
        cap = basis.caps.get(result.grade) if basis is not None else None
        if cap is None or result.grade in engine.NO_CREDIT_GRADES:
            raise DomainError(
                {"kind": f"当前评级为{result.grade}级，不授信，不能只调整额度；请提议调整等级"}
            )
        if amount is not None and amount > cap and not evidence:
            raise DomainError(
                {
                    "evidence": f"调整后额度超过{result.grade}级额度上限"
                    f"{engine.yuan(cap)}，须附依据材料，并由支行行长或总行审批"
                }
            )
    _close_or_refuse_open(actor, household, entity, today=today, request=request)
    override = CreditOverride(
        household=household,
        business_entity=entity,
        kind=kind,
        grade=grade,
        amount=amount,
        reason=reason,
        evidence=evidence,
        valid_until=valid_until,
        status=OverrideStatus.PROPOSED,
        proposed_by=actor,
    )
    try:
        override.full_clean()
    except ValidationError as exc:
        raise DomainError(exc.message_dict) from exc
    try:
        with transaction.atomic():
            override.save(force_insert=True)
    except IntegrityError as exc:  # a proposal for the same subject committed meanwhile
        raise DomainError("该对象已有待审批或生效中的人工调整", code="duplicate") from exc
    line = current_line(household=household, entity=entity)
    _audit(
        AuditAction.CREDIT_OVERRIDE_PROPOSE,
        actor,
        override,
        request,
        before={"line": _line_snapshot(line), "grade": result.grade},
        after=_snapshot(override),
    )
    return override


def _subject_locked(
    actor: Any, household: Household | None, entity: BusinessEntity | None
) -> tuple[Household | None, BusinessEntity | None]:
    """The subject, re-read and locked (so two proposals for it queue up), if the actor may
    see it; ``NotFound`` otherwise."""
    if household is not None:
        if not households_visible_to(actor).filter(pk=household.pk).exists():
            raise NotFound(NOT_FOUND)
        locked = Household.objects.select_for_update().get(pk=household.pk)
        return locked, None
    if entity is None or not business_entities_visible_to(actor).filter(pk=entity.pk).exists():
        raise NotFound(NOT_FOUND)
    return None, BusinessEntity.objects.select_for_update().get(pk=entity.pk)


def _as_amount(amount: Any) -> Decimal | None:
    if amount is None or amount == "":
        return None
    try:
        return Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError({"amount": "调整后额度须是数字（元）"}) from None


def _check_fields(
    *,
    kind: str,
    grade: str,
    amount: Decimal | None,
    reason: str,
    valid_until: date | None,
    today: date,
    policy: engine.CreditPolicy,
) -> date:
    """The checks of the form's fields, all at once; returns the valid ``valid_until``."""
    errors: dict[str, str] = {}
    if kind not in OverrideKind.values:
        errors["kind"] = "请选择调整类型：调整授信等级或调整授信额度"
    elif kind == OverrideKind.GRADE and grade not in engine.GRADES:
        errors["grade"] = f"调整后等级须是{'、'.join(engine.GRADES)}之一"
    elif kind == OverrideKind.LIMIT:
        unit, most = policy.rounding_unit, policy.online_max
        if amount is None:
            errors["amount"] = "请填写调整后额度（元）"
        elif not amount.is_finite() or amount <= 0:
            errors["amount"] = "调整后额度须大于0元"
        elif amount % unit:
            errors["amount"] = f"调整后额度须是{engine.yuan(unit)}的整数倍"
        elif amount > most:
            errors["amount"] = f"调整后额度不能超过授信政策的最高额度{engine.yuan(most)}"
    if len(reason) < MIN_REASON:
        errors["reason"] = f"请填写调整理由（至少{MIN_REASON}个字），说明机器评级为何不合适"
    elif len(reason) > MAX_REASON:
        errors["reason"] = f"调整理由不能超过{MAX_REASON}个字"
    latest = add_months(today, MAX_VALIDITY_MONTHS)
    if valid_until is None:
        errors["valid_until"] = "请填写有效期"
    elif valid_until <= today:
        errors["valid_until"] = "有效期须晚于今天"
    elif valid_until > latest:
        errors["valid_until"] = f"有效期最长一年，不能晚于{latest:%Y-%m-%d}"
    if errors or valid_until is None:
        raise DomainError(errors)
    return valid_until


def _close_or_refuse_open(
    actor: Any,
    household: Household | None,
    entity: BusinessEntity | None,
    *,
    today: date,
    request: HttpRequest | None,
) -> None:
    """One open override per subject. One past its expiry no longer applies (nor can it be
    approved) but still counts as open — a partial index cannot compare with today — so the
    new proposal closes it: as withdrawn, audited as an expiry."""
    subject = Q(household=household) if household is not None else Q(business_entity=entity)
    for existing in CreditOverride.objects.select_for_update().filter(subject, status__in=OPEN):
        if existing.valid_until < today:
            before = _snapshot(existing)
            existing.status = OverrideStatus.WITHDRAWN
            existing.save(update_fields=["status"])
            _audit(
                AuditAction.CREDIT_OVERRIDE_WITHDRAW,
                actor,
                existing,
                request,
                before=before,
                after=_snapshot(existing),
                note=f"已于{existing.valid_until:%Y-%m-%d}到期，提议新的调整时自动结束",
            )
            continue
        if existing.status == OverrideStatus.NEEDS_REVIEW:
            raise DomainError(
                f"该对象的人工调整（#{existing.pk}）待复核，须由支行行长或总行复核通过或撤回后"
                "才能提议新的调整",
                code="duplicate",
            )
        raise DomainError(
            f"该对象已有{existing.get_status_display()}的人工调整（#{existing.pk}），"
            "请先撤回后再提议",
            code="duplicate",
        )


# --- approve, reject, withdraw ----------------------------------------------------------------


@transaction.atomic
def override_approve(
    *, actor: Any, override: CreditOverride, note: str = "", request: HttpRequest | None = None
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
    before = _snapshot(override)
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
    _audit(
        AuditAction.CREDIT_OVERRIDE_APPROVE,
        actor,
        override,
        request,
        before=before,
        after=_snapshot(override),
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
    cap = _caps(version.policy, override).get(result.grade)
    if result.grade in engine.NO_CREDIT_GRADES or cap is None:
        cap = Decimal(0)
    return engine.ApprovedUnder(grade=result.grade, cap=cap)


def _approved_under_json(approved: engine.ApprovedUnder) -> dict[str, str]:
    return {"grade": approved.grade, "cap": str(approved.cap)}


@transaction.atomic
def override_reject(
    *, actor: Any, override: CreditOverride, note: str, request: HttpRequest | None = None
) -> CreditOverride:
    """A reviewer (as for approval) sends a proposed override back, saying why."""
    override = _locked(override)
    _check_reviewer(actor, override, above_cap=False, check=None)
    _require_status(override, OverrideStatus.PROPOSED, "退回")
    note = _note(note, required=True, what="退回原因")
    before = _snapshot(override)
    override.status = OverrideStatus.REJECTED
    _reviewed(override, actor, note)
    _audit(
        AuditAction.CREDIT_OVERRIDE_REJECT,
        actor,
        override,
        request,
        before=before,
        after=_snapshot(override),
        note=note,
    )
    return override


@transaction.atomic
def override_withdraw(
    *, actor: Any, override: CreditOverride, note: str = "", request: HttpRequest | None = None
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
                raise DomainError(
                    "待审批的调整只能由提议人撤回；如不同意，请退回", code="permission_denied"
                )
            raise DomainError("只有提议人可以撤回待审批的调整", code="permission_denied")
        note = _note(note, required=False)
    elif override.status in (OverrideStatus.APPROVED, OverrideStatus.NEEDS_REVIEW):
        if not roles.can_approve_override(actor):
            raise DomainError(
                f"{override.get_status_display()}的调整只能由支行行长或总行撤回",
                code="permission_denied",
            )
        if not _sees_subject(actor, override):
            raise NotFound(NOT_FOUND)
        note = _note(note, required=True, what="撤回原因")
    else:
        raise DomainError(f"该调整{override.get_status_display()}，不能撤回", code="status")
    before = _snapshot(override)
    was_approved = override.status == OverrideStatus.APPROVED
    override.status = OverrideStatus.WITHDRAWN
    override.full_clean()
    override.save(update_fields=["status"])
    _audit(
        AuditAction.CREDIT_OVERRIDE_WITHDRAW,
        actor,
        override,
        request,
        before=before,
        after=_snapshot(override),
        note=note,
    )
    if was_approved:
        _rerate(override)
    return override


def _locked(override: CreditOverride) -> CreditOverride:
    return CreditOverride.objects.select_for_update().get(pk=override.pk)


def _sees_subject(actor: Any, override: CreditOverride) -> bool:
    if override.household_id is not None:
        return households_visible_to(actor).filter(pk=override.household_id).exists()
    entity_id = override.business_entity_id
    return (
        entity_id is not None and business_entities_visible_to(actor).filter(pk=entity_id).exists()
    )


def _check_reviewer(
    actor: Any, override: CreditOverride, *, above_cap: bool, check: CapCheck | None
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
            raise DomainError(
                f"调整后额度超过{check.grade}级额度上限{engine.yuan(check.cap)}，"
                "须由支行行长或总行审批",
                code="permission_denied",
            )
        raise DomainError("只有支行行长或总行可以审批人工调整", code="permission_denied")
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


def _reviewed(override: CreditOverride, actor: Any, note: str) -> None:
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
        before = _snapshot(override)
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
        _audit(
            AuditAction.CREDIT_OVERRIDE_REVIEW,
            None,
            override,
            None,
            before=before,
            after=_snapshot(override),
            note=override.review_reason,
            extra={"run": run.pk},
        )
    return len(outlived)


# --- audit ------------------------------------------------------------------------------------


def _snapshot(override: CreditOverride) -> dict[str, Any]:
    return {
        "status": override.status,
        "kind": override.kind,
        "grade": override.grade,
        "amount": str(override.amount) if override.amount is not None else None,
        "valid_until": override.valid_until.isoformat() if override.valid_until else None,
        **(
            {"approved_grade": override.approved_grade, "approved_cap": str(override.approved_cap)}
            if override.approved_grade
            else {}
        ),
        **({"review_reason": override.review_reason} if override.review_reason else {}),
    }


def _line_snapshot(line: CreditLine | None) -> dict[str, Any] | None:
    if line is None:
        return None
    return {"id": line.pk, "grade": line.grade, "amount": str(line.amount)}


def _audit(
    action: AuditAction,
    actor: Any,
    override: CreditOverride,
    request: HttpRequest | None,
    *,
    before: dict[str, Any],
    after: dict[str, Any],
    note: str = "",
    extra: dict[str, Any] | None = None,
) -> None:
    subject_type = "household" if override.household_id is not None else "business_entity"
    subject_id = override.household_id or override.business_entity_id
    details: dict[str, Any] = {
        "subject": {"type": subject_type, "id": subject_id, "label": subject_label(override)},
        "before": before,
        "after": after,
        **({"note": note} if note else {}),
        **(extra or {}),
    }
    audit_record(
        action=action,
        actor=actor,
        target=override,
        target_label=f"{subject_label(override)} 人工调整#{override.pk}",
        request=request,
        details=details,
    )
