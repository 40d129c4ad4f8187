"""The nightly overdue job (逾期) and the borrower's repayment record it feeds back.

Each night (``loans.tasks.mark_overdue``): instalments unpaid after their due date become
overdue (from the day after); each open loan's days past due are the days since its oldest
unpaid due date (a revolving loan: since its maturity, with a balance); loans move 正常 → 逾期 →
不良 (90 days, ``engine.states.BAD_AFTER_DAYS``); contracts past maturity end (an undrawn one is
terminated, a revolving one with nothing owed is closed), giving their occupation back to the
line. Running it twice changes nothing.

Then the borrowers' repayment fields: loans' share of the archive's 近24个月逾期次数 (every
instalment, or revolving loan, that fell overdue in the last 24 months), 有未结清逾期 (a loan
overdue or bad now) and 有不良贷款余额 (a bad loan now) is compared with what loans wrote
last time (``RepaymentFeedback``); a change goes to ``households.services.
household_repayment_record_update``, which moves only loans' share (an officer's entry from
other sources stays) and announces ``archives_changed``, so the borrower is re-rated.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fuxiang.audit.models import AuditAction
from fuxiang.audit.services import audit_record
from households.services import household_repayment_record_update
from loans.borrowers import Borrower, exposure_lock, release
from loans.drawdowns import draw_window_passed
from loans.engine import schedules, states
from loans.models import Instalment, Loan, LoanContract, RepaymentFeedback


def loans_overdue_mark(*, today: date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    counts = {"instalments": 0, "loans_overdue": 0, "loans_bad": 0, "contracts_ended": 0}
    touched: set[Borrower] = set()
    candidates = Loan.objects.filter(
        Q(instalments__status="pending", instalments__due_date__lt=today)
        | Q(status__in=("overdue", "bad"))
        | Q(repayment_method=schedules.REVOLVING, maturity_date__lt=today, status="active")
    ).distinct()
    for loan_id in candidates.values_list("pk", flat=True):
        newly_overdue, moved = _mark_loan(loan_id, today)
        counts["instalments"] += newly_overdue
        if moved:
            counts[f"loans_{moved}"] += 1
        if moved or newly_overdue:
            touched.add(_borrower_of_loan(loan_id))
    ending = set(
        LoanContract.objects.filter(
            status__in=states.LIVE_CONTRACT_STATES, maturity_date__lt=today
        ).values_list("pk", flat=True)
    ) | {  # never drawn within the product's window (30 days): they lapse
        c.pk
        for c in LoanContract.objects.filter(status="signed").select_related("product_version")
        if draw_window_passed(c, today)
    }
    for contract_id in sorted(ending):
        if _end_contract(contract_id, today):
            counts["contracts_ended"] += 1
    borrowers = touched | _borrowers_with_history()
    counts["archives_updated"] = sum(repayment_feedback(b, today=today) for b in borrowers)
    if any(counts.values()):
        audit_record(action=AuditAction.LOAN_OVERDUE, details={"on": today.isoformat(), **counts})
    return counts


def _borrower_of_loan(loan_id: int) -> Borrower:
    return Borrower.of(Loan.objects.only("household_id", "business_entity_id").get(pk=loan_id))


@transaction.atomic
def _mark_loan(loan_id: int, today: date) -> tuple[int, str]:
    """Overdue instalments, days past due and state of one loan. Returns the number of
    instalments that fell overdue and "overdue"/"bad" when the loan moved there."""
    loan = Loan.objects.select_for_update().get(pk=loan_id)
    if loan.status == "closed":
        return 0, ""
    newly = 0
    overdue_since = None
    if loan.repayment_method == schedules.REVOLVING:
        owed = loan.principal_outstanding or loan.interest_accrued
        if today > loan.maturity_date and owed:
            overdue_since = loan.maturity_date + timedelta(days=1)
    else:
        rows = list(loan.instalments.exclude(status="paid").filter(due_date__lt=today))
        for row in rows:
            if row.status == "pending":
                row.status = states.transition(states.INSTALMENT, row.status, "overdue")
                row.overdue_since = row.due_date + timedelta(days=1)
                newly += 1
            row.days_past_due = (today - row.due_date).days
        Instalment.objects.bulk_update(rows, ["status", "overdue_since", "days_past_due"])
        if rows:
            overdue_since = min(r.due_date for r in rows) + timedelta(days=1)
    days = (today - overdue_since).days + 1 if overdue_since else 0
    target = states.loan_state_for(days, current=loan.status)
    moved = ""
    if target != loan.status:
        if target == "bad" and loan.status == "active":  # past 90 days at its first night
            loan.status = states.transition(states.LOAN, loan.status, "overdue")
            loan.days_past_due, loan.overdue_since = days, overdue_since
            loan.save(update_fields=["status", "days_past_due", "overdue_since"])
        loan.status = states.transition(states.LOAN, loan.status, target)
        moved = target if target in ("overdue", "bad") else ""
    if overdue_since:
        loan.overdue_since = overdue_since
    loan.days_past_due = days
    loan.save(update_fields=["status", "days_past_due", "overdue_since"])
    return newly, moved


@transaction.atomic
def _end_contract(contract_id: int, today: date) -> bool:
    """A contract past maturity, or never drawn within its window: never drawn →
    terminated; revolving and nothing owed → closed (its loan too). Its occupation goes back
    to the line."""

    # the borrower's exposure first, then the contract: the order every service locks in
    exposure = exposure_lock(Borrower.of(LoanContract.objects.get(pk=contract_id)))
    contract = (
        LoanContract.objects.select_for_update(of=("self",))
        .select_related("product_version")
        .get(pk=contract_id)
    )
    now = timezone.now()
    if contract.status == "signed":
        if contract.maturity_date >= today and not draw_window_passed(contract, today):
            return False
        contract.status = states.transition(states.CONTRACT, contract.status, "terminated")
    elif contract.revolving:
        loan = contract.loans.select_for_update().first()
        if loan is not None and (loan.principal_outstanding or loan.interest_accrued):
            return False
        if loan is not None and loan.status != "closed":
            loan.status = states.transition(states.LOAN, loan.status, "closed")
            loan.closed_at, loan.days_past_due = now, 0
            loan.save(update_fields=["status", "closed_at", "days_past_due"])
        contract.status = states.transition(states.CONTRACT, contract.status, "closed")
    else:
        return False  # an instalment contract closes with its loan's last repayment
    release(contract, exposure)
    contract.closed_at = now
    contract.save(update_fields=["status", "closed_at", "occupied"])
    exposure.save(update_fields=["in_use", "updated_at"])
    return True


def _borrowers_with_history() -> set[Borrower]:
    """Borrowers loans wrote a record for: their 24 months move on even without a change."""
    rows = RepaymentFeedback.objects.filter(
        Q(overdue_count_24m__gt=0) | Q(outstanding_overdue=True) | Q(bad_loan=True)
    ).values_list("household_id", "business_entity_id")
    return {Borrower(household_id=h, entity_id=e) for h, e in rows}


def repayment_feedback(borrower: Borrower, *, today: date) -> bool:
    """Bring the borrower's archive in line with loans' record of it (see the module)."""
    since = today - timedelta(days=730)
    loans = Loan.objects.filter(borrower.q)
    count = (
        Instalment.objects.filter(
            loan__in=loans, overdue_since__isnull=False, overdue_since__gte=since
        ).count()
        + loans.filter(
            repayment_method=schedules.REVOLVING,
            overdue_since__isnull=False,
            overdue_since__gte=since,
        ).count()
    )
    outstanding = loans.filter(status__in=("overdue", "bad")).exists()
    bad = loans.filter(status="bad").exists()
    with transaction.atomic():
        feedback = RepaymentFeedback.objects.select_for_update().filter(borrower.q).first()
        if feedback is None:
            feedback = RepaymentFeedback.objects.create(**borrower.fields)
        if (feedback.overdue_count_24m, feedback.outstanding_overdue, feedback.bad_loan) == (
            count,
            outstanding,
            bad,
        ):
            return False
        household_repayment_record_update(
            household_id=borrower.household_id,
            entity_id=borrower.entity_id,
            overdue_count_change=count - feedback.overdue_count_24m,
            has_outstanding_overdue=outstanding
            if outstanding or feedback.outstanding_overdue
            else None,
            has_bad_loan=bad if bad or feedback.bad_loan else None,
            source="loans",
        )
        feedback.overdue_count_24m, feedback.outstanding_overdue, feedback.bad_loan = (
            count,
            outstanding,
            bad,
        )
        feedback.save()
    return True
