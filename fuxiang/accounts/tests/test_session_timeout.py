"""Staff sessions end after 30 minutes idle and 8 hours after signing in; the villager's
lookup session keeps its own rule. Time moves by moving the session's clock back."""

from __future__ import annotations

import time

import pytest

from fuxiang.middleware import SEEN_AT, SIGNED_IN_AT

pytestmark = pytest.mark.django_db


def sign_in(client, user) -> None:
    client.force_login(user)
    assert client.get("/loans/").status_code == 200


def age(client, *, signed_in: int, seen: int) -> None:
    """Pretend the sign-in was ``signed_in`` seconds ago and the last request ``seen``."""
    session = client.session
    now = int(time.time())
    session[SIGNED_IN_AT], session[SEEN_AT] = now - signed_in, now - seen
    session.save()


def test_signing_in_again_starts_both_clocks_afresh(client, org):
    sign_in(client, org.officer_a)
    age(client, signed_in=8 * 3600 - 10, seen=20 * 60)
    client.force_login(org.officer_a)  # signs in again (the session's data is kept)
    assert client.session[SIGNED_IN_AT] >= int(time.time()) - 5
    assert client.session[SEEN_AT] >= int(time.time()) - 5


def test_29_minutes_idle_keeps_the_session_and_30_more_ends_it(client, org):
    sign_in(client, org.officer_a)
    age(client, signed_in=3600, seen=29 * 60)
    assert client.get("/loans/").status_code == 200  # and the idle clock starts again
    assert client.session[SEEN_AT] >= int(time.time()) - 5
    age(client, signed_in=3600, seen=30 * 60 + 1)
    response = client.get("/loans/")
    assert response.status_code == 302
    assert "/login" in response["Location"]
    assert client.get("/loans/").status_code == 302  # signed out, not just turned away once


def test_eight_hours_after_signing_in_the_session_ends_however_busy(client, org):
    sign_in(client, org.head_office)
    age(client, signed_in=8 * 3600 - 60, seen=10)
    assert client.get("/loans/").status_code == 200
    age(client, signed_in=8 * 3600 + 1, seen=10)
    assert client.get("/loans/").status_code == 302


def test_the_api_with_a_timed_out_session_is_refused(client, org):
    sign_in(client, org.officer_a)
    age(client, signed_in=60, seen=31 * 60)
    assert client.get("/api/v1/loans/products/").status_code in (401, 403)


def test_the_villagers_session_keeps_its_own_rule(client, settings):
    """An anonymous lookup session has no staff clock: the middleware leaves it alone."""
    session = client.session
    session["qrl_until"] = int(time.time()) + settings.QRLOOKUP_SESSION_SECONDS
    session.save()
    client.get("/healthz")
    assert SIGNED_IN_AT not in client.session
    assert settings.STAFF_SESSION_IDLE_SECONDS == 1800
    assert settings.STAFF_SESSION_MAX_SECONDS == 8 * 3600
