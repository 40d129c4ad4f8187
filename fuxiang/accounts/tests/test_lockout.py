"""Login lockout and the audit log behind the reverse proxy: both count the client's address,
not the proxy's, and nobody can choose the address they are counted under."""

from __future__ import annotations

import pytest
from django.urls import reverse

from fuxiang.audit.models import AuditAction, AuditEvent
from fuxiang.clientaddress import client_address, proxy_settings

PROXY = "10.0.0.2"  # the reverse proxy, as gunicorn sees it
CLIENT_X = "36.110.1.7"
CLIENT_Y = "58.20.3.4"


@pytest.fixture
def behind_one_proxy(settings):
    for name, value in proxy_settings(1).items():
        setattr(settings, name, value)


def sign_in(client, password, *, forwarded_for=None, remote=PROXY):
    headers = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client.post(reverse("login"), {"username": "officer_a", "password": password}, **headers)


def test_behind_the_proxy_failures_lock_out_only_the_client_that_made_them(
    org, client, behind_one_proxy
):
    for _ in range(5):
        sign_in(client, "wrong", forwarded_for=CLIENT_X)

    locked = sign_in(client, org.password, forwarded_for=CLIENT_X)
    other_client = sign_in(client, org.password, forwarded_for=CLIENT_Y)

    assert locked.status_code == 429
    assert other_client.status_code == 302
    assert client.session["_auth_user_id"] == str(org.officer_a.pk)


def test_behind_the_proxy_audit_events_record_the_client_not_the_proxy(
    org, client, behind_one_proxy
):
    sign_in(client, "wrong", forwarded_for=CLIENT_X)
    sign_in(client, org.password, forwarded_for=CLIENT_Y)

    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    signed_in = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert failed.ip_address == CLIENT_X
    assert signed_in.ip_address == CLIENT_Y


def test_behind_the_proxy_an_address_the_client_wrote_itself_is_ignored(
    org, client, behind_one_proxy
):
    # The proxy appends the address it saw; what the client sent is to the left of it.
    for n in range(5):
        sign_in(client, "wrong", forwarded_for=f"1.2.3.{n}, {CLIENT_X}")

    locked = sign_in(client, org.password, forwarded_for=f"9.9.9.9, {CLIENT_X}")

    assert locked.status_code == 429
    assert set(
        AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).values_list(
            "ip_address", flat=True
        )
    ) == {CLIENT_X}


def test_without_a_proxy_setting_forwarded_for_is_not_trusted(org, client, settings):
    assert settings.AXES_IPWARE_META_PRECEDENCE_ORDER == ("REMOTE_ADDR",)
    for n in range(5):
        sign_in(client, "wrong", forwarded_for=f"36.110.1.{n}", remote=CLIENT_X)

    spoofed = sign_in(client, org.password, forwarded_for=CLIENT_Y, remote=CLIENT_X)

    assert spoofed.status_code == 429
    addresses = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).values_list(
        "ip_address", flat=True
    )
    assert set(addresses) == {CLIENT_X}


def test_the_token_endpoint_locks_per_client_behind_the_proxy(org, behind_one_proxy):
    from rest_framework.test import APIClient

    api = APIClient()
    for _ in range(5):
        api.post(
            "/api/v1/auth/token/",
            {"username": "officer_a", "password": "wrong"},
            format="json",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=CLIENT_X,
        )
    credentials = {"username": "officer_a", "password": org.password}

    locked = api.post(
        "/api/v1/auth/token/",
        credentials,
        format="json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=CLIENT_X,
    )
    other = api.post(
        "/api/v1/auth/token/",
        credentials,
        format="json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=CLIENT_Y,
    )

    assert locked.status_code == 429
    assert other.status_code == 200


def test_behind_two_proxies_the_client_is_what_the_outer_proxy_saw(settings, rf):
    for name, value in proxy_settings(2).items():
        setattr(settings, name, value)
    outer_proxy = "10.0.0.9"
    request = rf.get(
        "/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"1.2.3.4, {CLIENT_X}, {outer_proxy}"
    )

    assert client_address(request) == CLIENT_X
