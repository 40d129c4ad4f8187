"""The business entity archive's credit fields (issue 11): costs (left blank when not recorded),
the entity's own overdue record and bad loan — in the form, the API and on the page, as the
household's equivalents are."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from households.models import BusinessEntity
from households.tests.factories import BusinessEntityFactory
from households.tests.test_api import API, client_for, entity_payload  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_the_api_records_costs_and_the_entitys_credit_record(org, client_for):  # noqa: F811
    payload = entity_payload(
        org.village_a.pk,
        annual_costs="540000.00",
        overdue_count_24m=2,
        has_outstanding_overdue=True,
        has_bad_loan=True,
    )
    response = client_for(org.officer_a).post(f"{API}/entities/", payload, format="json")

    assert response.status_code == 201, response.data
    entity = BusinessEntity.objects.get()
    assert (entity.annual_costs, entity.net_profit) == (Decimal(540000), Decimal(60000))
    assert (entity.overdue_count_24m, entity.has_outstanding_overdue, entity.has_bad_loan) == (
        2,
        True,
        True,
    )
    assert response.data["has_bad_loan"] is True
    assert response.data["annual_costs"] == "540000.00"


def test_costs_not_recorded_stay_blank_and_negative_costs_are_refused(org, client_for):  # noqa: F811
    client = client_for(org.officer_a)
    created = client.post(f"{API}/entities/", entity_payload(org.village_a.pk), format="json")
    assert created.status_code == 201
    assert created.data["annual_costs"] is None

    refused = client.post(
        f"{API}/entities/", entity_payload(org.village_a.pk, annual_costs="-1"), format="json"
    )
    assert refused.status_code == 400
    assert refused.data["errors"]["annual_costs"] == ["年经营成本费用（元）不能为负数"]


def test_the_form_and_the_page_show_the_credit_fields(org, client):
    entity = BusinessEntityFactory(
        village=org.village_a, annual_costs=700000, overdue_count_24m=1, has_bad_loan=True
    )
    client.force_login(org.officer_a)
    form = client.get(reverse("households:entity_update", args=[entity.pk])).content.decode()
    for name in ("annual_costs", "overdue_count_24m", "has_outstanding_overdue", "has_bad_loan"):
        assert f'name="{name}"' in form, name
    page = client.get(reverse("households:entity_detail", args=[entity.pk])).content.decode()
    assert "¥700,000 · ¥100,000" in page  # costs · net profit
    assert "近24个月逾期 1 次" in page
    assert "有不良贷款余额" in page
