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
