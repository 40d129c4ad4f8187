"""API tokens: hashed, expiring, revocable by their owner and by head office, and revoked when
the password changes or the account is deactivated."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from fuxiang.audit.models import AuditAction, AuditEvent

AUTH = "/api/v1/auth"
HOUSEHOLDS = "/api/v1/households/"


def obtain(org, username="officer_a"):
    response = APIClient().post(
        f"{AUTH}/token/", {"username": username, "password": org.password}, format="json"
    )
    assert response.status_code == 200, response.data
    return response.data


def with_token(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def works(token) -> bool:
    status = with_token(token).get(HOUSEHOLDS).status_code
    assert status in {200, 401}
    return status == 200


def test_a_token_is_stored_only_as_a_digest_and_expires_after_the_configured_hours(org, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(hours=3)}
    before = timezone.now()

    data = obtain(org)

    expiry = parse_datetime(data["expiry"])
    assert before + timedelta(hours=3) <= expiry <= timezone.now() + timedelta(hours=3)
    (stored,) = AuthToken.objects.filter(user=org.officer_a).values()
    assert data["token"] not in json.dumps(stored, default=str)
    assert works(data["token"])


def test_the_default_lifetime_is_ten_hours(settings):
    assert settings.REST_KNOX["TOKEN_TTL"] == timedelta(hours=10)


def test_an_expired_token_is_refused(org):
    token = obtain(org)["token"]
    AuthToken.objects.filter(user=org.officer_a).update(
        expiry=timezone.now() - timedelta(seconds=1)
    )

    response = with_token(token).get(HOUSEHOLDS)

    assert response.status_code == 401
    assert not AuthToken.objects.filter(user=org.officer_a).exists()


def test_logout_revokes_the_token_in_hand_and_not_the_other_devices(org):
    phone, laptop = obtain(org)["token"], obtain(org)["token"]

    response = with_token(phone).post(f"{AUTH}/logout/")

    assert response.status_code == 204
    assert not works(phone)
    assert works(laptop)
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, actor=org.officer_a).exists()


def test_logout_all_revokes_every_token_of_mine_and_nobody_elses(org):
    phone, laptop = obtain(org)["token"], obtain(org)["token"]
    colleague = obtain(org, "officer_b")["token"]

    response = with_token(phone).post(f"{AUTH}/logout-all/")

    assert response.status_code == 200
    assert response.data == {"revoked": 2}
    assert not works(phone)
    assert not works(laptop)
    assert works(colleague)


def test_logout_needs_a_token(org):
    client = APIClient()
    client.force_login(org.officer_a)

    assert client.post(f"{AUTH}/logout/").status_code == 401


def test_head_office_revokes_a_members_tokens_and_it_is_audited(org):
    token = obtain(org)["token"]
    client = APIClient()
    client.force_login(org.head_office)

    response = client.post(f"{AUTH}/users/{org.officer_a.pk}/revoke-tokens/")

    assert response.status_code == 200
    assert response.data == {"revoked": 1}
    assert not works(token)
    event = AuditEvent.objects.get(action=AuditAction.API_TOKENS_REVOKE)
    assert event.actor == org.head_office
    assert event.target_id == str(org.officer_a.pk)
    assert event.details == {"reason": "head_office", "tokens": 1}


@pytest.mark.parametrize("role", ["manager", "officer_b", "auditor"])
def test_only_head_office_revokes_someone_elses_tokens(org, role):
    token = obtain(org)["token"]
    client = APIClient()
    client.force_login(getattr(org, role))

    response = client.post(f"{AUTH}/users/{org.officer_a.pk}/revoke-tokens/")

    assert response.status_code == 403
    assert works(token)


def test_head_office_revokes_tokens_from_the_staff_admin(org, client):
    token = obtain(org)["token"]
    client.force_login(org.head_office)

    response = client.post(
        "/admin/accounts/user/",
        {"action": "revoke_api_tokens", "_selected_action": [org.officer_a.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "已撤销1名员工的1个API令牌" in response.content.decode()
    assert not works(token)


def test_a_password_changed_in_the_admin_revokes_the_tokens(org, client):
    token = obtain(org)["token"]
    client.force_login(org.head_office)

    response = client.post(
        f"/admin/accounts/user/{org.officer_a.pk}/password/",
        {"password1": "Another-passw0rd!", "password2": "Another-passw0rd!"},
    )

    assert response.status_code == 302
    assert not works(token)
    event = AuditEvent.objects.get(action=AuditAction.API_TOKENS_REVOKE)
    assert event.details == {"reason": "password_changed", "tokens": 1}


def test_a_password_set_anywhere_else_revokes_the_tokens(org):
    # manage.py changepassword and a shell both end in set_password() and save()
    token = obtain(org)["token"]
    org.officer_a.set_password("Another-passw0rd!")
    org.officer_a.save()

    assert not works(token)


def test_deactivation_revokes_the_tokens_for_good(org):
    token = obtain(org)["token"]
    org.officer_a.is_active = False
    org.officer_a.save(update_fields=["is_active"])
    org.officer_a.is_active = True
    org.officer_a.save()

    assert not works(token)


def test_signing_in_again_keeps_earlier_tokens(org):
    first = obtain(org)["token"]
    obtain(org)  # updates last_login: not a credential change

    assert works(first)


def test_the_schema_documents_the_expiry(org, client):
    client.force_login(org.officer_a)
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)

    token = schema["components"]["schemas"]["Token"]["properties"]
    assert set(token) == {"token", "expiry"}
    assert "/api/v1/auth/logout-all/" in schema["paths"]
