"""Money is never moved twice: concurrent requests on PostgreSQL, real transactions, each
thread on its own database connection."""

from __future__ import annotations

import threading
from decimal import ROUND_CEILING, Decimal

import pytest
from django.db import connection, connections

from credit.selectors import household_current_line
from fuxiang.errors import DomainError
from loans.models import CreditExposure, Drawdown, Loan
from loans.tests.conftest import key, verified
from loans.tests.test_services import apply, draw, sign

# Threads need committed data: real transactions (``seeded`` puts back what the migrations
# seeded, which an earlier transactional test flushed).
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _race(n: int, work) -> tuple[list, list]:
    """Run ``work(i)`` in ``n`` threads released together; (results, refusals)."""
    barrier = threading.Barrier(n)
    results, refusals, errors = [], [], []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            outcome = work(i)
            with lock:
                results.append(outcome)
        except DomainError as exc:
            with lock:
                refusals.append(exc)
        except Exception as exc:
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results, refusals


def test_twenty_concurrent_drawdowns_never_exceed_the_limit(
    postgres, seeded, make_borrower, e_loan
):
    borrower = make_borrower()
    line = household_current_line(borrower.pk)
    assert line.amount == Decimal(500000)
    contract = sign(apply(borrower, e_loan, amount=500000))
    connection.close()  # the threads open their own

    drawn, refused = _race(20, lambda i: draw(contract, 30000, idempotency_key=key()))

    assert len(drawn) == 16
    assert len(refused) == 4
    assert {e.code for e in refused} == {"above_available"}
    outstanding = Loan.objects.get(contract=contract).principal_outstanding
    exposure = CreditExposure.objects.get(household=borrower)
    assert outstanding == exposure.outstanding == Decimal(480000)
    assert sum(d.amount for d in Drawdown.objects.filter(contract=contract)) == Decimal(480000)
    assert exposure.outstanding <= exposure.in_use <= line.amount


def test_the_same_drawdown_retried_concurrently_moves_money_once(
    postgres, seeded, make_borrower, e_loan
):
    borrower = make_borrower()
    contract = sign(apply(borrower, e_loan, amount=200000))
    same_key = key()
    connection.close()

    drawn, refused = _race(10, lambda i: draw(contract, 50000, idempotency_key=same_key))

    assert not refused
    assert len({d.pk for d in drawn}) == 1
    assert Drawdown.objects.filter(contract=contract).count() == 1
    assert CreditExposure.objects.get(household=borrower).outstanding == Decimal(50000)


def test_concurrent_signings_never_occupy_more_than_the_line(
    postgres, seeded, make_borrower, products
):
    """Four products, four approved applications of 200,000 on a 500,000 line: only two
    contracts can be signed, whichever requests win."""
    borrower = make_borrower(public_employee=True)
    approved = [
        apply(borrower, products[code], amount=200000, method=method)
        for code, method in (
            ("fuxiang_e_loan", "revolving"),
            ("huinong_quick_loan", "interest_only"),
            ("gongxin_loan", "equal_instalment"),
        )
    ]
    assert [a.status for a in approved] == ["approved"] * 3
    connection.close()

    signed, refused = _race(
        3,
        lambda i: sign(
            approved[i], verification=verified(member_id=approved[i].applicant_member_id)
        ),
    )

    assert len(signed) == 2
    assert len(refused) == 1
    assert refused[0].code == "above_available"
    assert CreditExposure.objects.get(household=borrower).in_use == Decimal(400000)


def test_drawdowns_on_two_contracts_of_one_line_race_within_the_line(
    postgres, seeded, make_borrower, products, rate_household
):
    """Two contracts signed on a 500,000 line; a re-rating lowers the line; two drawdowns, one
    on each contract, at once: the line's lock (the borrower's exposure row, taken first,
    then the contract) lets exactly one through when both together would pass the line."""
    borrower = make_borrower()
    first = sign(apply(borrower, products["fuxiang_e_loan"], amount=250000))
    second = sign(
        apply(borrower, products["huinong_quick_loan"], amount=250000, method="revolving")
    )
    borrower.committee_assessment = "poor"
    borrower.deposits = 0
    borrower.avg_daily_deposit_here = 0
    borrower.income_wages = 20000
    borrower.save()
    rate_household(borrower)
    line = household_current_line(borrower.pk)
    assert line is not None
    assert line.amount < Decimal(500000)
    thousands = (line.amount * Decimal("0.6") / 1000).to_integral_value(rounding=ROUND_CEILING)
    each = min(Decimal(250000), thousands * 1000)
    assert 2 * each > line.amount >= each
    contracts = [first, second]
    connection.close()

    drawn, refused = _race(2, lambda i: draw(contracts[i], each, idempotency_key=key()))

    assert (len(drawn), len(refused)) == (1, 1)
    assert refused[0].code == "above_available"
    assert CreditExposure.objects.get(household=borrower).outstanding == each <= line.amount
