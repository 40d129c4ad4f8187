"""A refusal for the user's role is a 403 over the API, whichever service raised it.

Services raise ``fuxiang.errors.PermissionDenied`` and ``fuxiang.api`` maps that one type to
403. The API's handler used to answer 403 only for a refusal coded ``"forbidden"``; one coded
``"permission_denied"`` — an auditor asking for a loan on a household's behalf, here — got a
400 with the message among the field errors, as if the request were malformed.
"""

from __future__ import annotations

import pytest

from loans.models import LoanApplication, LoanContract
from loans.tests.conftest import key

pytestmark = pytest.mark.django_db
BASE = "/api/v1/loans"


def test_an_auditor_applying_for_a_household_gets_403_with_the_reason(client, org, borrower):
    client.force_login(org.auditor)
    response = client.post(
        f"{BASE}/applications/",
        {
            "household": borrower.pk,
            "product": "fuxiang_e_loan",
            "amount": "100000.00",
            "term_months": 12,
            "repayment_method": "revolving",
            "purpose": "购买化肥种子",
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key(),
    )
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "permission_denied"
    assert body["detail"] == "只有客户经理可以代客户办理贷款"
    assert not LoanApplication.objects.exists()
    assert not LoanContract.objects.exists()
