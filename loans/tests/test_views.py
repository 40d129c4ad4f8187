"""The back-office pages: the household's loans card, applications and the 房抵贷 review
queue, contracts and their PDF, loans with their schedule and staff repayment entry, the
core-banking file with its row report, products with their totals and versions (two-person
rule). Scoped: another grid's officer gets 404."""

from __future__ import annotations

import pytest

from loans.models import LoanProductVersion, Repayment
from loans.tests.conftest import key
from loans.tests.test_services import apply, draw, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def drawn(borrower, e_loan):
    contract = sign(apply(borrower, e_loan, amount=120000, method="equal_instalment"))
    return draw(contract, 120000).loan


def test_the_household_page_card_shows_line_use_whitelists_and_the_schedule(client, org, drawn):
    client.force_login(org.officer_a)
    page = client.get(f"/households/{drawn.household_id}/")
    assert f"/loans/households/{drawn.household_id}/" in page.content.decode()
    html = client.get(f"/loans/households/{drawn.household_id}/").content.decode()
    assert 'data-testid="available">380,000<' in html  # 500,000 − 120,000
    assert drawn.number in html
    assert 'data-testid="schedule"' in html
    assert 'data-testid="whitelist-fuxiang_e_loan"' in html
    client.force_login(org.officer_b)
    assert client.get(f"/loans/households/{drawn.household_id}/").status_code == 404
    assert client.get(f"/loans/loans/{drawn.pk}/").status_code == 404
    assert client.get(f"/loans/contracts/{drawn.contract_id}/pdf/").status_code == 404


def test_the_contract_page_and_its_pdf(client, org, drawn):
    client.force_login(org.officer_a)
    contract = drawn.contract
    html = client.get(f"/loans/contracts/{contract.pk}/").content.decode()
    assert contract.text_sha256 in html
    assert "个人借款合同" in html
    pdf = client.get(f"/loans/contracts/{contract.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")


def test_staff_enter_a_repayment_once_even_if_the_form_is_sent_twice(client, org, drawn):
    client.force_login(org.officer_a)
    form = {"amount": "5000", "paid_on": drawn.start_date.isoformat(), "idempotency_key": key()}
    assert client.post(f"/loans/loans/{drawn.pk}/", form).status_code == 302
    assert client.post(f"/loans/loans/{drawn.pk}/", form).status_code == 302
    assert Repayment.objects.filter(loan=drawn).count() == 1
    too_much = {**form, "amount": "999999", "idempotency_key": key()}
    html = client.post(f"/loans/loans/{drawn.pk}/", too_much).content.decode()
    assert "还款金额999,999元超过应还余额" in html
    client.force_login(org.auditor)
    assert (
        client.post(f"/loans/loans/{drawn.pk}/", {**form, "idempotency_key": key()}).status_code
        == 403
    )


def test_the_core_banking_file_reports_each_row(client, org, drawn):
    csv = (
        "借据号,还款日期,还款金额,流水号\n"
        f"{drawn.number},{drawn.start_date:%Y-%m-%d},1000.00,HX0001\n"
        f"{drawn.number},{drawn.start_date:%Y-%m-%d},1000.00,HX0001\n"
        f"NOPE,{drawn.start_date:%Y-%m-%d},1000.00,HX0002\n"
        f"{drawn.number},2026/13/01,1000.00,HX0003\n"
        f"{drawn.number},{drawn.start_date:%Y-%m-%d},999999.00,HX0004\n"
    ).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(org.officer_a)
    upload = SimpleUploadedFile("repay.csv", csv, content_type="text/csv")
    assert client.post("/loans/repayments/import/", {"file": upload}).status_code == 403
    client.force_login(org.head_office)
    upload = SimpleUploadedFile("repay.csv", csv, content_type="text/csv")
    html = client.post("/loans/repayments/import/", {"file": upload}).content.decode()
    assert "共 5 行：入账 1，重复 1，拒绝 3" in html
    assert "借据号NOPE不存在" in html
    assert "还款日期须为YYYY-MM-DD格式" in html
    assert "超过应还余额" in html
    assert Repayment.objects.filter(loan=drawn).count() == 1


def test_the_review_queue_and_the_officers_decision(client, org, borrower, products):
    application = apply(
        borrower, products["mortgage_loan"], method="equal_instalment", collateral_value=500000,
        collateral_description="自建房",
    )  # fmt: skip
    client.force_login(org.officer_a)
    queue = client.get("/loans/applications/?queue=review").content.decode()
    assert f"/loans/applications/{application.pk}/" in queue
    response = client.post(
        f"/loans/applications/{application.pk}/", {"decision": "decline", "note": "房产手续不全"}
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "declined"
    assert application.reason_messages == ["房产手续不全"]
    client.force_login(org.officer_b)
    assert client.get(f"/loans/applications/{application.pk}/").status_code == 404


def test_products_with_signed_and_drawn_totals_in_scope(client, org, drawn):
    client.force_login(org.manager)
    html = client.get("/loans/").content.decode()
    assert 'data-testid="signed-total">120,000<' in html
    assert 'data-testid="drawn-total">120,000<' in html
    client.force_login(org.officer_b)  # another grid: nothing of it
    html = client.get("/loans/").content.decode()
    assert 'data-testid="signed-total">0<' in html


def test_head_office_versions_a_product_and_another_approves(client, org, checker, e_loan):
    client.force_login(org.head_office)
    form = {
        "min_amount": "50000", "max_amount": "300000", "grades": ["AAA", "AA"],
        "subject_kinds": ["household"], "terms_months": "12,24",
        "repayment_methods": ["revolving"], "online": "on", "farming_income_share": "0.30",
        "farming_land_mu": "3", "note": "收窄额度",
    }  # fmt: skip
    assert client.post(f"/loans/products/{e_loan.pk}/versions/new/", form).status_code == 302
    draft = LoanProductVersion.objects.get(product=e_loan, version=2)
    client.post(f"/loans/versions/{draft.pk}/submit/")
    client.post(f"/loans/versions/{draft.pk}/approve/")  # the drafter: refused
    draft.refresh_from_db()
    assert draft.status == "submitted"
    client.force_login(checker)
    client.post(f"/loans/versions/{draft.pk}/approve/")
    draft.refresh_from_db()
    assert draft.status == "approved"
    assert LoanProductVersion.objects.get(product=e_loan, version=1).status == "retired"
    client.force_login(org.officer_a)
    assert client.post(f"/loans/products/{e_loan.pk}/versions/new/", form).status_code == 403


def test_a_contract_keeps_the_version_it_was_signed_under(borrower, e_loan, org, checker):
    from loans import products

    contract = sign(apply(borrower, e_loan))
    v2 = products.product_version_create(
        actor=org.head_office, product=e_loan, fields={"note": "新版"}
    )
    products.product_version_submit(actor=org.head_office, version=v2)
    products.product_version_review(actor=checker, version=v2, approve=True)
    contract.refresh_from_db()
    assert contract.product_version.version == 1


def test_loan_and_application_pages_name_the_borrower_by_the_heads_masked_name(client, org, drawn):
    """Where a manager follows up an overdue loan (the menu's 逾期借据): 罗家坪村 张**户, never
    "12号户" or the head's full name."""
    head = drawn.household.members.get(relation="head")
    name = f"{org.village_a.name} {head.masked_name}户"
    client.force_login(org.manager)
    application = drawn.contract.application
    for url in (
        "/loans/loans/",
        f"/loans/loans/{drawn.pk}/",
        "/loans/applications/",
        f"/loans/applications/{application.pk}/",
    ):
        html = client.get(url).content.decode()
        assert f'data-testid="borrower">{name}<' in html, url
        assert f"{drawn.household_id}号户" not in html, url
        assert head.name not in html, url
