"""The loans API: the officer serves a borrower in person — apply, sign, draw — staff repay;
idempotency keys; errors in the house shape; scope."""

from __future__ import annotations

import pytest

from loans.models import Drawdown, LoanContract
from loans.tests.conftest import key

pytestmark = pytest.mark.django_db
BASE = "/api/v1/loans"


def post(client, url, data=None, idem=None):
    return client.post(
        url, data or {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=idem or key()
    )


@pytest.fixture
def officer(client, org):
    client.force_login(org.officer_a)
    return client


def apply_body(household, **kwargs):
    return {
        "household": household.pk,
        "product": "fuxiang_e_loan",
        "amount": "100000.00",
        "term_months": 12,
        "repayment_method": "revolving",
        "purpose": "购买化肥种子",
        **kwargs,
    }


def test_apply_sign_draw_repay_through_the_api(officer, borrower):
    response = post(officer, f"{BASE}/applications/", apply_body(borrower))
    assert response.status_code == 201, response.json()
    application = response.json()
    assert application["status"] == "approved"
    assert application["channel"] == "branch"
    signed = post(officer, f"{BASE}/applications/{application['id']}/sign/")
    assert signed.status_code == 201
    contract = signed.json()
    assert contract["borrower_id_masked"].count("*") >= 8
    assert len(contract["text_sha256"]) == 64
    drawn = post(officer, f"{BASE}/contracts/{contract['id']}/drawdowns/", {"amount": "30000"})
    assert drawn.status_code == 201
    loan_id = drawn.json()["loan"]
    repaid = post(officer, f"{BASE}/loans/{loan_id}/repayments/", {"amount": "10000"})
    assert repaid.status_code == 201
    assert repaid.json()["principal_part"] == "10000.00"
    loan = officer.get(f"{BASE}/loans/{loan_id}/").json()
    assert loan["principal_outstanding"] == "20000.00"


def test_a_replayed_key_returns_the_first_result(officer, borrower):
    idem = key()
    first = post(officer, f"{BASE}/applications/", apply_body(borrower), idem=idem)
    again = post(officer, f"{BASE}/applications/", apply_body(borrower), idem=idem)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    contract = post(officer, f"{BASE}/applications/{first.json()['id']}/sign/").json()
    draw_key = key()
    url = f"{BASE}/contracts/{contract['id']}/drawdowns/"
    one = post(officer, url, {"amount": "30000"}, idem=draw_key)
    two = post(officer, url, {"amount": "30000"}, idem=draw_key)
    assert one.json()["id"] == two.json()["id"]
    assert Drawdown.objects.count() == 1
    other = post(officer, url, {"amount": "40000"}, idem=draw_key)
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"


def test_refusals_come_in_the_house_shape(officer, borrower):
    response = post(officer, f"{BASE}/applications/", apply_body(borrower, amount="600000"))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "50,000元至500,000元" in body["errors"]["amount"][0]
    missing = officer.post(
        f"{BASE}/applications/", apply_body(borrower), content_type="application/json"
    )
    assert missing.status_code == 400
    assert "idempotency_key" in missing.json()["errors"]
    bad = post(officer, f"{BASE}/applications/", {"product": "fuxiang_e_loan"})
    assert bad.status_code == 400
    assert "amount" in bad.json()["errors"]


def test_outside_ones_grids_is_404_and_other_roles_403(client, org, borrower):
    client.force_login(org.officer_b)
    assert post(client, f"{BASE}/applications/", apply_body(borrower)).status_code == 404
    client.force_login(org.auditor)
    response = post(client, f"{BASE}/applications/", apply_body(borrower))
    assert response.status_code == 403
    assert not LoanContract.objects.exists()


def test_the_products_are_listed(officer):
    codes = {p["code"] for p in officer.get(f"{BASE}/products/").json()}
    assert codes == {"fuxiang_e_loan", "huinong_quick_loan", "gongxin_loan", "mortgage_loan"}


def test_the_schema_documents_the_key_and_the_errors(client, org):
    client.force_login(org.head_office)
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/loans/contracts/{id}/drawdowns/"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["required"] for p in operation["parameters"])
    assert {"201", "200", "400", "403", "404", "409"} <= set(operation["responses"])
