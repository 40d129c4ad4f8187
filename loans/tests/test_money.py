"""The money, done by hand: actual/360 interest from the drawdown to the repayment day,
repayments applied interest first, prepayments (partial and full) charged interest only to the
day and followed by a new schedule, and the dates a repayment may carry.

The hand-worked loan of every test: 120,000 yuan at 3.6% a year, drawn 2027-01-15, three
monthly instalments due 2027-02-15 (31 days), 2027-03-15 (28 days) and 2027-04-15 (31 days).
A day's interest is 0.036 / 360 = 0.0001 of the balance, so a day of 120,000 is 12.00 yuan.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from credit.models import CreditLine
from credit.selectors import household_current_line
from fuxiang.errors import DomainError
from loans.models import CreditExposure, LoanProductVersion
from loans.repayments import loan_balance, repayment_record
from loans.tests.conftest import key, money
from loans.tests.test_services import apply, draw, sign

pytestmark = pytest.mark.django_db

DRAWN = date(2027, 1, 15)


def on(monkeypatch, day: date) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a: day)


def hand_loan(borrower, e_loan, monkeypatch, method: str):
    """Apply, sign and draw 120,000 for 3 months at 3.6% on 2027-01-15."""
    LoanProductVersion.objects.filter(product=e_loan, status="approved").update(
        terms_months=[3, 12, 24, 36],
        repayment_methods=["revolving", "equal_instalment", "equal_principal", "interest_only"],
    )
    line = household_current_line(borrower.pk)  # its rate is its terms: move the spread
    CreditLine.objects.filter(pk=line.pk).update(
        rate_bp=360, spread_bp=F("spread_bp") + 360 - line.rate_bp
    )
    on(monkeypatch, DRAWN)
    contract = sign(apply(borrower, e_loan, amount=120000, term=3, method=method))
    assert contract.rate_bp == 360
    assert "按实际天数计息，日利率=年利率÷360" in contract.rendered_text  # template 2026.2
    assert "剩余本金按原各期还款日重新计算还款计划" in contract.rendered_text
    return draw(contract, 120000).loan


def pay(loan, amount, day, monkeypatch):
    on(monkeypatch, day)
    return repayment_record(
        loan=loan, amount=amount, paid_on=day, channel="staff", idempotency_key=key()
    )


def schedule(loan):
    return [
        (r.number, r.due_date, r.principal, r.interest, r.principal_paid, r.interest_paid, r.status)
        for r in loan.instalments.order_by("number")
    ]


def outstanding(borrower):
    return CreditExposure.objects.get(household=borrower).outstanding


def test_equal_principal_partial_prepayment_charges_interest_to_the_day_and_reschedules(
    borrower, e_loan, monkeypatch
):
    loan = hand_loan(borrower, e_loan, monkeypatch, "equal_principal")
    # 等额本金: 40,000 a period; interest 120,000 × 0.0031 = 372.00, 80,000 × 0.0028 = 224.00,
    # 40,000 × 0.0031 = 124.00.
    assert [(r[2], r[3]) for r in schedule(loan)] == [
        (money(40000), money("372.00")),
        (money(40000), money("224.00")),
        (money(40000), money("124.00")),
    ]
    # 2027-02-15: the first instalment, 40,000 + 372.00 = 40,372.00 — interest first.
    first = pay(loan, "40372.00", date(2027, 2, 15), monkeypatch)
    assert (first.interest_part, first.principal_part) == (money("372.00"), money(40000))
    # 2027-03-01, 14 days into the second period: interest to the day on 80,000 is
    # 80,000 × 0.0001 × 14 = 112.00. Paying 20,112.00 = 112.00 interest + 20,000 principal.
    loan.refresh_from_db()
    assert loan_balance(loan, date(2027, 3, 1)).total == money("80112.00")  # 80,000 + 112.00
    prepaid = pay(loan, "20112.00", date(2027, 3, 1), monkeypatch)
    assert (prepaid.interest_part, prepaid.principal_part) == (money("112.00"), money(20000))
    # The new schedule: 60,000 over 2027-03-15 and 2027-04-15, 30,000 each; interest
    # 60,000 × 0.0001 × 14 days (03-01 → 03-15) = 84.00, plus the 112.00 already paid = 196.00;
    # then 30,000 × 0.0031 = 93.00.
    loan.refresh_from_db()
    assert loan.principal_outstanding == money(60000) == outstanding(borrower)
    assert schedule(loan) == [
        (
            1,
            date(2027, 2, 15),
            money(40000),
            money("372.00"),
            money(40000),
            money("372.00"),
            "paid",
        ),
        (2, date(2027, 3, 15), money(30000), money("196.00"), money(0), money("112.00"), "pending"),
        (3, date(2027, 4, 15), money(30000), money("93.00"), money(0), money(0), "pending"),
    ]
    # Then on the due dates: 30,000 + 84.00 = 30,084.00, and 30,000 + 93.00 = 30,093.00.
    pay(loan, "30084.00", date(2027, 3, 15), monkeypatch)
    last = pay(loan, "30093.00", date(2027, 4, 15), monkeypatch)
    assert (last.interest_part, last.principal_part) == (money("93.00"), money(30000))
    loan.refresh_from_db()
    assert loan.status == "closed"
    # Interest in all 372 + 112 + 84 + 93 = 661.00 (the schedule without the prepayment: 720.00).
    assert sum(r.interest_part for r in loan.repayments.all()) == money("661.00")


def test_equal_instalment_paid_off_early_pays_interest_only_to_that_day(
    borrower, e_loan, monkeypatch
):
    loan = hand_loan(borrower, e_loan, monkeypatch, "equal_instalment")
    # 等额本息: X = 120,000 × (1.0031 × 1.0028 × 1.0031) / (1.0028 × 1.0031 + 1.0031 + 1)
    #          = 120,000 × 1.009026996908 / 3.00900868 = 40,240.2427... → 40,240.24.
    # Period 1: interest 372.00, principal 40,240.24 − 372.00 = 39,868.24, balance 80,131.76.
    rows = schedule(loan)
    assert (rows[0][2], rows[0][3]) == (money("39868.24"), money("372.00"))
    assert rows[0][2] + rows[0][3] == rows[1][2] + rows[1][3] == money("40240.24")
    pay(loan, "40240.24", date(2027, 2, 15), monkeypatch)
    # 2027-02-25, 10 days on: 80,131.76 × 0.0001 × 10 = 80.13176 → 80.13; the whole balance
    # is 80,131.76 + 80.13 = 80,211.89.
    loan.refresh_from_db()
    day = date(2027, 2, 25)
    assert loan_balance(loan, day).total == money("80211.89")
    on(monkeypatch, day)
    with pytest.raises(DomainError, match=r"超过应还余额80,211\.89元"):
        repayment_record(loan=loan, amount="80211.90", paid_on=day, channel="staff",
                         idempotency_key=key())  # fmt: skip
    with pytest.raises(DomainError, match=r"截至2027年02月25日的利息80\.13元") as refused:
        repayment_record(loan=loan, amount="50", paid_on=day, channel="staff",
                         idempotency_key=key())  # fmt: skip
    assert refused.value.code == "prepayment_short"
    off = pay(loan, "80211.89", day, monkeypatch)
    assert (off.interest_part, off.principal_part) == (money("80.13"), money("80131.76"))
    loan.refresh_from_db()
    loan.contract.refresh_from_db()
    assert (loan.status, loan.contract.status) == ("closed", "closed")
    # The schedule ends on the payoff day: instalment 2 paid with 10 days of interest, no 3rd.
    assert schedule(loan)[1:] == [
        (2, date(2027, 3, 15), money("80131.76"), money("80.13"), money("80131.76"),
         money("80.13"), "paid"),
    ]  # fmt: skip
    assert CreditExposure.objects.get(household=borrower).in_use == 0


def test_interest_only_prepayment_lowers_the_later_interest(borrower, e_loan, monkeypatch):
    loan = hand_loan(borrower, e_loan, monkeypatch, "interest_only")
    # 按月付息到期还本: 372.00, 336.00 (28 days), 372.00 and the 120,000 at the end.
    assert [r[3] for r in schedule(loan)] == [money("372.00"), money("336.00"), money("372.00")]
    pay(loan, "372.00", date(2027, 2, 15), monkeypatch)
    # 2027-03-05, 18 days on: 120,000 × 0.0001 × 18 = 216.00; pay 50,216.00 = 216.00 + 50,000.
    prepaid = pay(loan, "50216.00", date(2027, 3, 5), monkeypatch)
    assert (prepaid.interest_part, prepaid.principal_part) == (money("216.00"), money(50000))
    # Left: 70,000. Instalment 2: 216.00 paid + 70,000 × 0.0001 × 10 days = 70.00 → 286.00;
    # instalment 3: 70,000 × 0.0031 = 217.00 with the 70,000.
    loan.refresh_from_db()
    assert schedule(loan)[1:] == [
        (2, date(2027, 3, 15), money(0), money("286.00"), money(0), money("216.00"), "pending"),
        (3, date(2027, 4, 15), money(70000), money("217.00"), money(0), money(0), "pending"),
    ]
    assert loan_balance(loan, date(2027, 3, 15)).total == money("70070.00")  # 70,000 + 70.00


def test_revolving_interest_first_then_principal(borrower, e_loan, monkeypatch):
    loan = hand_loan(borrower, e_loan, monkeypatch, "revolving")
    # 45 days (01-15 → 03-01) of 120,000: 120,000 × 0.0001 × 45 = 540.00. Paying 10,540.00 is
    # 540.00 interest and 10,000 principal.
    repayment = pay(loan, "10540.00", date(2027, 3, 1), monkeypatch)
    assert (repayment.interest_part, repayment.principal_part) == (money("540.00"), money(10000))
    loan.refresh_from_db()
    assert loan.principal_outstanding == money(110000)
    # 10 more days of 110,000: 110,000 × 0.0001 × 10 = 110.00.
    assert loan_balance(loan, date(2027, 3, 11)).interest == money("110.00")


def test_a_repayment_dated_in_the_future_or_before_the_drawdown_is_refused(
    borrower, e_loan, monkeypatch
):
    loan = hand_loan(borrower, e_loan, monkeypatch, "equal_principal")
    on(monkeypatch, date(2027, 2, 15))
    with pytest.raises(DomainError, match="还款日期不能晚于今天"):
        repayment_record(loan=loan, amount="100", paid_on=date(2027, 2, 16), channel="staff",
                         idempotency_key=key())  # fmt: skip
    with pytest.raises(DomainError, match="还款日期不能早于放款日"):
        repayment_record(loan=loan, amount="100", paid_on=date(2027, 1, 14), channel="staff",
                         idempotency_key=key())  # fmt: skip
    # and none before a prepayment already applied (its interest was charged to that day)
    pay(loan, "40372.00", date(2027, 2, 15), monkeypatch)
    pay(loan, "10112.00", date(2027, 3, 1), monkeypatch)  # 112.00 interest + 10,000
    on(monkeypatch, date(2027, 3, 2))
    with pytest.raises(DomainError, match="还款日期不能早于"):
        repayment_record(loan=loan, amount="100", paid_on=date(2027, 2, 28), channel="staff",
                         idempotency_key=key())  # fmt: skip
    assert loan.repayments.count() == 2
    assert Decimal(outstanding(borrower)) == money(70000)
