"""``loans.signals.ledger_changed``: every service that moves the ledger announces it once its
transaction commits (the dashboards refresh on it), and nothing for a refused request."""

from __future__ import annotations

import pytest

from fuxiang.errors import DomainError
from loans.repayments import repayment_record
from loans.signals import ledger_changed
from loans.tests.conftest import key
from loans.tests.test_services import apply, draw, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    calls = []

    def receiver(sender, **kwargs):
        calls.append((kwargs["reason"], kwargs["household_ids"], kwargs["entity_ids"]))

    ledger_changed.connect(receiver, dispatch_uid="test-ledger-heard")
    yield calls
    ledger_changed.disconnect(dispatch_uid="test-ledger-heard")


def test_apply_sign_draw_and_repay_are_announced_after_their_commit(
    borrower, e_loan, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as pending:
        application = apply(borrower, e_loan, amount=100000)
    assert heard == []  # not before the commit
    for callback in pending:
        callback()
    with django_capture_on_commit_callbacks(execute=True):
        contract = sign(application)
        loan = draw(contract, 40000).loan
        repayment_record(loan=loan, amount=1000, channel="staff", idempotency_key=key())
    reasons = [reason for reason, _, _ in heard]
    assert reasons == ["apply", "sign", "draw", "repay"]
    assert {tuple(households) for _, households, _ in heard} == {(borrower.pk,)}


def test_a_refused_request_announces_nothing(
    borrower, e_loan, heard, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(DomainError):
        apply(borrower, e_loan, amount=1)  # below the product's range: refused, nothing stored
    assert heard == []
