"""Loan applications (贷款申请): submit with an instant decision (秒批) or to the officer's
review queue (房抵贷), the officer's review, withdrawal, and the nightly expiry of approvals
never signed.

Input errors (amount outside the product's range, a term or method it does not offer, no
verified identity) are refused and nothing is stored. An applicant the product does not admit
— grade, kind, 公信贷 without a public employee, a suspended or expired line, more than the
available amount, not on the whitelist — gets a *declined* application with every reason
stored. The decision reads the current whitelist and checks the line afresh.
"""

from __future__ import annotations

import unicodedata
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from fuxiang.makerchecker import Touch, checker_require
from households.models import BusinessEntity, Household
from households.selectors import business_entities_visible_to, households_visible_to
from loans.borrowers import (
    Borrower,
    available,
    borrowing_person,
    exposure_lock,
    line_status_for,
)
from loans.engine import rules, states
from loans.idempotency import idempotency_claim
from loans.ledger_selectors import applications_visible_to
from loans.models import (
    Channel,
    LoanApplication,
    LoanProduct,
    LoanProductVersion,
    VersionStatus,
    WhitelistEntry,
)
from loans.notices import approved_notice
from loans.signals import ledger_changed_on_commit
from loans.verification import Verification, check_verification
from loans.whitelists import whitelist_current_number

PURPOSE_MIN = 2
PURPOSE_MAX = 100


def purpose_clean(text: Any) -> str:
    """The loan purpose as one line: line breaks, tabs and runs of spaces become one space,
    other control characters go (the contract prints it on one line)."""
    words = str(text or "").split()
    return "".join(c for c in " ".join(words) if unicodedata.category(c) != "Cc")


def _amount(value: Any, field: str = "amount") -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError) as exc:
        raise DomainError({field: "金额须为数字（元）"}) from exc
    if amount <= 0:
        raise DomainError({field: "金额须大于0元"})
    return amount


def applicant_facts(borrower: Borrower) -> rules.Applicant:
    if borrower.household_id is not None:
        household = Household.objects.get(pk=borrower.subject_id)
        return rules.Applicant(
            kind=rules.HOUSEHOLD,
            has_public_employee=household.members.filter(is_public_employee=True).exists(),
            agricultural_income=household.income_crops + household.income_livestock,
            annual_income=household.annual_income,
            land_mu=household.land_contracted_mu,
        )
    entity = BusinessEntity.objects.get(pk=borrower.subject_id)
    return rules.Applicant(kind=entity.kind, land_mu=entity.land_mu)


def _check_staff_scope(actor: User | None, borrower: Borrower) -> None:
    if actor is None:
        return
    if borrower.household_id is not None:
        visible = households_visible_to(actor).filter(pk=borrower.subject_id).exists()
    else:
        visible = business_entities_visible_to(actor).filter(pk=borrower.subject_id).exists()
    if not visible:
        raise NotFound()
    if not roles.can_serve_borrowers(actor):  # the officer who serves the borrower
        raise PermissionDenied("只有客户经理可以代客户办理贷款")


def product_in_force(product: LoanProduct) -> LoanProductVersion:
    version = (
        LoanProductVersion.objects.filter(product=product, status=VersionStatus.APPROVED)
        .select_related("product")
        .first()
    )
    if version is None:
        raise DomainError({"product": f"{product.name}暂停办理"}, code="product_unavailable")
    return version


def line_facts(borrower: Borrower, in_use: Decimal, today: date) -> rules.LineFacts | None:
    line = borrower.line()
    if line is None:
        return None
    return rules.LineFacts(
        grade=line.grade,
        amount=line.amount,
        status=line_status_for(line, today),
        valid_to=line.valid_to,
        online_eligible=line.online_eligible,
        available=available(line, in_use, today),
    )


@transaction.atomic
def application_submit(
    *,
    subject: Household | BusinessEntity,
    product: LoanProduct,
    amount: Any,
    term_months: int,
    repayment_method: str,
    purpose: str,
    verification: Verification | None,
    idempotency_key: str,
    collateral_value: Any = None,
    collateral_description: str = "",
    actor: User | None = None,
    audit: AuditContext | None = None,
) -> LoanApplication:
    """Apply for a loan for a verified borrower. ``verification`` is the caller's evidence of
    who is asking (the villager's SMS-verified lookup session, the officer in person);
    ``actor`` the officer for the branch channel (the borrower must be in their grids).
    Returns the application — approved, declined with reasons, or under review (房抵贷)."""
    verification = check_verification(verification)
    borrower = Borrower.of(subject)
    _check_staff_scope(actor if verification.channel == Channel.BRANCH else None, borrower)
    person = borrowing_person(
        borrower,
        member_id=verification.member_id,
        channel=verification.channel,
        today=timezone.localdate(),
    )
    amount = _amount(amount)
    collateral = _amount(collateral_value, "collateral_value") if collateral_value else None
    purpose = purpose_clean(purpose)
    payload = {
        "product": product.pk,
        "amount": str(amount),
        "term_months": term_months,
        "repayment_method": repayment_method,
        "purpose": purpose,
        "collateral_value": str(collateral),
    }
    claim = idempotency_claim(
        scope=f"apply:{borrower.key}", key=idempotency_key, payload=payload, model=LoanApplication
    )
    if claim.replay is not None:
        return claim.replay  # type: ignore[return-value]
    version = product_in_force(product)
    terms = version.terms
    request_terms = rules.LoanRequest(amount, int(term_months), repayment_method, collateral)
    errors: dict[str, list[str]] = {}
    for reason in rules.check_request(terms, request_terms):
        errors.setdefault(reason.field, []).append(reason.message)
    if len(purpose) < PURPOSE_MIN:
        errors.setdefault("purpose", []).append("请填写贷款用途（至少2个字）")
    elif len(purpose) > PURPOSE_MAX:
        errors.setdefault("purpose", []).append(
            f"贷款用途最多{PURPOSE_MAX}个字，请简要填写（现在{len(purpose)}个字）"
        )
    if errors:
        raise DomainError(errors)
    if LoanApplication.objects.filter(
        borrower.q, product=product, status__in=states.OPEN_APPLICATION_STATES
    ).exists():
        raise DomainError(
            {"product": f"{product.name}已有一笔办理中的申请，请先签约或撤回"}, code="duplicate"
        )
    today = timezone.localdate()
    exposure = exposure_lock(borrower)
    line = borrower.line()
    facts = line_facts(borrower, exposure.in_use, today)
    on_whitelist = WhitelistEntry.objects.filter(
        borrower.q, product=product, valid_to__isnull=True
    ).exists()
    decision = rules.decide(
        terms,
        applicant_facts(borrower),
        request_terms,
        facts,
        on_whitelist=on_whitelist,
        as_of=today,
    )
    now = timezone.now()
    application = LoanApplication(
        **borrower.fields,
        product=product,
        product_version=version,
        amount=amount,
        term_months=term_months,
        repayment_method=repayment_method,
        purpose=purpose,
        applicant_member=person,
        collateral_value=collateral,
        collateral_description=(collateral_description or "")[:200],
        channel=verification.channel,
        verification_method=verification.method,
        verified_at=verification.verified_at,
        client_ip=verification.ip,
        user_agent=verification.user_agent[:300],
        submitted_by=verification.staff,
        credit_line_id=line.pk if line else None,
        grade=line.grade if line else "",
        line_amount=line.amount if line else None,
        available=facts.available if facts else None,
        rate_bp=line.rate_bp if line else None,
        whitelist_version=whitelist_current_number(product.pk),
    )
    application.status = states.transition(states.APPLICATION, "submitted", decision.outcome)
    application.reasons = [
        {"code": r.code, "message": r.message, "field": r.field} for r in decision.reasons
    ]
    outcome = decision.outcome
    if outcome == rules.APPROVE and verification.channel == Channel.BRANCH:
        # entered by an officer: a second person approves (maker-checker), never the maker
        outcome = rules.REVIEW
        application.status = states.transition(states.APPLICATION, "submitted", outcome)
    if outcome != rules.REVIEW:
        application.decided_at = now
    if outcome == rules.APPROVE:
        application.expires_at = now + timedelta(days=settings.LOANS_SIGN_WITHIN_DAYS)
    if decision.outcome == rules.DECLINE:
        application.closed_at = now
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError as exc:  # lost a race with another open application
        raise DomainError(
            {"product": f"{product.name}已有一笔办理中的申请，请先签约或撤回"}, code="duplicate"
        ) from exc
    claim.complete(application)
    audit_record(
        action=AuditAction.LOAN_APPLY,
        actor=verification.staff,
        target=application,
        target_label=f"{product.name} {application.subject_label}",
        audit=audit,
        details={
            "product_version": version.pk,
            "amount": str(amount),
            "status": application.status,
            "reasons": [r["code"] for r in application.reasons],
            "channel": verification.channel,
            "verification": verification.method,
        },
    )
    ledger_changed_on_commit(
        household_ids=[application.household_id],
        entity_ids=[application.business_entity_id],
        reason="apply",
    )
    if application.status == "approved":
        approved_notice(application)
    return application


@transaction.atomic
def application_review(
    *,
    actor: User | None,
    application: LoanApplication,
    approve: bool,
    note: str = "",
    audit: AuditContext | None = None,
) -> LoanApplication:
    """An officer who serves the borrower, or their branch manager, decides an application in
    review (房抵贷, or one an officer entered): approve — after the same fresh check of the
    line as an instant decision — or decline, with a note either way. Never the officer who
    entered it (maker-checker, ``fuxiang.makerchecker``)."""
    if not applications_visible_to(actor).filter(pk=application.pk).exists():
        raise NotFound()
    if not (roles.can_serve_borrowers(actor) or getattr(actor, "role", "") == "branch_manager"):
        raise PermissionDenied("只有客户经理或支行行长可以审核贷款申请")
    application = LoanApplication.objects.select_for_update().get(pk=application.pk)
    checker_require(
        checker_id=actor.pk if actor is not None else None,
        touched={Touch.CREATED: {application.submitted_by_id}},
        what="贷款申请",
    )
    if application.status != "under_review":
        raise DomainError(f"该申请状态为“{application.get_status_display()}”，不在审核中")
    note = (note or "").strip()
    if len(note) < 2:
        raise DomainError({"note": "请填写审核意见"})
    now, today = timezone.now(), timezone.localdate()
    borrower = Borrower.of(application)
    reasons: list[rules.Reason] = []
    if approve:
        exposure = exposure_lock(borrower)
        facts = line_facts(borrower, exposure.in_use, today)
        terms = application.product_version.terms
        reasons = rules.eligibility_reasons(
            terms, applicant_facts(borrower), facts.grade if facts else ""
        ) + rules.line_reasons(terms, facts, application.amount, today)
        if reasons:
            raise DomainError({"__all__": [r.message for r in reasons]})
        line = borrower.line()
        if line is None or facts is None:  # (no line gives a reason above)
            raise DomainError("暂无有效的授信额度", code="no_line")
        application.status = states.transition(states.APPLICATION, application.status, "approved")
        application.expires_at = now + timedelta(days=settings.LOANS_SIGN_WITHIN_DAYS)
        application.credit_line_id, application.grade = line.pk, line.grade
        application.line_amount, application.rate_bp = line.amount, line.rate_bp
        application.available = facts.available
    else:
        application.status = states.transition(states.APPLICATION, application.status, "declined")
        application.reasons = [{"code": "officer_declined", "message": note, "field": "__all__"}]
        application.closed_at = now
    application.decided_at, application.decided_by, application.review_note = now, actor, note
    application.save()
    audit_record(
        action=AuditAction.LOAN_APPLICATION_REVIEW,
        actor=actor,
        target=application,
        target_label=f"贷款申请#{application.pk}",
        audit=audit,
        details={"approved": approve, "note": note},
    )
    if application.status == "approved":
        approved_notice(application)
    return application


@transaction.atomic
def application_withdraw(
    *,
    application: LoanApplication,
    actor: User | None = None,
    verification: Verification | None = None,
    audit: AuditContext | None = None,
) -> LoanApplication:
    """The borrower (verified) or the officer serving them withdraws an open application."""
    if actor is not None:
        if not applications_visible_to(actor).filter(pk=application.pk).exists():
            raise NotFound()
        if not roles.can_serve_borrowers(actor):
            raise PermissionDenied("只有客户经理可以撤回贷款申请")
    else:
        check_verification(verification)
    application = LoanApplication.objects.select_for_update().get(pk=application.pk)
    application.status = _move(application.status, "withdrawn")
    application.closed_at = timezone.now()
    if application.decided_at is None:
        application.decided_at = application.closed_at
    application.save(update_fields=["status", "closed_at", "decided_at"])
    audit_record(
        action=AuditAction.LOAN_APPLICATION_WITHDRAW,
        actor=actor,
        target=application,
        target_label=f"贷款申请#{application.pk}",
        audit=audit,
    )
    return application


def _move(current: str, target: str) -> str:
    try:
        return states.transition(states.APPLICATION, current, target)
    except states.TransitionError as exc:
        raise DomainError(str(exc), code="invalid_state") from exc


def applications_expire(*, now: Any = None) -> int:
    """Nightly: approvals not signed by their deadline expire (safe to run twice)."""
    now = now or timezone.now()
    expired = LoanApplication.objects.filter(status="approved", expires_at__lt=now).update(
        status="expired", closed_at=now
    )
    if expired:
        audit_record(action=AuditAction.LOAN_APPLICATIONS_EXPIRE, details={"expired": expired})
    return expired
