"""Headers every response carries: the Content-Security-Policy, no-store for anything that may
hold personal data, and the API's schema and docs only for signed-in staff."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from households.tests.factories import DEFAULT_PASSWORD, HouseholdFactory


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    parts = (part.strip().split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.fixture
def signed_in(client, org):
    client.force_login(org.officer_a)
    return client


@pytest.mark.parametrize(
    "url", ["/accounts/login/", "/", "/households/", "/admin/", "/api/docs/", "/api/v1/grids/"]
)
def test_every_page_carries_a_strict_content_security_policy(client, org, url):
    if url != "/accounts/login/":
        client.force_login(org.head_office)
    response = client.get(url)

    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_pages_for_a_signed_in_user_are_not_stored(signed_in, org):
    household = HouseholdFactory(village=org.village_a)

    for url in ["/", reverse("households:detail", args=[household.pk])]:
        assert "no-store" in signed_in.get(url).headers["Cache-Control"], url


def test_api_responses_are_not_stored_whoever_asks(org):
    token = (
        APIClient()
        .post(
            "/api/v1/auth/token/",
            {"username": "officer_a", "password": DEFAULT_PASSWORD},
            format="json",
        )
        .data["token"]
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    listed = client.get("/api/v1/households/")
    refused = APIClient().get("/api/v1/households/")

    assert listed.status_code == 200
    assert "no-store" in listed.headers["Cache-Control"]
    assert refused.status_code == 401
    assert "no-store" in refused.headers["Cache-Control"]


def test_static_files_keep_their_caching(signed_in):
    response = signed_in.get("/static/css/fuxiang.css")

    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_the_schema_and_its_docs_are_not_for_anonymous_visitors(client):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 401
    assert docs.status_code == 302
    assert docs.url.startswith(reverse("login"))


def test_the_schema_and_its_docs_are_for_signed_in_staff(signed_in):
    docs = signed_in.get("/api/docs/")
    script = signed_in.get("/api/docs/", {"script": ""})

    assert signed_in.get("/api/schema/").status_code == 200
    assert docs.status_code == 200
    assert "<script>" not in docs.content.decode()
    assert script.status_code == 200
    assert script.headers["Content-Type"].startswith("application/javascript")
