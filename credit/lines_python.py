"""Credit lines row by row with the Python engine (SQLite; the reference the SQL path must
equal, ``credit/tests/test_lines.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q

from credit import engine
from credit.line_basis import (
    CARRIED,
    LOW_INCOME_FLAGS,
    add_months,
    granting_grades,
)
from credit.models import (
    CreditHold,
    CreditLine,
    CreditOverride,
    CreditPolicyVersion,
    LineStatus,
)
from households.models import BusinessEntity
from rating.features import net_annual_income, net_assets
from rating.models import CurrentRating, RatingResult, RatingRun

# --- the Python path --------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What a line is made from, read for one rated subject. ``income`` is a household's net
    annual income, an entity's net operating profit."""

    result_id: int
    household_id: int | None
    entity_id: int | None
    kind: str
    grade: str
    knocked_out: bool
    income: Decimal
    assets: Decimal
    deposit: Decimal
    payroll: bool
    mobile: bool
    clean: bool
    low_income: bool
    override: CreditOverride | None
    previous: CreditLine | None
    hold: CreditHold | None = None
    shares_household_line: bool = False  # an entity drawing on its owner household's line


def line_for(
    subject: Subject,
    *,
    policy: engine.CreditPolicy,
    granting: list[str],
    as_of: date,
) -> dict[str, Any] | None:
    """The line for one subject as column values (without run, village and policy), or
    ``None`` when the subject is granted no limit. The reference the SQL path must match."""
    if subject.shares_household_line:
        return None  # one exposure, one limit: the household's line
    override = subject.override
    if override is not None and override_outlived(
        override, grade=subject.grade, knocked_out=subject.knocked_out, policy=policy
    ):
        override = None  # rated below what it was approved for: the engine's line
    grade = override.grade if override and override.kind == "grade" else subject.grade
    kind = engine.ENTITY if subject.entity_id is not None else engine.HOUSEHOLD
    limit = engine.credit_limit(
        policy,
        engine.LimitInputs(
            grade=grade,
            grants_credit=grade in granting,
            knocked_out=subject.knocked_out,
            net_annual_income=subject.income,
            net_assets=subject.assets,
            subject=kind,
        ),
    )
    amount, binding = limit.amount, limit.binding
    if subject.knocked_out or grade not in granting or grade in engine.NO_CREDIT_GRADES:
        return None  # a knock-out stands whatever the override
    basis = engine.limit_basis(policy, kind)
    if basis is None:
        return None  # a version without entity rules grants entities nothing
    cap = basis.caps.get(grade)
    if cap is None:
        return None
    if override and override.kind == "limit" and override.amount is not None:
        amount, binding = override.amount, "override"
    if amount <= 0:
        return None
    rate = engine.credit_rate(
        policy,
        engine.PriceInputs(
            grade=grade,
            limit=amount,
            avg_daily_deposit=subject.deposit,
            payroll_agency=subject.payroll,
            mobile_banking_active=subject.mobile,
            clean_repayment=subject.clean,
            low_income=subject.low_income,
        ),
    )
    terms = {t.code: int(t.value) for t in rate.terms}
    previous = subject.previous
    carry = (
        previous is not None
        and previous.status in (LineStatus.ACTIVE, *CARRIED)
        and previous.valid_to >= as_of
    )
    valid_from = previous.valid_from if carry and previous else as_of
    hold = subject.hold
    return {
        "rating_result_id": subject.result_id,
        "household_id": subject.household_id,
        "business_entity_id": subject.entity_id,
        "override_id": override.pk if override else None,
        "grade": grade,
        "amount": amount,
        "online_eligible": policy.online_min <= amount <= policy.online_max,
        "cap": cap,
        "by_income": subject.income * basis.income_multiple,
        "by_assets": subject.assets * basis.asset_multiple,
        "binding": binding,
        "rate_bp": rate.rate_bp,
        "lpr_bp": terms.get("lpr", 0),
        "spread_bp": terms.get("grade_spread", 0),
        "deposit_bp": terms.get("deposit", 0),
        "payroll_bp": terms.get("payroll", 0),
        "mobile_bp": terms.get("mobile_banking", 0),
        "clean_bp": terms.get("clean_history", 0),
        "cap_back_bp": terms.get("contribution_cap", 0),
        "low_income_bp": terms.get("low_income", 0),
        "floor_bp": terms.get("floor", 0),
        "ceiling_bp": terms.get("ceiling", 0),
        "valid_from": valid_from,
        "valid_to": add_months(valid_from, policy.validity_months),
        "status": hold.status if hold else LineStatus.ACTIVE,
        "status_reason": hold.reason if hold else "",
        "status_changed_at": hold.held_at if hold else None,
    }


def override_outlived(
    override: CreditOverride, *, grade: str, knocked_out: bool, policy: engine.CreditPolicy
) -> str:
    """Why an approved override no longer applies to its subject, now rated ``grade`` under
    ``policy`` (a sentence for staff), or ``""`` while it does (``engine.override_outlived``;
    ``_override_applies_sql`` is its SQL twin)."""
    approved = engine.ApprovedUnder(override.approved_grade, override.approved_cap or Decimal(0))
    subject = engine.HOUSEHOLD if override.business_entity_id is None else engine.ENTITY
    basis = engine.limit_basis(policy, subject)  # an entity's override: the entity caps
    cap = basis.caps.get(grade) if basis is not None else None
    return engine.override_outlived(approved, grade=grade, knocked_out=knocked_out, cap=cap)


def write_python(
    run: RatingRun,
    village_id: int,
    version: CreditPolicyVersion,
    policy: engine.CreditPolicy | None = None,
) -> int:
    """``policy``: ``version``'s terms already parsed (``line_basis.policy_terms``)."""
    policy = policy if policy is not None else version.policy
    granting = granting_grades(run)
    lines = []
    for subject in _subjects(run, village_id, policy):
        values = line_for(subject, policy=policy, granting=granting[subject.kind], as_of=run.as_of)
        if values is not None:
            lines.append(
                CreditLine(run_id=run.pk, village_id=village_id, policy_id=version.pk, **values)
            )
    CreditLine.objects.bulk_create(lines, batch_size=500)
    return len(lines)


def _subjects(run: RatingRun, village_id: int, policy: engine.CreditPolicy) -> list[Subject]:
    results = list(
        RatingResult.objects.filter(run_id=run.pk, village_id=village_id).select_related(
            "household", "business_entity"
        )
    )
    overrides = {
        (o.household_id, o.business_entity_id): o
        for o in CreditOverride.objects.filter(status="approved", valid_until__gte=run.as_of)
    }
    current = {
        (c.household_id, c.business_entity_id): c.result_id
        for c in CurrentRating.objects.filter(household__village_id=village_id).only(
            "household_id", "business_entity_id", "result_id"
        )
    } | {
        (c.household_id, c.business_entity_id): c.result_id
        for c in CurrentRating.objects.filter(business_entity__village_id=village_id).only(
            "household_id", "business_entity_id", "result_id"
        )
    }
    previous = {
        line.rating_result_id: line
        for line in CreditLine.objects.filter(rating_result_id__in=list(current.values()))
    }
    holds = {
        (h.household_id, h.business_entity_id): h
        for h in CreditHold.objects.filter(
            Q(household__village_id=village_id) | Q(business_entity__village_id=village_id)
        )
    }
    owned = set(
        BusinessEntity.owner_households.through.objects.filter(
            businessentity__village_id=village_id
        ).values_list("businessentity_id", flat=True)
    )
    subjects = []
    for r in results:
        key = (r.household_id, r.business_entity_id)
        before = previous.get(current.get(key, -1))
        if r.household is not None:
            h = r.household
            subjects.append(
                Subject(
                    result_id=r.pk,
                    household_id=h.pk,
                    entity_id=None,
                    kind=r.kind,
                    grade=r.grade,
                    knocked_out=r.knocked_out,
                    income=net_annual_income(h) or Decimal(0),
                    assets=net_assets(h) or Decimal(0),
                    deposit=h.avg_daily_deposit_here,
                    payroll=h.payroll_agency,
                    mobile=h.mobile_banking_active,
                    clean=h.overdue_count_24m == 0 and not h.has_outstanding_overdue,
                    low_income=bool(set(r.flags) & LOW_INCOME_FLAGS),
                    override=overrides.get(key),
                    previous=before,
                    hold=holds.get(key),
                )
            )
        elif (e := r.business_entity) is not None:
            subjects.append(
                Subject(
                    result_id=r.pk,
                    household_id=None,
                    entity_id=e.pk,
                    kind=r.kind,
                    grade=r.grade,
                    knocked_out=r.knocked_out,
                    income=engine.entity_net_profit(
                        policy, kind=e.kind, revenue=e.annual_revenue, costs=e.annual_costs
                    )
                    or Decimal(0),
                    assets=e.total_assets - e.total_liabilities,
                    deposit=Decimal(0),
                    payroll=False,
                    mobile=False,
                    clean=False,
                    low_income=False,
                    override=overrides.get(key),
                    previous=before,
                    hold=holds.get(key),
                    shares_household_line=engine.shares_household_line(
                        e.kind, has_owner_household=e.pk in owned
                    ),
                )
            )
    return subjects
