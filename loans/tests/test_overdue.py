"""The nightly overdue job and the repayment record it feeds back to the archive, which the
next rating reads (no import from rating to loans: households' service, then archives_changed,
then rating's re-rating)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from credit.selectors import household_current_line
from fuxiang.audit.models import AuditAction, AuditEvent
from loans.models import Instalment, RepaymentFeedback
from loans.overdue import loans_overdue_mark
from loans.repayments import repayment_record
from loans.tests.conftest import key
from loans.tests.test_services import apply, draw, sign
from rating.models import CurrentRating

pytestmark = pytest.mark.django_db


@pytest.fixture
def instalment_loan(borrower, e_loan):
    contract = sign(apply(borrower, e_loan, amount=120000, method="equal_instalment"))
    return draw(contract, 120000).loan


def test_an_overdue_instalment_lowers_the_households_next_rating(
    borrower, instalment_loan, django_capture_on_commit_callbacks
):
    before = CurrentRating.objects.get(household=borrower)
    first = instalment_loan.instalments.get(number=1)
    with django_capture_on_commit_callbacks(execute=True):
        counts = loans_overdue_mark(today=first.due_date + timedelta(days=5))
    assert counts["instalments"] == 1
    assert counts["loans_overdue"] == 1
    first.refresh_from_db()
    instalment_loan.refresh_from_db()
    assert (first.status, first.days_past_due, first.overdue_since) == (
        "overdue",
        5,
        first.due_date + timedelta(days=1),
    )
    assert (instalment_loan.status, instalment_loan.days_past_due) == ("overdue", 5)
    borrower.refresh_from_db()
    assert (borrower.overdue_count_24m, borrower.has_outstanding_overdue) == (1, True)
    after = CurrentRating.objects.get(household=borrower)
    assert after.run_id != before.run_id  # re-rated once the change committed
    # 近24个月逾期: "none" (12 points) → "3 or more, or one outstanding" (0 points)
    assert after.score == before.score - 12
    assert AuditEvent.objects.filter(action=AuditAction.HOUSEHOLD_REPAYMENT_RECORD).exists()


def test_running_the_job_twice_changes_nothing_more(borrower, instalment_loan):
    day = instalment_loan.instalments.get(number=1).due_date + timedelta(days=3)
    loans_overdue_mark(today=day)
    borrower.refresh_from_db()
    assert borrower.overdue_count_24m == 1
    again = loans_overdue_mark(today=day)
    assert (again["instalments"], again["loans_overdue"], again["archives_updated"]) == (0, 0, 0)
    borrower.refresh_from_db()
    assert borrower.overdue_count_24m == 1


def test_paying_the_overdue_instalment_clears_the_outstanding_flag_but_keeps_history(
    borrower, instalment_loan, monkeypatch
):
    borrower.overdue_count_24m = 2  # the officer's record from elsewhere
    borrower.save(update_fields=["overdue_count_24m"])
    first = instalment_loan.instalments.get(number=1)
    day = first.due_date + timedelta(days=10)
    loans_overdue_mark(today=day)
    borrower.refresh_from_db()
    assert (borrower.overdue_count_24m, borrower.has_outstanding_overdue) == (3, True)
    monkeypatch.setattr(timezone, "localdate", lambda *a: day)
    repayment_record(
        loan=instalment_loan, amount=first.payment, paid_on=day, channel="staff",
        idempotency_key=key(),
    )  # fmt: skip
    instalment_loan.refresh_from_db()
    first.refresh_from_db()
    assert (first.status, instalment_loan.status) == ("paid", "active")
    borrower.refresh_from_db()
    assert (borrower.overdue_count_24m, borrower.has_outstanding_overdue) == (3, False)
    feedback = RepaymentFeedback.objects.get(household=borrower)
    assert (feedback.overdue_count_24m, feedback.outstanding_overdue) == (1, False)


def test_ninety_days_past_due_is_a_bad_loan_and_knocks_the_household_out(
    borrower, instalment_loan, django_capture_on_commit_callbacks
):
    first = instalment_loan.instalments.get(number=1)
    with django_capture_on_commit_callbacks(execute=True):
        loans_overdue_mark(today=first.due_date + timedelta(days=95))
    instalment_loan.refresh_from_db()
    assert (instalment_loan.status, instalment_loan.days_past_due) == ("bad", 95)
    assert Instalment.objects.filter(loan=instalment_loan, status="overdue").count() == 4
    borrower.refresh_from_db()
    assert borrower.has_bad_loan
    assert borrower.overdue_count_24m == 4
    assert CurrentRating.objects.get(household=borrower).knocked_out
    assert household_current_line(borrower.pk) is None  # no line for a knocked-out household


def test_a_revolving_loan_past_maturity_with_a_balance_is_overdue(borrower, e_loan):
    contract = sign(apply(borrower, e_loan, amount=100000))
    loan = draw(contract, 40000).loan
    counts = loans_overdue_mark(today=loan.maturity_date + timedelta(days=2))
    loan.refresh_from_db()
    assert (loan.status, loan.days_past_due) == ("overdue", 2)
    assert counts["loans_overdue"] == 1
    borrower.refresh_from_db()
    assert borrower.has_outstanding_overdue
    assert borrower.overdue_count_24m == 1


def test_matured_contracts_end_and_give_back_the_line(borrower, e_loan, products):
    unused = sign(apply(borrower, e_loan, amount=100000))
    revolving = sign(
        apply(borrower, products["huinong_quick_loan"], amount=50000, term=6, method="revolving")
    )
    loan = draw(revolving, 10000).loan
    repayment_record(loan=loan, amount=10000, channel="staff", idempotency_key=key())
    loan.refresh_from_db()
    assert loan.status == "active"  # repaid before maturity: the account stays open
    loans_overdue_mark(today=unused.maturity_date + timedelta(days=1))
    loan.refresh_from_db()
    assert loan.status == "closed"
    unused.refresh_from_db()
    revolving.refresh_from_db()
    assert (unused.status, unused.occupied) == ("terminated", Decimal(0))
    assert (revolving.status, revolving.occupied) == ("closed", Decimal(0))
