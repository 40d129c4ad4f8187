"""Repayments (还款): entered by staff, taken from the core-banking file, or made through a
channel — applied under the borrower's exposure lock, never more than the balance.

- **Revolving** (随借随还): interest accrues daily on the balance (annual rate ÷ 360) up to
  the day paid; a repayment pays the accrued interest first, then principal. The principal
  repaid is available to draw again (the contract keeps occupying its amount of the line).
- **Instalments**: interest is actual/360 (``engine.schedules``). A repayment pays the
  instalments due on or before the day, oldest first, interest before principal. What is left
  is a prepayment (提前还款): it pays first the interest accrued on the outstanding principal
  from the start of the current period (the last due date, the drawdown or the last
  prepayment) to the day — and no more — then principal; the remaining instalments are then
  re-scheduled (``engine.schedules.reschedule``): the remaining principal over the same due
  dates, the first period running from the prepayment day (the term stays, the payments
  fall). Paying everything closes the loan on the day; the instalments after it are dropped.
  The balance — the most one can repay — is what is due, the interest accrued to the day and
  the principal outstanding. Principal repaid is released from the line.

A loan with nothing left to pay is closed; an instalment contract closes with it; a repayment
that clears the overdue instalments moves an overdue loan back to 正常 (a 不良 loan stays bad
until closed). The borrower's repayment fields in the archive follow (``loans.overdue``).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from fuxiang.accounts import roles
from fuxiang.accounts.models import User
from fuxiang.audit import AuditContext
from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from fuxiang.errors import DomainError, NotFound, PermissionDenied
from loans.applications import _amount
from loans.borrowers import Borrower, exposure_lock, release
from loans.engine import schedules, states
from loans.engine.rules import yuan
from loans.idempotency import idempotency_claim
from loans.ledger_selectors import loans_visible_to
from loans.models import (
    Instalment,
    Loan,
    LoanContract,
    Repayment,
    RepaymentChannel,
    RepaymentImport,
)
from loans.retry import retry_once_on_conflict
from loans.signals import ledger_changed_on_commit

ZERO = Decimal("0.00")


def accrue(loan: Loan, day: date) -> None:
    """Revolving: add the interest on the balance from ``accrued_to`` to ``day`` (not saved)."""
    if loan.repayment_method != schedules.REVOLVING or day <= loan.accrued_to:
        return
    loan.interest_accrued += schedules.revolving_interest(
        loan.principal_outstanding,
        Decimal(loan.rate_bp) / Decimal(10000),
        (day - loan.accrued_to).days,
    )
    loan.accrued_to = day


@dataclass(frozen=True)
class Balance:
    interest: Decimal
    principal: Decimal

    @property
    def total(self) -> Decimal:
        return self.interest + self.principal


def loan_balance(loan: Loan, day: date, instalments: list[Instalment] | None = None) -> Balance:
    """What the borrower may repay on ``day`` at most: interest due (accrued to the day) and
    principal outstanding."""
    if loan.repayment_method == schedules.REVOLVING:
        interest = loan.interest_accrued
        if day > loan.accrued_to:
            interest += schedules.revolving_interest(
                loan.principal_outstanding,
                Decimal(loan.rate_bp) / Decimal(10000),
                (day - loan.accrued_to).days,
            )
        return Balance(interest, loan.principal_outstanding)
    rows = instalments if instalments is not None else list(loan.instalments.all())
    position = instalment_position(loan, day, rows)
    return Balance(position.due_interest + position.accrued, loan.principal_outstanding)


@dataclass(frozen=True)
class Position:
    """An instalment loan on a day: what is due (instalments due on or before it, unpaid) and
    the interest accrued since the current period began (on the principal not yet due)."""

    due_interest: Decimal
    due_principal: Decimal
    accrued: Decimal
    period_start: date | None  # None: no period runs (every instalment is due)
    future: list[Instalment]

    @property
    def due(self) -> Decimal:
        return self.due_interest + self.due_principal


def instalment_position(loan: Loan, day: date, rows: list[Instalment]) -> Position:
    ordered = sorted(rows, key=lambda r: r.number)
    unpaid = [r for r in ordered if r.status != "paid"]
    due = [r for r in unpaid if r.due_date <= day]
    future = [r for r in unpaid if r.due_date > day]
    due_interest = sum((r.interest - r.interest_paid - r.interest_waived for r in due), ZERO)
    due_principal = sum((r.principal - r.principal_paid for r in due), ZERO)
    if not future:
        return Position(due_interest, due_principal, ZERO, None, [])
    before = [r.due_date for r in ordered if r.number < future[0].number]
    period_start = max([loan.start_date, loan.accrued_to, *before])
    accrued = schedules.interest_for_days(
        loan.principal_outstanding - due_principal,
        Decimal(loan.rate_bp) / Decimal(10000),
        (day - period_start).days,
    )
    return Position(due_interest, due_principal, accrued, period_start, future)


def _apply_instalments(loan: Loan, amount: Decimal, day: date) -> tuple[Decimal, Decimal]:
    """Pay the instalments due, then prepay (interest to the day, then principal) and
    re-schedule what remains; returns (principal, interest) paid."""
    rows = list(loan.instalments.select_for_update().exclude(status="paid").order_by("number"))
    paid_rows = list(loan.instalments.filter(status="paid").order_by("number"))
    position = instalment_position(loan, day, rows + paid_rows)
    left, principal_paid, interest_paid = amount, ZERO, ZERO
    for row in rows:  # what is due: interest, then principal
        if row.due_date > day or not left:
            continue
        pay = min(left, row.interest - row.interest_paid - row.interest_waived)
        row.interest_paid += pay
        left -= pay
        interest_paid += pay
        pay = min(left, row.principal - row.principal_paid)
        row.principal_paid += pay
        left -= pay
        principal_paid += pay
    future = [r for r in rows if r.due_date > day]
    if left and future:  # a prepayment: the interest to the day, then principal
        accrued = position.accrued
        if left < accrued:  # the service refuses this before (``prepayment_short``)
            raise RuntimeError("a prepayment below the interest accrued")
        left -= accrued
        interest_paid += accrued
        prepaid = left
        left = ZERO
        principal_paid += prepaid
        remaining = loan.principal_outstanding - principal_paid
        current = future[0]
        current.interest_paid += accrued
        current.interest = current.interest_paid
        if remaining == 0:  # paid off: the loan ends today, the later instalments go
            current.principal = current.principal_paid + prepaid
            current.principal_paid = current.principal
            Instalment.objects.filter(pk__in=[r.pk for r in future[1:]]).delete()
            future = [current]
            rows = [r for r in rows if r.due_date <= day] + future
        else:
            new = schedules.reschedule(
                loan.repayment_method,
                principal=remaining,
                annual_rate=Decimal(loan.rate_bp) / Decimal(10000),
                start=day,
                dates=[r.due_date for r in future],
                first_number=current.number,
            )
            for row, fresh in zip(future, new, strict=True):
                row.principal = row.principal_paid + fresh.principal
                row.interest = (row.interest_paid if row is current else ZERO) + fresh.interest
        loan.accrued_to = day
    for row in rows:
        if row.remaining == 0 and row.status != "paid":
            row.status = states.transition(states.INSTALMENT, row.status, "paid")
            row.paid_on = day
            row.days_past_due = 0 if row.overdue_since is None else row.days_past_due
        row.save()
    if left:  # the balance check lets no more than the balance through
        raise RuntimeError(f"{left} of the repayment was not applied")
    return principal_paid, interest_paid


@retry_once_on_conflict
@transaction.atomic
def repayment_record(
    *,
    loan: Loan,
    amount: Any,
    paid_on: date | None = None,
    channel: str,
    reference: str = "",
    idempotency_key: str,
    actor: User | None = None,
    source_import: RepaymentImport | None = None,
    audit: AuditContext | None = None,
) -> Repayment:
    """Apply a repayment to ``loan``. Staff (``actor``) must see the loan; the core-banking
    file passes its serial number as the key. Refused above the balance. Returns the
    repayment (the first one on a retry; ``.replayed`` is then set)."""

    if actor is not None:
        if not loans_visible_to(actor).filter(pk=loan.pk).exists():
            raise NotFound()
        if not roles.can_record_repayment(actor):
            raise PermissionDenied("您的角色不能录入还款")
    amount = _amount(amount)
    day = paid_on or timezone.localdate()
    if day > timezone.localdate():
        raise DomainError({"paid_on": "还款日期不能晚于今天"})
    scope = "repay:core_banking" if channel == RepaymentChannel.CORE_BANKING else f"repay:{loan.pk}"
    claim = idempotency_claim(
        scope=scope,
        key=idempotency_key,
        payload={"loan": loan.pk, "amount": str(amount), "paid_on": day.isoformat()},
        model=Repayment,
    )
    if claim.replay is not None:
        return claim.replay  # type: ignore[return-value]
    borrower = Borrower.of(loan)
    # locks in the one order every service takes: the borrower's exposure (their line), the
    # contract, the loan
    exposure = exposure_lock(borrower)
    contract = LoanContract.objects.select_for_update().get(pk=loan.contract_id)
    loan = Loan.objects.select_for_update().get(pk=loan.pk)
    if loan.status == "closed":
        raise DomainError({"amount": "该借据已结清，无需还款"}, code="closed")
    if day < loan.accrued_to or day < loan.start_date:
        raise DomainError({"paid_on": "还款日期不能早于放款日或上次计息日"})
    balance = loan_balance(loan, day)
    if amount > balance.total:
        raise DomainError(
            {"amount": f"还款金额{yuan(amount)}元超过应还余额{yuan(balance.total)}元"},
            code="above_balance",
        )
    if loan.repayment_method != schedules.REVOLVING:
        position = instalment_position(loan, day, list(loan.instalments.all()))
        if position.due < amount < position.due + position.accrued:
            raise DomainError(
                {
                    "amount": f"提前还款须先付清截至{day:%Y年%m月%d日}的利息"
                    f"{yuan(position.accrued)}元：请还{yuan(position.due)}元（到期应还），"
                    f"或至少{yuan(position.due + position.accrued)}元"
                },
                code="prepayment_short",
            )
    if loan.repayment_method == schedules.REVOLVING:
        accrue(loan, day)
        interest = min(amount, loan.interest_accrued)
        principal = amount - interest
        loan.interest_accrued -= interest
    else:
        principal, interest = _apply_instalments(loan, amount, day)
    loan.principal_outstanding -= principal
    exposure.outstanding -= principal
    if not contract.revolving:  # instalment principal repaid is released from the line
        exposure.in_use -= principal
        contract.occupied -= principal
    _settle(loan, contract, day, exposure)
    exposure.save(update_fields=["in_use", "outstanding", "updated_at"])
    repayment = Repayment.objects.create(
        loan=loan,
        amount=amount,
        principal_part=principal,
        interest_part=interest,
        paid_on=day,
        channel=channel,
        reference=reference[:64],
        recorded_by=actor,
        source_import=source_import,
    )
    claim.complete(repayment)
    from loans.overdue import repayment_feedback  # overdue imports drawdowns, which imports us

    repayment_feedback(borrower, today=timezone.localdate())
    audit_record(
        action=AuditAction.LOAN_REPAYMENT,
        actor=actor,
        target=repayment,
        target_label=f"借据{loan.number}",
        audit=audit,
        details={
            "amount": str(amount),
            "principal": str(principal),
            "interest": str(interest),
            "channel": channel,
            "reference": reference,
        },
    )
    ledger_changed_on_commit(
        household_ids=[loan.household_id],
        entity_ids=[loan.business_entity_id],
        reason="repay",
    )
    return repayment


def _settle(loan: Loan, contract: LoanContract, day: date, exposure: Any) -> None:
    """After a repayment: close what is repaid, lift a cured overdue."""
    now = timezone.now()
    unpaid_overdue = loan.instalments.filter(status="overdue").exists()
    cleared = loan.principal_outstanding == 0 and loan.interest_accrued == 0
    revolving = loan.repayment_method == schedules.REVOLVING
    if cleared and (not revolving or day >= loan.maturity_date or loan.status != "active"):
        loan.status = states.transition(states.LOAN, loan.status, "closed")
        loan.closed_at = now
        loan.days_past_due = 0
        if not revolving or day >= contract.maturity_date:
            contract.status = states.transition(states.CONTRACT, contract.status, "closed")
            contract.closed_at = now
            release(contract, exposure)
    elif (
        loan.status == "overdue"
        and not unpaid_overdue
        and not (revolving and day > loan.maturity_date)
    ):
        loan.status = states.transition(states.LOAN, loan.status, "active")
        loan.days_past_due = 0
    loan.save()
    contract.save(update_fields=["status", "closed_at", "occupied"])


# --- the core-banking file --------------------------------------------------------------------

IMPORT_COLUMNS = ("借据号", "还款日期", "还款金额", "流水号")
DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def repayments_import(*, actor: User, content: bytes, file_name: str) -> RepaymentImport:
    """Apply a core-banking repayment file (CSV, UTF-8: 借据号, 还款日期 YYYY-MM-DD, 还款金额,
    流水号). Each row is applied or refused on its own (its own transaction); the 流水号 is the
    idempotency key, so a file imported twice applies nothing twice. Returns the import with
    its row report."""
    if not roles.can_import_repayments(actor):
        raise PermissionDenied("只有总行可以导入核心系统还款文件")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DomainError({"file": "还款文件须为UTF-8编码的CSV"}) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in IMPORT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise DomainError({"file": f"还款文件缺少列：{'、'.join(missing)}"})
    batch = RepaymentImport.objects.create(file_name=file_name[:200], uploaded_by=actor)
    report, counts = [], {"applied": 0, "repeated": 0, "refused": 0}
    for number, row in enumerate(reader, start=2):
        outcome = _import_row(batch, row, actor)
        counts[outcome["status"]] += 1
        report.append({"row": number, **outcome})
    batch.rows, batch.report = len(report), report
    batch.applied, batch.repeated, batch.refused = (
        counts["applied"],
        counts["repeated"],
        counts["refused"],
    )
    batch.save()
    audit_record(
        action=AuditAction.LOAN_REPAYMENT_IMPORT,
        actor=actor,
        target=batch,
        target_label=batch.file_name,
        details={"rows": batch.rows, **counts},
    )
    return batch


def _import_row(batch: RepaymentImport, row: dict[str, str], actor: User | None) -> dict[str, str]:
    loan_number = (row.get("借据号") or "").strip()
    reference = (row.get("流水号") or "").strip()
    base = {"loan": loan_number, "reference": reference, "amount": row.get("还款金额", "")}
    text = (row.get("还款日期") or "").strip()
    try:
        if not DATE_PATTERN.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        return {**base, "status": "refused", "message": "还款日期须为YYYY-MM-DD格式"}
    try:
        amount = Decimal((row.get("还款金额") or "").strip())
    except InvalidOperation:
        return {**base, "status": "refused", "message": "还款金额须为数字"}
    if not reference:
        return {**base, "status": "refused", "message": "流水号不能为空"}
    loan = Loan.objects.filter(number=loan_number).first()
    if loan is None:
        return {**base, "status": "refused", "message": f"借据号{loan_number or '（空）'}不存在"}
    try:
        repayment = repayment_record(
            loan=loan,
            amount=amount,
            paid_on=day,
            channel=RepaymentChannel.CORE_BANKING,
            reference=reference,
            idempotency_key=f"core-banking:{reference}",
            source_import=batch,
        )
    except DomainError as exc:
        return {**base, "status": "refused", "message": exc.message}
    if getattr(repayment, "replayed", False):
        return {**base, "status": "repeated", "message": "该流水号已入账，未重复入账"}
    return {**base, "status": "applied", "message": "已入账"}
