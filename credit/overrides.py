"""Manual overrides (人工调整) of a subject's grade or limit, maker-checker (docs/design.md §4.6).

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

This module proposes (``override_propose``); ``credit.override_reviews`` approves, rejects,
withdraws and sends outlived approvals to review; ``credit.override_selectors`` reads
(``current_result``, ``current_line``, ``cap_check``); ``credit.override_audit`` records.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from credit import engine
from credit.lines import add_months
from credit.models import (
    CreditOverride,
    OverrideKind,
    OverrideStatus,
)
from credit.override_audit import line_snapshot, override_audit, snapshot
from credit.override_selectors import current_line, current_result
from credit.policy_selectors import policy_in_force
from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from households.locks import household_held
from households.models import BusinessEntity, Household, HouseholdStatus
from households.selectors import business_entities_visible_to, households_visible_to

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
PROPOSAL_LOCK = 0x46584F56  # "FXOV": with a household's id, the advisory lock of its proposals

# --- propose ----------------------------------------------------------------------------------


@transaction.atomic
def override_propose(
    *,
    actor: User | None,
    household: Household | None = None,
    entity: BusinessEntity | None = None,
    kind: str,
    grade: str = "",
    amount: Decimal | None = None,
    reason: str,
    evidence: str = "",
    valid_until: date | None,
    audit: AuditContext | None = None,
) -> CreditOverride:
    """An officer proposes a different grade (``kind="grade"``) or limit (``kind="limit"``)
    for one household or entity they serve. Returns the proposed override; see the module for
    the rules."""
    if not roles.can_propose_override(actor):
        raise PermissionDenied("只有客户经理可以提议人工调整")
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
    _close_or_refuse_open(actor, household, entity, today=today, audit=audit)
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
    override_audit(
        AuditAction.CREDIT_OVERRIDE_PROPOSE,
        actor,
        override,
        audit,
        before={"line": line_snapshot(line), "grade": result.grade},
        after=snapshot(override),
    )
    return override


def _subject_locked(
    actor: User | None, household: Household | None, entity: BusinessEntity | None
) -> tuple[Household | None, BusinessEntity | None]:
    """The subject, re-read and locked (so two proposals for it queue up), if the actor may
    see it; ``NotFound`` otherwise."""
    if household is not None:
        if not households_visible_to(actor).filter(pk=household.pk).exists():
            raise NotFound(NOT_FOUND)
        household_held(household.pk, queue=PROPOSAL_LOCK)  # (not FOR UPDATE: see the module)
        return Household.objects.get(pk=household.pk), None
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
    actor: User | None,
    household: Household | None,
    entity: BusinessEntity | None,
    *,
    today: date,
    audit: AuditContext | None,
) -> None:
    """One open override per subject. One past its expiry no longer applies (nor can it be
    approved) but still counts as open — a partial index cannot compare with today — so the
    new proposal closes it: as withdrawn, audited as an expiry."""
    subject = Q(household=household) if household is not None else Q(business_entity=entity)
    for existing in CreditOverride.objects.select_for_update().filter(subject, status__in=OPEN):
        if existing.valid_until < today:
            before = snapshot(existing)
            existing.status = OverrideStatus.WITHDRAWN
            existing.save(update_fields=["status"])
            override_audit(
                AuditAction.CREDIT_OVERRIDE_WITHDRAW,
                actor,
                existing,
                audit,
                before=before,
                after=snapshot(existing),
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
