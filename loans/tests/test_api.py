"""The loans API: the officer serves a borrower in person — apply; another person approves
(maker-checker); sign only with the code the borrower received by SMS; draw — staff repay;
SMS notices at approval, signing and drawdown (Tencent Cloud SMS stubbed at the HTTP
boundary); idempotency keys; errors in the house shape; scope."""

from __future__ import annotations

import pytest

from fuxiang.errors import DomainError
from loans.applications import application_review
from loans.models import Drawdown, LoanApplication, LoanContract
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


def approve(org, application_id):
    """The branch manager approves what the officer entered (maker-checker)."""
    application_review(
        actor=org.manager,
        application=LoanApplication.objects.get(pk=application_id),
        approve=True,
        note="同意",
    )


def sign_with_the_borrowers_code(client, sms, application_id, capture, idem=None):
    with capture(execute=True):
        sent = post(client, f"{BASE}/applications/{application_id}/sign-code/")
    assert sent.status_code == 201, sent.json()
    body = {"code_id": sent.json()["code_id"], "code": sms.last_code()}
    with capture(execute=True):
        return post(client, f"{BASE}/applications/{application_id}/sign/", body, idem=idem)


def test_apply_approve_sign_with_the_borrowers_code_draw_repay_through_the_api(
    officer, org, borrower, sms, django_capture_on_commit_callbacks
):
    response = post(officer, f"{BASE}/applications/", apply_body(borrower))
    assert response.status_code == 201, response.json()
    application = response.json()
    assert application["status"] == "under_review"  # entered by an officer: a second person
    assert application["channel"] == "branch"
    with pytest.raises(DomainError, match="不能再审批") as refused:
        application_review(
            actor=org.officer_a,
            application=LoanApplication.objects.get(pk=application["id"]),
            approve=True,
            note="同意",
        )
    assert refused.value.code == "maker_checker"
    with django_capture_on_commit_callbacks(execute=True):
        approve(org, application["id"])
    # without the borrower's code the officer cannot sign
    unsigned = post(officer, f"{BASE}/applications/{application['id']}/sign/")
    assert unsigned.status_code == 400
    assert "code" in unsigned.json()["errors"]
    signed = sign_with_the_borrowers_code(
        officer, sms, application["id"], django_capture_on_commit_callbacks
    )
    assert signed.status_code == 201, signed.json()
    contract = signed.json()
    assert contract["borrower_id_masked"].count("*") >= 8
    assert len(contract["text_sha256"]) == 64
    assert LoanContract.objects.get().signing_method == "sms"
    with django_capture_on_commit_callbacks(execute=True):
        drawn = post(officer, f"{BASE}/contracts/{contract['id']}/drawdowns/", {"amount": "30000"})
    assert drawn.status_code == 201
    assert [t for t, _, _ in sms.sent()] == [
        "loan_approved", "loan_sign_code", "loan_signed", "loan_drawn",
    ]  # fmt: skip
    loan_id = drawn.json()["loan"]
    repaid = post(officer, f"{BASE}/loans/{loan_id}/repayments/", {"amount": "10000"})
    assert repaid.status_code == 201
    assert repaid.json()["principal_part"] == "10000.00"
    loan = officer.get(f"{BASE}/loans/{loan_id}/").json()
    assert loan["principal_outstanding"] == "20000.00"


def test_a_wrong_or_replayed_code_signs_nothing(
    officer, org, borrower, sms, django_capture_on_commit_callbacks
):
    application = post(officer, f"{BASE}/applications/", apply_body(borrower)).json()
    approve(org, application["id"])
    with django_capture_on_commit_callbacks(execute=True):
        sent = post(officer, f"{BASE}/applications/{application['id']}/sign-code/").json()
    assert sent["sent_to"].startswith("138****")
    right = sms.last_code()
    wrong = "000000" if right != "000000" else "111111"
    url = f"{BASE}/applications/{application['id']}/sign/"
    refused = post(officer, url, {"code_id": sent["code_id"], "code": wrong})
    assert (refused.status_code, refused.json()["code"]) == (400, "code_failed")
    assert "签约验证码不正确或已失效" in refused.json()["errors"]["code"][0]
    assert post(officer, url, {"code_id": sent["code_id"], "code": right}).status_code == 201
    again = post(officer, url, {"code_id": sent["code_id"], "code": right})
    assert again.status_code == 400
    assert LoanContract.objects.count() == 1


def test_a_replayed_key_returns_the_first_result(
    officer, org, borrower, sms, django_capture_on_commit_callbacks
):
    idem = key()
    first = post(officer, f"{BASE}/applications/", apply_body(borrower), idem=idem)
    again = post(officer, f"{BASE}/applications/", apply_body(borrower), idem=idem)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    approve(org, first.json()["id"])
    contract = sign_with_the_borrowers_code(
        officer, sms, first.json()["id"], django_capture_on_commit_callbacks
    ).json()
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
