"""Drawing rules: the minimum drawdown (1,000 yuan unless the product says otherwise, except
drawing all that is left), the window to draw a signed contract (30 days unless the product
says otherwise; then it lapses), and the retry of a transaction PostgreSQL aborted."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import OperationalError, connection, connections, transaction
from django.utils import timezone

from fuxiang.errors import DomainError
from loans.models import CreditExposure, Drawdown, IdempotencyRecord, LoanProductVersion
from loans.overdue import loans_overdue_mark
from loans.retry import retry_once_on_conflict
from loans.tests.conftest import money
from loans.tests.test_services import apply, draw, sign
from loans.villager_selectors import household_offer

SIGNED = date(2027, 3, 1)


def on(monkeypatch, day: date) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a: day)


@pytest.mark.django_db
def test_a_drawdown_below_1000_yuan_is_refused_unless_it_takes_all_that_is_left(borrower, e_loan):
    contract = sign(apply(borrower, e_loan, amount=50000))
    # the contract (template 2026.2) states both rules
    assert "本合同签订后须在30天内提款，逾期未提款的，本合同失效" in contract.rendered_text
    assert "单笔提款不少于1,000元（一次提取剩余全部金额的除外）" in contract.rendered_text
    with pytest.raises(DomainError) as refused:
        draw(contract, "999.99")
    assert refused.value.code == "below_minimum"
    assert refused.value.errors == {
        "amount": ["单笔放款不能少于1,000元（一次提取剩余全部50,000元时除外）"]
    }
    draw(contract, 1000)
    draw(contract, "48500")  # 500 left on the contract
    with pytest.raises(DomainError, match="剩余全部500元"):
        draw(contract, 400)
    assert draw(contract, 500).amount == money(500)  # all that is left: allowed
    assert Drawdown.objects.filter(contract=contract).count() == 3


@pytest.mark.django_db
def test_the_minimum_drawdown_is_the_products(borrower, e_loan):
    LoanProductVersion.objects.filter(product=e_loan, status="approved").update(min_drawdown=5000)
    contract = sign(apply(borrower, e_loan, amount=50000))
    with pytest.raises(DomainError, match="单笔放款不能少于5,000元"):
        draw(contract, 4000)
    assert draw(contract, 5000).amount == money(5000)


@pytest.mark.django_db
def test_a_contract_not_drawn_within_30_days_lapses(borrower, e_loan, monkeypatch):
    on(monkeypatch, SIGNED)
    drawn_in_time = sign(apply(borrower, e_loan, amount=100000))
    late = sign(apply(borrower, e_loan, amount=100000, term=24))
    assert CreditExposure.objects.get(household=borrower).in_use == money(200000)
    on(monkeypatch, SIGNED + timedelta(days=30))  # the 30th day: still in time
    draw(drawn_in_time, 10000)
    on(monkeypatch, SIGNED + timedelta(days=31))
    offer = household_offer(borrower.pk, today=SIGNED + timedelta(days=31))
    assert {c.number: c.drawable for c in offer.contracts}[late.number] == 0
    with pytest.raises(DomainError, match=r"签订后30天内（2027年03月31日前）放款") as refused:
        draw(late, 10000)
    assert refused.value.code == "draw_window_passed"
    counts = loans_overdue_mark(today=SIGNED + timedelta(days=31))  # the nightly job
    assert counts["contracts_ended"] == 1
    late.refresh_from_db()
    drawn_in_time.refresh_from_db()
    assert (late.status, late.occupied) == ("terminated", 0)
    assert drawn_in_time.status == "active"
    assert CreditExposure.objects.get(household=borrower).in_use == money(100000)
    assert loans_overdue_mark(today=SIGNED + timedelta(days=31))["contracts_ended"] == 0


@pytest.mark.django_db
def test_the_window_to_draw_is_the_products(borrower, e_loan, monkeypatch):
    LoanProductVersion.objects.filter(product=e_loan, status="approved").update(draw_within_days=10)
    on(monkeypatch, SIGNED)
    contract = sign(apply(borrower, e_loan, amount=100000))
    on(monkeypatch, SIGNED + timedelta(days=11))
    with pytest.raises(DomainError, match="签订后10天内"):
        draw(contract, 10000)


# --- a transaction PostgreSQL aborts is retried once -------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_serialization_failure_is_retried_once_then_raised(postgres):
    """A real serialization failure: the first attempt reads a row at REPEATABLE READ, another
    connection changes it and commits, the attempt's update is refused by PostgreSQL
    (SQLSTATE 40001). The service runs again and succeeds; a service failing twice raises."""
    row = IdempotencyRecord.objects.create(scope="test", key="k", fingerprint="0")
    attempts: list[int] = []

    def other_connection_bumps() -> None:
        IdempotencyRecord.objects.filter(pk=row.pk).update(fingerprint="other")
        connections.close_all()

    def work(conflict_every_time: bool) -> str:
        attempts.append(1)
        conflict = conflict_every_time or len(attempts) == 1
        with connection.cursor() as cursor:
            if conflict:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(
                "SELECT fingerprint FROM loans_idempotencyrecord WHERE id = %s", [row.pk]
            )
            if conflict:
                thread = threading.Thread(target=other_connection_bumps)
                thread.start()
                thread.join()
            cursor.execute(
                "UPDATE loans_idempotencyrecord SET fingerprint = fingerprint || '+1'"
                " WHERE id = %s",
                [row.pk],
            )
        return "done"

    service = retry_once_on_conflict(transaction.atomic(lambda: work(False)))
    assert service() == "done"
    assert len(attempts) == 2
    row.refresh_from_db()
    assert row.fingerprint == "other+1"  # the retry saw the other's change, applied once

    attempts.clear()
    always = retry_once_on_conflict(transaction.atomic(lambda: work(True)))
    with pytest.raises(OperationalError):
        always()
    assert len(attempts) == 2
