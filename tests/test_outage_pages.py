"""When PostgreSQL or Redis is down, a villager's lookup page says so in plain Chinese —
"请稍后再试", status 503 with Retry-After — never a server error page; when the service is
back the same page works again. The database is made to refuse connections by pointing the
app at a port where nothing listens (never by stopping the shared server), the cache likewise."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from django.db import connections
from django.test import Client

from qrlookup.tests.conftest import village_code  # noqa: F401  (a fixture)
from tests.faults import free_port

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@contextmanager
def database_refusing():
    """Every new connection of this thread is refused until the block ends."""
    connection = connections["default"]
    connection.close()
    saved = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = free_port()
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved


@contextmanager
def cache_refusing(settings):
    saved = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
        }
    }
    try:
        yield
    finally:
        settings.CACHES = saved


@pytest.fixture(autouse=True)
def _own_lookup_keys(settings):
    """The lookup's limits and scan events under keys of this test's own, its events written
    at once (never left in the shared Redis for another test's refresh to count)."""
    settings.QRLOOKUP_CACHE_NAMESPACE = f"qrl-test-{uuid.uuid4().hex[:12]}"
    settings.QRLOOKUP_EVENT_BUFFER = False


@pytest.fixture
def villager_client():
    return Client(raise_request_exception=False, HTTP_USER_AGENT="Mozilla/5.0 MicroMessenger")


def assert_try_later(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"]
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    assert "请稍后再试" in body
    assert "Traceback" not in body
    assert "Error" not in body


@pytest.mark.parametrize("down", ["database", "cache"])
@pytest.mark.parametrize("page", ["landing", "check"])
def test_a_lookup_page_says_try_later_while_a_service_is_down(
    org,
    village_code,  # noqa: F811
    villager_client,
    settings,
    down,
    page,
    request,
):
    if down == "database":  # a refused connection is PostgreSQL's; SQLite opens a file
        request.getfixturevalue("postgres")
    path = f"/q/{village_code.token}" + ("/check" if page == "check" else "")
    outage = database_refusing() if down == "database" else cache_refusing(settings)
    with outage:
        assert_try_later(villager_client.get(path))
    assert villager_client.get(path).status_code == 200
