"""The villager's loan pages: from the verified result page, apply for a product the
household's whitelist offers, sign with a fresh SMS code, draw — through loans' services,
with the household the session verified and nothing else."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from households.tests.factories import HouseholdFactory, MemberFactory, next_resident_id
from loans.models import Drawdown, LoanApplication, LoanContract
from qrlookup.models import SmsOutboxMessage
from qrlookup.tests.conftest import person

pytestmark = pytest.mark.django_db

RICH = {
    "income_crops": 120000, "income_livestock": 60000, "income_wages": 150000,
    "annual_costs": 30000, "house_value": 900000, "deposits": 300000,
    "committee_assessment": "very_good", "land_contracted_mu": 12,
}  # fmt: skip


@pytest.fixture
def villager(org, run_today, village_code, settings, django_capture_on_commit_callbacks):
    settings.QRLOOKUP_LIMITS = {**settings.QRLOOKUP_LIMITS, "phone": ((10, 60),)}
    household = HouseholdFactory(village=org.village_a, head=False, **RICH)
    who = person(household)
    with django_capture_on_commit_callbacks(execute=True):
        run_today(actor=org.head_office)
    return household, who


@pytest.fixture
def verified(client, flow, village_code, villager):
    household, who = villager
    assert flow.verify(village_code.token, who).status_code == 302
    return household, who


def last_code(phone: str) -> str:
    from households.services import phone_index

    message = SmsOutboxMessage.objects.filter(phone_index=phone_index(phone)).first()
    return re.search(r"(\d{6})", message.text).group(1)


def apply(client, code="fuxiang_e_loan", **data):
    page = client.get(f"/q/me/loans/apply/{code}")
    key = re.search(r'name="key" value="([0-9a-f]+)"', page.content.decode()).group(1)
    body = {"amount": "100000", "term_months": "12", "repayment_method": "revolving",
            "purpose": "购买化肥种子", "key": key, **data}  # fmt: skip
    return client.post(f"/q/me/loans/apply/{code}", body)


def sign(client, application_id, phone, django_capture_on_commit_callbacks, code=None):
    url = f"/q/me/loans/applications/{application_id}"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "send"})
    page = client.get(url).content.decode()
    key = re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)
    return client.post(url, {"action": "sign", "code": code or last_code(phone), "key": key})


def test_the_result_page_offers_the_whitelisted_products_and_the_available_amount(client, verified):
    html = client.get("/q/me/").content.decode()
    assert 'data-testid="products"' in html
    assert 'data-testid="apply-fuxiang_e_loan"' in html
    assert 'data-testid="apply-huinong_quick_loan"' in html
    assert 'data-testid="apply-gongxin_loan"' not in html  # no public employee: not offered
    assert 'data-testid="available">500,000 元' in html


def test_apply_sign_with_the_sms_code_and_draw(
    client, verified, django_capture_on_commit_callbacks
):
    household, who = verified
    response = apply(client)
    application = LoanApplication.objects.get(household=household)
    assert response.status_code == 302
    assert (application.status, application.channel, application.verification_method) == (
        "approved",
        "villager",
        "sms",
    )
    page = client.get(f"/q/me/loans/applications/{application.pk}").content.decode()
    assert "个人借款合同" in page
    assert "壹拾万元整" in page
    signed = sign(client, application.pk, who.phone, django_capture_on_commit_callbacks)
    contract = LoanContract.objects.get(application=application)
    assert signed.status_code == 302
    assert signed["Location"].endswith(f"/contracts/{contract.pk}")
    assert (contract.signing_channel, contract.signing_method) == ("villager", "sms")
    drawn = client.post(
        f"/q/me/loans/contracts/{contract.pk}", {"amount": "30000", "key": "k" * 32}
    )
    assert drawn.status_code == 302
    assert Drawdown.objects.get(contract=contract).amount == Decimal(30000)
    html = client.get("/q/me/").content.decode()
    assert 'data-testid="available">400,000 元' in html  # the contract occupies 100,000
    assert 'data-testid="my-contract"' in html
    pdf = client.get(f"/q/me/loans/contracts/{contract.pk}/pdf")
    assert pdf.content.startswith(b"%PDF-")


def test_a_replayed_or_wrong_sms_code_signs_nothing(
    client, verified, django_capture_on_commit_callbacks
):
    household, who = verified
    apply(client)
    first = LoanApplication.objects.get(household=household)
    sign(client, first.pk, who.phone, django_capture_on_commit_callbacks)
    used = last_code(who.phone)
    apply(client, code="huinong_quick_loan", repayment_method="interest_only")
    second = LoanApplication.objects.get(household=household, product__code="huinong_quick_loan")
    url = f"/q/me/loans/applications/{second.pk}"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "send"})
    page = client.get(url).content.decode()
    key = re.search(r'name="key" value="([0-9a-f]+)"', page).group(1)
    replayed = client.post(url, {"action": "sign", "code": used, "key": key}).content.decode()
    assert "验证码不正确或已失效" in replayed
    assert LoanContract.objects.count() == 1


def test_a_product_not_offered_or_another_households_application(client, org, verified, villager):
    assert client.get("/q/me/loans/apply/gongxin_loan").status_code == 302
    other = HouseholdFactory(village=org.village_a)
    foreign = LoanApplication.objects.create(
        household=other, product_id=1, product_version_id=1, amount=60000, term_months=12,
        repayment_method="revolving", purpose="x", channel="branch",
        verification_method="in_person", verified_at="2026-01-01T00:00:00Z",
    )  # fmt: skip
    assert client.get(f"/q/me/loans/applications/{foreign.pk}").status_code == 404


def test_without_a_verified_session_nothing_is_applied(client, villager):
    response = client.get("/q/me/loans/apply/fuxiang_e_loan")
    assert response.status_code == 302
    assert response["Location"].endswith("/q/expired")
    assert not LoanApplication.objects.exists()


def test_a_double_tap_applies_once(client, verified):
    household, _ = verified
    page = client.get("/q/me/loans/apply/fuxiang_e_loan")
    key = re.search(r'name="key" value="([0-9a-f]+)"', page.content.decode()).group(1)
    body = {"amount": "100000", "term_months": "12", "repayment_method": "revolving",
            "purpose": "购买化肥种子", "key": key}  # fmt: skip
    client.post("/q/me/loans/apply/fuxiang_e_loan", body)
    client.post("/q/me/loans/apply/fuxiang_e_loan", body)
    assert LoanApplication.objects.filter(household=household).count() == 1


def test_an_amount_outside_the_range_is_refused_on_the_form(client, verified):
    html = apply(client, amount="600000").content.decode()
    assert "申请金额须在50,000元至500,000元之间" in html
    assert not LoanApplication.objects.exists()


def test_the_signing_sms_names_the_amount_term_and_rate(
    client, verified, django_capture_on_commit_callbacks
):
    household, who = verified
    apply(client)
    application = LoanApplication.objects.get(household=household)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/q/me/loans/applications/{application.pk}", {"action": "send"})
    from households.services import phone_index

    text = SmsOutboxMessage.objects.filter(phone_index=phone_index(who.phone)).first().text
    rate = f"{application.rate_bp / 100:.2f}%"
    assert "您正在签订福祥e贷借款合同：借款金额100,000元，期限12个月，年利率" in text
    assert rate in text
    assert re.search(r"签约验证码\d{6}，5分钟内有效", text)


@pytest.mark.parametrize(
    ("relation", "born", "message"),
    [
        ("child", date(2012, 3, 1), "只有户主或户主的配偶（年满18周岁）本人可以申请和签约贷款"),
        ("spouse", date(2010, 3, 1), "借款人须年满18周岁"),
        ("parent", date(1950, 3, 1), "其他家庭成员不能办理"),
    ],
)
def test_only_the_head_or_an_adult_spouse_may_apply(
    client, flow, village_code, villager, relation, born, message
):
    household, _ = villager
    id_number = next_resident_id(born)
    member = MemberFactory(
        household=household, relation=relation, name="王小明", id_number=id_number,
        phone="13700001111",
    )  # fmt: skip
    who = SimpleNamespace(member=member, name="王小明", id_number=id_number, phone="13700001111")
    assert flow.verify(village_code.token, who).status_code == 302
    html = apply(client).content.decode()
    assert message in html
    assert not LoanApplication.objects.exists()
