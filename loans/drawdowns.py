"""Drawdowns (用信/放款): money drawn on a signed contract, under the borrower's exposure lock.

A revolving (随借随还) contract draws any amount up to what it has not drawn (its amount less
its outstanding principal) into one loan account; an instalment contract draws once, up to its
amount, into a loan with its schedule (the undrawn rest is released from the line). Either way
the borrower's outstanding principal stays within the line's *current* amount, the line must be
usable now (active, not expired, not held), and a contract past its maturity draws nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound
from households.models import BusinessEntity, Household
from loans.applications import _amount
from loans.borrowers import Borrower, exposure_lock, refuse_unusable_line
from loans.engine import schedules, states
from loans.engine.rules import yuan
from loans.idempotency import idempotency_claim
from loans.models import Drawdown, Instalment, Loan, LoanContract
from loans.notices import borrower_member_id, notice_send
from loans.repayments import accrue
from loans.retry import retry_once_on_conflict
from loans.signals import ledger_changed_on_commit
from loans.verification import Verification, check_verification


def draw_deadline(contract: LoanContract) -> date:
    """The last day a signed contract may first be drawn: the signing day + the product's
    ``draw_within_days`` (30 unless the product says otherwise)."""
    return contract.start_date + timedelta(days=contract.product_version.draw_within_days)


def draw_window_passed(contract: LoanContract, today: date) -> bool:
    """A contract never drawn whose drawing window has passed (the nightly job ends it)."""
    return contract.status == "signed" and today > draw_deadline(contract)


def _village_id(borrower: Borrower) -> int:
    if borrower.household_id is not None:
        return Household.objects.values_list("village_id", flat=True).get(pk=borrower.subject_id)
    return BusinessEntity.objects.values_list("village_id", flat=True).get(pk=borrower.subject_id)


@retry_once_on_conflict
@transaction.atomic
def drawdown_create(
    *,
    contract: LoanContract,
    amount: Any,
    verification: Verification | None,
    idempotency_key: str,
    audit: AuditContext | None = None,
) -> Drawdown:
    """Draw ``amount`` on ``contract`` for its (verified) borrower. Returns the drawdown —
    the first one, on a retry with the same key."""
    verification = check_verification(verification)
    amount = _amount(amount)
    borrower = Borrower.of(contract)
    claim = idempotency_claim(
        scope=f"draw:contract:{contract.pk}",
        key=idempotency_key,
        payload={"contract": contract.pk, "amount": str(amount)},
        model=Drawdown,
    )
    if claim.replay is not None:
        return claim.replay  # type: ignore[return-value]
    exposure = exposure_lock(borrower)
    try:
        contract = (
            LoanContract.objects.select_for_update(of=("self",))
            .select_related("product_version__product", "application")
            .get(pk=contract.pk)
        )
    except LoanContract.DoesNotExist as exc:
        raise NotFound() from exc
    today = timezone.localdate()
    if contract.status not in states.LIVE_CONTRACT_STATES:
        raise DomainError(
            f"合同状态为“{contract.get_status_display()}”，不能放款", code="invalid_state"
        )
    if today >= contract.maturity_date:
        raise DomainError(
            f"合同已于{contract.maturity_date:%Y年%m月%d日}到期，不能再放款", code="matured"
        )
    if draw_window_passed(contract, today):
        days = contract.product_version.draw_within_days
        raise DomainError(
            f"合同须在签订后{days}天内（{draw_deadline(contract):%Y年%m月%d日}前）放款，"
            "已超过期限，合同失效；如仍需用款请重新申请",
            code="draw_window_passed",
        )
    line = refuse_unusable_line(borrower.line(), today)
    loan = contract.loans.select_for_update().first()
    if contract.revolving:
        drawn = loan.principal_outstanding if loan is not None else Decimal(0)
        headroom = contract.amount - drawn
    else:
        if contract.drawn_total > 0:
            raise DomainError("分期还款的合同只能放款一次，本合同已放款", code="already_drawn")
        headroom = contract.amount
    if amount > headroom:
        raise DomainError(
            {"amount": f"放款金额{yuan(amount)}元超过合同可用金额{yuan(headroom)}元"},
            code="above_available",
        )
    line_room = line.amount - exposure.outstanding
    if amount > line_room:
        raise DomainError(
            {"amount": f"放款金额{yuan(amount)}元超过授信额度可用余额{yuan(max(line_room, 0))}元"},
            code="above_available",
        )
    most = min(headroom, max(line_room, Decimal(0)))  # drawing all of it is always allowed
    minimum = contract.product_version.min_drawdown
    if amount < minimum and amount != most:
        raise DomainError(
            {
                "amount": f"单笔放款不能少于{yuan(minimum)}元"
                f"（一次提取剩余全部{yuan(most)}元时除外）"
            },
            code="below_minimum",
        )
    if contract.revolving:
        loan = _draw_revolving(contract, loan, borrower, amount, today)
    else:
        loan = _draw_instalments(contract, borrower, amount, today)
        released = contract.amount - amount  # the undrawn rest goes back to the line
        contract.occupied -= released
        exposure.in_use -= released
    contract.status = (
        states.transition(states.CONTRACT, contract.status, "active")
        if contract.status == "signed"
        else contract.status
    )
    contract.drawn_total += amount
    contract.save(update_fields=["status", "drawn_total", "occupied"])
    exposure.outstanding += amount
    exposure.save(update_fields=["in_use", "outstanding", "updated_at"])
    drawdown = Drawdown.objects.create(
        contract=contract,
        loan=loan,
        amount=amount,
        value_date=today,
        channel=verification.channel,
        requested_by=verification.staff,
        client_ip=verification.ip,
        user_agent=verification.user_agent[:300],
    )
    claim.complete(drawdown)
    audit_record(
        action=AuditAction.LOAN_DRAWDOWN,
        actor=verification.staff,
        target=drawdown,
        target_label=f"借据{loan.number}",
        audit=audit,
        details={"contract": contract.number, "amount": str(amount)},
    )
    ledger_changed_on_commit(
        household_ids=[contract.household_id],
        entity_ids=[contract.business_entity_id],
        reason="draw",
    )
    notice_send(
        member_id=borrower_member_id(contract.application),
        template="loan_drawn",
        params={
            "product": contract.product_version.product.name,
            "amount": yuan(amount),
            "day": f"{today:%Y年%m月%d日}",
            "loan": loan.number,
            "maturity": f"{loan.maturity_date:%Y年%m月%d日}",
        },
    )
    return drawdown


def _loan_number(contract: LoanContract, n: int) -> str:
    return f"{contract.number}-{n:02d}"


def _draw_revolving(
    contract: LoanContract, loan: Loan | None, borrower: Borrower, amount: Decimal, today: Any
) -> Loan:
    if loan is None:
        return Loan.objects.create(
            number=_loan_number(contract, 1),
            contract=contract,
            **borrower.fields,
            village_id=_village_id(borrower),
            repayment_method=contract.repayment_method,
            rate_bp=contract.rate_bp,
            principal=amount,
            principal_outstanding=amount,
            accrued_to=today,
            start_date=today,
            maturity_date=contract.maturity_date,
        )
    accrue(loan, today)  # interest so far on the old balance, then the new principal
    loan.principal += amount
    loan.principal_outstanding += amount
    if loan.status == "closed":  # pragma: no cover - revolving accounts close only at maturity
        raise DomainError("该借据已结清", code="invalid_state")
    loan.save(
        update_fields=["principal", "principal_outstanding", "interest_accrued", "accrued_to"]
    )
    return loan


def _draw_instalments(
    contract: LoanContract, borrower: Borrower, amount: Decimal, today: Any
) -> Loan:
    rows = schedules.schedule(
        contract.repayment_method,
        principal=amount,
        annual_rate=Decimal(contract.rate_bp) / Decimal(10000),
        months=contract.term_months,
        start=today,
    )
    loan = Loan.objects.create(
        number=_loan_number(contract, 1),
        contract=contract,
        **borrower.fields,
        village_id=_village_id(borrower),
        repayment_method=contract.repayment_method,
        rate_bp=contract.rate_bp,
        principal=amount,
        principal_outstanding=amount,
        accrued_to=today,
        start_date=today,
        maturity_date=rows[-1].due_date,
    )
    Instalment.objects.bulk_create(
        [
            Instalment(
                loan=loan,
                number=r.number,
                due_date=r.due_date,
                principal=r.principal,
                interest=r.interest,
            )
            for r in rows
        ]
    )
    return loan
