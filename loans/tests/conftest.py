"""Fixtures of the loans tests: a borrower household rated with a real (one-household) run, so
its credit line and whitelist entries are the system's own; verification evidence as a
channel would pass it."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from households.tests.factories import HouseholdFactory, MemberFactory
from loans.models import LoanProduct
from loans.verification import Verification

# An AAA household with a 500,000 line, online (the limit bound by the grade cap).
RICH = {
    "income_crops": 120000,
    "income_livestock": 60000,
    "income_wages": 150000,
    "annual_costs": 30000,
    "house_value": 900000,
    "deposits": 300000,
    "avg_daily_deposit_here": 200000,
    "land_contracted_mu": 12,
    "committee_assessment": "very_good",
}


def verified(channel: str = "villager", **kwargs) -> Verification:
    return Verification(
        channel=channel,
        method=kwargs.pop("method", "sms" if channel != "branch" else "in_person"),
        verified_at=kwargs.pop("verified_at", timezone.now()),
        reference=kwargs.pop("reference", uuid.uuid4().hex),
        ip=kwargs.pop("ip", "203.0.113.9"),
        user_agent=kwargs.pop("user_agent", "Mozilla/5.0 (iPhone) MicroMessenger"),
        **kwargs,
    )


def head_id(household) -> int:
    """The head's member id: the person who borrows for the household."""
    return household.members.get(relation="head").pk


def key() -> str:
    return uuid.uuid4().hex


@pytest.fixture
def rate_household(eager_celery, django_capture_on_commit_callbacks):
    """Re-rate a household now, as the system does; its whitelists follow after the commit."""
    from rating.runs import rating_household_rerate

    def rate(household):
        with django_capture_on_commit_callbacks(execute=True):
            rating_household_rerate(household=household)
        household.refresh_from_db()
        return household

    return rate


@pytest.fixture
def make_borrower(org, rate_household):
    """A household of village A with a current line: ``make_borrower(**archive_fields)``."""

    def make(public_employee: bool = False, **fields):
        household = HouseholdFactory(village=org.village_a, **{**RICH, **fields})
        if public_employee:
            MemberFactory(household=household, is_public_employee=True, occupation="教师")
        return rate_household(household)

    return make


@pytest.fixture
def borrower(make_borrower):
    return make_borrower()


@pytest.fixture
def products(db):
    return {p.code: p for p in LoanProduct.objects.all()}


@pytest.fixture
def e_loan(products):
    return products["fuxiang_e_loan"]


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


@pytest.fixture
def seeded(transactional_db):
    """What the migrations seed and an earlier transactional test flushed: the approved
    scorecards, a credit policy, the loan products and the contract template."""
    from importlib import import_module

    from django.apps import apps

    from credit import engine
    from credit.models import CreditPolicyVersion
    from rating.default_cards import agricultural_card, enterprise_card, household_card
    from rating.engine import card_to_json
    from rating.models import Scorecard, ScorecardStatus, SubjectKind
    from rating.selectors import scorecard_active

    for kind, card in (
        (SubjectKind.HOUSEHOLD, household_card()),
        (SubjectKind.ENTERPRISE, enterprise_card()),
        (SubjectKind.AGRICULTURAL, agricultural_card()),
    ):
        if scorecard_active(kind) is None:
            Scorecard.objects.create(
                kind=kind,
                version=card.version,
                status=ScorecardStatus.APPROVED,
                definition=card_to_json(card),
                approved_at=timezone.now(),
            )
    if not CreditPolicyVersion.objects.filter(status="approved").exists():
        data = engine.DEFAULT_POLICY_JSON
        CreditPolicyVersion.objects.create(
            version=data["version"],
            effective_from=data["effective_from"],
            status="approved",
            data=data,
            reviewed_at=timezone.now(),
        )
    import_module("loans.migrations.0003_seed_products_and_contract_template").seed(apps, None)
    import_module("loans.migrations.0005_contract_2026_2").seed(apps, None)


TENCENT = "https://sms.tencentcloudapi.com/"
LOAN_TEMPLATES = {
    "loan_sign_code": "9001",
    "loan_approved": "9002",
    "loan_signed": "9003",
    "loan_drawn": "9004",
}


@pytest.fixture
def sms(settings):
    """The SMS module on Tencent Cloud SMS, stubbed at the HTTP boundary (``responses``):
    ``sms.sent()`` lists (template id, parameters, phone number) of the messages posted."""
    import json
    from types import SimpleNamespace

    import responses

    settings.QRLOOKUP_SMS_BACKEND = "tencent"
    settings.TENCENT_SMS_SECRET_ID = "AKIDexample"
    settings.TENCENT_SMS_SECRET_KEY = "example-secret-key"
    settings.TENCENT_SMS_SDK_APP_ID = "1400006666"
    settings.TENCENT_SMS_SIGN_NAME = "福祥农商银行"
    settings.TENCENT_SMS_TEMPLATE_ID = "449739"
    settings.TENCENT_SMS_LOAN_TEMPLATES = LOAN_TEMPLATES
    names = {v: k for k, v in LOAN_TEMPLATES.items()}
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.post(TENCENT, json={"Response": {"SendStatusSet": [{"Code": "Ok"}], "RequestId": "r"}})

        def sent():
            bodies = [json.loads(call.request.body) for call in mock.calls]
            return [
                (names.get(b["TemplateId"], b["TemplateId"]), b["TemplateParamSet"],
                 b["PhoneNumberSet"][0])
                for b in bodies
            ]  # fmt: skip

        def last_code():
            return next(p[4] for t, p, _ in reversed(sent()) if t == "loan_sign_code")

        yield SimpleNamespace(sent=sent, last_code=last_code)
